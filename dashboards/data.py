"""Everything the dashboard reads from the warehouse, in one read-only pass.

Each mart is read from its publication view (schema ``publication``: the figures the disclosure rule
suppresses are NULL there; docs/architecture.md, "Privacy") with an explicit column list
(``MART_COLUMNS``): only these columns ever reach the dashboard. Names appear only as the marts'
``organisation_name``, which the marts already leave NULL for sole traders, partnerships, unknown legal
forms and creditors without an establishment; no free text, no creditor numbers, no KvK, vestiging, VAT or
IBAN numbers are selected. ``WITHHELD_BY`` says which suppression flag withholds which figure (the same
mapping as the publication views, models/publication/), so a page shows "onderdrukt" there, not "–".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

# pandas, DuckDB and plotly are imported where they are used: the Dagster code location imports this
# module for MARTS (the dashboard asset's dependencies) and must load fast.
if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from dashboards.programme import ProgrammeData

# The programme page's marts (dashboards/programme.py reads them).
PROGRAMME_MARTS = ("fct_programme_targets", "fct_cooperative_pipeline", "fct_tender_calendar",
                   "fct_tender_opportunities", "fct_investment_fund")

# How many of the CLES "top 300" per anchor-year the dashboard lists (the marts hold all of them).
TOP_SUPPLIERS_SHOWN = 25
SCHEMA = "publication"

# mart -> figure -> the suppression flags that withhold it (any TRUE: NULL in the publication view).
# Mirrors dbt_project/models/publication/pub_<mart>.sql; tests/test_privacy.py checks the two agree.
WITHHELD_BY: dict[str, dict[str, list[str]]] = {
    "fct_nieuw_west_progress": {
        "spend_nieuw_west_eur": ["is_suppressed"],
        "share_nieuw_west": ["is_suppressed"],
        "share_nieuw_west_low": ["is_suppressed", "is_range_suppressed"],
        "share_nieuw_west_high": ["is_suppressed", "is_range_suppressed"],
        "spend_unknown_eur": ["is_range_suppressed"],
        "spend_eur": ["is_total_suppressed"],
        "change_pp_vs_previous_year": ["is_suppressed", "is_previous_year_suppressed"],
        "change_eur_vs_previous_year": ["is_suppressed", "is_previous_year_suppressed"],
        "baseline_share_nieuw_west": ["is_baseline_suppressed"],
        "trajectory_share": ["is_baseline_suppressed"],
        "change_pp_vs_baseline": ["is_suppressed", "is_baseline_suppressed"],
        "on_track": ["is_suppressed", "is_baseline_suppressed"],
    },
    "fct_local_spend_share": {
        "spend_eur": ["is_suppressed"],
        "share": ["is_suppressed", "is_period_total_suppressed"],
        "share_low": ["is_suppressed", "is_period_total_suppressed", "is_share_range_suppressed"],
        "share_high": ["is_suppressed", "is_period_total_suppressed", "is_share_range_suppressed"],
        "period_spend_eur": ["is_period_total_suppressed"],
    },
    "fct_spend_by_recipient_group": {
        "spend_eur": ["is_suppressed"],
        "share": ["is_suppressed"],
        "influenceable_spend_eur": ["is_suppressed"],
        "influenceable_share": ["is_suppressed"],
        "spend_nieuw_west_eur": ["is_place_split_suppressed"],
        "spend_amsterdam_eur": ["is_place_split_suppressed"],
        "influenceable_spend_nieuw_west_eur": ["is_place_split_suppressed"],
        "influenceable_spend_amsterdam_eur": ["is_place_split_suppressed"],
    },
    "fct_sector_leakage": {
        "spend_eur": ["is_suppressed"],
        "influenceable_spend_eur": ["is_suppressed"],
        "influenceable_spend_nieuw_west_eur": ["is_place_split_suppressed"],
        "influenceable_spend_leaving_nieuw_west_eur": ["is_place_split_suppressed"],
        "influenceable_spend_leaving_amsterdam_eur": ["is_place_split_suppressed"],
        "influenceable_spend_unknown_place_eur": ["is_place_split_suppressed"],
        "influenceable_leakage_with_local_alternative_eur": ["is_place_split_suppressed"],
    },
    "fct_top_non_local_suppliers": {
        c: ["is_suppressed"] for c in ("influenceable_spend_eur", "spend_eur", "influenceable_share", "share")
    },
    "fct_spend_with_social_enterprises": {
        c: ["is_suppressed"] for c in ("spend_eur", "share", "influenceable_spend_eur", "influenceable_share")
    },
}

# mart -> the columns the dashboard reads (nothing else is selected).
MART_COLUMNS: dict[str, list[str]] = {
    "fct_nieuw_west_progress": [
        "anchor_code", "anchor_name", "year", "spend_scope", "placement_basis", "spend_eur",
        "spend_nieuw_west_eur", "spend_unknown_eur", "share_nieuw_west", "share_nieuw_west_low",
        "share_nieuw_west_high", "change_pp_vs_previous_year", "change_eur_vs_previous_year",
        "baseline_year", "baseline_share_nieuw_west", "change_pp_vs_baseline", "target_year",
        "target_share_nieuw_west", "trajectory_share", "on_track", "metric_definition_version",
        "is_suppressed", "is_total_suppressed", "is_range_suppressed", "is_previous_year_suppressed",
        "is_baseline_suppressed",
    ],
    "fct_local_spend_share": [
        "anchor_code", "anchor_name", "spend_scope", "period_grain", "period", "year", "quarter", "tier",
        "tier_label_nl", "tier_order", "spend_eur", "period_spend_eur", "share", "share_low", "share_high",
        "placement_basis", "is_suppressed", "is_period_total_suppressed", "is_share_range_suppressed",
    ],
    "fct_spend_by_recipient_group": [
        "anchor_code", "anchor_name", "year", "dimension", "group_code", "group_label", "group_order",
        "spend_eur", "spend_nieuw_west_eur", "spend_amsterdam_eur", "n_suppliers", "share",
        "influenceable_spend_eur", "influenceable_spend_nieuw_west_eur", "influenceable_spend_amsterdam_eur",
        "influenceable_share", "is_suppressed", "is_place_split_suppressed",
    ],
    "fct_top_non_local_suppliers": [
        "anchor_code", "anchor_name", "year", "supplier_rank", "organisation_name", "tier", "legal_form_group",
        "size_class", "target_sector", "sbi_division_code", "sbi_division_name", "influenceable_spend_eur",
        "spend_eur", "influenceable_share", "n_nieuw_west_establishments_same_division",
        "n_nieuw_west_establishments_same_target_sector", "is_suppressed",
    ],
    "fct_sector_leakage": [
        "anchor_code", "anchor_name", "year", "sector_scheme", "sector_code", "sector_name", "spend_eur",
        "influenceable_spend_eur", "influenceable_spend_nieuw_west_eur",
        "influenceable_spend_leaving_nieuw_west_eur", "influenceable_spend_leaving_amsterdam_eur",
        "influenceable_spend_unknown_place_eur", "influenceable_leakage_with_local_alternative_eur",
        "n_nieuw_west_establishments", "n_nieuw_west_organisations", "is_suppressed", "is_place_split_suppressed",
    ],
    "fct_data_quality_scorecard": [
        "anchor_code", "anchor_name", "year", "n_lines", "spend_eur", "volume_eur",
        "share_volume_with_kvk_number", "share_volume_with_vestigingsnummer", "share_volume_with_vat_number",
        "share_volume_with_iban", "share_volume_with_supplier_postcode", "share_volume_with_category",
        "share_volume_with_cost_centre", "share_volume_with_ledger_account", "share_volume_with_cpv_code",
        "share_volume_with_vat_amount", "share_volume_vat_from_source_column",
        "share_volume_vat_derived_from_rate", "share_volume_vat_unknown",
        "share_spend_placed_by_vestigingsnummer", "share_spend_placed_by_kvk_number",
        "share_spend_placed_by_supplier_resolution", "share_spend_placed_by_invoice_postcode",
        "share_spend_placed_by_abroad", "share_spend_placed_by_unknown", "n_suspected_duplicates",
        "suspected_duplicate_eur", "n_credit_notes", "credit_notes_eur", "n_credit_notes_without_original",
        "credit_notes_without_original_eur", "n_unresolved_suppliers", "unresolved_spend_eur",
        "unresolved_top_n", "unresolved_top_n_eur", "unresolved_top_n_share",
    ],
    "fct_spend_with_social_enterprises": [
        "anchor_code", "anchor_name", "year", "organisation_name", "legal_form_group", "tier", "target_sector",
        "spend_eur", "share", "influenceable_spend_eur", "influenceable_share", "is_suppressed",
    ],
}  # fmt: skip
# Marts read for one aggregate only: fct_spend_by_tier (placement basis, anchor names) and
# fct_delivery_reconciliation (max(last_invoice_date): the date of the data), both publication views.
MARTS = ["fct_spend_by_tier", "fct_delivery_reconciliation", *MART_COLUMNS]

ORDER_BY = {
    "fct_nieuw_west_progress": "anchor_code, spend_scope, year",
    "fct_local_spend_share": "anchor_code, spend_scope, period_grain, period, tier_order",
    "fct_spend_by_recipient_group": "anchor_code, year, dimension, group_order, group_code",
    "fct_top_non_local_suppliers": "anchor_code, year, supplier_rank",
    "fct_sector_leakage": "anchor_code, year, sector_scheme, sector_code",
    "fct_data_quality_scorecard": "anchor_code, year",
    "fct_spend_with_social_enterprises": "anchor_code, year, spend_eur desc",
}
WHERE = {
    "fct_local_spend_share": "period_grain in ('year', 'quarter')",
    # suppressed rows (sole traders, partnerships) have no published rank: they are not listed
    "fct_top_non_local_suppliers": f"supplier_rank <= {TOP_SUPPLIERS_SHOWN}",
}
DECIMAL_SUFFIX = "_eur"


@dataclass
class DashboardData:
    """The marts' rows the dashboard shows (pandas frames, euros as float)."""

    spend_by_tier: pd.DataFrame
    progress: pd.DataFrame
    local_share: pd.DataFrame
    recipient_groups: pd.DataFrame
    top_suppliers: pd.DataFrame
    leakage: pd.DataFrame
    scorecard: pd.DataFrame
    social_enterprises: pd.DataFrame
    latest_invoice_date: date | None = None
    anchors: dict[str, str] = field(default_factory=dict)  # code -> display name, in reporting order
    years: list[int] = field(default_factory=list)
    programme: ProgrammeData | None = None  # None: no programme inputs delivered yet


