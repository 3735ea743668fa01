"""Exports for analysts, built after the publication views: every published mart as Parquet, and an Excel
workbook with Dutch headers and a definitions sheet (the logic is plain Python in ``dashboards/exports.py``).
They read schema ``publication`` (figures that would reveal a sole trader's income are NULL there) of the
published snapshot (orchestration/assets/publish.py), never the marts and not the working warehouse, so
they neither wait for a run that writes it nor block one; the line-level fct_invoice_lines is not
published. Each file is written beside its final name and moved into place when complete."""

# No `from __future__ import annotations` here: Dagster checks the context parameter's type hint.

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.assets.publish import PUBLICATION_KEYS, PUBLISHED_KEY
from orchestration.project import dbt_project
from orchestration.resources import CwbPaths

EXPORTS_DIR = "exports"


def _metadata(result) -> dict:
    """Dagster metadata of a dashboards.exports.ExportResult."""
    meta = {
        "path": MetadataValue.path(str(result.path)),
        "size_bytes": result.size_bytes,
        "seconds": round(result.seconds, 2),
        "n_marts": len(result.rows),
        "rows_total": sum(result.rows.values()),
        "rows_per_mart": MetadataValue.md(
            "| mart | rows |\n|---|---:|\n" + "\n".join(f"| {m} | {n:,} |" for m, n in result.rows.items())),
    }
    if result.left_out:
        meta["left_out"] = MetadataValue.json(result.left_out)
    return meta


@asset(
    key=AssetKey(["exports", "marts_parquet"]),
    deps=[*PUBLICATION_KEYS, PUBLISHED_KEY],
    group_name="exports",
    kinds={"parquet", "duckdb"},
    description="Every published mart (schema publication: suppressed figures NULL) as a Parquet file, "
                "<CWB_OUTPUT_DIR>/exports/parquet/<mart>.parquet, written by DuckDB's COPY (technical column "
                "names, the warehouse's types). The line-level fct_invoice_lines is not published.",
)
def marts_parquet(context: AssetExecutionContext, paths: CwbPaths) -> MaterializeResult:
    from dashboards.exports import export_parquet

    result = export_parquet(paths.published_path(), paths.output_path() / EXPORTS_DIR, log=context.log.info)
    context.log.info("%d marts written to %s in %.1f s (%d bytes)", len(result.rows), result.path,
                     result.seconds, result.size_bytes)
    return MaterializeResult(metadata=_metadata(result))


@asset(
    key=AssetKey(["exports", "marts_excel"]),
    deps=[*PUBLICATION_KEYS, PUBLISHED_KEY],
    group_name="exports",
    kinds={"excel", "duckdb"},
    description="Excel workbook <CWB_OUTPUT_DIR>/exports/cwb_marts.xlsx for analysts: a sheet per mart with "
                "Dutch headers, 'Definities' (Dutch header, technical name, type and dbt definition per "
                "column) and 'Over deze export' (date of the data, build time, metric definition version, "
                "what was suppressed and why). Reads the publication views (suppressed figures NULL).",
)
def marts_excel(context: AssetExecutionContext, paths: CwbPaths) -> MaterializeResult:
    from dashboards.exports import export_excel

    synthetic = (paths.data_path() / "ground_truth").is_dir()
    result = export_excel(paths.published_path(), paths.output_path() / EXPORTS_DIR,
                          manifest_path=dbt_project.manifest_path, synthetic=synthetic, log=context.log.warning)
    context.log.info("workbook %s: %d sheets of marts in %.1f s (%d bytes)", result.path, len(result.rows),
                     result.seconds, result.size_bytes)
    return MaterializeResult(metadata=_metadata(result))


export_assets = [marts_parquet, marts_excel]
