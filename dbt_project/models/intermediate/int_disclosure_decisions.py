"""Disclosure control, step 4 (docs/architecture.md, "Privacy"): which published units are suppressed.

A dbt Python model: the algorithm is plain Python in ingestion/disclosure.py (unit-tested in
tests/test_disclosure.py). The tier family (fct_local_spend_share and the marts built on it) is decided
first; the recipient family (fct_spend_by_recipient_group, fct_sector_leakage) then treats the anchor-year
totals as published by the tier marts (they are never hidden here), except the components the tier marts
withhold: a hidden tier unit of the year grain hides that place in the recipient totals, so the recipient
groups can never add up to a hidden tier figure.

One row per unit: unit_id, family, publication_level (full | totals | none), suppression_reason
(threshold | dominance | secondary; NULL when full), is_primary, and the unit's anchor_code and invoice_year.

Every unit and relation belongs to one anchor-year (no relation links two), so the decisions of an
anchor-year depend on its own contributions and relations only. The table is built per anchor x year
(materialization group_incremental, macros/group_incremental.sql): the model decides the anchor-years in the
table `<this>__scope` that the build writes (all of them in a full build; in a monthly refresh those whose
contributions or relations changed). Within them the anchors are decided one at a time: only one anchor's
contributions are in memory at once (at 10 million lines the largest, Gemeente Amsterdam's tier family, is
1.8 million of 6.7 million; benchmarks/). The relations are read in a fixed order (relation_id, member), so
that secondary suppression, which depends on the order in which it visits them, decides an anchor-year the
same way whichever other anchor-years are decided with it.
"""

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
# amounts as double, as decide() reads them (Arrow would give DECIMAL as Python Decimal objects)
CONTRIBUTION_COLUMNS = ("unit_id, family, component, coarse_component, supplier_key, "
                        "cast(amount_eur as double) as amount_eur, is_protected, is_published")


OUTPUT_COLUMNS = {"unit_id": "object", "family": "object", "publication_level": "object",
                  "suppression_reason": "object", "is_primary": "bool", "anchor_code": "object",
                  "invoice_year": "int32"}


def model(dbt, session):
    dbt.config(materialized="group_incremental", group_by=["anchor_code", "invoice_year"],
               group_inputs=["int_disclosure_contributions", "int_disclosure_relations"])
    rule = Rule(
        min_contributors=int(dbt.config.get("disclosure_min_contributors")),
        p_percent=float(dbt.config.get("disclosure_p_percent")),
    )
    this = dbt.this
    scope = f'"{this.database}"."{this.schema}"."{this.identifier}__scope"'
    in_scope = f"(anchor_code, invoice_year) in (select anchor_code, invoice_year from {scope})"
    contributions = dbt.ref("int_disclosure_contributions").filter(in_scope)
    relations = dbt.ref("int_disclosure_relations").filter(in_scope)
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
    if not decided:  # nothing to decide (an increment where no anchor-year changed)
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in OUTPUT_COLUMNS.items()})
    out = pd.concat(decided, ignore_index=True)
    out.attrs = {}
    # Each unit's anchor-year, from the rows it appears in.
    unit_years = (contributions.select("unit_id, anchor_code, invoice_year")
                  .union(relations.select("total_unit_id, anchor_code, invoice_year"))
                  .union(relations.select("member_unit_id, anchor_code, invoice_year"))
                  .distinct().df())
    unit_years.columns = ["unit_id", "anchor_code", "invoice_year"]
    twice = unit_years["unit_id"].duplicated()
    if twice.any():
        raise ValueError("int_disclosure_decisions: units in two anchor-years, e.g. "
                         f"{unit_years.loc[twice, 'unit_id'].head(3).tolist()}")
    out = out.merge(unit_years, on="unit_id", how="left", validate="one_to_one")
    if out["anchor_code"].isna().any():
        raise ValueError("int_disclosure_decisions: units without an anchor-year, e.g. "
                         f"{out.loc[out['anchor_code'].isna(), 'unit_id'].head(3).tolist()}")
    return out.astype(OUTPUT_COLUMNS)[list(OUTPUT_COLUMNS)].sort_values("unit_id", ignore_index=True)


def _frame(contributions) -> pd.DataFrame:
    """The contributions as a pandas frame whose text columns are Categoricals: read through Arrow with each
    text column dictionary-encoded, so that no Python string is made per row and decide() numbers the units,
    components and suppliers by their integer codes (ingestion.disclosure._factorized). At 10 million lines,
    reading and numbering the contributions of all anchors took 8.1 of the model's 12.5 s with .df()
    (README "Scale and speed")."""
    table = contributions.select(CONTRIBUTION_COLUMNS).arrow().read_all()
    columns = [pc.dictionary_encode(col) if pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
               or pa.types.is_string_view(col.type) else col for col in table.columns]
    return pa.table(columns, names=table.column_names).to_pandas()


def decide_anchor(contributions, relations, anchor: str, rule: Rule) -> pd.DataFrame:
    """The tier family, then the recipient family, of one anchor."""
    literal = "'" + anchor.replace("'", "''") + "'"

    def family_of(relation, family: str, anchor_of: str = "anchor_code"):
        return relation.filter(f"family = '{family}' and {anchor_of} = {literal}")

    def relations_of(family: str) -> pd.DataFrame:
        # in a fixed order: secondary suppression depends on the order in which it visits the relations
        return family_of(relations, family, RELATION_ANCHOR).order("relation_id, member_unit_id").df()

    tier = decide(_frame(family_of(contributions, "tier")), relations_of("tier"), rule)

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
    recipient_contributions = _frame(family_of(contributions, "recipient"))
    totals = [u for u in recipient_contributions["unit_id"].unique() if u.endswith("|*|*")]
    recipient = decide(recipient_contributions, relations_of("recipient"), rule,
                       fixed_units=totals, linked_hidden=hidden)

    # A relation whose total is published elsewhere and whose hidden members cannot be made safe would mean
    # the total itself is sensitive, which the tier family already hides: none is expected. Reported, not
    # fatal (every member that could be hidden is hidden).
    unprotected = tier.attrs["unprotected_relations"] + recipient.attrs["unprotected_relations"]
    if unprotected:
        print(f"WARNING disclosure control: {len(unprotected)} relation(s) not protectable, e.g. {unprotected[:3]}")
    return pd.concat([tier, recipient], ignore_index=True)
