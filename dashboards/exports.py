"""Exports for analysts: every mart as Parquet and (where Excel can hold it) as a sheet of one workbook.

Plain Python (no Dagster), reading the warehouse with a read-only DuckDB connection:

- ``export_parquet``: one file per mart, ``<out>/parquet/<mart>.parquet``, written by DuckDB's own
  ``COPY ... TO ... (FORMAT parquet)`` with the technical column names and the warehouse's types.
- ``export_excel``: ``<out>/cwb_marts.xlsx`` with a sheet "Over deze export" (date of the data, build time,
  metric_definition_version, the synthetic-sample notice, units), a sheet "Definities" (per mart and
  column: Dutch header, technical name, data type and the dbt definition, read from dbt's manifest.json)
  and one sheet per mart with Dutch headers (``dashboards/labels_nl.py``). Amounts are numbers with the
  format ``#,##0.00`` and shares are percentages, so Excel shows them in the reader's own locale.
  A mart of more rows than the workbook's limit (``CWB_EXCEL_MAX_ROWS``, default 100,000; at most
  Excel's 1,048,575 data rows of a sheet) is Parquet only, and the workbook says so.

Both read the publication views (schema ``publication``, one per mart, same names; docs/architecture.md,
"Privacy"), never the marts themselves: figures that would reveal what a sole trader or partnership earns
are NULL there (an empty cell), as each row's ``is_suppressed`` flags say. The line-level
``fct_invoice_lines`` has no publication view and is not exported: one sole trader's lines add up to
its income. Both write to a temporary name and rename, so a reader never sees half a file. Nothing
exported holds names of natural persons, identifying numbers or free text (tests/test_privacy.py scans
these files).

    python -m dashboards.exports --warehouse data/warehouse/cwb.duckdb --out data/output/exports \
        [--manifest dbt_project/target/manifest.json] [--synthetic]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import xlsxwriter

from dashboards.labels_nl import COLUMNS_NL, MARTS_NL, column_label
from dashboards.spend_dashboard import format_count
from ingestion.publish import replace_atomically, temp_path_for
from ingestion.warehouse import memory_limit

SCHEMA = "publication"  # what may leave the platform (dbt models/publication/)
WORKBOOK_NAME = "cwb_marts.xlsx"
PARQUET_DIR = "parquet"
# Excel's limit is 1,048,576 rows per sheet, one of which is the header.
EXCEL_MAX_DATA_ROWS = 1_048_575
# The workbook's own limit: a mart of more rows is Parquet only. A sheet of hundreds of thousands of rows
# is a listing to filter and join, which Parquet serves better (Power BI, Power Query, DuckDB, pandas, R),
# opens slowly in Excel, and is written one cell at a time: at 10 million invoice lines, fct_credit_notes
# (259,490 rows x 13 columns, 3.4 of the workbook's 4.4 million cells) took 13-16 of its 23-27 s (README
# "Scale and speed"). Set CWB_EXCEL_MAX_ROWS up to EXCEL_MAX_DATA_ROWS to keep such marts in the workbook.
EXCEL_MAX_ROWS_ENV = "CWB_EXCEL_MAX_ROWS"
DEFAULT_EXCEL_MAX_ROWS = 100_000
# Line-level marts: Parquet only, whatever their size (10 million lines at scale, and writing 678k rows
# cell by cell would take minutes).
PARQUET_ONLY = frozenset({"fct_invoice_lines"})
SHEET_ABOUT = "Over deze export"
SHEET_DEFINITIONS = "Definities"
TZ = ZoneInfo("Europe/Amsterdam")

FMT_AMOUNT = "#,##0.00"
FMT_SHARE = "0.00%"
FMT_COUNT = "#,##0"
FMT_DECIMAL = "0.00"
FMT_DATE = "dd-mm-yyyy"
FMT_TIMESTAMP = "dd-mm-yyyy hh:mm:ss"


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str  # as DuckDB's information_schema spells it, e.g. DECIMAL(18,2)


@dataclass
class MartInfo:
    name: str
    columns: list[Column]
    n_rows: int


@dataclass
class ExportResult:
    path: Path
    size_bytes: int
    seconds: float
    rows: dict[str, int]  # mart -> rows written
    left_out: dict[str, str] = field(default_factory=dict)  # mart -> why it is not in this file


# --------------------------------------------------------------------------------------------------
# Reading the warehouse and the dbt docs
# --------------------------------------------------------------------------------------------------

def connect_read_only(warehouse_path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    path = Path(warehouse_path)
    if not path.exists():
        raise FileNotFoundError(f"DuckDB warehouse not found: {path}")
    con = duckdb.connect(str(path), read_only=True)
    # Sorting the line-level mart for its Parquet file would otherwise take most of the machine's memory:
    # the pipeline's DuckDB budget applies here too (DuckDB spills beyond it).
    con.execute(f"set memory_limit = '{memory_limit()}'")
    return con


def list_marts(con: duckdb.DuckDBPyConnection) -> list[MartInfo]:
    """Every table and view of schema ``publication`` with its columns (in table order) and row count,
    in the order of ``MARTS_NL`` (the reading order of the workbook), unknown marts after them."""
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position", [SCHEMA]).fetchall()
    columns: dict[str, list[Column]] = {}
    for table, column, data_type in rows:
        columns.setdefault(table, []).append(Column(column, data_type))
    order = {m: i for i, m in enumerate(MARTS_NL)}
    marts = []
    for name in sorted(columns, key=lambda m: (order.get(m, len(order)), m)):
        n_rows = con.execute(f"select count(*) from {_table(name)}").fetchone()[0]
        marts.append(MartInfo(name, columns[name], int(n_rows)))
    return marts


def load_definitions(manifest_path: str | os.PathLike[str] | None) -> dict[str, dict[str, Any]]:
    """mart -> {"description": str, "columns": {column: description}} from dbt's manifest.json
    (the models under models/marts). Empty when there is no manifest."""
    if manifest_path is None or not Path(manifest_path).exists():
        return {}
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    out: dict[str, dict[str, Any]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        if not str(node.get("original_file_path", "")).startswith("models/marts/"):
            continue
        out[node["name"]] = {
            "description": _clean(node.get("description")),
            "columns": {c: _clean(v.get("description")) for c, v in node.get("columns", {}).items()},
        }
    # A column documented in one mart but not in another (e.g. metric_definition_version) borrows the
    # first description found for that column name.
    fallback: dict[str, str] = {}
    for mart in sorted(out):
        for column, text in out[mart]["columns"].items():
            if text and column not in fallback:
                fallback[column] = text
    for mart in out.values():
        for column, text in mart["columns"].items():
            if not text:
                mart["columns"][column] = fallback.get(column, "")
    return out


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _order_by(mart: MartInfo) -> str:
    """A stable row order: every column in table order, surrogate keys (hashes, ``*_key``) last, so rows
    group by anchor, year and the like (and Parquet compresses better than in hash order)."""
    names = [c.name for c in mart.columns]
    ordered = [n for n in names if not n.endswith("_key")] + [n for n in names if n.endswith("_key")]
    return "order by " + ", ".join(f'"{n}"' for n in ordered)


def _local(moment: datetime) -> datetime:
    """Amsterdam wall-clock time without tzinfo (Excel has no time zones); a naive time is taken as is."""
    return moment if moment.tzinfo is None else moment.astimezone(TZ).replace(tzinfo=None)


def _table(mart: str) -> str:
    return f'{SCHEMA}."{mart.replace(chr(34), chr(34) * 2)}"'


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def data_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The date of the data: the latest invoice date of any delivered file
    (fct_delivery_reconciliation.last_invoice_date: a date, not a figure)."""
    found = con.execute("select count(*) from information_schema.columns where table_schema = ? "
                        "and table_name = 'fct_delivery_reconciliation' and column_name = 'last_invoice_date'",
                        [SCHEMA]).fetchone()[0]
    if not found:
        return None
    return con.execute(f"select max(last_invoice_date) from {_table('fct_delivery_reconciliation')}").fetchone()[0]