def _read(con: duckdb.DuckDBPyConnection, mart: str) -> pd.DataFrame:
    cols = MART_COLUMNS[mart]
    where = f"where {WHERE[mart]}" if mart in WHERE else ""
    sql = f"select {', '.join(cols)} from {SCHEMA}.{mart} {where} order by {ORDER_BY[mart]}"
    df = con.execute(sql).df()
    for c in df.columns:
        if c.endswith(DECIMAL_SUFFIX):  # DECIMAL(18,2) arrives as Python Decimals (None when withheld)
            df[c] = df[c].astype(float)
        elif c.startswith("is_") and c.endswith("_suppressed"):
            df[c] = df[c].fillna(False).astype(bool)
    if "year" in df.columns:
        df["year"] = df["year"].astype(int)
    return df


def is_withheld(mart: str, row: Any, column: str) -> bool:
    """Does a suppression flag of this row withhold this figure (so the page says 'onderdrukt')?"""
    flags = WITHHELD_BY.get(mart, {}).get(column, [])
    return any(bool(_get(row, f)) for f in flags)


def _get(row: Any, name: str) -> Any:
    """A field of a row: a dict or pandas Series (``.get``) or a named tuple (an attribute)."""
    value = row.get(name) if hasattr(row, "get") else getattr(row, name, None)
    return False if value is None or (isinstance(value, float) and value != value) else value


