"""One ingestion asset per anchor, built from the delivery configurations in ``ingestion/anchors/``.

Each asset reads the anchor's files from the landing folder, maps them onto the canonical contract,
writes accepted lines, rejected rows and field issues to the warehouse, and runs a blocking pandera
check on the table as stored: a delivery that fails never reaches the marts.
"""


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
)

from ingestion.config import AnchorConfig, load_anchor_configs
from ingestion.exports import read_anchor
from ingestion.schemas import invoice_lines_schema, validate
from ingestion.warehouse import connect, invoice_table, read_back, union_invoice_lines, write_anchor
from orchestration.project import DUCKDB_POOL
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

    @asset(
        key=raw_invoice_key(cfg.code),
        deps=[landing_key(cfg.code)],
        group_name="raw",
        pool=DUCKDB_POOL,
        kinds={"duckdb", "python"},
        description=(
            f"{cfg.name}: accepted invoice lines from the files matching `{cfg.files}` in the landing "
            f"folder, mapped onto the canonical contract (configuration: `ingestion/anchors/{cfg.code}.yaml`). "
            "Rejected rows go to raw.rejected_rows with file, row, field and reason."
        ),
        check_specs=[AssetCheckSpec(
            check_name, asset=raw_invoice_key(cfg.code), blocking=True,
            description="The stored table satisfies the invoice-line pandera schema, rows and euros "
                        "reconcile (read = loaded + rejected), and at most 5 % of rows were rejected.",
        )],
        metadata={"anchor_code": cfg.code, "config_file": f"ingestion/anchors/{cfg.code}.yaml"},
    )
    def _anchor_asset(context: AssetExecutionContext, paths: CwbPaths):
        result, files = read_anchor(cfg, paths.landing_path())
        context.log.info(
            "%s: %d rows read from %d file(s), %d accepted, %d rejected, %d field issues",
            cfg.code, result.rows_read, len(files), result.rows_accepted, result.rows_rejected,
            len(result.field_issues),
        )
        table = invoice_table(cfg.code)
        with connect(paths.warehouse_path()) as con:
            write_anchor(con, cfg.code, result)
            stored = read_back(con, table)
            stored_rejected = con.execute(
                "select count(*), coalesce(sum(amount_eur), 0) from raw.rejected_rows where anchor_code = ?",
                [cfg.code],
            ).fetchone()

        passed, failures = validate(stored, invoice_lines_schema())
        stored_cents = int(round(float(stored["amount_excl_vat"].sum()) * 100)) if len(stored) else 0
        rejected_cents = int(round(float(stored_rejected[1]) * 100))
        rows_reconcile = result.rows_read == len(stored) + stored_rejected[0]
        euros_reconcile = result.cents_read == stored_cents + rejected_cents
        reject_share = result.rows_rejected / result.rows_read if result.rows_read else 1.0
        problems = list(failures)
        if not rows_reconcile:
            problems.append({"check": "rows read = rows loaded + rows rejected",
                             "failure_case": f"{result.rows_read} != {len(stored)} + {stored_rejected[0]}"})
        if not euros_reconcile:
            problems.append({"check": "euros read = euros loaded + euros rejected",
                             "failure_case": f"{result.cents_read} != {stored_cents} + {rejected_cents} cents"})
        if reject_share > MAX_REJECTED_ROW_SHARE:
            problems.append({"check": f"at most {MAX_REJECTED_ROW_SHARE:.0%} of rows rejected",
                             "failure_case": f"{reject_share:.1%} rejected; see raw.rejected_rows"})
        for problem in problems[:10]:
            context.log.error("%s failed the gate: %s", table, problem)

        sample_rejects = result.rejected.head(5)[["source_file", "source_row", "field", "reason"]]
        metadata = {
            "files": MetadataValue.json(files),
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
                },
            )],
        )

    return _anchor_asset


def build_union_asset(configs: list[AnchorConfig]):
    codes = [c.code for c in configs]

    @asset(
        key=AssetKey(["raw", "invoice_lines"]),
        deps=[raw_invoice_key(c) for c in codes],
        group_name="raw",
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        description="View over every anchor's accepted invoice lines (UNION ALL BY NAME): the one "
                    "source the dbt staging layer reads.",
    )
    def invoice_lines(context: AssetExecutionContext, paths: CwbPaths) -> MaterializeResult:
        with connect(paths.warehouse_path()) as con:
            union_invoice_lines(con, codes)
            rows = con.execute(
                "select anchor_code, count(*), sum(amount_excl_vat) from raw.invoice_lines group by 1 order by 1"
            ).fetchall()
        return MaterializeResult(metadata={
            "dagster/row_count": sum(r[1] for r in rows),
            "per_anchor": MetadataValue.json({r[0]: {"rows": r[1], "euros": float(r[2])} for r in rows}),
        })

    return invoice_lines


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
