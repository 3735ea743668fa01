"""Load one anchor's deliveries into the warehouse file by file, and only what changed.

``read_anchor`` (ingestion.exports) reads a whole landing folder into memory: right for ``cwb validate``
and for a few years of one anchor, not for ten years of every anchor. This loader gives the warehouse
the same result while holding only a few delivery files in memory, and skips the files it has already
loaded:

* Each delivery is identified by its content hash. A delivery already in ``raw.deliveries`` with the
  same hash and the same *loader fingerprint* (the anchor's configuration file and the ingestion code
  that read it) is not read again: its rows are in the warehouse and its log entry is kept.
* **incremental**: only new files are read, when they come after every file already loaded (delivery
  order) and replace none of them (another declared period). Their lines are appended.
* **full**: otherwise (first load, configuration or code changed, a loaded file changed, disappeared
  or is replaced by a later delivery of its period, a new file sorts before a loaded one): the
  anchor's rows are removed and every file is read again, one at a time.
* **unchanged**: nothing new; only the hashes are computed.

Whatever the mode, everything happens in one transaction: a failed or killed load leaves the anchor's
previous tables untouched. Duplicate invoice lines across files are found in DuckDB (first occurrence
in delivery order wins, as in ``read_anchor``); rows, euros and the delivery log reconcile exactly as
with ``read_anchor`` + ``write_anchor`` (tests/test_loader.py compares the two on every corpus case).

Each file is read and mapped onto the contract (``read_export``, ``canonicalise``) away from the main
thread, and what it gives (accepted lines, rejected rows, field issues) is staged as Parquet files that
the main thread appends to the warehouse with DuckDB alone (``_stage_delivery``). A load of several large
files does this in worker processes, one per core (``worker_processes``): reading and mapping is Python
work that holds the GIL, so threads could not use the second core for it. Smaller loads use one thread.
Either way the files are appended in delivery order, and at most one file per worker is in memory.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from ingestion import config as config_module
from ingestion import deliveries as deliveries_module
from ingestion import exports as exports_module
from ingestion import messages as messages_module
from ingestion.config import AnchorConfig
from ingestion.deliveries import Delivery, plan_deliveries
from ingestion.exports import DeliveryError, _supersede, canonicalise, check_columns, read_export
from ingestion.messages import MESSAGES
from ingestion.warehouse import (
    create_invoice_table,
    ensure_raw_tables,
    insert_accepted,
    insert_deliveries,
    insert_issues,
    insert_rejected,
    invoice_table,
)

# Delivery files read and mapped ahead in a thread (a load that uses no worker processes) while the main
# thread appends the staged one.
READ_AHEAD = 1
# Worker processes read and map the files of a load with more than one file to read and at least this many
# bytes, a workbook's bytes counted XLSX_WEIGHT times (README "Scale and speed"); below it, starting them
# (about half a second each) is not worth it.
PROCESS_MIN_BYTES = 32 * 2**20
# A workbook's compressed XML takes about eight times as long per byte to read and map as CSV text (at 10M
# lines: 0.29 s per MB for OLVG's workbooks, 0.036 s per MB for Gemeente Amsterdam's CSV files).
XLSX_WEIGHT = 8
# At most this many worker processes, whatever the number of cores: each holds one file in memory.
MAX_PROCESSES = 4
# The number of worker processes, overriding the above; 0 reads every load in a thread.
PROCESSES_ENV = "CWB_INGEST_PROCESSES"
# The tables a file is staged in: its accepted lines go to the anchor's table, the rejected rows and field
# issues to the warehouse's tables of the same name.
_STAGED_ACCEPTED = "raw.accepted"
_STAGED_TABLES = (_STAGED_ACCEPTED, "raw.rejected_rows", "raw.field_issues")
# The folder of a load's staged files, beside the warehouse file.
STAGE_PREFIX = ".tmp-stage-"
_FINGERPRINT_MODULES = (exports_module, config_module, deliveries_module, messages_module)


def loader_fingerprint(cfg: AnchorConfig) -> str:
    """What decides how a file's bytes become rows: the anchor's configuration and the reading code.
    A change of either reloads the anchor's files."""
    digest = hashlib.sha256()
    config_file = Path(cfg.config_file)
    digest.update(config_file.read_bytes() if config_file.is_file() else repr(cfg).encode())
    for module in _FINGERPRINT_MODULES:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class AnchorIngest:
    """What one load did: the mode, the files it read, and the delivery log of every file."""

    anchor_code: str
    mode: str  # full | incremental | unchanged
    reason: str
    deliveries: list[Delivery]
    files_read: list[str] = field(default_factory=list)
    worker_processes: int = 0  # that read and mapped the files (0: a thread did)
    # The pandera gate (ingestion.schemas.invoice_lines_schema) on each file's lines as stored: its first
    # failure cases, empty when every file read passed.
    gate_failures: list[dict] = field(default_factory=list)

    @property
    def rejected_files(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == "rejected"]


