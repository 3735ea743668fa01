"""Disclosure control (ingestion/disclosure.py) on hand-made cells: the threshold and p% rules, the levels,
secondary suppression over relations, and the pseudonym and key functions (ingestion/privacy.py).
Every expectation is worked out by hand in the comments; ``decide`` (the rules on column arrays) is held
to the same rules applied one unit at a time on random cells."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pandas as pd
import pytest

from ingestion.disclosure import (
    Contribution,
    Rule,
    Unit,
    _by_group_largest_first,
    decide,
    primary_level,
    secondary,
    sensitivity,
)
from ingestion.privacy import (
    SAMPLE_SALT,
    MissingSaltError,
    keyed_key,
    pseudonym,
    pseudonym_salt,
)

RULE = Rule(min_contributors=3, p_percent=10.0)


def person(amount: float) -> Contribution:
    return Contribution(amount, protected=True, published=False)


def company(amount: float, published: bool = False) -> Contribution:
    return Contribution(amount, protected=False, published=published)


# --------------------------------------------------------------------------------------------------
# The primary rule
# --------------------------------------------------------------------------------------------------

def test_no_natural_person_nothing_to_protect():
    assert sensitivity([company(100)], RULE) is None
    assert sensitivity([], RULE) is None


def test_threshold_rule():
    # a sole trader and one company: the company knows its own amount and subtracts it
    assert sensitivity([person(100), company(5000)], RULE) == "threshold"
    assert sensitivity([person(100)], RULE) == "threshold"
    # a company whose amount is published one by one protects nobody: still two unknown contributors
    assert sensitivity([person(100), company(50), company(10_000, published=True)], RULE) == "threshold"


def test_p_percent_rule():
    # largest protected 100, attacker 50, the rest 5 < 10 % of 100: the attacker estimates 100 within 5 %
    assert sensitivity([person(100), company(50), company(5)], RULE) == "dominance"
    # the rest 20 >= 10: safe
    assert sensitivity([person(100), company(50), company(20)], RULE) is None
    # the attacker is the largest other contributor, also when that is a larger company:
    # protected 100, attacker 1000, rest 9 < 10
    assert sensitivity([person(100), company(1000), company(9)], RULE) == "dominance"
    assert sensitivity([person(100), company(1000), company(10)], RULE) is None
    # two sole traders: checking the largest is enough (the smaller one is then safe too)
    assert sensitivity([person(100), person(60), company(20)], RULE) is None
    assert sensitivity([person(100), person(60), company(9)], RULE) == "dominance"


def test_credit_notes_count_in_absolute_value_and_zero_nets_not_at_all():
    # -100 net (credit notes) is still someone's money; a contribution that nets to 0 is none
    assert sensitivity([person(-100), company(50), company(20)], RULE) is None
    assert sensitivity([person(100), company(50), company(0.0)], RULE) == "threshold"


def test_amounts_are_compared_in_whole_cents():
    # p1 100, c1 33.33, p2 20 with p = 20 %: attacker c1, rest 20.00 = exactly 20 % of 100: not less, safe.
    # Added as floats, 153.33 - 100 - 33.33 is 19.999999999999996, which would call it dominance.
    assert sensitivity([person(100), company(33.33), person(20)], Rule(3, 20.0)) is None
    assert sensitivity([person(100), company(33.33), person(19.99)], Rule(3, 20.0)) == "dominance"
    # half a cent or less nets to no contribution; a single protected contributor is always sensitive
    assert sensitivity([person(100), company(50), company(0.004)], RULE) == "threshold"
    assert sensitivity([person(100)], Rule(1, 10.0)) == "dominance"


def test_rule_parameters():
    loose = Rule(min_contributors=2, p_percent=0.0)
    assert sensitivity([person(100), company(5000)], loose) is None
    strict = Rule(min_contributors=5, p_percent=50.0)
    assert sensitivity([person(100), company(50), company(20), company(20)], strict) == "threshold"


def test_levels_withhold_the_place_split_first():
    unit = Unit("recipient|a|2024|sbi_section|F", "recipient")
    # Nieuw-West part: one sole trader alone (threshold); influenceable total: three suppliers, safe
    unit.parts = {
        "nieuw_west|influenceable": {"p1": person(100)},
        "outside_amsterdam|influenceable": {"c1": company(80), "c2": company(60)},
    }
    unit.coarse_of = {c: "influenceable" for c in unit.parts}
    # coarse: p1 100, c1 80, c2 60: attacker 80, rest 60 >= 10: the totals may be shown
    assert primary_level(unit, RULE) == ("totals", "threshold")
    unit2 = Unit("x", "recipient", parts={"nieuw_west|influenceable": {"p1": person(100), "c1": company(5)}},
                 coarse_of={"nieuw_west|influenceable": "influenceable"})
    assert primary_level(unit2, RULE) == ("none", "threshold")
    tier = Unit("tier|a|year|2024|nieuw_west", "tier", parts={"influenceable": {"p1": person(100)}},
                coarse_of={"influenceable": "influenceable"})
    assert primary_level(tier, RULE) == ("none", "threshold")  # no coarse level in the tier family


# --------------------------------------------------------------------------------------------------
# Secondary suppression
# --------------------------------------------------------------------------------------------------

def _unit(uid: str, **parts: dict[str, Contribution]) -> Unit:
    return Unit(uid, "tier", parts={"i": parts}, coarse_of={"i": "i"})


def test_secondary_hides_the_cheapest_cell_that_makes_the_sum_safe():
    total = _unit("T")
    total.fixed = True  # published elsewhere
    a = _unit("A", p1=person(100))  # primary: a sole trader alone
    b = _unit("B", p2=person(50), c1=company(40))  # |90|
    c = _unit("C", c2=company(1000), c3=company(900), p3=person(500))  # |2400|
    d = _unit("D", c4=company(30, published=True))  # only a published amount: hiding it protects nothing
    units = {u.unit_id: u for u in (total, a, b, c, d)}
    a.level, a.reason = primary_level(a, RULE)
    assert a.level == "none"
    for u in (b, c, d):
        u.level, u.reason = primary_level(u, RULE)
    # B alone: p2 50, c1 40: two contributors, so B is primary too
    assert b.level == "none" and b.reason == "threshold"
    assert c.level == "full" and d.level == "full"
    unprotected = secondary(units, {"r": ("T", ["A", "B", "C", "D"])}, RULE)
    # hidden A + B: p1 100, p2 50, c1 40 -> attacker 50, rest 40 >= 10: safe, nothing more hidden
    assert unprotected == [] and c.level == "full" and d.level == "full"


def test_secondary_adds_a_cell_when_the_hidden_sum_is_unsafe():
    total = _unit("T")
    total.fixed = True
    a = _unit("A", p1=person(100))
    b = _unit("B", c1=company(10), c2=company(8), c3=company(7))  # |25|, no sole trader: full
    c = _unit("C", c4=company(500), c5=company(400), c6=company(300))  # |1200|
    units = {u.unit_id: u for u in (total, a, b, c)}
    for u in (a, b, c):
        u.level, u.reason = primary_level(u, RULE)
    secondary(units, {"r": ("T", ["A", "B", "C"])}, RULE)
    # T minus the shown cells gives A alone (p1): hide the cheapest other cell, B (25 < 1200);
    # A + B: p1 100, attacker c1 10, rest 15 >= 10: safe
    assert (a.level, b.level, c.level) == ("none", "none", "full")
    assert b.reason == "secondary"


def test_a_hidden_total_needs_a_hidden_member():
    total = _unit("T", p1=person(100), c1=company(5))  # primary
    a = _unit("A", p1=person(100))
    b = _unit("B", c1=company(5))
    units = {u.unit_id: u for u in (total, a, b)}
    for u in units.values():
        u.level, u.reason = primary_level(u, RULE)
    assert total.level == "none" and a.level == "none" and b.level == "full"
    secondary(units, {"r": ("T", ["A", "B"])}, RULE)
    # T hidden, A hidden: the shown B says nothing about A
    assert b.level == "full"
    # a total hidden with no member hidden: the members would add up to it
    total2 = _unit("T2", c1=company(5), p1=person(100))
    m1, m2 = _unit("M1", c1=company(5), c9=company(7)), _unit("M2", p1=person(100), c8=company(60), c7=company(30))
    units2 = {u.unit_id: u for u in (total2, m1, m2)}
    total2.level, m1.level, m2.level = "none", "full", "full"
    secondary(units2, {"r": ("T2", ["M1", "M2"])}, RULE)
    assert m1.level == "none" and m2.level == "full"  # the cheaper member (12 < 190)


def test_relations_are_linked_until_nothing_changes():
    # a section with two divisions, and the sections adding up to the (published) anchor-year
    year = _unit("Y")
    year.fixed = True
    s1 = _unit("S1", p1=person(100), c1=company(70), c2=company(60))  # safe
    s2 = _unit("S2", c3=company(500), c4=company(400), c5=company(300))
    d1 = _unit("D1", p1=person(100))  # primary
    d2 = _unit("D2", c1=company(70), c2=company(60))
    units = {u.unit_id: u for u in (year, s1, s2, d1, d2)}
    for u in (s1, s2, d1, d2):
        u.level, u.reason = primary_level(u, RULE)
    relations = {"sections": ("Y", ["S1", "S2"]), "divisions": ("S1", ["D1", "D2"])}
    secondary(units, relations, RULE)
    # S1 minus D2 would give D1: D2 is hidden too (D1 + D2 = S1's money, which is safe); S1 stays shown
    assert (d1.level, d2.level, s1.level, s2.level) == ("none", "none", "full", "full")


def test_decide_on_data_frames_with_fixed_and_linked_units():
    rows = [
        # unit, component, coarse, supplier, amount, protected, published
        ("recipient|a|2024|*|*", "nieuw_west|influenceable", "influenceable", "p1", 100, True, False),
        ("recipient|a|2024|*|*", "nieuw_west|influenceable", "influenceable", "c1", 300, False, False),
        ("recipient|a|2024|*|*", "nieuw_west|influenceable", "influenceable", "c2", 200, False, False),
        ("recipient|a|2024|g|x", "nieuw_west|influenceable", "influenceable", "p1", 100, True, False),
        ("recipient|a|2024|g|y", "nieuw_west|influenceable", "influenceable", "c1", 300, False, False),
        ("recipient|a|2024|g|y", "nieuw_west|influenceable", "influenceable", "c2", 200, False, False),
    ]
    contributions = pd.DataFrame(rows, columns=["unit_id", "component", "coarse_component", "supplier_key",
                                                "amount_eur", "is_protected", "is_published"])
    contributions["family"] = "recipient"
    relations = pd.DataFrame([("r", "recipient|a|2024|*|*", "recipient|a|2024|g|x"),
                              ("r", "recipient|a|2024|*|*", "recipient|a|2024|g|y")],
                             columns=["relation_id", "total_unit_id", "member_unit_id"])
    out = decide(contributions, relations, RULE, fixed_units=["recipient|a|2024|*|*"]).set_index("unit_id")
    # x is a sole trader alone (threshold; its coarse total is the same sole trader: no level helps). The
    # total is published, so y is hidden too, in its place split and then in its totals (the published
    # total minus y's influenceable spend would be x's): x + y = the total, p1 100, attacker 300, rest 200
    assert out.loc["recipient|a|2024|g|x", "publication_level"] == "none"
    assert out.loc["recipient|a|2024|g|x", "suppression_reason"] == "threshold"
    assert bool(out.loc["recipient|a|2024|g|x", "is_primary"])
    assert out.loc["recipient|a|2024|g|y", "suppression_reason"] == "secondary"
    assert out.loc["recipient|a|2024|g|y", "publication_level"] == "none"
    assert not bool(out.loc["recipient|a|2024|g|y", "is_primary"])
    assert out.loc["recipient|a|2024|*|*", "publication_level"] == "full"
    # the same, with only the total's Nieuw-West figure withheld elsewhere: y's place split may be shown,
    # its totals not; with the total's influenceable figure withheld too, y may be shown in full
    total = "recipient|a|2024|*|*"
    out2 = decide(contributions, relations, RULE, fixed_units=[total],
                  linked_hidden={total: {"nieuw_west|influenceable"}}).set_index("unit_id")
    assert out2.loc["recipient|a|2024|g|y", "publication_level"] == "none"
    out3 = decide(contributions, relations, RULE, fixed_units=[total],
                  linked_hidden={total: {"nieuw_west|influenceable", "influenceable"}}).set_index("unit_id")
    assert out3.loc["recipient|a|2024|g|y", "publication_level"] == "full"


def _random_cells(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, list[str], dict[str, set[str]] | None]:
    """Contributions and relations with ties, credit notes, amounts below a cent, published suppliers,
    now and then a supplier whose flags differ between cells or who appears twice in one cell."""
    rng = random.Random(seed)
    units = [f"recipient|a|2024|g|{i}" for i in range(rng.randint(1, 8))]
    suppliers = [f"s{i}" for i in range(rng.randint(1, 9))]
    flags = {s: (rng.random() < 0.4, rng.random() < 0.2) for s in suppliers}
    coarse_of = {"nw|i": "i", "out|i": "i", "unk|i": "i", "nw|n": "n", "out|n": "n"}
    tier_like, mixed, twice = rng.random() < 0.3, rng.random() < 0.1, rng.random() < 0.05
    rows = []
    for unit in units:
        for comp in rng.sample(sorted(coarse_of), rng.randint(1, len(coarse_of))):
            for s in rng.sample(suppliers, rng.randint(1, len(suppliers))):
                amount = rng.choice([100, 50, 20, 10, 9, 5, 1000, 33.33, 0, -100, 0.01, 0.004,
                                     rng.randint(-5000, 5000) / 100])
                protected = rng.random() < 0.4 if mixed else flags[s][0]
                rows.append((unit, comp, comp if tier_like else coarse_of[comp], s, amount, protected, flags[s][1]))
                if twice and rng.random() < 0.1:
                    rows.append(rows[-1][:4] + (amount * 2,) + rows[-1][5:])
    contributions = pd.DataFrame(rows, columns=["unit_id", "component", "coarse_component", "supplier_key",
                                                "amount_eur", "is_protected", "is_published"])
    contributions["family"] = "recipient"
    relations = []
    for k in range(rng.randint(1, 3) if len(units) > 1 else 0):
        total = rng.choice(units)
        members = [u for u in units if u != total]
        relations += [(f"r{k}", total, m) for m in rng.sample(members, rng.randint(1, len(members)))]
    fixed = [rng.choice(units)] if rng.random() < 0.5 else []
    linked = {units[0]: {"nw|i"}} if rng.random() < 0.3 else None
    return (contributions, pd.DataFrame(relations, columns=["relation_id", "total_unit_id", "member_unit_id"]),
            fixed, linked)


def _one_unit_at_a_time(contributions, relations, rule, fixed, linked):
    """What decide must give: the units built row by row, primary_level on each unit, then secondary. The
    units are built here, not by ingestion.disclosure, so that the grouping decide does is checked too:
    components in the order they first appear, a supplier repeated in a cell its last row, a component's
    coarse component its last row's."""
    units: dict[str, Unit] = {}
    for unit_id, family, comp, coarse, supplier, amount, protected, published in contributions[
            ["unit_id", "family", "component", "coarse_component", "supplier_key", "amount_eur", "is_protected",
             "is_published"]].itertuples(index=False, name=None):
        unit = units.setdefault(unit_id, Unit(unit_id, family))
        unit.parts.setdefault(comp, {})[supplier] = Contribution(float(amount), bool(protected), bool(published))
        unit.coarse_of[comp] = coarse
    for unit_id in set(relations["total_unit_id"]) | set(relations["member_unit_id"]):
        units.setdefault(unit_id, Unit(unit_id, "recipient"))
    for unit_id in fixed:
        units[unit_id].fixed = True
    for unit_id, comps in (linked or {}).items():
        units[unit_id].hidden_components |= comps
    primary = set()
    for unit in units.values():
        if not unit.fixed:
            unit.level, unit.reason = primary_level(unit, rule)
            if unit.level != "full":
                primary.add(unit.unit_id)
    grouped: dict[str, tuple[str, list[str]]] = {}
    for rel_id, total, member in relations.itertuples(index=False, name=None):
        grouped.setdefault(rel_id, (total, []))[1].append(member)
    unprotected = secondary(units, grouped, rule)
    return sorted((u.unit_id, u.level, u.reason if u.level != "full" else None, u.unit_id in primary)
                  for u in units.values()), unprotected


