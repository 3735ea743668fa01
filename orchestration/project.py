"""Project paths and the dbt project handle (the manifest is prepared by `make setup`, or by
``prepare_if_dev`` under ``dagster dev``; never parsed at import time otherwise)."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

# All DuckDB writers share this pool; orchestration/dagster.yaml limits it to one slot, because DuckDB
# allows one writing process at a time.
DUCKDB_POOL = "duckdb"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