def _cents(euros) -> int | None:
    return None if euros is None else int(Decimal(euros) * 100)


def _stored_deliveries(con: duckdb.DuckDBPyConnection, anchor_code: str) -> dict[str, dict]:
    rows = con.execute("select * from raw.deliveries where anchor_code = ?", [anchor_code]).fetchall()
    names = [c[0] for c in con.description]
    return {r["source_file"]: r for r in (dict(zip(names, row, strict=True)) for row in rows)}


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? "
                            "and table_name = ?", [schema, name]).fetchone()[0])


def _restore(d: Delivery, record: dict) -> None:
    """A delivery already loaded: its outcome as logged."""
    d.status = record["status"]
    d.duplicate_of, d.superseded_by = record["duplicate_of"], record["superseded_by"]
    d.reason = record["reason"]
    for part in ("read", "loaded", "rejected", "superseded"):
        setattr(d, f"rows_{part}", record[f"rows_{part}"])
        setattr(d, f"cents_{part}", _cents(record[f"euros_{part}"]))


def _plan_mode(deliveries: list[Delivery], stored: dict[str, dict], fingerprint: str,
               table_exists: bool) -> tuple[str, str]:
    if not table_exists or not stored:
        return "full", "first load of this anchor"
    if any(r["loader_fingerprint"] != fingerprint for r in stored.values()):
        return "full", "the anchor's configuration or the ingestion code changed"
    current = {d.source_file: d for d in deliveries}
    for name, record in stored.items():
        if name not in current:
            return "full", f"{name} is no longer in the landing folder"
        if current[name].sha256 != record["sha256"]:
            return "full", f"{name} changed since it was loaded"
    new = [d for d in deliveries if d.source_file not in stored and d.status != "duplicate"]
    if not new:
        return "unchanged", "no new files"
    order = {d.source_file: i for i, d in enumerate(deliveries)}
    kept = [n for n, r in stored.items() if r["status"] in ("loaded", "superseded")]
    last_kept = max((order[n] for n in kept), default=-1)
    periods = {stored[n]["declared_period"] for n in kept} - {None}
    for d in new:
        if order[d.source_file] < last_kept:
            return "full", f"{d.source_file} was delivered before files already loaded"
        if d.declared_period in periods:
            return "full", f"{d.source_file} replaces an earlier delivery of period {d.declared_period}"
    return "incremental", f"{len(new)} new file(s)"


