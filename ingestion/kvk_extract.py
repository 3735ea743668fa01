"""Loading the KvK establishment extract a person delivers (``landing/kvk/vestigingen*.csv``).

``ingestion.warehouse.load_kvk_extract`` does the load; this module makes sure that a file which is not
such an extract (empty, another encoding, a missing column, not a CSV at all) stops with one
:class:`KvkExtractError` that names the file and what is wrong, instead of a DuckDB binder or
conversion error from the middle of the load.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import duckdb

from ingestion.kvk_api import KVK_COLUMNS
from ingestion.warehouse import load_kvk_extract


class KvkExtractError(ValueError):
    """A KvK extract that cannot be loaded; the message names the file."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def extract_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """The extract's header as DuckDB's CSV reader sees it (the same reader the load uses)."""
    path = Path(path)
    if not path.is_file():
        raise KvkExtractError(f"{path}: not found")
    if path.stat().st_size == 0:
        raise KvkExtractError(f"{path.name}: the file is empty")
    try:
        rows = con.execute("describe select * from read_csv(?, header = true, all_varchar = true)",
                           [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise KvkExtractError(f"{path.name}: cannot be read as a CSV file: {_first_line(exc)}") from None
    return [r[0] for r in rows]


def read_kvk_extract(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Check the extract's columns, then load it into ``raw.kvk_establishments``. Returns the row count.

    Raises KvkExtractError naming the file (and the missing columns, with the nearest header present)."""
    path = Path(path)
    headers = extract_columns(con, path)
    missing = [c for c in KVK_COLUMNS if c not in headers]
    if missing:
        near = {m: difflib.get_close_matches(m, headers, n=1, cutoff=0.6) for m in missing}
        hints = [f"{n[0]!r} for {m!r}" for m, n in near.items() if n]
        hint = f"; did you mean {', '.join(hints)}?" if hints else f"; the file has {headers[:30]}"
        raise KvkExtractError(f"{path.name}: required column(s) {missing} not in the file{hint}")
    try:
        n = load_kvk_extract(con, path)
        # DuckDB reads the words 'infinity' and '-infinity' as dates, which pandas cannot hold: a date that
        # is no date is NULL, as any other unreadable date is (try_cast).
        for column in ("registratie_datum_aanvang", "peildatum"):
            con.execute(f"update raw.kvk_establishments set {column} = null where not isfinite({column})")
    except duckdb.Error as exc:
        raise KvkExtractError(f"{path.name}: cannot be loaded as the KvK extract: {_first_line(exc)}") from None
    return n
