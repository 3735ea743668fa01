"""The Dagster definitions load, and the asset graph is pinned: a refactor that silently drops an asset,
a check, a job or a schedule fails here."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import PARTIAL_PARSE_FILE, asset_key_for, dbt_build_args, keep_partial_parse
from orchestration.definitions import defs
from orchestration.project import DUCKDB_POOL
from orchestration.resources import DBT_EXECUTABLE, CwbDbtCliResource, dbt_resource

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = ["de_alliantie", "gemeente_amsterdam", "hva", "olvg", "pantar", "stwt"]

EXPECTED_ASSETS = {
    *(f"landing/{a}" for a in ANCHORS),
    "landing/kvk",
    *(f"raw/invoice_lines__{a}" for a in ANCHORS),
    "raw/invoice_lines",
    "raw/kvk_establishments",
    # The delivery log and the quarantine: written by the ingestion, read by the delivery reconciliation.
    "raw/deliveries",
    "raw/rejected_rows",
    "reference/nl_pc4_gemeente",
    "reference/amsterdam_pc4_stadsdeel",
    "reference/sbi2008",
    "reference/sbi2025",
    "reference/mra_gemeenten",
    "reference/geography_tiers",
    "staging/stg_anchors__invoice_lines",
    "staging/stg_anchors__deliveries",
    "staging/stg_anchors__rejected_rows",
    "staging/stg_kvk__establishments",
    "staging/stg_reference__pc4_gemeenten",
    "staging/stg_reference__amsterdam_pc4_stadsdelen",
    "staging/stg_reference__sbi_codes",
    "intermediate/int_pc4s_tiered",
    "intermediate/int_invoice_lines_placed",
    "marts/fct_spend_by_tier",
    "marts/fct_invoice_lines",
    "marts/fct_delivery_reconciliation",
    "published/marts_snapshot",
    "dashboards/spend_dashboard",
    "resolution/supplier_matches",
    "staging/stg_resolution__supplier_matches",
    "marts/fct_supplier_review_queue",
    "marts/fct_resolution_coverage",
    "marts/fct_nieuw_west_progress",
    "marts/fct_data_completeness",
    "marts/fct_lm3",
    "reference/lm3_respend",
    "reference/streefwaarden",
    "reference/influenceable_rules",
    "marts/fct_local_spend_share",
    # The data quality scorecard (issue 5 item 5) and the marts it summarises.
    "intermediate/int_invoices_aggregated",
    "intermediate/int_supplier_years_aggregated",
    "marts/fct_vat_basis",
    "marts/fct_placement_methods",
    "marts/fct_suspected_duplicate_invoices",
    "marts/fct_credit_notes",
    "marts/fct_unresolved_suppliers",
    "marts/fct_data_quality_scorecard",
    # Who receives the money, leakage and opportunity (issue 5 items 3 and 4).
    "reference/sbi2008_sbi2025_correspondence",
    "reference/target_sectors",
    "reference/target_sector_codes",
    "reference/legal_form_groups",
    "reference/size_classes",
    "reference/social_enterprises",
    "intermediate/int_establishment_activities",
    "intermediate/int_establishments_classified",
    "intermediate/int_invoice_lines_classified",
    "intermediate/int_suppliers_by_anchor_year",
    "marts/fct_spend_by_recipient_group",
    "marts/fct_spend_with_social_enterprises",
    "marts/fct_nieuw_west_establishments_by_sector",
    "marts/fct_sector_leakage",
    "marts/fct_top_non_local_suppliers",
    "marts/fct_shared_suppliers",
    # Programme monitoring (co-operative pipeline, tender calendar, Koop Lokaal, investment fund).
    "landing/programme",
    "programme/initiatives",
    "programme/initiative_phases",
    "programme/targets",
    "programme/tenders",
    "programme/tender_lots",
    "programme/fund_transactions",
    "reference/amsterdam_postcode_areas",
    "reference/cpv_sbi_activities",
    "staging/stg_programme__initiatives",
    "staging/stg_programme__initiative_phases",
    "staging/stg_programme__targets",
    "staging/stg_programme__tenders",
    "staging/stg_programme__fund_transactions",
    "staging/stg_reference__amsterdam_pc4_wijken",
    "marts/fct_tender_opportunities",
    "marts/fct_tender_calendar",
    "marts/fct_cooperative_income",
    "marts/fct_cooperative_pipeline",
    "marts/fct_koop_lokaal_directory",
    "marts/fct_investment_fund",
    "marts/fct_programme_targets",
    "exports/koop_lokaal_directory",
    # Exports for analysts (issue 6): every published mart as Parquet, and the Excel workbook.
    "exports/marts_parquet",
    "exports/marts_excel",
    # Privacy by design (issue 9): disclosure control and one publication view per mart but the line-level one.
    "intermediate/int_disclosure_suppliers",
    "intermediate/int_disclosure_contributions",
    "intermediate/int_disclosure_relations",
    "intermediate/int_disclosure_decisions",
    # The names the privacy test looks for, built once per build (restricted zone, schema raw).
    "restricted/natural_person_names",
}
PUBLISHED_MARTS = {k.split("/", 1)[1] for k in EXPECTED_ASSETS if k.startswith("marts/")} - {"fct_invoice_lines"}
EXPECTED_ASSETS |= {f"publication/pub_{m}" for m in PUBLISHED_MARTS}


def test_asset_graph_is_pinned():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == EXPECTED_ASSETS
    for key in graph.get_all_asset_keys():
        assert graph.get(key).group_name == key.path[0], key


def test_lineage_runs_from_landing_files_to_dashboard():
    graph = defs.resolve_asset_graph()

    def upstream(key: AssetKey) -> set[str]:
        seen, todo = set(), [key]
        while todo:
            for parent in graph.get(todo.pop()).parent_keys:
                if parent.to_user_string() not in seen:
                    seen.add(parent.to_user_string())
                    todo.append(parent)
        return seen

    above_dashboard = upstream(AssetKey(["dashboards", "spend_dashboard"]))
    for a in ANCHORS:
        assert {f"landing/{a}", f"raw/invoice_lines__{a}"} <= above_dashboard
    assert {"raw/invoice_lines", "staging/stg_anchors__invoice_lines", "intermediate/int_invoice_lines_placed",
            "marts/fct_spend_by_tier", "raw/kvk_establishments", "reference/amsterdam_pc4_stadsdeel"} <= above_dashboard


def test_snapshot_and_exports_are_built_after_every_mart_and_publication_view():
    """The snapshot is published once every mart and publication view is built; the exports read its
    publication views (so they follow both); what leaves the platform never depends on a mart directly."""
    graph = defs.resolve_asset_graph()
    marts = {k for k in EXPECTED_ASSETS if k.startswith("marts/")}
    published = {k for k in EXPECTED_ASSETS if k.startswith("publication/")}
    assert len(marts) >= 21 and len(published) == len(marts) - 1
    assert "publication/pub_fct_invoice_lines" not in published
    parents_of = lambda key: {p.to_user_string() for p in graph.get(AssetKey.from_user_string(key)).parent_keys}  # noqa: E731
    assert parents_of("published/marts_snapshot") == marts | published
    for export in ("exports/marts_parquet", "exports/marts_excel"):
        assert parents_of(export) == published | {"published/marts_snapshot"}, export
    for reader in ("dashboards/spend_dashboard", "exports/koop_lokaal_directory"):
        assert "published/marts_snapshot" in parents_of(reader), reader
    dashboard = parents_of("dashboards/spend_dashboard")
    assert not {p for p in dashboard if p.startswith("marts/")}, "the dashboard reads publication views only"
    directory = parents_of("exports/koop_lokaal_directory")
    assert directory == {"publication/pub_fct_koop_lokaal_directory", "published/marts_snapshot"}


def test_every_ingested_asset_is_gated_by_a_blocking_pandera_check():
    graph = defs.resolve_asset_graph()
    gated = {}
    for check_key in graph.asset_check_keys:
        spec = graph.get_check_spec(check_key)
        if check_key.name.startswith("pandera_"):
            gated[check_key.asset_key.to_user_string()] = spec.blocking
    ingested = {k for k in EXPECTED_ASSETS if k.startswith("raw/invoice_lines__")} | {
        "raw/kvk_establishments", "reference/nl_pc4_gemeente", "reference/amsterdam_pc4_stadsdeel",
        "reference/sbi2008", "reference/sbi2025", "reference/amsterdam_postcode_areas"} | {
        k for k in EXPECTED_ASSETS if k.startswith("programme/")}
    assert set(gated) == ingested
    assert all(gated.values())


def test_all_warehouse_writers_share_one_pool():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable or key.path[0] in ("dashboards", "exports"):
            continue  # the dashboard and the exports only read the warehouse
        assets_def = graph.assets_def_for_key(key)
        pools = {n.pool for n in assets_def.node_def.iterate_op_defs()}
        assert pools == {DUCKDB_POOL}, key


def test_jobs_and_schedules():
    assert defs.resolve_job_def("refresh_all") is not None
    schedule = defs.resolve_schedule_def("monthly_refresh")
    assert schedule.cron_schedule == "0 6 2 * *"
    assert schedule.execution_timezone == "Europe/Amsterdam"


def test_asset_keys_follow_dbt_folders():
    assert asset_key_for("model", ["staging", "raw"], "stg_x", None) == AssetKey(["staging", "stg_x"])
    assert asset_key_for("model", ["marts"], "fct_y", None) == AssetKey(["marts", "fct_y"])
    assert asset_key_for("model", ["publication"], "pub_fct_y", None) == AssetKey(["publication", "pub_fct_y"])
    assert asset_key_for("model", ["restricted"], "names", None) == AssetKey(["restricted", "names"])
    assert asset_key_for("source", [], "invoice_lines", "raw") == AssetKey(["raw", "invoice_lines"])
    assert asset_key_for("seed", [], "mra_gemeenten", None) == AssetKey(["reference", "mra_gemeenten"])
    assert dbt_build_args() == ["build", "--exclude", "resource_type:unit_test"]
    assert dbt_build_args(full_refresh=True) == ["build", "--exclude", "resource_type:unit_test", "--full-refresh"]


def test_the_dbt_resource_knows_its_dbt_version_without_asking_and_builds_no_adapter(tmp_path):
    """The run's dbt resource reports the version that `dbt --version` prints (the real executable) without
    running it, and builds no dbt-core adapter; another executable is still asked. Should an upgrade of
    dagster-dbt rename the two private methods it replaces, the first assertion fails."""
    assert {"_cli_version", "_initialize_dbt_core_adapter"} <= set(vars(DbtCliResource))
    printed = subprocess.run([str(DBT_EXECUTABLE), "--version"], capture_output=True, text=True, check=True).stdout
    resource = dbt_resource()
    assert isinstance(resource, CwbDbtCliResource)
    assert f"installed: {resource._cli_version}" in printed
    assert resource._initialize_dbt_core_adapter(["build"]) is None
    # a dbt executable elsewhere (here a link to the same one) is asked for its version, as dagster-dbt does
    elsewhere = tmp_path / "dbt"
    elsewhere.symlink_to(DBT_EXECUTABLE)
    other = CwbDbtCliResource(project_dir=resource.project_dir, profiles_dir=resource.profiles_dir,
                              dbt_executable=str(elsewhere))
    assert other._cli_version == resource._cli_version


def test_dagster_definitions_validate_cli():
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run([str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful" in proc.stdout + proc.stderr


def test_a_runs_parse_is_kept_for_the_next_run_on_the_same_warehouse(tmp_path):
    """keep_partial_parse, with the real dbt CLI: the parse a run leaves becomes the project's, and a next
    run on the same warehouse (dagster-dbt copies the project's file into its own target folder) parses
    partially; on another warehouse dbt refuses it (the profile holds the path), so the check can fail."""
    exe = str(DBT_EXECUTABLE)
    project_target = tmp_path / "target"

    def parse(target: Path, warehouse: str) -> str:
        env = {**os.environ, "CWB_WAREHOUSE": warehouse, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        proc = subprocess.run([exe, "parse", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
                               "--target-path", str(target), "--log-path", str(tmp_path / "logs")],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:]
        return proc.stdout

    def next_run(name: str) -> Path:  # what dagster-dbt does before each invocation
        target = tmp_path / name
        target.mkdir()
        shutil.copy(project_target / PARTIAL_PARSE_FILE, target / PARTIAL_PARSE_FILE)
        return target

    assert not keep_partial_parse(tmp_path / "nothing-here", project_target)  # no parse to keep
    parse(tmp_path / "run1", "/srv/cwb/warehouse.duckdb")
    assert keep_partial_parse(tmp_path / "run1", project_target)
    assert (project_target / PARTIAL_PARSE_FILE).read_bytes() == (tmp_path / "run1" / PARTIAL_PARSE_FILE).read_bytes()
    assert [p.name for p in project_target.iterdir()] == [PARTIAL_PARSE_FILE]  # no temporary file left
    assert "Unable to do partial parsing" not in parse(next_run("run2"), "/srv/cwb/warehouse.duckdb")
    assert "profile has changed" in parse(next_run("run3"), "/srv/cwb/other.duckdb")