def query_dashboard_data(con: duckdb.DuckDBPyConnection) -> DashboardData:
    from dashboards.exports import data_as_of
    from dashboards.programme import load_programme
    from dashboards.spend_dashboard import ANCHOR_ORDER, query_spend_by_tier

    tiers = query_spend_by_tier(con)
    frames = {mart: _read(con, mart) for mart in MART_COLUMNS}
    latest = data_as_of(con)
    present = list(dict.fromkeys(tiers["anchor_code"]))
    order = [a for a in ANCHOR_ORDER if a in present] + sorted(a for a in present if a not in ANCHOR_ORDER)
    names = tiers.drop_duplicates("anchor_code").set_index("anchor_code")["anchor_name"].to_dict()
    return DashboardData(
        spend_by_tier=tiers,
        progress=frames["fct_nieuw_west_progress"],
        local_share=frames["fct_local_spend_share"],
        recipient_groups=frames["fct_spend_by_recipient_group"],
        top_suppliers=frames["fct_top_non_local_suppliers"],
        leakage=frames["fct_sector_leakage"],
        scorecard=frames["fct_data_quality_scorecard"],
        social_enterprises=frames["fct_spend_with_social_enterprises"],
        latest_invoice_date=latest,
        anchors={a: str(names[a]) for a in order},
        years=sorted(int(y) for y in tiers["year"].unique()),
        programme=load_programme(con),
    )


def load_dashboard_data(warehouse_path: str | os.PathLike[str]) -> DashboardData:
    """Read every mart the dashboard shows with one read-only connection."""
    import duckdb

    path = Path(warehouse_path)
    if not path.exists():
        raise FileNotFoundError(f"DuckDB warehouse not found: {path}")
    with duckdb.connect(str(path), read_only=True) as con:
        return query_dashboard_data(con)
