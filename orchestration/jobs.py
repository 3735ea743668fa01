"""Jobs and schedules."""

from __future__ import annotations

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

# Everything: reference data, the KvK extract, every anchor's deliveries, dbt and the dashboard.
refresh_all_job = define_asset_job(
    "refresh_all",
    selection=AssetSelection.all(),
    description="Reload reference data, the KvK extract and all deliveries, rebuild the marts and dashboard.",
)

# The monthly refresh: deliveries arrive monthly, so on the 2nd of the month at 06:00 Amsterdam time
# the whole graph is rebuilt.
monthly_refresh_schedule = ScheduleDefinition(
    name="monthly_refresh",
    job=refresh_all_job,
    cron_schedule="0 6 2 * *",
    execution_timezone="Europe/Amsterdam",
    default_status=DefaultScheduleStatus.RUNNING,
)
