"""One ingestion asset per anchor, built from the delivery configurations in ``ingestion/anchors/``.

Each asset reads the anchor's files from the landing folder, maps them onto the canonical contract,
writes accepted lines, rejected rows and field issues to the warehouse, and runs a blocking pandera
check on the table as stored: a delivery that fails never reaches the marts.
"""


from pathlib import Path

import pandas as pd
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

from ingestion.config import AnchorConfig, load_anchor_configs
from ingestion.exports import read_anchor
from ingestion.schemas import invoice_lines_schema, validate
from ingestion.warehouse import (
    connect,
    ensure_raw_tables,
    invoice_table,
    read_back,
    union_invoice_lines,
    write_anchor,
)
from orchestration.project import DUCKDB_POOL, PROJECT_ROOT
from orchestration.resources import CwbPaths

# Above this share of a delivery's rows rejected, the delivery is held back as a whole: something is
# wrong with the file or its configuration rather than with single rows.
MAX_REJECTED_ROW_SHARE = 0.05


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
        load = read_anchor(cfg, paths.landing_path())
        result = load.result
        for d in load.deliveries:
            log = context.log.error if d.status == "rejected" else context.log.info
            log("%s: %s%s", d.source_file, d.status, f" ({d.reason})" if d.reason else "")
        context.log.info(
            "%s: %d rows read from %d active file(s), %d accepted, %d rejected, %d field issues",
            cfg.code, result.rows_read, sum(d.status == "loaded" for d in load.deliveries), result.rows_accepted,
            result.rows_rejected, len(result.field_issues),
        )
        table = invoice_table(cfg.code)
        with connect(paths.warehouse_path()) as con:
            write_anchor(con, cfg.code, load)
            stored = read_back(con, table)
            # Exact cents from DECIMAL sums, never from floats.
            stored_cents = con.execute(
                f"select coalesce((sum(amount_excl_vat) * 100)::bigint, 0) from {table}").fetchone()[0]
            stored_rejected = con.execute(
                "select count(*), coalesce((sum(amount_eur) * 100)::bigint, 0) from raw.rejected_rows "
                "where anchor_code = ?",
                [cfg.code],
            ).fetchone()

        passed, failures = validate(stored, invoice_lines_schema(cfg.line_identity))
        rejected_cents = int(stored_rejected[1])
        rows_reconcile = result.rows_read == len(stored) + stored_rejected[0] and all(
            d.reconciles() for d in load.deliveries)
        euros_reconcile = result.cents_read == stored_cents + rejected_cents
        reject_share = result.rows_rejected / result.rows_read if result.rows_read else 0.0
        problems = list(failures)
        for d in load.rejected_files:
            problems.append({"check": "every delivered file can be read", "failure_case": d.reason})
        if not rows_reconcile:
            problems.append({"check": "rows read = rows loaded + rows rejected (+ superseded)",
                             "failure_case": f"{result.rows_read} != {len(stored)} + {stored_rejected[0]}"})
        if not euros_reconcile:
            problems.append({"check": "euros read = euros loaded + euros rejected",
                             "failure_case": f"{result.cents_read} != {stored_cents} + {rejected_cents} cents"})
        if reject_share > MAX_REJECTED_ROW_SHARE:
            problems.append({"check": f"at most {MAX_REJECTED_ROW_SHARE:.0%} of rows rejected",
                             "failure_case": f"{reject_share:.1%} rejected; see raw.rejected_rows"})
        for problem in problems[:10]:
            context.log.error("%s failed the gate: %s", table, problem)

        sample_rejects = result.rejected.head(5)[["source_file", "source_row", "column", "reason"]]
        status_counts = {s: sum(d.status == s for d in load.deliveries)
                         for s in ("loaded", "duplicate", "superseded", "rejected")}
        metadata = {
            "deliveries": MetadataValue.md(markdown_table(pd.DataFrame(
                [{k: v for k, v in d.as_record().items()
                  if k in ("source_file", "status", "declared_period", "rows_read", "rows_loaded", "rows_rejected",
                           "rows_superseded", "euros_read", "euros_loaded", "euros_rejected", "euros_superseded")}
                 for d in load.deliveries]))),
            **{f"files_{k}": v for k, v in status_counts.items()},
            "rows_read": result.rows_read,
            "rows_loaded": len(stored),
            "rows_rejected": int(stored_rejected[0]),
            "field_issues": len(result.field_issues),
            "euros_read": _euro(result.cents_read),
            "euros_loaded": _euro(stored_cents),
            "euros_rejected": _euro(rejected_cents),
            "dagster/row_count": len(stored),
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
