"""Disclosure control, step 4 (docs/architecture.md, "Privacy"): which published units are suppressed.

A dbt Python model: the algorithm is plain Python in ingestion/disclosure.py (unit-tested in
tests/test_disclosure.py). The tier family (fct_local_spend_share and the marts built on it) is decided
first; the recipient family (fct_spend_by_recipient_group, fct_sector_leakage) then treats the anchor-year
totals as published by the tier marts (they are never hidden here), except the components the tier marts
withhold: a hidden tier unit of the year grain hides that place in the recipient totals, so the recipient
groups can never add up to a hidden tier figure.

One row per unit: unit_id, family, publication_level (full | totals | none), suppression_reason
(threshold | dominance | secondary; NULL when full), is_primary.
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


def model(dbt, session):
    dbt.config(materialized="table")
    rule = Rule(
        min_contributors=int(dbt.config.get("disclosure_min_contributors")),
        p_percent=float(dbt.config.get("disclosure_p_percent")),
    )
    contributions = dbt.ref("int_disclosure_contributions").df()
    relations = dbt.ref("int_disclosure_relations").df()

    tier = decide(contributions[contributions["family"] == "tier"], relations[relations["family"] == "tier"], rule)

    hidden: dict[str, set[str]] = {}
    for unit_id in tier.loc[tier["publication_level"] == "none", "unit_id"]:
        _, anchor, grain, period, tier_code = unit_id.split("|")
        if grain != "year":
            continue
        comps = hidden.setdefault(f"recipient|{anchor}|{period}|*|*", set())
        places = set(RECIPIENT_PLACE.values()) if tier_code == "*" else {RECIPIENT_PLACE[tier_code]}
        comps |= {f"{place}|{scope}" for place in places for scope in SCOPES}
        if tier_code == "*":
            comps |= set(SCOPES)
    recipient_contributions = contributions[contributions["family"] == "recipient"]
    totals = [u for u in recipient_contributions["unit_id"].unique() if u.endswith("|*|*")]
    recipient = decide(recipient_contributions, relations[relations["family"] == "recipient"], rule,
                       fixed_units=totals, linked_hidden=hidden)

    # A relation whose total is published elsewhere and whose hidden members cannot be made safe would mean
    # the total itself is sensitive, which the tier family already hides: none is expected. Reported, not
    # fatal (every member that could be hidden is hidden).
    unprotected = tier.attrs["unprotected_relations"] + recipient.attrs["unprotected_relations"]
    if unprotected:
        print(f"WARNING disclosure control: {len(unprotected)} relation(s) not protectable, e.g. {unprotected[:3]}")
    out = pd.concat([tier, recipient], ignore_index=True)
    out.attrs = {}
    return out