def metric_definition_versions(con: duckdb.DuckDBPyConnection, marts: Iterable[MartInfo]) -> list[str]:
    versions: set[str] = set()
    for mart in marts:
        if any(c.name == "metric_definition_version" for c in mart.columns):
            versions |= {v for (v,) in con.execute(
                f"select distinct metric_definition_version from {_table(mart.name)} "
                "where metric_definition_version is not null").fetchall()}
    return sorted(versions)


def placement_bases(con: duckdb.DuckDBPyConnection, marts: Iterable[MartInfo]) -> list[str]:
    if "fct_spend_by_tier" not in {m.name for m in marts}:
        return []
    return sorted(v for (v,) in con.execute(
        f"select distinct placement_basis from {_table('fct_spend_by_tier')} where placement_basis is not null"
    ).fetchall())


# --------------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------------

def export_parquet(warehouse_path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                   built_at: datetime | None = None, log: Callable[[str], None] = print) -> ExportResult:
    """Every mart to ``<out_dir>/parquet/<mart>.parquet`` by DuckDB's COPY (zstd, technical column
    names, the warehouse's types, rows in a stable order: ``_order_by``). Files of marts that no longer exist go."""
    start = time.perf_counter()
    built_at = built_at or datetime.now(TZ)
    target = Path(out_dir) / PARQUET_DIR
    target.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    size = 0
    with connect_read_only(warehouse_path) as con:
        marts = list_marts(con)
        for mart in marts:
            final = target / f"{mart.name}.parquet"
            tmp = temp_path_for(final)
            kv = {"cwb_mart": f"{SCHEMA}.{mart.name}", "cwb_built_at": built_at.isoformat(timespec="seconds")}
            kv_sql = ", ".join(f"{k}: {_sql_literal(v)}" for k, v in kv.items())
            n = con.execute(
                f"copy (select * from {_table(mart.name)} {_order_by(mart)}) to {_sql_literal(str(tmp))} "
                f"(format parquet, compression zstd, kv_metadata {{{kv_sql}}})").fetchone()[0]
            replace_atomically(tmp, final)
            rows[mart.name] = int(n)
            size += final.stat().st_size
    current = {f"{m}.parquet" for m in rows}
    for stale in target.glob("*.parquet"):
        if stale.name not in current:
            stale.unlink()
            log(f"removed {stale.name}: no such mart any more")
    return ExportResult(target, size, time.perf_counter() - start, rows)


