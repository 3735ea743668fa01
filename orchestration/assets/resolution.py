"""Supplier resolution: every anchor's creditors tied to a KvK establishment, with method and confidence.

Reads the accepted invoice lines and the KvK extract, applies the analysts' overrides file (which wins
over every automatic method) and writes ``resolution.supplier_matches``; dbt turns it into the review
queue and the coverage figures.
"""

import os
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.assets.anchors import INVOICE_LINES_KEY
from orchestration.assets.kvk import KVK_RAW_KEY
from orchestration.project import DUCKDB_POOL, PROJECT_ROOT
from orchestration.resources import CwbPaths

SUPPLIER_MATCHES_KEY = AssetKey(["resolution", "supplier_matches"])
OVERRIDE_COLUMNS = ["anchor_code", "supplier_ref", "vestigingsnummer", "decided_by", "decided_on", "note"]


def overrides_path() -> Path:
    return Path(os.environ.get("CWB_OVERRIDES") or PROJECT_ROOT / "data" / "overrides" / "supplier_matches.csv")


def read_overrides(path: Path):
    """The analysts' decisions (a DataFrame); a missing file means none. A malformed file is an error
    naming it."""
    import pandas as pd

    if not path.exists():
        return pd.DataFrame(columns=OVERRIDE_COLUMNS)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("anchor_code", "supplier_ref", "vestigingsnummer") if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: column(s) {missing} missing; expected {OVERRIDE_COLUMNS}")
    bad = frame[(frame["vestigingsnummer"] != "") & ~frame["vestigingsnummer"].str.fullmatch(r"\d{12}")]
    if len(bad):
        first = bad.index[0]
        raise ValueError(f"{path}: row {first + 2}, field 'vestigingsnummer': "
                         f"{bad.loc[first, 'vestigingsnummer']!r} is not 12 digits (or empty)")
    return frame


@asset(
    key=SUPPLIER_MATCHES_KEY,
    deps=[INVOICE_LINES_KEY, KVK_RAW_KEY],
    group_name="resolution",
    pool=DUCKDB_POOL,
    kinds={"duckdb", "python"},
    description="One row per anchor x creditor: the KvK establishment it is, by which method "
                "(override, vestigingsnummer, KvK number, VAT number via RSIN, IBAN, name and address), "
                "with confidence and status (auto_accepted / review / unresolved) and, for review, the top "
                "candidates and why. Overrides: data/overrides/supplier_matches.csv (or CWB_OVERRIDES).",
)
def supplier_matches(context: AssetExecutionContext, paths: CwbPaths) -> MaterializeResult:
    from ingestion.resolution import resolve
    from ingestion.warehouse import connect, supplier_records

    overrides_file = overrides_path()
    overrides = read_overrides(overrides_file)
    with connect(paths.warehouse_path()) as con:
        suppliers = supplier_records(con)
        register = con.execute("select * from raw.kvk_establishments").df()
        matches = resolve(suppliers, register, overrides)
        kept = ["anchor_code", "supplier_ref", "supplier_name", "supplier_names", "n_lines", "spend_eur"]
        result = suppliers[kept].merge(matches, on=["anchor_code", "supplier_ref"], how="left",
                                       validate="one_to_one")
        con.execute("create schema if not exists resolution")
        con.register("matches_df", result)
        con.execute("""
            create or replace table resolution.supplier_matches as
            select anchor_code, supplier_ref, supplier_name, vestigingsnummer::varchar as vestigingsnummer,
                   kvk_number::varchar as kvk_number, method, confidence::double as confidence, status,
                   candidates::varchar as candidates, merged_supplier_key, n_lines::bigint as n_lines,
                   spend_eur::decimal(18,2) as spend_eur, supplier_names::varchar[] as supplier_names
            from matches_df
        """)
        con.unregister("matches_df")
    spend = result.assign(spend=result["spend_eur"].astype(float))
    total = spend["spend"].sum() or 1.0
    by_method = spend.groupby("method")["spend"].sum().div(total).round(4).to_dict()
    by_status = spend.groupby("status")["spend"].sum().div(total).round(4).to_dict()
    context.log.info("resolved %d suppliers; share of spend by status %s", len(result), by_status)
    return MaterializeResult(metadata={
        "dagster/row_count": len(result),
        "overrides_file": str(overrides_file),
        "overrides": len(overrides),
        "spend_share_by_method": MetadataValue.json(by_method),
        "spend_share_by_status": MetadataValue.json(by_status),
        "suppliers_in_review": int((result["status"] == "review").sum()),
    })
