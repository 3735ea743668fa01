"""The dashboard for policy staff: one self-contained HTML file."""


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dashboards.spend_dashboard import load_spend_by_tier, render_dashboard
from orchestration.resources import CwbPaths


@asset(
    key=AssetKey(["dashboards", "spend_dashboard"]),
    deps=[AssetKey(["marts", "fct_spend_by_tier"])],
    group_name="dashboards",
    kinds={"plotly", "html"},
    description="Dutch HTML dashboard: share of spend landing in Nieuw-West per anchor per year and the "
                "breakdown over the geography tiers. plotly.js is inlined: it opens with no network.",
)
def spend_dashboard(context: AssetExecutionContext, paths: CwbPaths) -> MaterializeResult:
    df = load_spend_by_tier(paths.warehouse_path())
    synthetic = (paths.data_path() / "ground_truth").is_dir()
    out = render_dashboard(df, paths.output_path() / "dashboard.html", synthetic=synthetic)
    context.log.info("dashboard written to %s", out)
    return MaterializeResult(metadata={
        "path": MetadataValue.path(str(out)),
        "size_bytes": out.stat().st_size,
        "anchor_years": int(df[["anchor_code", "year"]].drop_duplicates().shape[0]),
    })