# --------------------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------------------

def sheet_names(marts: Iterable[str]) -> dict[str, str]:
    """mart -> sheet name: the Dutch name of labels_nl, else the technical name cut to 31 characters;
    unique (case-insensitive, as Excel compares them) and never one of the fixed sheets."""
    taken = {SHEET_ABOUT.lower(), SHEET_DEFINITIONS.lower()}
    out = {}
    for mart in marts:
        base = MARTS_NL[mart][0] if mart in MARTS_NL else mart
        base = "".join("_" if ch in "[]:*?/\\" else ch for ch in base)[:31]
        name, i = base, 2
        while name.lower() in taken:
            suffix = f" ({i})"
            name, i = base[: 31 - len(suffix)] + suffix, i + 1
        taken.add(name.lower())
        out[mart] = name
    return out


def number_format(column: Column) -> str | None:
    """The Excel number format of a column, by its type and name."""
    t = column.data_type.upper()
    if t.startswith("DECIMAL") or t.startswith("NUMERIC"):
        return FMT_AMOUNT
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return FMT_SHARE if "share" in column.name else FMT_DECIMAL
    if t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return FMT_COUNT if column.name.startswith(("n_", "rows_")) else None
    if t == "DATE":
        return FMT_DATE
    if t.startswith("TIMESTAMP"):
        return FMT_TIMESTAMP
    return None


