"""One ingestion asset per anchor, built from the delivery configurations in ``ingestion/anchors/``.

Each asset reads the anchor's files from the landing folder, maps them onto the canonical contract,
writes accepted lines, rejected rows and field issues to the warehouse, and runs a blocking pandera
check on the table as stored: a delivery that fails never reaches the marts.
"""


import os
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from ingestion.config import AnchorConfig, invoice_table, load_anchor_configs
from orchestration.project import DUCKDB_POOL, PROJECT_ROOT
from orchestration.resources import CwbPaths

# Above this share of a delivery's rows rejected, the delivery is held back as a whole: something is
# wrong with the file or its configuration rather than with single rows.
MAX_REJECTED_ROW_SHARE = 0.05
# CWB_FULL_RELOAD=1 reads every delivery again instead of only the new ones (ingestion.loader).
FULL_RELOAD = os.environ.get("CWB_FULL_RELOAD", "") not in ("", "0")


def landing_key(code: str) -> AssetKey:
    return AssetKey(["landing", code])


def raw_invoice_key(code: str) -> AssetKey:
    return AssetKey(["raw", f"invoice_lines__{code}"])


def _euro(cents: int) -> float:
    return round(cents / 100, 2)


def markdown_table(df) -> str:
    """A small DataFrame as a Markdown table for the Dagster UI."""
    if df.empty:
        return "none"
    cells = [[str(v).replace("|", "/") for v in row] for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def build_anchor_asset(cfg: AnchorConfig):
    check_name = "pandera_invoice_lines"
    config_file = Path(cfg.config_file)
    if config_file.is_relative_to(PROJECT_ROOT):
        config_file = config_file.relative_to(PROJECT_ROOT)

    @asset(
        key=raw_invoice_key(cfg.code),
        deps=[landing_key(cfg.code)],
        group_name="raw",
        pool=DUCKDB_POOL,
        kinds={"duckdb", "python"},
        description=(
            f"{cfg.name}: accepted invoice lines from the files matching `{cfg.files}` in the landing "
            f"folder, mapped onto the canonical contract (configuration: `{config_file}`). "
            "Rejected rows go to raw.rejected_rows with file, row, field and reason."
        ),
        check_specs=[AssetCheckSpec(
            check_name, asset=raw_invoice_key(cfg.code), blocking=True,
            description="The stored table satisfies the invoice-line pandera schema, every delivered file "
                        "could be read, rows and euros reconcile per delivery (read = loaded + rejected + "
                        "superseded), and at most 5 % of rows were rejected.",
        )],
        metadata={"anchor_code": cfg.code, "config_file": str(config_file)},
    )
    def _anchor_asset(context: AssetExecutionContext, paths: CwbPaths):
        import pandas as pd

        from ingestion.loader import ingest_anchor
        from ingestion.warehouse import connect

        table = invoice_table(cfg.code)
        with connect(paths.warehouse_path()) as con:
            load = ingest_anchor(con, cfg, paths.landing_path(), full=FULL_RELOAD)
            for d in load.deliveries:
                if d.source_file in load.files_read or d.status == "rejected":
                    log = context.log.error if d.status == "rejected" else context.log.info
                    log("%s: %s%s", d.source_file, d.status, f" ({d.reason})" if d.reason else "")
            # The pandera schema on what this load stored, one file at a time, as the loader ran it on each
            # file's lines staged for the warehouse (ingestion/loader.py); uniqueness of the line identity
            # over the whole table in SQL.
            failures = load.gate_failures
            identity = ", ".join(cfg.line_identity)
            duplicated = con.execute(
                f"select count(*) from (select {identity} from {table} group by all having count(*) > 1)"
            ).fetchone()[0]
            n_rows, stored_cents = con.execute(
                f"select count(*), coalesce((sum(amount_excl_vat) * 100)::bigint, 0) from {table}").fetchone()
            n_rejected, rejected_cents = con.execute(
                "select count(*), coalesce((sum(amount_eur) * 100)::bigint, 0) from raw.rejected_rows "
                "where anchor_code = ?", [cfg.code]).fetchone()
            n_issues = con.execute("select count(*) from raw.field_issues where anchor_code = ?",
                                   [cfg.code]).fetchone()[0]
            sample_rejects = con.execute(
                "select source_file, source_row, \"column\", reason from raw.rejected_rows where anchor_code = ? "
                "order by source_file, source_row limit 5", [cfg.code]).df()
        context.log.info(
            "%s: %s load (%s): %d file(s) read%s; %d lines stored, %d rows rejected, %d field issues",
            cfg.code, load.mode, load.reason, len(load.files_read),
            f" by {load.worker_processes} worker processes" if load.worker_processes else "",
            n_rows, n_rejected, n_issues)

        active = [d for d in load.deliveries if d.status == "loaded"]
        rows_read = sum(d.rows_read or 0 for d in active)
        cents_read = sum(d.cents_read or 0 for d in active)
        rows_reconcile = rows_read == n_rows + n_rejected and all(d.reconciles() for d in load.deliveries)
        euros_reconcile = cents_read == stored_cents + rejected_cents
        reject_share = n_rejected / rows_read if rows_read else 0.0
        problems = list(failures)
        if duplicated:
            problems.append({"check": f"no two lines share ({identity})",
                             "failure_case": f"{duplicated} identities occur more than once in {table}"})
        for d in load.rejected_files:
            problems.append({"check": "every delivered file can be read", "failure_case": d.reason})
        if not rows_reconcile:
            problems.append({"check": "rows read = rows loaded + rows rejected (+ superseded)",
                             "failure_case": f"{rows_read} != {n_rows} + {n_rejected}"})
        if not euros_reconcile:
            problems.append({"check": "euros read = euros loaded + euros rejected",
                             "failure_case": f"{cents_read} != {stored_cents} + {rejected_cents} cents"})
        if reject_share > MAX_REJECTED_ROW_SHARE:
            problems.append({"check": f"at most {MAX_REJECTED_ROW_SHARE:.0%} of rows rejected",
                             "failure_case": f"{reject_share:.1%} rejected; see raw.rejected_rows"})
        for problem in problems[:10]:
            context.log.error("%s failed the gate: %s", table, problem)

        status_counts = {s: sum(d.status == s for d in load.deliveries)
                         for s in ("loaded", "duplicate", "superseded", "rejected")}
        metadata = {
            "load_mode": load.mode,
            "load_reason": load.reason,
            "files_read": len(load.files_read),
            "worker_processes": load.worker_processes,
            "deliveries": MetadataValue.md(markdown_table(pd.DataFrame(
                [{k: v for k, v in d.as_record().items()
                  if k in ("source_file", "status", "declared_period", "rows_read", "rows_loaded", "rows_rejected",
                           "rows_superseded", "euros_read", "euros_loaded", "euros_rejected", "euros_superseded")}
                 for d in load.deliveries]))),
            **{f"files_{k}": v for k, v in status_counts.items()},
            "rows_read": rows_read,
            "rows_loaded": n_rows,
            "rows_rejected": n_rejected,
            "field_issues": n_issues,
            "euros_read": _euro(cents_read),
            "euros_loaded": _euro(stored_cents),
            "euros_rejected": _euro(rejected_cents),
            "dagster/row_count": n_rows,
            "first_rejected_rows": MetadataValue.md(markdown_table(sample_rejects)),
        }
        return MaterializeResult(
            metadata=metadata,
            check_results=[AssetCheckResult(
                check_name=check_name,
                passed=not problems,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "failures": MetadataValue.json(problems[:20]),
                    "rows_reconcile": rows_reconcile,
                    "euros_reconcile": euros_reconcile,
                    "rejected_row_share": round(reject_share, 4),
                    "rejected_files": len(load.rejected_files),
                },
            )],
        )

    return _anchor_asset


