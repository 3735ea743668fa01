"""What readers see: the marts as a read-only snapshot, and files replaced only when complete.

DuckDB lets one process write a database file, and while it writes no other process can open it, not
even to read. So the pipeline writes its working warehouse (CWB_WAREHOUSE) and, once dbt has built and
tested the marts, *publishes* them: every table of the ``marts`` schema is copied into a new DuckDB file
next to the published one, which then replaces it in one ``rename`` (atomic on POSIX file systems).
Analysts, the dashboard build and the exports read the published snapshot; a run that fails or is killed
before it publishes leaves the last good snapshot, dashboard and exports as they were. A reader that
has the old snapshot open keeps reading it (the old file lives on until it is closed).

Every published file (snapshot, dashboard, workbook, Parquet files, Koop Lokaal files) is written under a
``.tmp-*`` name beside its final one; leftovers of a killed run are removed by the next publish.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb

TMP_PREFIX = ".tmp-"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path_for(final: Path) -> Path:
    """A fresh temporary path beside ``final`` (same directory, so the rename stays on one file system)."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    return final.parent / f"{TMP_PREFIX}{uuid.uuid4().hex[:12]}-{final.name}"


def replace_atomically(tmp: Path, final: Path) -> None:
    """Move a completely written file into place in one step (the data first on disk, then the name)."""
    tmp, final = Path(tmp), Path(final)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    _fsync_dir(final.parent)


def remove_leftovers(folder: Path) -> list[Path]:
    """Delete the ``.tmp-*`` files a killed run left anywhere under ``folder``; returns what was removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = [p for p in folder.rglob(f"{TMP_PREFIX}*") if p.is_file()]
    for p in removed:
        p.unlink(missing_ok=True)
    return removed


def publish_marts(con: duckdb.DuckDBPyConnection, final: Path, schemas: tuple[str, ...] = ("marts",),
                  leave_out: tuple[str, ...] = ()) -> dict:
    """Copy every table and view of ``schemas`` (views as tables) but those named in ``leave_out``
    (``schema.name``) from the working warehouse into a new snapshot file and move it into place.
    Returns {schema.table: rows}."""
    final = Path(final)
    remove_leftovers(final.parent)
    tmp = temp_path_for(final)
    counts: dict[str, int] = {}
    con.execute(f"attach '{tmp}' as snapshot")
    try:
        for schema in schemas:
            con.execute(f"create schema if not exists snapshot.{schema}")
            relations = [r[0] for r in con.execute(
                "select table_name from information_schema.tables where table_catalog = current_database() "
                "and table_schema = ? order by table_name", [schema]).fetchall()]
            for name in relations:
                if f"{schema}.{name}" in leave_out:
                    continue
                con.execute(f'create table snapshot.{schema}."{name}" as select * from {schema}."{name}"')
                counts[f"{schema}.{name}"] = con.execute(
                    f'select count(*) from snapshot.{schema}."{name}"').fetchone()[0]
        con.execute("checkpoint snapshot")
    finally:
        con.execute("detach snapshot")
    wal = tmp.parent / (tmp.name + ".wal")
    if wal.exists():  # nothing should be left in a WAL after the checkpoint; never publish one
        raise RuntimeError(f"snapshot {tmp} still has a write-ahead log after checkpoint")
    replace_atomically(tmp, final)
    return counts


def prune_run_folders(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Keep the ``keep`` newest folders matching ``pattern`` (for example dbt's per-run target folders)
    and delete the rest; returns what was deleted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    runs = sorted((p for p in folder.glob(pattern) if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    gone = runs[keep:]
    for p in gone:
        shutil.rmtree(p, ignore_errors=True)
    return gone