def _writer(ws, column: Column, fmt) -> Callable[[int, int, Any], Any]:
    """A function writing one (non-NULL) value of the column, chosen once per column."""
    t = column.data_type.upper()
    if t == "BOOLEAN":
        return lambda r, c, v: ws.write_boolean(r, c, v, fmt)
    if t == "DATE" or t.startswith("TIMESTAMP"):
        def write_dt(r, c, v):
            if isinstance(v, datetime):
                v = _local(v)
            return ws.write_datetime(r, c, v, fmt)
        return write_dt
    if number_format(column) is not None or t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"):
        def write_num(r, c, v):
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return ws.write_number(r, c, v, fmt)
        return write_num
    if t == "VARCHAR":
        return lambda r, c, v: ws.write_string(r, c, v, fmt)
    return lambda r, c, v: ws.write_string(r, c, v if isinstance(v, str) else json.dumps(v, default=str), fmt)


def _width(label: str, column: Column, sample: list[Any]) -> float:
    widths = [len(label) * 0.9 + 2]
    fmt = number_format(column)
    for v in sample:
        if v is None:
            continue
        if fmt == FMT_AMOUNT:
            widths.append(len(f"{abs(float(v)):,.2f}") + 3)
        elif fmt == FMT_SHARE:
            widths.append(9)
        elif fmt in (FMT_DATE, FMT_TIMESTAMP):
            widths.append(len(fmt) + 2)
        else:
            widths.append(len(str(v)) + 2)
    return max(8.0, min(60.0, max(widths)))


def excel_max_rows(value: str | None = None) -> int:
    """The workbook's row limit per mart: ``value``, else CWB_EXCEL_MAX_ROWS, else DEFAULT_EXCEL_MAX_ROWS.
    A whole number from 0 to EXCEL_MAX_DATA_ROWS; anything else is a ValueError naming the setting."""
    text = (os.environ.get(EXCEL_MAX_ROWS_ENV, "") if value is None else value).strip().replace("_", "")
    if not text:
        return DEFAULT_EXCEL_MAX_ROWS
    if not text.isdigit() or int(text) > EXCEL_MAX_DATA_ROWS:
        raise ValueError(f"{EXCEL_MAX_ROWS_ENV}={text!r}: expected a whole number of rows from 0 to "
                         f"{EXCEL_MAX_DATA_ROWS:,} (an Excel sheet's data rows)")
    return int(text)