INVOICE_LINES_KEY = AssetKey(["raw", "invoice_lines"])
DELIVERIES_KEY = AssetKey(["raw", "deliveries"])
REJECTED_ROWS_KEY = AssetKey(["raw", "rejected_rows"])


def build_union_asset(configs: list[AnchorConfig]):
    """The all-anchor raw tables dbt reads: the invoice-line view, the delivery log and the quarantine.
    Each anchor's asset writes its own share of the log and the quarantine; this asset publishes them
    once every anchor is in, so the lineage shows them as what they are: fed by every anchor."""
    codes = [c.code for c in configs]
    deps = [raw_invoice_key(c) for c in codes]

    @multi_asset(
        specs=[
            AssetSpec(INVOICE_LINES_KEY, deps=deps, group_name="raw", kinds={"duckdb"},
                      description="View over every anchor's accepted invoice lines (UNION ALL BY NAME): the "
                                  "one source the dbt staging layer reads."),
            AssetSpec(DELIVERIES_KEY, deps=deps, group_name="raw", kinds={"duckdb"},
                      description="The delivery log: one row per delivered file (content hash, declared "
                                  "period, loaded / duplicate / superseded / rejected, rows and euros)."),
            AssetSpec(REJECTED_ROWS_KEY, deps=deps, group_name="raw", kinds={"duckdb"},
                      description="Quarantine: every rejected source row with file, row, field, column and "
                                  "reason, and its euros when they could be read."),
        ],
        pool=DUCKDB_POOL,
        name="raw_all_anchors",
    )
    def raw_all_anchors(context: AssetExecutionContext, paths: CwbPaths):
        from ingestion.warehouse import connect, ensure_raw_tables, union_invoice_lines

        with connect(paths.warehouse_path()) as con:
            ensure_raw_tables(con)
            union_invoice_lines(con, codes)
            rows = con.execute(
                "select anchor_code, count(*), sum(amount_excl_vat) from raw.invoice_lines group by 1 order by 1"
            ).fetchall()
            deliveries = con.execute(
                "select status, count(*) from raw.deliveries group by 1 order by 1").fetchall()
            rejected = con.execute(
                "select count(*), coalesce(sum(amount_eur), 0) from raw.rejected_rows").fetchone()
        yield MaterializeResult(asset_key=INVOICE_LINES_KEY, metadata={
            "dagster/row_count": sum(r[1] for r in rows),
            "per_anchor": MetadataValue.json({r[0]: {"rows": r[1], "euros": float(r[2])} for r in rows}),
        })
        yield MaterializeResult(asset_key=DELIVERIES_KEY, metadata={
            "dagster/row_count": sum(r[1] for r in deliveries),
            "per_status": MetadataValue.json(dict(deliveries)),
        })
        yield MaterializeResult(asset_key=REJECTED_ROWS_KEY, metadata={
            "dagster/row_count": rejected[0], "euros_rejected": float(rejected[1]),
        })

    return raw_all_anchors


anchor_configs = load_anchor_configs()
landing_specs = [
    AssetSpec(
        landing_key(c.code),
        group_name="landing",
        description=f"{c.name}'s purchasing exports as delivered: files `{c.files}` under the landing folder.",
        kinds={"file"},
        metadata={"format": c.format},
    )
    for c in anchor_configs
]
anchor_assets = [build_anchor_asset(c) for c in anchor_configs]
invoice_lines_asset = build_union_asset(anchor_configs)
