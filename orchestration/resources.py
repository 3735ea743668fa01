"""Resources. Paths come from the environment at run time (never at import time), with defaults that
match the Makefile, so the Dagster UI, ``make run`` and the tests can each point at their own files."""


import os
import sys
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from orchestration.project import DBT_PROJECT_DIR, PROJECT_ROOT


class CwbPaths(ConfigurableResource):
    """Where deliveries land, where the warehouse lives and where the dashboard is written.

    Unset fields fall back to CWB_DATA_DIR, CWB_WAREHOUSE and CWB_OUTPUT_DIR, then to the defaults.
    """

    data_dir: str | None = None
    warehouse: str | None = None
    output_dir: str | None = None

    def data_path(self) -> Path:
        return Path(self.data_dir or os.environ.get("CWB_DATA_DIR") or PROJECT_ROOT / "data" / "sample")

    def landing_path(self) -> Path:
        return self.data_path() / "landing"

    def warehouse_path(self) -> Path:
        return Path(
            self.warehouse or os.environ.get("CWB_WAREHOUSE") or PROJECT_ROOT / "data" / "warehouse" / "cwb.duckdb"
        )

    def output_path(self) -> Path:
        return Path(self.output_dir or os.environ.get("CWB_OUTPUT_DIR") or PROJECT_ROOT / "data" / "output")

    def published_path(self) -> Path:
        """The read-only snapshot of the marts that readers use (CWB_PUBLISHED, else in the output folder)."""
        return Path(os.environ.get("CWB_PUBLISHED") or self.output_path() / "cwb_marts.duckdb")


def dbt_resource() -> DbtCliResource:
    # The dbt executable of the interpreter that runs Dagster, so no PATH set-up is needed.
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    )