def ingest_anchor(con: duckdb.DuckDBPyConnection, cfg: AnchorConfig, landing_dir: Path,
                  full: bool = False) -> AnchorIngest:
    """Bring ``raw.invoice_lines__<anchor>``, ``raw.rejected_rows``, ``raw.field_issues`` and
    ``raw.deliveries`` up to the anchor's landing folder, in one transaction. ``full`` forces a reload.
    Raises DeliveryError only when the anchor has no files at all."""
    landing_dir = Path(landing_dir)
    paths = cfg.source_files(landing_dir)
    if not paths:
        raise DeliveryError(f"{landing_dir}/{cfg.files}", "file_unreadable", format=cfg.format,
                            detail=f"no files match '{cfg.files}' (anchor {cfg.code}, {cfg.config_file})")
    deliveries = plan_deliveries(cfg, paths, landing_dir.parent)
    fingerprint = loader_fingerprint(cfg)
    table = invoice_table(cfg.code)
    ensure_raw_tables(con)
    stored = _stored_deliveries(con, cfg.code)
    mode, reason = _plan_mode(deliveries, stored, fingerprint, _table_exists(con, table))
    if full and mode != "full":
        mode, reason = "full", "a full reload was asked for"
    if mode == "unchanged":
        for d in deliveries:
            if d.status != "duplicate":
                _restore(d, stored[d.source_file])
        if {d.source_file for d in deliveries} != set(stored):  # a new copy of a loaded file: log it
            con.execute("begin transaction")
            con.execute("delete from raw.deliveries where anchor_code = ?", [cfg.code])
            insert_deliveries(con, [d.as_record() for d in deliveries], fingerprint)
            con.execute("commit")
        return AnchorIngest(cfg.code, mode, reason, deliveries)

    con.execute("begin transaction")
    try:
        if mode == "full":
            create_invoice_table(con, table)
            for t in ("rejected_rows", "field_issues"):
                con.execute(f"delete from raw.{t} where anchor_code = ?", [cfg.code])
        else:
            for d in deliveries:
                if d.source_file in stored and d.status != "duplicate":
                    _restore(d, stored[d.source_file])
        to_read = [d for d in deliveries if d.status != "duplicate" and (mode == "full" or d.source_file not in stored)]
        counts = {}
        gate_failures: list[dict] = []
        processes = worker_processes(to_read, cfg)
        ahead = processes or READ_AHEAD
        # Files are read, mapped and staged ahead (by worker processes, or a thread) while the main thread
        # appends the staged files in delivery order; at most ``ahead`` files are in memory at once.
        with tempfile.TemporaryDirectory(prefix=STAGE_PREFIX, dir=_stage_parent(con)) as stage_dir, \
                _executor(processes) as workers:
            def submit(n: int) -> Future:
                return workers.submit(_stage_delivery, to_read[n].path, to_read[n].source_file, cfg,
                                      os.path.join(stage_dir, str(n)))

            pending: list[Future] = [submit(n) for n in range(min(ahead, len(to_read)))]
            for i, d in enumerate(to_read):
                staged = pending.pop(0).result()
                if i + ahead < len(to_read):
                    pending.append(submit(i + ahead))
                if staged.error is not None:
                    d.status, d.reason, d.reason_code = "rejected", staged.error.message("en"), staged.error.code
                    d.error = staged.error
                    continue
                d.warnings = staged.warnings
                gate_failures += staged.gate_failures
                for staged_table, file in staged.files.items():
                    target = table if staged_table == _STAGED_ACCEPTED else staged_table
                    con.execute(f"insert into {target} by name select * from read_parquet(?)", [file])
                    os.remove(file)
                counts[d.source_file] = (staged.rows_read, staged.cents_read)
        _supersede(deliveries)
        read_names = [d.source_file for d in to_read if d.status != "rejected"]
        gone = [d.source_file for d in to_read if d.status == "superseded"]
        if gone:
            con.execute(f"delete from {table} where source_file in (select unnest(?))", [gone])
            for t in ("rejected_rows", "field_issues"):
                con.execute(f"delete from raw.{t} where anchor_code = ? and source_file in (select unnest(?))",
                            [cfg.code, gone])
        active = [d.source_file for d in deliveries if d.status == "loaded"]
        checked = [n for n in read_names if n not in gone]
        _reject_cross_file_duplicates(con, cfg, table, active, checked)
        _count(con, cfg.code, table, to_read, counts)
        con.execute("delete from raw.deliveries where anchor_code = ?", [cfg.code])
        insert_deliveries(con, [d.as_record() for d in deliveries], fingerprint)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return AnchorIngest(cfg.code, mode, reason, deliveries, files_read=[d.source_file for d in to_read],
                        worker_processes=processes, gate_failures=gate_failures)


