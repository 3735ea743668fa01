"""Publishing: the marts as a read-only snapshot for everyone who reads (ingestion/publish.py).

The dashboard, the exports and the Koop Lokaal directory read the snapshot, never the working warehouse:
they neither wait for nor block a run that writes it, and what they show is always a complete, tested
set of marts. A run that fails or is killed before this step leaves the previous snapshot in place.

The snapshot holds two schemas: ``marts`` (the exact figures with their suppression flags, for analysts
inside the platform) and ``publication`` (the publication views, as tables: what the disclosure rule
withholds is NULL; docs/architecture.md, "Privacy"). Everything that leaves the platform (dashboard,
exports, Koop Lokaal files) reads ``publication``.
"""

# No `from __future__ import annotations` here: Dagster checks the context parameter's type hint.

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.assets.dbt import cwb_dbt_models
from orchestration.project import DUCKDB_POOL
from orchestration.resources import CwbPaths

PUBLISHED_KEY = AssetKey(["published", "marts_snapshot"])
# Every mart of the dbt project (asset keys marts/<model>): a new mart is published without a code change.
MART_KEYS = sorted((k for k in cwb_dbt_models.keys if k.path[0] == "marts"), key=lambda k: k.path)
# Every publication view (asset keys publication/pub_<mart>): what the exports hold.
PUBLICATION_KEYS = sorted((k for k in cwb_dbt_models.keys if k.path[0] == "publication"), key=lambda k: k.path)
SNAPSHOT_SCHEMAS = ("marts", "publication")
# Left out of the snapshot: the line-level view (millions of rows, not published; nothing that reads the
# snapshot needs it, and analysts query it in the warehouse). The date of the data comes from
# fct_delivery_reconciliation.last_invoice_date.
NOT_SNAPSHOTTED = ("marts.fct_invoice_lines",)


@asset(
    key=PUBLISHED_KEY,
    deps=[*MART_KEYS, *PUBLICATION_KEYS],
    group_name="published",
    kinds={"duckdb"},
    pool=DUCKDB_POOL,
    description="Read-only snapshot of every mart and its publication view (<CWB_OUTPUT_DIR>/cwb_marts.duckdb, "
                "or CWB_PUBLISHED; schemas marts and publication): written beside the old one and moved into "
                "place in one rename once dbt has built and tested the marts (without the line-level view "
                "marts.fct_invoice_lines). Analysts read this file; the "
                "dashboard and the exports read its schema publication (suppressed figures NULL).",
)
def marts_snapshot(context: AssetExecutionContext, paths: CwbPaths) -> MaterializeResult:
    from ingestion.publish import publish_marts
    from ingestion.warehouse import connect

    target = paths.published_path()
    with connect(paths.warehouse_path()) as con:
        counts = publish_marts(con, target, schemas=SNAPSHOT_SCHEMAS, leave_out=NOT_SNAPSHOTTED)
    context.log.info("published %d marts to %s (%.1f MB)", len(counts), target, target.stat().st_size / 1e6)
    return MaterializeResult(metadata={
        "path": MetadataValue.path(str(target)),
        "size_bytes": target.stat().st_size,
        "tables": len(counts),
        "rows": MetadataValue.json(counts),
    })