def test_decide_equals_the_rules_applied_one_unit_at_a_time():
    outcomes = set()
    for rule in (RULE, Rule(2, 20.0), Rule(4, 5.0)):
        for seed in range(150):
            contributions, relations, fixed, linked = _random_cells(seed)
            out = decide(contributions, relations, rule, fixed_units=fixed, linked_hidden=linked)
            got = [(u, level, reason if isinstance(reason, str) else None, bool(primary))
                   for u, level, reason, primary in out[["unit_id", "publication_level", "suppression_reason",
                                                         "is_primary"]].itertuples(index=False)]
            want, unprotected = _one_unit_at_a_time(contributions, relations, rule, fixed, linked)
            assert got == want, (rule, seed)
            assert out.attrs["unprotected_relations"] == unprotected, (rule, seed)
            outcomes |= {(level, reason) for _, level, reason, _ in got}
            # The dbt model hands decide its text columns as Categoricals (read through Arrow): the same
            # decisions, whatever order the categories are in and with a category no row uses.
            as_categories = contributions.copy()
            for col in ("unit_id", "family", "component", "coarse_component", "supplier_key"):
                values = sorted(set(as_categories[col]), reverse=True)
                as_categories[col] = pd.Categorical(as_categories[col], categories=[*values, "unused"])
            out_categories = decide(as_categories, relations, rule, fixed_units=fixed, linked_hidden=linked)
            pd.testing.assert_frame_equal(out_categories, out)
            assert out_categories.attrs == out.attrs, (rule, seed)
    # the random cells reach every outcome
    assert outcomes == {("full", None), ("totals", "threshold"), ("totals", "dominance"), ("none", "threshold"),
                        ("none", "dominance"), ("totals", "secondary"), ("none", "secondary")}


