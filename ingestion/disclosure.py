"""Statistical disclosure control for the published figures: which cells must be suppressed so that no
published figure reveals what one sole trader or partnership earns from an anchor.

Plain Python (no dbt, no Dagster); the dbt Python model ``int_disclosure_decisions`` calls ``decide`` on
the contributions and relations that the SQL models ``int_disclosure_contributions`` and
``int_disclosure_relations`` build, and the marts join its decisions. The rule and its sources are in
docs/architecture.md ("Privacy"); in short:

Units, components, levels
    A *unit* is one published row of figures (e.g. one anchor x year x SBI section of
    fct_spend_by_recipient_group). Its *components* are the disjoint parts of its money that its published
    figures let a reader compute: for a recipient row, the place (Nieuw-West, rest of Amsterdam, outside
    Amsterdam, unknown) x influenceable or not; for a tier row, influenceable or not. Each component has a
    *coarse* component it belongs to (for a recipient row: influenceable or not, the figures that remain
    when the place split is withheld). A unit is published at one of three levels: ``full`` (every
    figure), ``totals`` (the coarse figures only: place split withheld) or ``none`` (no amount).

Contributors
    The money of a component is the sum of its suppliers' contributions (their net amounts). A supplier is
    *protected* when it is, or may be, a natural person; it is *published* when it is a legal entity whose
    amount the outputs show one by one (the CLES top list, shared suppliers, social enterprises,
    co-operatives): an attacker subtracts those, so they protect nobody.

Primary rule (sensitive component), on the contributors that are not published, with net amount not 0:
    only when one of them is protected, the component is sensitive when
    - threshold rule: fewer than ``min_contributors`` (3) such contributors; or
    - p% rule: the remaining contributors, without the largest protected one and the largest other one
      (the attacker, who knows their own amount), add up to less than ``p_percent`` (10) % of the largest
      protected one: the attacker would estimate it to within p %.
    Contributions are taken in absolute value (credit notes). A unit's level is ``full`` when none of its
    components is sensitive, else ``totals`` when none of its coarse components is (and the family has
    coarse components), else ``none``.

Secondary suppression (so that no total minus the published parts reveals a suppressed part)
    A *relation* says that a total unit's components are the sums of its member units' components (the
    groups of a dimension add up to the anchor-year; an SBI section is the sum of its divisions; the tiers
    add up to the period; months to quarters to years). For each relation and component, the hidden members
    are those whose level withholds that component. If the total's component is published, the sum of the
    hidden members' contributions is published implicitly and must itself pass the primary rule; if not,
    the cheapest further member (the smallest absolute amount that adds money to the component) is hidden
    too. If the total's component is withheld, at least one member's must be withheld too, or the members
    would add up to it. Repeated over all relations until nothing changes (cells are only ever hidden, so
    it ends). This is the greedy heuristic of statistical offices' cell suppression (the groups of a
    dimension and the SBI hierarchy are linked tables), not an optimal solution: it may hide more than
    needed, never less than the relations it is given require.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

LEVELS = ("full", "totals", "none")  # most to least detailed
_RANK = {level: i for i, level in enumerate(LEVELS)}
CENT = 0.005  # a net contribution below half a cent is no contribution


@dataclass(frozen=True)
class Rule:
    min_contributors: int = 3
    p_percent: float = 10.0


@dataclass(slots=True)  # millions of them at scale: no __dict__ each
class Contribution:
    amount: float
    protected: bool
    published: bool


@dataclass
class Unit:
    unit_id: str
    family: str
    # component -> supplier -> contribution
    parts: dict[str, dict[str, Contribution]] = field(default_factory=dict)
    coarse_of: dict[str, str] = field(default_factory=dict)  # component -> coarse component
    level: str = "full"
    reason: str | None = None
    fixed: bool = False  # published elsewhere whatever happens here (its level cannot be lowered)
    hidden_components: set[str] = field(default_factory=set)  # withheld although the level says published
    _coarse: dict[str, dict[str, Contribution]] | None = field(default=None, repr=False)

    def coarse_parts(self) -> dict[str, dict[str, Contribution]]:
        if self._coarse is not None:
            return self._coarse
        if not self.has_coarse_level():  # every component is its own coarse one (the tier family)
            self._coarse = self.parts  # contributions are never changed in place: no copy needed
            return self._coarse
        out: dict[str, dict[str, Contribution]] = defaultdict(dict)
        for comp, suppliers in self.parts.items():
            target = out[self.coarse_of.get(comp, comp)]
            for s, c in suppliers.items():
                if s in target:
                    target[s] = Contribution(target[s].amount + c.amount, c.protected, c.published)
                else:
                    target[s] = Contribution(c.amount, c.protected, c.published)
        self._coarse = dict(out)
        return self._coarse

    def has_coarse_level(self) -> bool:
        return any(self.coarse_of.get(c, c) != c for c in self.parts)


def sensitivity(contributions: Iterable[Contribution], rule: Rule) -> str | None:
    """'threshold', 'dominance' (the p% rule) or None (safe) for one figure's contributions."""
    xs = [(abs(c.amount), c.protected) for c in contributions if not c.published and abs(c.amount) >= CENT]
    if not any(p for _, p in xs):
        return None
    if len(xs) < rule.min_contributors:
        return "threshold"
    xs.sort(key=lambda t: (-t[0], not t[1]))
    i_protected = next(i for i, (_, p) in enumerate(xs) if p)
    x_protected = xs[i_protected][0]
    x_attacker = max(x for i, (x, _) in enumerate(xs) if i != i_protected)
    rest = sum(x for x, _ in xs) - x_protected - x_attacker
    return "dominance" if rest < rule.p_percent / 100.0 * x_protected else None