def export_excel(warehouse_path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                 manifest_path: str | os.PathLike[str] | None = None, synthetic: bool = False,
                 built_at: datetime | None = None, max_rows: int | None = None,
                 log: Callable[[str], None] = print) -> ExportResult:
    """The workbook ``<out_dir>/cwb_marts.xlsx`` (see the module docstring). ``max_rows``: the most rows a
    mart may have to get a sheet (default ``excel_max_rows()``)."""
    start = time.perf_counter()
    max_rows = excel_max_rows() if max_rows is None else min(max_rows, EXCEL_MAX_DATA_ROWS)
    built_at = (built_at or datetime.now(TZ)).replace(microsecond=0)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / WORKBOOK_NAME
    tmp = temp_path_for(final)
    definitions = load_definitions(manifest_path)
    rows: dict[str, int] = {}
    left_out: dict[str, str] = {}

    with connect_read_only(warehouse_path) as con:
        marts = list_marts(con)
        as_of = data_as_of(con)
        versions = metric_definition_versions(con, marts)
        bases = placement_bases(con, marts)
        for mart in marts:
            where = f"alleen als Parquet ({PARQUET_DIR}/{mart.name}.parquet)"
            if mart.name in PARQUET_ONLY:
                left_out[mart.name] = f"{format_count(mart.n_rows)} rijen, één per factuurregel: {where}"
            elif mart.n_rows > EXCEL_MAX_DATA_ROWS:
                left_out[mart.name] = (f"{format_count(mart.n_rows)} rijen, meer dan een Excel-blad toont (ten "
                                       f"hoogste {format_count(EXCEL_MAX_DATA_ROWS + 1)} rijen): {where}")
            elif mart.n_rows > max_rows:
                left_out[mart.name] = (f"{format_count(mart.n_rows)} rijen, meer dan de {format_count(max_rows)} "
                                       f"van deze werkmap ({EXCEL_MAX_ROWS_ENV}): {where}")
        in_workbook = [m for m in marts if m.name not in left_out]
        sheets = sheet_names(m.name for m in marts)
        missing = sorted({c.name for m in marts for c in m.columns} - set(COLUMNS_NL))
        if missing:
            log(f"no Dutch label for column(s) {', '.join(missing)}: the technical name is shown")

        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "nan_inf_to_errors": True,
                                            "strings_to_formulas": False, "strings_to_urls": False})
        wb.set_properties({"title": "CWB Nieuw-West: marts", "subject": "Export van de marts",
                           "comments": "Synthetische voorbeelddata" if synthetic else ""})
        fmt = _Formats(wb)
        about = wb.add_worksheet(SHEET_ABOUT)
        defs_ws = wb.add_worksheet(SHEET_DEFINITIONS)

        _write_about(about, fmt, marts=marts, in_workbook={m.name for m in in_workbook}, sheets=sheets,
                     left_out=left_out, as_of=as_of, built_at=built_at, versions=versions, bases=bases,
                     synthetic=synthetic, definitions=definitions)
        _write_definitions(defs_ws, fmt, marts, sheets, definitions, left_out)
        for mart in in_workbook:
            rows[mart.name] = _write_mart(wb, con, mart, sheets[mart.name], fmt)
        wb.close()
    replace_atomically(tmp, final)
    return ExportResult(final, final.stat().st_size, time.perf_counter() - start, rows, left_out)


class _Formats:
    def __init__(self, wb):
        self.header = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7",
                                     "bottom": 1})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True, "valign": "top"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.warning = wb.add_format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE",
                                      "text_wrap": True, "valign": "top"})
        self.link = wb.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top"})
        self.count = wb.add_format({"num_format": FMT_COUNT, "valign": "top"})
        self.date = wb.add_format({"num_format": FMT_DATE, "align": "left", "valign": "top"})
        self.timestamp = wb.add_format({"num_format": "dd-mm-yyyy hh:mm", "align": "left", "valign": "top"})
        self.by_format = {f: wb.add_format({"num_format": f}) for f in
                          (FMT_AMOUNT, FMT_SHARE, FMT_COUNT, FMT_DECIMAL, FMT_DATE, FMT_TIMESTAMP)}


