"""Disclosure control, step 4 (docs/architecture.md, "Privacy"): which published units are suppressed.

A dbt Python model: the algorithm is plain Python in ingestion/disclosure.py (unit-tested in
tests/test_disclosure.py). The tier family (fct_local_spend_share and the marts built on it) is decided
first; the recipient family (fct_spend_by_recipient_group, fct_sector_leakage) then treats the anchor-year
totals as published by the tier marts (they are never hidden here), except the components the tier marts
withhold: a hidden tier unit of the year grain hides that place in the recipient totals, so the recipient
groups can never add up to a hidden tier figure.

One row per unit: unit_id, family, publication_level (full | totals | none), suppression_reason
(threshold | dominance | secondary; NULL when full), is_primary.

Every unit and relation belongs to one anchor (the unit id starts `<family>|<anchor>|`), so the anchors are
decided one at a time: only one anchor's contributions are in memory at once (at 10 million lines the
largest, Gemeente Amsterdam's tier family, is 1.8 million of 6.7 million; benchmarks/).
"""

import pandas as pd

from ingestion.disclosure import Rule, decide

RECIPIENT_PLACE = {
    "nieuw_west": "nieuw_west",
    "rest_of_amsterdam": "rest_of_amsterdam",
    "unknown": "unknown",
    "rest_of_mra": "outside_amsterdam",
    "rest_of_netherlands": "outside_amsterdam",
    "abroad": "outside_amsterdam",
}
SCOPES = ("influenceable", "not_influenceable")


RELATION_ANCHOR = "split_part(total_unit_id, '|', 2)"  # a relation's anchor: its total unit's
CONTRIBUTION_COLUMNS = ("unit_id, family, component, coarse_component, supplier_key, amount_eur, is_protected, "
                        "is_published")


def model(dbt, session):
    dbt.config(materialized="table")
    rule = Rule(
        min_contributors=int(dbt.config.get("disclosure_min_contributors")),
        p_percent=float(dbt.config.get("disclosure_p_percent")),
    )
    contributions = dbt.ref("int_disclosure_contributions")
    relations = dbt.ref("int_disclosure_relations")
    crossing = relations.filter(f"{RELATION_ANCHOR} <> split_part(member_unit_id, '|', 2)").aggregate(
        "count(*)").fetchone()[0]
    if crossing:
        raise ValueError(f"int_disclosure_relations: {crossing} relation row(s) link units of two anchors; "
                         "the decisions are taken per anchor")
    misplaced = contributions.filter("split_part(unit_id, '|', 2) <> anchor_code").aggregate("count(*)").fetchone()[0]
    if misplaced:
        raise ValueError(f"int_disclosure_contributions: {misplaced} row(s) whose anchor_code is not their unit's")
    anchors = [a for (a,) in contributions.select("anchor_code").distinct().order("anchor_code").fetchall()]
    relation_anchors = relations.select(RELATION_ANCHOR).distinct().fetchall()
    unknown = sorted({a for (a,) in relation_anchors} - set(anchors))
    decided = [decide_anchor(contributions, relations, anchor, rule) for anchor in anchors + unknown]
    out = pd.concat(decided, ignore_index=True).sort_values("unit_id", ignore_index=True)
    out.attrs = {}
    return out


def decide_anchor(contributions, relations, anchor: str, rule: Rule) -> pd.DataFrame:
    """The tier family, then the recipient family, of one anchor."""
    literal = "'" + anchor.replace("'", "''") + "'"

    def family_of(relation, family: str, anchor_of: str = "anchor_code"):
        return relation.filter(f"family = '{family}' and {anchor_of} = {literal}")

    tier = decide(family_of(contributions, "tier").select(CONTRIBUTION_COLUMNS).df(),
                  family_of(relations, "tier", RELATION_ANCHOR).df(), rule)

    hidden: dict[str, set[str]] = {}
    for unit_id in tier.loc[tier["publication_level"] == "none", "unit_id"]:
        _, anchor_code, grain, period, tier_code = unit_id.split("|")
        if grain != "year":
            continue
        comps = hidden.setdefault(f"recipient|{anchor_code}|{period}|*|*", set())
        places = set(RECIPIENT_PLACE.values()) if tier_code == "*" else {RECIPIENT_PLACE[tier_code]}
        comps |= {f"{place}|{scope}" for place in places for scope in SCOPES}
        if tier_code == "*":
            comps |= set(SCOPES)
    recipient_contributions = family_of(contributions, "recipient").select(CONTRIBUTION_COLUMNS).df()
    totals = [u for u in recipient_contributions["unit_id"].unique() if u.endswith("|*|*")]
    recipient = decide(recipient_contributions, family_of(relations, "recipient", RELATION_ANCHOR).df(), rule,
                       fixed_units=totals, linked_hidden=hidden)

    # A relation whose total is published elsewhere and whose hidden members cannot be made safe would mean
    # the total itself is sensitive, which the tier family already hides: none is expected. Reported, not
    # fatal (every member that could be hidden is hidden).
    unprotected = tier.attrs["unprotected_relations"] + recipient.attrs["unprotected_relations"]
    if unprotected:
        print(f"WARNING disclosure control: {len(unprotected)} relation(s) not protectable, e.g. {unprotected[:3]}")
    return pd.concat([tier, recipient], ignore_index=True)