def _merge(parts: Iterable[dict[str, Contribution]]) -> list[Contribution]:
    """One contribution per supplier over several cells (the same supplier in two cells is one)."""
    merged: dict[str, Contribution] = {}
    for suppliers in parts:
        for s, c in suppliers.items():
            m = merged.get(s)
            merged[s] = Contribution(c.amount + (m.amount if m else 0.0), c.protected or (m.protected if m else False),
                                     c.published and (m.published if m else True))
    return list(merged.values())


def primary_level(unit: Unit, rule: Rule) -> tuple[str, str | None]:
    reasons = [r for suppliers in unit.parts.values() if (r := sensitivity(suppliers.values(), rule))]
    if not reasons:
        return "full", None
    reason = "threshold" if "threshold" in reasons else reasons[0]
    if unit.has_coarse_level():
        coarse = [r for suppliers in unit.coarse_parts().values() if (r := sensitivity(suppliers.values(), rule))]
        if not coarse:
            return "totals", reason
        reason = "threshold" if "threshold" in coarse else coarse[0]
    return "none", reason


def _withholds(unit: Unit, component: str, coarse: bool) -> bool:
    """Does the unit, at its level, withhold this component (a fine one, or a coarse one)?"""
    if component in unit.hidden_components:
        return True
    return unit.level == "none" if coarse else unit.level != "full"


def _amount(unit: Unit, component: str, coarse: bool) -> dict[str, Contribution]:
    return unit.coarse_parts().get(component, {}) if coarse else unit.parts.get(component, {})


def _hide(unit: Unit, coarse: bool) -> None:
    if coarse or not unit.has_coarse_level():
        unit.level = "none"
    elif unit.level == "full":
        unit.level = "totals"
    if unit.reason is None:
        unit.reason = "secondary"


def _components(units: list[Unit], coarse: bool) -> set[str]:
    comps: set[str] = set()
    for u in units:
        comps |= set(u.coarse_parts() if coarse else u.parts)
    return comps


def secondary(units: dict[str, Unit], relations: dict[str, tuple[str, list[str]]], rule: Rule,
              max_rounds: int = 100) -> list[str]:
    """Hide further units until every relation is protected. Returns the relations that could not be
    protected (a total published elsewhere whose hidden members cannot be made safe): none is expected."""
    for _ in range(max_rounds):
        changed = False
        unprotected: list[str] = []
        for rel_id, (total_id, member_ids) in relations.items():
            total = units[total_id]
            members = [units[m] for m in member_ids]
            for coarse in (False, True):
                for comp in sorted(_components(members + [total], coarse)):
                    hidden = [m for m in members if _withholds(m, comp, coarse)]
                    candidates = [m for m in members if not _withholds(m, comp, coarse) and not m.fixed
                                  and any(abs(c.amount) >= CENT and not c.published
                                          for c in _amount(m, comp, coarse).values())]
                    if not _withholds(total, comp, coarse):
                        if not hidden or sensitivity(_merge(_amount(m, comp, coarse) for m in hidden), rule) is None:
                            continue
                    elif hidden or not any(_amount(m, comp, coarse) for m in members):
                        continue
                    if candidates:
                        cheapest = min(candidates, key=lambda m: (
                            abs(sum(c.amount for c in _amount(m, comp, coarse).values())), m.unit_id))
                        _hide(cheapest, coarse)
                        changed = True
                    elif not _withholds(total, comp, coarse) and not total.fixed:
                        _hide(total, coarse)
                        changed = True
                    else:
                        unprotected.append(f"{rel_id} {comp}")
        if not changed:
            return unprotected
    raise RuntimeError(f"secondary suppression did not settle in {max_rounds} rounds")


