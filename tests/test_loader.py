"""The file-by-file, incremental loader (ingestion.loader) against the in-memory reader.

For every case of the broken-delivery corpus, ``ingest_anchor`` must leave exactly the tables that
``write_anchor(read_anchor(...))`` leaves (which tests/test_corpus.py holds to the case's documented
outcome): accepted lines, rejected rows, field issues and the delivery log. Delivered one file at a time,
with a load after each, the end state must be the same again, and the loader must only read what is new
when nothing earlier changed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion import loader
from ingestion.exports import read_anchor
from ingestion.loader import ingest_anchor
from ingestion.warehouse import write_anchor
from tests.test_corpus import CASES, CASES_DIR, T0, case_config, deliver

DELIVERY_FIELDS = ("source_file", "sha256", "size_bytes", "declared_period", "status", "duplicate_of",
                   "superseded_by", "reason", "rows_read", "rows_loaded", "rows_rejected", "rows_superseded",
                   "euros_read", "euros_loaded", "euros_rejected", "euros_superseded")


def tables(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, list]:
    """Every raw table of the anchor as sorted rows (duplicate-line reasons compared without the first
    occurrence they name: a line repeated both within a file and across files names a different, equally
    earlier, first occurrence in the two readers)."""
    return {
        "lines": sorted(con.execute(f"select * from raw.invoice_lines__{code}").fetchall()),
        "rejected": sorted(con.execute(
            "select source_file, source_row, field, \"column\", value, reason_code, "
            "case when reason_code = 'duplicate_line' then 'duplicate' else reason end, amount_eur "
            "from raw.rejected_rows where anchor_code = ?", [code]).fetchall()),
        "issues": sorted(con.execute("select * exclude (anchor_code) from raw.field_issues where anchor_code = ?",
                                     [code]).fetchall()),
        "deliveries": sorted(con.execute(f"select {', '.join(DELIVERY_FIELDS)} from raw.deliveries "
                                         "where anchor_code = ?", [code]).fetchall()),
    }


def reference_tables(case, tmp_path) -> dict[str, list]:
    (tmp_path / "ref").mkdir()
    cfg = case_config(case, tmp_path / "ref")
    landing = deliver(case, tmp_path / "ref")
    with duckdb.connect(str(tmp_path / "ref.duckdb")) as con:
        write_anchor(con, cfg.code, read_anchor(cfg, landing))
        return tables(con, cfg.code)


# The loader reads and maps the next files in a thread while it stores the current one (one ahead by
# default), or in worker processes for a large load. With several or all files read ahead, or two worker
# processes, the files must still be stored in delivery order and unreadable ones rejected: the cases of
# more than one file run again with two and with all files ahead, and with two worker processes (which
# the corpus's small files would not get on their own).
READ_AHEAD_CASES = [pytest.param(c, 1, 0, id=c.name) for c in CASES] + [
    pytest.param(c, ahead, 0, id=f"{c.name}-{ahead}-ahead") for ahead in (2, 50) for c in CASES if len(c.order) > 1
] + [pytest.param(c, 1, 2, id=f"{c.name}-2-processes") for c in CASES if len(c.order) > 1]


@pytest.mark.parametrize(("case", "ahead", "processes"), READ_AHEAD_CASES)
def test_loader_equals_reader_on_every_corpus_case(case, ahead, processes, tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "READ_AHEAD", ahead)
    monkeypatch.setenv(loader.PROCESSES_ENV, str(processes))
    used = []
    real = loader.worker_processes

    def spy(to_read, cfg):
        used.append(real(to_read, cfg))
        return used[-1]

    monkeypatch.setattr(loader, "worker_processes", spy)
    want = reference_tables(case, tmp_path)
    (tmp_path / "new").mkdir()
    cfg = case_config(case, tmp_path / "new")
    landing = deliver(case, tmp_path / "new")
    with duckdb.connect(str(tmp_path / "new.duckdb")) as con:
        first = ingest_anchor(con, cfg, landing)
        assert first.mode == "full"
        assert used == [min(processes, len(first.files_read))]
        assert tables(con, cfg.code) == want
        again = ingest_anchor(con, cfg, landing)
        assert (again.mode, again.files_read) == ("unchanged", [])
        assert tables(con, cfg.code) == want


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES if len(c.order) > 1])
def test_delivered_one_by_one_ends_where_a_single_load_does(case, tmp_path):
    """Files arrive in their delivery order with a load after each: appends are read alone, a file that
    replaces a loaded one triggers a full reload, and the final tables equal a single load's."""
    want = reference_tables(case, tmp_path)
    (tmp_path / "new").mkdir()
    cfg = case_config(case, tmp_path / "new")
    target = tmp_path / "new" / "landing" / "corpus"
    target.mkdir(parents=True)
    folder = CASES_DIR / (case.folder or case.name)
    modes = []
    with duckdb.connect(str(tmp_path / "new.duckdb")) as con:
        for i, name in enumerate(case.order):
            shutil.copyfile(folder / name, target / name)
            os.utime(target / name, (T0 + 3600 * i, T0 + 3600 * i))
            load = ingest_anchor(con, cfg, target.parent)
            modes.append(load.mode)
            if load.mode == "incremental":
                assert load.files_read == [f"landing/corpus/{name}"]
        assert tables(con, cfg.code) == want
    assert modes[0] == "full"
    replaces = any(s == "superseded" for s in case.status.values())
    if not replaces and all(s == "loaded" for s in case.status.values()):
        assert set(modes[1:]) == {"incremental"}, modes