def worker_processes(to_read: list[Delivery], cfg: AnchorConfig) -> int:
    """How many worker processes read and map the files ``to_read``: none (a thread does) for a single
    file, less work than ``PROCESS_MIN_BYTES`` or a single core, else one per core, at most
    ``MAX_PROCESSES`` and never more than there are files. ``CWB_INGEST_PROCESSES`` sets the number (0: a
    thread, always).

    The processes are started with "spawn", which imports the main module of the program again: a script
    that calls ``ingest_anchor`` must keep its own work under ``if __name__ == "__main__":``, as with any
    use of multiprocessing. A program started as ``python -m <package>`` (how Dagster's run launcher starts
    a run, and ``make run``) is not imported again; the ``dagster`` script would be (one second more per
    worker process)."""
    wanted = os.environ.get(PROCESSES_ENV, "").strip()
    if wanted:
        if not wanted.isdigit():
            raise ValueError(f"{PROCESSES_ENV}={wanted!r}: expected a whole number of processes (0 for none)")
        return min(int(wanted), len(to_read))
    weight = XLSX_WEIGHT if cfg.format == "xlsx" else 1
    if len(to_read) < 2 or weight * sum(d.size_bytes or 0 for d in to_read) < PROCESS_MIN_BYTES:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    n = min(cores, MAX_PROCESSES, len(to_read))
    return n if n >= 2 else 0  # one worker process on one core would only add the cost of starting it


def _stage_parent(con: duckdb.DuckDBPyConnection) -> str | None:
    """Where a load stages its files: beside the warehouse file (None, the system's temporary folder, for a
    database in memory). The staging folder goes when the load ends, also when it fails; one that a killed
    load left there is removed here, which is safe because the caller holds the warehouse's write lock."""
    row = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    if not row or not row[0]:
        return None
    folder = Path(row[0]).resolve().parent
    for stale in folder.glob(f"{STAGE_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)
    return str(folder)


def _executor(processes: int) -> Executor:
    if processes:
        # spawn, not fork: the pipeline's process runs threads (Dagster's, DuckDB's), which fork would copy
        # in whatever state they are.
        return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_exit_with_parent, initargs=(os.getpid(),))
    return ThreadPoolExecutor(max_workers=READ_AHEAD, thread_name_prefix="cwb-read-ahead")


