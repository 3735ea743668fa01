"""The Dagster UI for real: `dagster dev` starts the webserver and the daemon on 127.0.0.1, the
webserver serves the asset graph, the daemon reports healthy, and everything is stopped afterwards
(the whole process group is killed: background processes here may ignore SIGINT/SIGTERM)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DAGSTER = Path(sys.executable).parent / "dagster"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())["data"]
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"GraphQL error for {query!r}: {exc.read()[:1000]!r}") from exc


LOCATIONS = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


@pytest.fixture
def dagster_ui(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    # As `make ui` does: the virtualenv's bin first on PATH (dagster-dbt looks up `dbt` there).
    env = {**os.environ, "PATH": f"{DAGSTER.parent}:{os.environ.get('PATH', '')}", "DAGSTER_HOME": str(home),
           "CWB_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "CWB_DATA_DIR": str(tmp_path / "data"), "CWB_OUTPUT_DIR": str(tmp_path / "out")}
    log = open(tmp_path / "dagster_dev.log", "w")
    proc = subprocess.Popen(
        [str(DAGSTER), "dev", "-h", "127.0.0.1", "-p", str(port), "-m", "orchestration.definitions"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"dagster dev did not come up: {(tmp_path / 'dagster_dev.log').read_text()[-3000:]}")
            time.sleep(1)
        yield port, proc
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        log.close()


def test_ui_serves_asset_graph_and_daemon_runs(dagster_ui):
    port, proc = dagster_ui
    # The webserver binds to loopback only.
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) == 0
    # The code location loads in its own process after the webserver is up: wait for it.
    deadline = time.monotonic() + 180
    nodes = []
    while not nodes and time.monotonic() < deadline:
        nodes = graphql(port, "{ assetNodes { assetKey { path } groupName } }")["assetNodes"]
        if not nodes:
            assert proc.poll() is None, "dagster dev exited"
            errors = [e["locationOrLoadError"]["message"] for e in graphql(port, LOCATIONS)["workspaceOrError"]
                      ["locationEntries"] if (e["locationOrLoadError"] or {}).get("__typename") == "PythonError"]
            assert not errors, errors
            time.sleep(2)
    keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert "marts/fct_spend_by_tier" in keys
    assert "dashboards/spend_dashboard" in keys
    assert {f"raw/invoice_lines__{a}" for a in
            ("gemeente_amsterdam", "hva", "olvg", "de_alliantie", "stwt", "pantar")} <= keys

    # The daemon heartbeats within a minute of starting.
    deadline = time.monotonic() + 90
    status = {}
    while time.monotonic() < deadline:
        data = graphql(port, "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }")
        status = {d["daemonType"]: d["healthy"] for d in data["instance"]["daemonHealth"]["allDaemonStatuses"]
                  if d["required"]}
        if status and all(status.values()):
            break
        time.sleep(3)
    assert status.get("SCHEDULER") is True, status
    assert all(status.values()), status

    data = graphql(port, """{ workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError {
        ... on RepositoryLocation { repositories { schedules { name cronSchedule scheduleState { status } } } }
        } } } } }""")
    schedules = [s for e in data["workspaceOrError"]["locationEntries"]
                 for r in e["locationOrLoadError"]["repositories"] for s in r["schedules"]]
    assert [(s["name"], s["cronSchedule"], s["scheduleState"]["status"]) for s in schedules] == [
        ("monthly_refresh", "0 6 2 * *", "RUNNING")]