def test_changed_configuration_or_full_flag_reloads(tmp_path):
    case = next(c for c in CASES if len(c.order) > 1 and all(s == "loaded" for s in c.status.values()))
    cfg = case_config(case, tmp_path)
    landing = deliver(case, tmp_path)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ingest_anchor(con, cfg, landing)
        before = tables(con, cfg.code)
        forced = ingest_anchor(con, cfg, landing, full=True)
        assert (forced.mode, len(forced.files_read)) == ("full", len(case.order))
        assert tables(con, cfg.code) == before
        with open(cfg.config_file, "a", encoding="utf-8") as fh:
            fh.write("\n# an edit\n")
        edited = ingest_anchor(con, cfg, landing)
        assert edited.mode == "full" and "configuration" in edited.reason
        assert tables(con, cfg.code) == before
        first = sorted(landing.rglob("*.csv"))[0]
        first.unlink()
        removed = ingest_anchor(con, cfg, landing)
        assert removed.mode == "full" and "no longer" in removed.reason
        remaining = {r[0] for r in con.execute(
            f"select distinct source_file from raw.invoice_lines__{cfg.code}").fetchall()}
        assert f"landing/corpus/{first.name}" not in remaining and remaining


def test_worker_processes_for_large_loads_only(monkeypatch):
    """Worker processes for a load of two or more files with enough work (a workbook's bytes weigh
    XLSX_WEIGHT times), one per core up to MAX_PROCESSES; CWB_INGEST_PROCESSES overrides."""
    from types import SimpleNamespace

    mib = 2**20
    csv, xlsx = SimpleNamespace(format="csv"), SimpleNamespace(format="xlsx")

    def files(*sizes):
        return [SimpleNamespace(size_bytes=int(s * mib)) for s in sizes]

    monkeypatch.delenv(loader.PROCESSES_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert loader.worker_processes(files(20, 20), csv) == 2  # 40 MiB of CSV text
    assert loader.worker_processes(files(*[10] * 9), csv) == loader.MAX_PROCESSES
    assert loader.worker_processes(files(10, 10), csv) == 0  # too little work to start processes for
    assert loader.worker_processes(files(10, 10), xlsx) == 2  # the same bytes as workbooks
    assert loader.worker_processes(files(900), csv) == 0  # one file: nothing to share out
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert loader.worker_processes(files(20, 20), csv) == 0  # one core
    monkeypatch.setenv(loader.PROCESSES_ENV, "3")
    assert loader.worker_processes(files(1, 1), csv) == 2  # asked for, never more than the files
    monkeypatch.setenv(loader.PROCESSES_ENV, "0")
    assert loader.worker_processes(files(*[100] * 5), csv) == 0
    monkeypatch.setenv(loader.PROCESSES_ENV, "two")
    with pytest.raises(ValueError, match="CWB_INGEST_PROCESSES='two'"):
        loader.worker_processes(files(1, 1), csv)


def test_staged_files_stay_beside_the_warehouse_only_while_a_load_runs(tmp_path, monkeypatch):
    """A load stages its files in a folder beside the warehouse, gone when it ends; one that a killed load
    left there is removed by the next load."""
    case = next(c for c in CASES if len(c.order) > 1)
    cfg = case_config(case, tmp_path)
    landing = deliver(case, tmp_path)
    warehouse = tmp_path / "wh" / "w.duckdb"
    warehouse.parent.mkdir()
    left = warehouse.parent / f"{loader.STAGE_PREFIX}killed"
    left.mkdir()
    (left / "0.accepted.parquet").write_bytes(b"PAR1")
    seen = []
    real = loader._stage_delivery

    def spy(path, source_file, cfg, stage_prefix):
        seen.append(Path(stage_prefix).parent)
        return real(path, source_file, cfg, stage_prefix)

    monkeypatch.setattr(loader, "_stage_delivery", spy)
    monkeypatch.setenv(loader.PROCESSES_ENV, "0")
    with duckdb.connect(str(warehouse)) as con:
        ingest_anchor(con, cfg, landing)
    assert seen and {p.parent for p in seen} == {warehouse.parent}
    assert all(p.name.startswith(loader.STAGE_PREFIX) for p in seen)
    assert list(warehouse.parent.glob(f"{loader.STAGE_PREFIX}*")) == []


KILLED_PARENT = """
import os, sys, time
from ingestion import loader
if __name__ == "__main__":
    pool = loader._executor(2)
    futures = [pool.submit(time.sleep, 120) for _ in range(2)]
    while len(pool._processes or {}) < 2:
        time.sleep(0.05)
    print(" ".join(str(p) for p in pool._processes), flush=True)
    time.sleep(120)
"""


def test_worker_processes_exit_when_the_loading_process_is_killed(tmp_path):
    """A killed load (SIGKILL, the out-of-memory killer) leaves no worker process behind: each watches its
    parent and exits when it is gone, within about a second."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(KILLED_PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(loader.__file__).resolve().parent.parent)
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert len(workers) == 2

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().split(") ", 1)[1][0] != "Z"  # a zombie has exited
        except FileNotFoundError:
            return False

    assert all(alive(p) for p in workers)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in workers)
