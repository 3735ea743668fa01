"""Loading the KvK establishment extract a person delivers (``landing/kvk/vestigingen*.csv``).

Text columns as delivered, numbers and dates by ``try_cast``; two things found by fuzzing
(tests/test_fuzz_inputs.py):

- the CSV dialect's quote and escape are fixed to RFC 4180's ``"`` (what the KvK extract, the generator
  and ``kvk_api.write_extract_csv`` write). Left to DuckDB's sniffer, a file whose only quoted fields
  hold a comma can be sniffed as quoted with ``'``, and the fields of those rows shift one column to
  the right without any error;
- a file that is not such an extract (empty, not UTF-8, a missing column, not a CSV at all) stops with
  one :class:`KvkExtractError` naming the file and what is wrong, instead of a DuckDB binder or
  conversion error from the middle of the load; a date cell ``infinity`` becomes NULL like any other
  unreadable date (pandas cannot hold DuckDB's infinite dates).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import duckdb

from ingestion.kvk_api import KVK_COLUMNS

# The delimiter is sniffed (comma or semicolon), the quoting is not: see the module docstring.
_READ_CSV = "read_csv(?, header = true, all_varchar = true, quote = '\"', escape = '\"')"


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
        rows = con.execute(f"describe select * from {_READ_CSV}", [str(path)]).fetchall()
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
    dates = {column: f"case when isfinite(try_cast({column} as date)) then try_cast({column} as date) end"
             for column in ("registratie_datum_aanvang", "peildatum")}
    try:
        con.execute("create schema if not exists raw")
        con.execute(f"""
            create or replace table raw.kvk_establishments as
            select * replace (
                try_cast(huisnummer as integer) as huisnummer,
                try_cast(totaal_werkzame_personen as integer) as totaal_werkzame_personen,
                {dates["registratie_datum_aanvang"]} as registratie_datum_aanvang,
                {dates["peildatum"]} as peildatum
            )
            from {_READ_CSV}
        """, [str(path)])
        return con.execute("select count(*) from raw.kvk_establishments").fetchone()[0]
    except duckdb.Error as exc:
        raise KvkExtractError(f"{path.name}: cannot be loaded as the KvK extract: {_first_line(exc)}") from None
