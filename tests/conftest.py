"""Shared fixtures. `pipeline` materialises the whole asset graph once per test session on a small
synthetic sample (2 %) in a temporary directory; every end-to-end test file checks its marts against
the generator's own ground truth."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance

ROOT = Path(__file__).resolve().parent.parent
E2E_SCALE = "0.02"


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    data, warehouse, out = base / "data", base / "warehouse" / "cwb.duckdb", base / "out"
    subprocess.run([sys.executable, "-m", "ingestion.synthetic", "--out", str(data), "--scale", E2E_SCALE],
                   cwd=ROOT, check=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("CWB_DATA_DIR", str(data))
    mp.setenv("CWB_WAREHOUSE", str(warehouse))
    mp.setenv("CWB_OUTPUT_DIR", str(out))
    # The sample's files are too small for the loader's worker processes (ingestion/loader.py), which a
    # ten-year load uses: this run, checked against the ground truth, takes them inside Dagster.
    mp.setenv("CWB_INGEST_PROCESSES", "2")
    try:
        from orchestration.definitions import defs

        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    finally:
        mp.undo()
    return result, data, warehouse, out


def pytest_terminal_summary(terminalreporter):
    """How many generated cases each property-based test ran (tests/test_fuzz_inputs.py records them as
    the user property ``fuzz_cases`` when its test is torn down)."""
    counts = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "fuzz_cases" and getattr(report, "when", None) == "teardown":
                    counts[report.nodeid] = value
    if counts:
        terminalreporter.write_sep("-", f"fuzz cases: {sum(counts.values()):,} in {len(counts)} properties")
        for nodeid, n in sorted(counts.items()):
            terminalreporter.write_line(f"{n:>8,}  {nodeid}")


@pytest.fixture
def warehouse(pipeline, tmp_path):
    """A copy of the end-to-end run's warehouse, for a test that changes it (the incremental builds)."""
    _, _, built, _ = pipeline
    copy = tmp_path / "cwb.duckdb"
    shutil.copy(built, copy)
    return copy