def build_units(contributions: pd.DataFrame) -> dict[str, Unit]:
    """contributions: unit_id, family, component, coarse_component, supplier_key, amount_eur, is_protected,
    is_published (one row per unit x component x supplier).

    Built a unit x component at a time from column arrays (millions of rows at scale): units, components
    and suppliers keep the order in which they first appear, a repeated supplier the last row."""
    units: dict[str, Unit] = {}
    suppliers = contributions["supplier_key"].to_numpy(dtype=object)
    amounts = contributions["amount_eur"].astype(float).to_numpy()
    protected = contributions["is_protected"].astype(bool).to_numpy()
    published = contributions["is_published"].astype(bool).to_numpy()
    families = contributions["family"].to_numpy(dtype=object)
    coarse = contributions["coarse_component"].to_numpy(dtype=object)
    groups = contributions.groupby(["unit_id", "component"], sort=False, dropna=False).indices
    for (unit_id, comp), rows in sorted(groups.items(), key=lambda item: item[1][0]):
        unit = units.get(unit_id)
        if unit is None:
            unit = units[unit_id] = Unit(unit_id, families[rows[0]])
        unit.parts[comp] = dict(zip(suppliers[rows].tolist(), map(
            Contribution, amounts[rows].tolist(), protected[rows].tolist(), published[rows].tolist()), strict=True))
        unit.coarse_of[comp] = coarse[rows[-1]]
    return units


def decide(contributions: pd.DataFrame, relations: pd.DataFrame, rule: Rule = Rule(),
           fixed_units: Iterable[str] = (), linked_hidden: dict[str, set[str]] | None = None) -> pd.DataFrame:
    """Primary and secondary suppression of the units in `contributions` and `relations`.

    relations: relation_id, total_unit_id, member_unit_id. fixed_units: units whose figures are published
    elsewhere (their level is never lowered). linked_hidden: unit_id -> components withheld elsewhere.
    Returns one row per unit: unit_id, family, publication_level, suppression_reason, is_primary."""
    units = build_units(contributions)
    for unit_id in set(relations["total_unit_id"]) | set(relations["member_unit_id"]):
        if unit_id not in units:  # a cell without money (e.g. a tier nobody is paid in): nothing to protect
            units[unit_id] = Unit(unit_id, unit_id.split("|", 1)[0])
    for unit_id in fixed_units:
        if unit_id in units:
            units[unit_id].fixed = True
    for unit_id, comps in (linked_hidden or {}).items():
        if unit_id in units:
            units[unit_id].hidden_components |= comps
    primary: set[str] = set()
    for unit in units.values():
        if unit.fixed:
            continue
        unit.level, unit.reason = primary_level(unit, rule)
        if unit.level != "full":
            primary.add(unit.unit_id)
    grouped: dict[str, tuple[str, list[str]]] = {}
    for rel_id, total_id, member_id in relations[["relation_id", "total_unit_id", "member_unit_id"]].itertuples(
            index=False, name=None):
        grouped.setdefault(rel_id, (total_id, []))[1].append(member_id)
    unprotected = secondary(units, grouped, rule)
    rows = [(u.unit_id, u.family, u.level, u.reason if u.level != "full" else None, u.unit_id in primary)
            for u in sorted(units.values(), key=lambda u: u.unit_id)]
    out = pd.DataFrame(rows, columns=["unit_id", "family", "publication_level", "suppression_reason", "is_primary"])
    out.attrs["unprotected_relations"] = unprotected
    return out
