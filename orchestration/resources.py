"""Resources. Paths come from the environment at run time (never at import time), with defaults that
match the Makefile, so the Dagster UI, ``make run`` and the tests can each point at their own files."""


import importlib.metadata
import os
import sys
from functools import cached_property
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from packaging import version

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


# The dbt executable of the interpreter that runs Dagster, so no PATH set-up is needed.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


class CwbDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, without two things it does before every dbt command that this project does
    not need (3.7 s of each run's dbt step, before dbt starts: README "Scale and speed"):

    - it asks the executable for its version (``dbt --version`` in a subprocess: 2.2 s). The executable
      beside this interpreter is the dbt-core package installed with it, whose version the package
      metadata gives. Another executable is still asked.
    - it builds a dbt-core adapter in this process (1.6 s), used only to fetch column metadata of the
      models' relations (``fetch_column_metadata``), which this project does not ask for; without it
      dagster-dbt leaves that metadata out, as documented for adapters it cannot create.

    Both replace private methods of the pinned dagster-dbt (pyproject.toml);
    tests/test_definitions.py fails should an upgrade rename them."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == DBT_EXECUTABLE:
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - the signature of the method it replaces
        return None


def dbt_resource() -> DbtCliResource:
    return CwbDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(DBT_EXECUTABLE),
    )