def _write_about(ws, fmt: _Formats, *, marts, in_workbook, sheets, left_out, as_of, built_at, versions, bases,
                 synthetic, definitions) -> None:
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 34)
    ws.set_column(2, 2, 70)
    ws.set_column(3, 3, 14)
    r = 0
    ws.write_string(r, 0, "CWB Nieuw-West: export van de marts", fmt.title)
    r += 2
    if synthetic:
        ws.merge_range(r, 0, r, 3, "LET OP: dit zijn synthetische voorbeeldgegevens. De organisaties zijn "
                       "verzonnen; de cijfers zeggen niets over de werkelijke inkoop van de ankerorganisaties.",
                       fmt.warning)
        ws.set_row(r, 32)
        r += 2
    facts: list[tuple[str, Any, Any]] = [
        ("Stand van de data (laatste factuurdatum)", as_of, fmt.date),
        ("Aangemaakt op (Nederlandse tijd)", _local(built_at), fmt.timestamp),
        ("Versie definities (metric_definition_version)", ", ".join(versions) or "onbekend", fmt.wrap),
        ("Plaatsingsgrondslag", ", ".join(bases) or "onbekend", fmt.wrap),
        ("Bron", "DuckDB-warehouse, schema publication (dbt): de marts zoals ze gepubliceerd mogen worden",
         fmt.wrap),
        ("Bedragen", "Euro's exclusief btw; creditnota's zijn verrekend (negatieve bedragen tellen mee). "
                     "Bedragen zijn getallen: Excel toont ze in de notatie van uw eigen landinstelling.", fmt.wrap),
        ("Aandelen", "Als percentage (een aandeel 0,1234 staat er als 12,34 %). Verschillen in "
                     "procentpunten zijn gewone getallen.", fmt.wrap),
        ("Privacy", "Namen alleen van rechtspersonen: geen namen van eenmanszaken, vennootschappen onder "
                    "firma, maatschappen en commanditaire vennootschappen, geen KvK-, vestigings-, btw- of "
                    "IBAN-nummers en geen omschrijvingen van facturen.", fmt.wrap),
        ("Onderdrukte cijfers", "Een leeg bedrag of aandeel in een rij met 'Onderdrukt' = WAAR is weggelaten "
                                "omdat het zou laten zien wat één eenmanszaak of personenvennootschap verdient "
                                "(minder dan 3 leveranciers van wie het bedrag niet los gepubliceerd is, of één "
                                "die het cijfer domineert), of omdat het dat via een totaal zou verraden. De "
                                "kolom 'Reden onderdrukking' zegt welke regel. Factuurregels worden om dezelfde "
                                "reden niet geëxporteerd.", fmt.wrap),
        ("Definities", "Het blad 'Definities' geeft per kolom de technische naam, het datatype en de "
                       "definitie uit de dbt-documentatie (Engels).", fmt.wrap),
    ]
    for mart, why in left_out.items():
        facts.append((f"Niet in deze werkmap: {mart}", f"{why}. Open het Parquet-bestand met bijvoorbeeld "
                      "DuckDB, Power BI, Power Query in Excel, Python of R.", fmt.wrap))
    for label, value, cell_fmt in facts:
        ws.write_string(r, 0, label, fmt.bold)
        if value is None:
            ws.write_string(r, 1, "onbekend", cell_fmt)
        elif isinstance(value, datetime | date):
            ws.write_datetime(r, 1, value, cell_fmt)
        elif cell_fmt is fmt.wrap and len(str(value)) > 40:
            ws.merge_range(r, 1, r, 3, str(value), cell_fmt)
            ws.set_row(r, 15 * (1 + len(str(value)) // 110))
        else:
            ws.write_string(r, 1, str(value), cell_fmt)
        r += 1
    r += 1
    ws.write_string(r, 0, "Inhoud", fmt.title)
    r += 1
    for c, head in enumerate(("Blad", "Mart (technische naam)", "Omschrijving", "Aantal rijen")):
        ws.write_string(r, c, head, fmt.header)
    r += 1
    for mart in marts:
        title = MARTS_NL.get(mart.name, (None, definitions.get(mart.name, {}).get("description", "")))[1]
        if mart.name in in_workbook:
            ws.write_url(r, 0, f"internal:'{sheets[mart.name]}'!A1", fmt.link, string=sheets[mart.name])
        else:
            ws.write_string(r, 0, f"alleen Parquet: {PARQUET_DIR}/{mart.name}.parquet", fmt.wrap)
        ws.write_string(r, 1, mart.name, fmt.wrap)
        ws.write_string(r, 2, title, fmt.wrap)
        ws.write_number(r, 3, mart.n_rows, fmt.count)
        r += 1


def _write_definitions(ws, fmt: _Formats, marts: list[MartInfo], sheets: dict[str, str],
                       definitions: dict[str, dict[str, Any]], left_out: dict[str, str]) -> None:
    heads = ("Mart", "Blad", "Kolom (kop in het blad)", "Technische naam", "Datatype",
             "Definitie (dbt-documentatie, Engels)")
    for c, (head, width) in enumerate(zip(heads, (30, 28, 36, 36, 14, 100), strict=True)):
        ws.set_column(c, c, width)
        ws.write_string(0, c, head, fmt.header)
    ws.freeze_panes(1, 0)
    r = 1
    for mart in marts:
        docs = definitions.get(mart.name, {})
        sheet = sheets[mart.name] if mart.name not in left_out else f"alleen Parquet ({mart.name}.parquet)"
        ws.write_string(r, 0, mart.name, fmt.bold)
        ws.write_string(r, 1, sheet, fmt.bold)
        ws.write_string(r, 2, "(de tabel)", fmt.bold)
        ws.write_string(r, 3, "", fmt.bold)
        ws.write_string(r, 4, "", fmt.bold)
        ws.write_string(r, 5, docs.get("description", ""), fmt.wrap)
        r += 1
        for column in mart.columns:
            ws.write_string(r, 0, mart.name)
            ws.write_string(r, 1, sheet)
            ws.write_string(r, 2, column_label(column.name))
            ws.write_string(r, 3, column.name)
            ws.write_string(r, 4, column.data_type)
            ws.write_string(r, 5, docs.get("columns", {}).get(column.name, ""), fmt.wrap)
            r += 1
    ws.autofilter(0, 0, r - 1, len(heads) - 1)


def _write_mart(wb, con: duckdb.DuckDBPyConnection, mart: MartInfo, sheet: str, fmt: _Formats) -> int:
    ws = wb.add_worksheet(sheet)
    cur = con.execute(f"select * from {_table(mart.name)} {_order_by(mart)}")
    first = cur.fetchmany(10_000)
    labels = [column_label(c.name) for c in mart.columns]
    for c, (column, label) in enumerate(zip(mart.columns, labels, strict=True)):
        ws.set_column(c, c, _width(label, column, [row[c] for row in first[:500]]))
    ws.set_row(0, 45)
    ws.write_row(0, 0, labels, fmt.header)
    ws.freeze_panes(1, 0)
    cells = [fmt.by_format.get(number_format(c)) for c in mart.columns]
    writers = [_writer(ws, c, f) for c, f in zip(mart.columns, cells, strict=True)]
    r = 0
    batch = first
    while batch:
        for row in batch:
            r += 1
            for c, value in enumerate(row):
                if value is not None:
                    writers[c](r, c, value)
        batch = cur.fetchmany(10_000)
    ws.autofilter(0, 0, max(r, 1), len(mart.columns) - 1)
    return r


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export the marts as Parquet files and an Excel workbook.")
    parser.add_argument("--warehouse", required=True, help="the DuckDB warehouse file")
    parser.add_argument("--out", required=True, help="the exports directory")
    parser.add_argument("--manifest", default=str(Path(__file__).resolve().parent.parent / "dbt_project" /
                                                  "target" / "manifest.json"))
    parser.add_argument("--synthetic", action="store_true", help="say that the data is the synthetic sample")
    parser.add_argument("--max-rows", help=f"the most rows a mart may have to get a sheet (default "
                        f"{EXCEL_MAX_ROWS_ENV}, else {DEFAULT_EXCEL_MAX_ROWS:,}; at most {EXCEL_MAX_DATA_ROWS:,})")
    args = parser.parse_args(argv)
    parquet = export_parquet(args.warehouse, args.out)
    print(f"{parquet.path}: {len(parquet.rows)} files, {parquet.size_bytes:,} bytes, {parquet.seconds:.1f} s")
    excel = export_excel(args.warehouse, args.out, args.manifest, synthetic=args.synthetic,
                         max_rows=excel_max_rows(args.max_rows))
    print(f"{excel.path}: {len(excel.rows)} sheets, {excel.size_bytes:,} bytes, {excel.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
