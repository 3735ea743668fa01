"""Reliability: one writer at a time, readers never blocked, the last good result survives a crash, and a
rerun recovers without manual clean-up (real processes, real kill -9).

The baseline is the session's uninterrupted pipeline run (conftest ``pipeline``). Its warehouse and
published outputs are copied; on the copy, one run is killed while it rewrites an anchor (a forced full
reload) and another while dbt rebuilds the marts. After each kill the published snapshot and the
dashboard must be byte-identical to before and readable; a plain rerun must then succeed and publish
marts identical to the baseline's, leaving no temporary files and at most a few dbt run folders.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ingestion.warehouse import WarehouseBusy, connect
from orchestration.assets.dbt import DBT_TARGET_DIR, KEEP_DBT_RUN_FOLDERS

ROOT = Path(__file__).resolve().parent.parent
DAGSTER = str(Path(sys.executable).parent / "dagster")
MATERIALIZE = [DAGSTER, "asset", "materialize", "--select", "*", "-m", "orchestration.definitions"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hold_warehouse(path: Path, seconds: float) -> subprocess.Popen:
    """Another process that opens the warehouse for writing and keeps it for ``seconds``."""
    code = ("import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('holding', flush=True); "
            "time.sleep(float(sys.argv[2]))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_second_writer_waits_then_is_refused_with_the_holder_named(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = hold_warehouse(warehouse, 60)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as exc:
            connect(warehouse, wait_s=1.5)
        assert time.monotonic() - started >= 1.5
        assert str(holder.pid) in str(exc.value) and str(warehouse) in str(exc.value)
    finally:
        holder.kill()
        holder.wait()
    brief = hold_warehouse(warehouse, 2)
    started = time.monotonic()
    with connect(warehouse, wait_s=60) as con:  # waits for the other writer, then proceeds
        assert con.execute("select 42").fetchone() == (42,)
    assert time.monotonic() - started >= 1.0
    brief.wait()


def test_readers_of_the_published_snapshot_are_not_blocked_by_a_writer(pipeline):
    _, _, warehouse, out = pipeline
    snapshot = out / "cwb_marts.duckdb"
    holder = hold_warehouse(warehouse, 60)
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            assert con.execute("select count(*) from marts.fct_local_spend_share").fetchone()[0] > 0
        with pytest.raises(duckdb.IOException):  # the working warehouse itself is held by the writer
            duckdb.connect(str(warehouse), read_only=True)
    finally:
        holder.kill()
        holder.wait()


def _run(env: dict, log: Path) -> int:
    with open(log, "w") as fh:
        return subprocess.run(MATERIALIZE, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT).returncode


def _kill_when(env: dict, log: Path, marker: str, delay_s: float, timeout_s: float = 600) -> None:
    """Start a run, wait until its log shows ``marker``, let it work ``delay_s`` longer, then kill -9 it
    and everything it started (dbt)."""
    with open(log, "w") as fh:
        proc = subprocess.Popen(MATERIALIZE, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while marker not in log.read_text(errors="replace"):
        assert proc.poll() is None, f"the run ended before '{marker}'; see {log}"
        assert time.monotonic() < deadline, f"no '{marker}' in {log}"
        time.sleep(0.2)
    time.sleep(delay_s)
    assert proc.poll() is None, f"the run ended before it could be killed; see {log}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _tables(path: Path) -> dict[str, list]:
    """Every published table, rows sorted, leaving out columns that record when something ran (``*_at``)."""
    with duckdb.connect(str(path), read_only=True) as con:
        out = {}
        for schema, name in con.execute("select table_schema, table_name from information_schema.tables "
                                        "order by 1, 2").fetchall():
            cols = [c for c, in con.execute("select column_name from information_schema.columns where "
                                            "table_schema = ? and table_name = ? order by ordinal_position",
                                            [schema, name]).fetchall() if not c.endswith("_at")]
            select = ", ".join(f'"{c}"' for c in cols)
            out[f"{schema}.{name}"] = sorted(con.execute(f'select {select} from {schema}."{name}"').fetchall(),
                                             key=repr)
    return out


def test_killed_runs_leave_the_last_good_result_and_a_rerun_recovers(pipeline, tmp_path):
    result, data, warehouse, out = pipeline
    assert result.success
    work = tmp_path / "work"
    shutil.copytree(warehouse.parent, work / "warehouse")
    shutil.copytree(out, work / "out")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = dict(os.environ, DAGSTER_HOME=str(home), CWB_DATA_DIR=str(data),
               CWB_WAREHOUSE=str(work / "warehouse" / warehouse.name), CWB_OUTPUT_DIR=str(work / "out"),
               PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    snapshot, dashboard = work / "out" / "cwb_marts.duckdb", work / "out" / "dashboard.html"
    good = {p: sha256(p) for p in (snapshot, dashboard)}

    # 1. Killed in the middle of rewriting an anchor's tables (one transaction per anchor).
    _kill_when(dict(env, CWB_FULL_RELOAD="1"), tmp_path / "kill1.log",
               "STEP_START - Started execution of step \"raw__invoice_lines__gemeente_amsterdam\"", 1.0)
    # 2. Killed while dbt rebuilds the marts in the working warehouse.
    _kill_when(env, tmp_path / "kill2.log", "STEP_START - Started execution of step \"cwb_dbt_models\"", 8.0)
    assert {p: sha256(p) for p in good} == good, "a killed run changed the published results"
    with duckdb.connect(str(snapshot), read_only=True) as con:  # and they are readable
        assert con.execute("select count(*) from marts.fct_nieuw_west_progress").fetchone()[0] > 0

    # A half-written file as a run killed while exporting would leave it.
    leftover = work / "out" / "exports" / ".tmp-0123456789ab-cwb_marts.xlsx"
    leftover.write_bytes(b"PK\x03\x04 half a workbook")

    # 3. A plain rerun, no clean-up: succeeds, and publishes what the uninterrupted run published.
    assert _run(env, tmp_path / "rerun.log") == 0, (tmp_path / "rerun.log").read_text()[-3000:]
    assert _tables(snapshot) == _tables(out / "cwb_marts.duckdb")
    assert sha256(snapshot) != good[snapshot]  # it was published anew
    assert not leftover.exists()
    assert not list((work / "out").rglob(".tmp-*")), "temporary files left behind"
    assert len(list(DBT_TARGET_DIR.glob("cwb_dbt_models-*"))) <= KEEP_DBT_RUN_FOLDERS
