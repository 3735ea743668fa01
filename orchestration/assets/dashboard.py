"""The dashboard for policy staff: one self-contained HTML file."""


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dashboards.data import MARTS, PROGRAMME_MARTS
from orchestration.assets.publish import PUBLISHED_KEY
from orchestration.resources import CwbPaths


@asset(
    key=AssetKey(["dashboards", "spend_dashboard"]),
    # The publication views (suppressed figures NULL) in the published snapshot.
    deps=[PUBLISHED_KEY] + [AssetKey(["publication", f"pub_{mart}"]) for mart in (*MARTS, *PROGRAMME_MARTS)],
    group_name="dashboards",
    kinds={"plotly", "html"},
    description="Dutch HTML dashboard for policy staff (pages Overzicht, Per organisatie, Coöperaties en "
                "doelsectoren, Programma, Definities; anchor and year filters): the Nieuw-West share of "
                "influenceable spend against streefwaarde and trajectory, tiers, sectors, top non-local "
                "suppliers, leakage, data completeness, co-operatives and target sectors. plotly.js is "
                "inlined: it opens with no network.",
)
def spend_dashboard(context: AssetExecutionContext, paths: CwbPaths) -> MaterializeResult:
    # The published snapshot: the dashboard never waits for, nor blocks, a run writing the warehouse.
    from dashboards.spend_dashboard import load_dashboard_data, render_dashboard

    data = load_dashboard_data(paths.published_path())
    synthetic = (paths.data_path() / "ground_truth").is_dir()
    out = render_dashboard(data, paths.output_path() / "dashboard.html", synthetic=synthetic)
    context.log.info("dashboard written to %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return MaterializeResult(metadata={
        "path": MetadataValue.path(str(out)),
        "size_bytes": out.stat().st_size,
        "anchor_years": int(data.spend_by_tier[["anchor_code", "year"]].drop_duplicates().shape[0]),
        "latest_invoice_date": str(data.latest_invoice_date),
        "synthetic": synthetic,
    })