def test_rows_by_group_largest_first_are_in_lexsorts_order():
    """The p% rule's sort (one combined key) gives exactly lexsort's order, ties in row order included, and
    falls back to lexsort where the combined key would not fit in int64."""
    rng = np.random.default_rng(7)
    for n, top in ((5, 10), (1000, 10**6), (3, 2**61)):
        groups = rng.integers(0, n, 5000)
        cents = rng.integers(1, top, 5000)
        assert (_by_group_largest_first(groups, cents, n) == np.lexsort((-cents, groups))).all(), (n, top)


# --------------------------------------------------------------------------------------------------
# Pseudonyms, keys and the salt
# --------------------------------------------------------------------------------------------------

def test_pseudonym_and_key_are_keyed_hashes():
    want = hashlib.sha256(b"s" * 16 + b"|kvk:12345678").hexdigest()[:10].upper()
    assert pseudonym("Eenmanszaak", "kvk:12345678", "s" * 16) == f"Eenmanszaak {want}"
    assert pseudonym("Eenmanszaak", "kvk:12345678", "t" * 16) != pseudonym("Eenmanszaak", "kvk:12345678", "s" * 16)
    assert keyed_key("organisation", "12345678", salt="s" * 16) == hashlib.sha256(
        b"ssssssssssssssss|organisation|12345678").hexdigest()[:32]
    assert keyed_key("creditor", None, salt="x" * 16).endswith(keyed_key("creditor", None, salt="x" * 16)[-4:])
    assert keyed_key("organisation", "12345678", salt="s" * 16) != hashlib.md5(b"organisation|12345678").hexdigest()


def test_salt_comes_from_the_environment_with_a_default_only_for_the_sample(tmp_path):
    sample = tmp_path / "sample"
    (sample / "ground_truth").mkdir(parents=True)
    real = tmp_path / "real"
    real.mkdir()
    assert pseudonym_salt({}, sample) == SAMPLE_SALT
    assert pseudonym_salt({"CWB_PSEUDONYM_SALT": "a-long-enough-secret-salt"}, real) == "a-long-enough-secret-salt"
    assert pseudonym_salt({"CWB_DATA_DIR": str(sample)}) == SAMPLE_SALT
    with pytest.raises(MissingSaltError, match="CWB_PSEUDONYM_SALT is not set") as err:
        pseudonym_salt({}, real)
    with pytest.raises(MissingSaltError, match="shorter than 16"):
        pseudonym_salt({"CWB_PSEUDONYM_SALT": "short"}, real)
    assert "a-long-enough" not in str(err.value)