def _exit_with_parent(parent: int, every_s: float = 1.0) -> None:
    """In a worker process: exit as soon as the loading process is gone. A pool's workers outlive a parent
    that is killed (SIGKILL, the out-of-memory killer), and would go on reading files for nobody."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(1)

    threading.Thread(target=watch, name="cwb-exit-with-parent", daemon=True).start()


@dataclass
class _Staged:
    """One delivery file read, mapped and staged (``_stage_delivery``), or the DeliveryError that makes it
    unusable."""

    error: DeliveryError | None = None
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0
    cents_read: int = 0
    files: dict[str, str] = field(default_factory=dict)  # staged table (_STAGED_TABLES) -> Parquet file
    gate_failures: list[dict] = field(default_factory=list)


def _stage_delivery(path: Path, source_file: str, cfg: AnchorConfig, stage_prefix: str) -> _Staged:
    """Read one delivery file (``read_export``), map it onto the contract (``canonicalise``) and write its
    accepted lines, rejected rows and field issues, with the warehouse's own column types, to Parquet
    files ``<stage_prefix>.<table>.parquet`` (only the non-empty ones), which the main thread appends to
    the warehouse as they are. The pandera gate of the anchor asset runs here too, on the accepted lines
    as staged (``gate_stored_files``: in DuckDB, on the staged table), so that it shares the worker
    processes. Runs in a worker process or thread."""
    from ingestion.schemas import gate_stored_files, invoice_lines_schema  # pandera: only where it runs

    try:
        frame = read_export(path, cfg, source_file)
        warnings = check_columns(frame, cfg, source_file)
    except DeliveryError as exc:
        return _Staged(error=exc)
    result = canonicalise([(source_file, frame)], cfg)
    del frame
    staged = _Staged(warnings=warnings, rows_read=result.rows_read, cents_read=result.cents_read)
    # No progress bar: DuckDB would draw it on the run's output for the longer queries of a large file.
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        ensure_raw_tables(con)
        create_invoice_table(con, _STAGED_ACCEPTED)
        insert_accepted(con, _STAGED_ACCEPTED, result.accepted)
        insert_rejected(con, result.rejected)
        insert_issues(con, result.field_issues)
        del result
        staged.gate_failures = gate_stored_files(con, _STAGED_ACCEPTED, [source_file],
                                                 invoice_lines_schema(cfg.line_identity))
        for staged_table in _STAGED_TABLES:
            if con.execute(f"select count(*) from {staged_table}").fetchone()[0]:
                file = f"{stage_prefix}.{staged_table.split('.')[1]}.parquet"
                con.execute(f"copy {staged_table} to '{file.replace(chr(39), chr(39) * 2)}' (format parquet)")
                staged.files[staged_table] = file
    return staged


def _reject_cross_file_duplicates(con: duckdb.DuckDBPyConnection, cfg: AnchorConfig, table: str,
                                  active: list[str], checked: list[str]) -> None:
    """A line whose identity an earlier line (delivery order, then row) already has is moved to the
    rejected rows; only identities occurring in the ``checked`` files can be new duplicates."""
    if not checked:
        return
    identity = list(cfg.line_identity)
    cols = ", ".join(identity)
    on = " and ".join(f"t.{c} is not distinct from k.{c}" for c in identity)
    template = MESSAGES["duplicate_line"][0]
    con.execute("create or replace temp table _file_order (source_file varchar, ord integer)")
    con.executemany("insert into _file_order values (?, ?)", [[f, i] for i, f in enumerate(active)])
    con.execute(f"""
        create or replace temp table _duplicates as
        with keys as (
            select distinct {cols} from {table} where source_file in (select unnest($checked))
        ), candidates as (
            select t.rowid as rid, t.source_file, t.source_row, t.invoice_id, t.amount_excl_vat, o.ord,
                   {", ".join(f"t.{c}" for c in identity)}
            from {table} t join _file_order o using (source_file)
            {"" if set(checked) >= set(active) else f"where exists (select 1 from keys k where {on})"}
        ), ranked as (
            select *,
                   row_number() over w as rn,
                   first_value(source_file) over w as first_file,
                   first_value(source_row) over w as first_row
            from candidates
            window w as (partition by {cols} order by ord, source_row
                         rows between unbounded preceding and current row)
        )
        select rid, source_file, source_row, invoice_id, amount_excl_vat, first_file, first_row
        from ranked where rn > 1
    """, {"checked": checked})
    con.execute("""
        insert into raw.rejected_rows by name
        select $anchor as anchor_code, source_file, source_row, 'invoice_id' as field, $column as "column",
               invoice_id as value, 'duplicate_line' as reason_code,
               replace(replace($template, '{first_file}', first_file), '{first_row}', first_row::varchar) as reason,
               amount_excl_vat as amount_eur
        from _duplicates
    """, {"anchor": cfg.code, "column": cfg.columns.get("invoice_id", "invoice_id"), "template": template})
    con.execute(f"delete from {table} where rowid in (select rid from _duplicates)")
    con.execute("drop table _duplicates")
    con.execute("drop table _file_order")


def _count(con: duckdb.DuckDBPyConnection, anchor_code: str, table: str, read: list[Delivery],
           counts: dict[str, tuple[int, int]]) -> None:
    """Rows and euros per file read in this load: read from the file, loaded and rejected as stored."""
    names = [d.source_file for d in read]
    loaded = dict(((f, (n, c)) for f, n, c in con.execute(
        f"select source_file, count(*), coalesce((sum(amount_excl_vat) * 100)::bigint, 0) from {table} "
        "where source_file in (select unnest(?)) group by 1", [names]).fetchall()))
    rejected = dict(((f, (n, c)) for f, n, c in con.execute(
        "select source_file, count(*), coalesce((sum(amount_eur) * 100)::bigint, 0) from raw.rejected_rows "
        "where anchor_code = ? and source_file in (select unnest(?)) group by 1", [anchor_code, names]).fetchall()))
    for d in read:
        if d.status == "rejected":
            continue
        rows, cents = counts.get(d.source_file, (0, 0))
        d.rows_read, d.cents_read = rows, cents
        if d.status == "superseded":
            d.rows_superseded, d.cents_superseded = rows, cents
            d.rows_loaded = d.rows_rejected = d.cents_loaded = d.cents_rejected = 0
        else:
            d.rows_loaded, d.cents_loaded = loaded.get(d.source_file, (0, 0))
            d.rows_rejected, d.cents_rejected = rejected.get(d.source_file, (0, 0))
            d.rows_superseded = d.cents_superseded = 0
