"""Composes the code location: nothing is defined here."""

from dagster import Definitions, in_process_executor

from orchestration.assets.anchors import anchor_assets, invoice_lines_asset, landing_specs
from orchestration.assets.dashboard import spend_dashboard
from orchestration.assets.dbt import cwb_dbt_models
from orchestration.assets.directory import koop_lokaal_directory
from orchestration.assets.exports import export_assets
from orchestration.assets.kvk import kvk_establishments, kvk_landing_spec
from orchestration.assets.programme import programme_inputs, programme_landing_spec
from orchestration.assets.publish import marts_snapshot
from orchestration.assets.reference import reference_assets
from orchestration.assets.resolution import supplier_matches
from orchestration.jobs import monthly_refresh_schedule, refresh_all_job
from orchestration.resources import CwbPaths, dbt_resource
from orchestration.sensors import landing_sensor

defs = Definitions(
    assets=[
        *landing_specs,
        kvk_landing_spec,
        *anchor_assets,
        invoice_lines_asset,
        kvk_establishments,
        programme_landing_spec,
        programme_inputs,
        *reference_assets,
        supplier_matches,
        cwb_dbt_models,
        marts_snapshot,
        spend_dashboard,
        koop_lokaal_directory,
        *export_assets,
    ],
    jobs=[refresh_all_job],
    schedules=[monthly_refresh_schedule],
    sensors=[landing_sensor],
    resources={"paths": CwbPaths(), "dbt": dbt_resource()},
    # Every step writes the one DuckDB file, so steps run one at a time anyway (pool "duckdb"): running
    # them in the run's own process saves a ~10 s interpreter start per step.
    executor=in_process_executor,
)
