"""Writing the raw and reference layers into the DuckDB warehouse.

Amounts travel as integer cents and become DECIMAL(18,2) here by an exact decimal multiplication,
so no float ever touches a euro.
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

import duckdb
import pandas as pd

from ingestion.config import invoice_table
from ingestion.deliveries import DELIVERY_COLUMNS
from ingestion.exports import AnchorLoad

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"

# Reference tables and the columns that are codes (must stay text: leading zeros, "NA" wijk code).
REFERENCE_TABLES = {
    "nl_pc4_gemeente": ["pc4", "gemeente_code"],
    "amsterdam_pc4_stadsdeel": ["postcode", "stadsdeel_code"],
    "sbi2008": ["code", "code_met_punten", "sectie", "parent_code"],
    "sbi2025": ["code", "sectie", "parent_code"],
    "amsterdam_postcode_areas": ["postcode", "cbs_wijkcode", "wijk_code", "gebied_code", "stadsdeel_code"],
}

_REJECTED_DDL = """
create table if not exists raw.rejected_rows (
    anchor_code varchar, source_file varchar, source_row integer, field varchar, "column" varchar,
    value varchar, reason_code varchar, reason varchar, amount_eur decimal(18,2)
)"""
_ISSUES_DDL = """
create table if not exists raw.field_issues (
    anchor_code varchar, source_file varchar, source_row integer, field varchar, "column" varchar,
    value varchar, reason_code varchar, reason varchar
)"""
_DELIVERIES_DDL = """
create table if not exists raw.deliveries (
    anchor_code varchar, source_file varchar, sha256 varchar, size_bytes bigint, modified_at timestamp,
    declared_period varchar, status varchar, duplicate_of varchar, superseded_by varchar, reason varchar,
    rows_read bigint, rows_loaded bigint, rows_rejected bigint, rows_superseded bigint,
    euros_read decimal(18,2), euros_loaded decimal(18,2), euros_rejected decimal(18,2),
    euros_superseded decimal(18,2), processed_at timestamp, loader_fingerprint varchar
)"""


# DuckDB would take up to 80 % of the machine's memory; the pipeline stays within a fixed budget and
# spills to disk beyond it (the same limit is set for dbt in dbt_project/profiles.yml).
MEMORY_LIMIT_ENV = "CWB_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1536MB"


def memory_limit() -> str:
    """DuckDB's memory budget for the pipeline's connections (CWB_DUCKDB_MEMORY_LIMIT)."""
    return os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT


# DuckDB lets one process open a database file for writing, and no other process open it at all meanwhile.
# A second run that reaches the warehouse while another writes it waits this long, then gives up with a
# message naming the process that holds it (it never writes alongside).
WAIT_ENV = "CWB_WRITER_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 900.0
log = logging.getLogger("cwb.warehouse")


# As in dbt's profile (dbt_project/profiles.yml): FSST string compression costs about a third of the time
# of writing a wide table of text columns and saves little on these; the other methods stay on.
WRITE_SETTINGS = {"disabled_compression_methods": "fsst"}


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse and did not let go in time."""


def connect(path: str | Path, read_only: bool = False, wait_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; while another process holds it, wait (``wait_s``, default CWB_WRITER_WAIT_SECONDS
    or 900 s), then raise WarehouseBusy naming the holder."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    limit = memory_limit()
    if wait_s is None:
        wait_s = float(os.environ.get(WAIT_ENV) or DEFAULT_WAIT_SECONDS)
    deadline = time.monotonic() + wait_s
    warned = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": limit})
            if not read_only:
                for name, value in WRITE_SETTINGS.items():  # set, not config: DuckDB ignores it in config
                    con.execute(f"set {name} = '{value}'")
            return con
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise
            holder = text.split("Conflicting lock is held in", 1)[-1].strip() if "Conflicting" in text else "?"
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"{path} is in use by another process ({holder}); waited {wait_s:.0f} s. Another pipeline "
                    f"run is probably writing it: try again when it has finished (or set {WAIT_ENV})."
                ) from exc
            if not warned:
                log.warning("%s is in use by another process (%s): waiting up to %.0f s", path, holder, wait_s)
                warned = True
            time.sleep(min(2.0, max(deadline - time.monotonic(), 0.05)))


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the shared raw tables, and bring a warehouse written by an older version up to their
    current columns (a column added to a contract is added to the table, empty for old rows), so an
    upgrade never needs a manual clean-up."""
    con.execute("create schema if not exists raw")
    for ddl in (_REJECTED_DDL, _ISSUES_DDL, _DELIVERIES_DDL):
        con.execute(ddl)
        table = ddl.split("exists raw.", 1)[1].split(" ", 1)[0]
        existing = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [table]).fetchall()}
        body = ddl[ddl.index("(") + 1: ddl.rindex(")")]
        for column_def in (c.strip() for c in re.split(r",(?![^()]*\))", body)):
            name = column_def.split()[0]
            if name.strip('"') not in existing:
                con.execute(f"alter table raw.{table} add column {column_def}")


_INVOICE_DDL = """
create or replace table {table} (
    anchor_code varchar, anchor_name varchar, source_file varchar, source_row integer, invoice_id varchar,
    invoice_line integer, invoice_date date, booking_period varchar, supplier_ref varchar, supplier_name varchar,
    kvk_number varchar, vestigingsnummer varchar, vat_number varchar, iban varchar, supplier_street varchar,
    supplier_house_number varchar, supplier_postcode varchar, supplier_city varchar, supplier_country varchar,
    amount_excl_vat decimal(18,2), vat_amount decimal(18,2), vat_basis varchar, currency varchar,
    ledger_account varchar, cost_centre varchar, category varchar, cpv_code varchar, description varchar
)"""


def create_invoice_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """An anchor's accepted-lines table, empty (replacing what was there)."""
    con.execute(_INVOICE_DDL.format(table=table))


def _insert_frame(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, sql: str, params: dict | None = None) -> None:
    """Run ``sql`` (an insert selecting from ``frame_df``) with the DataFrame registered under that name."""
    if not len(frame):
        return
    con.register("frame_df", frame)
    try:
        con.execute(sql, params or {})
    finally:
        con.unregister("frame_df")


def insert_accepted(con: duckdb.DuckDBPyConnection, table: str, accepted: pd.DataFrame) -> None:
    """Append canonical accepted lines (amounts in integer cents) to an anchor's table."""
    _insert_frame(con, accepted, f"""
            insert into {table} by name
            select
                anchor_code::varchar as anchor_code, anchor_name::varchar as anchor_name,
                source_file::varchar as source_file, source_row::integer as source_row,
                invoice_id::varchar as invoice_id, invoice_line::integer as invoice_line,
                invoice_date::date as invoice_date, booking_period::varchar as booking_period,
                supplier_ref::varchar as supplier_ref, supplier_name::varchar as supplier_name,
                kvk_number::varchar as kvk_number, vestigingsnummer::varchar as vestigingsnummer,
                vat_number::varchar as vat_number, iban::varchar as iban,
                supplier_street::varchar as supplier_street,
                supplier_house_number::varchar as supplier_house_number,
                supplier_postcode::varchar as supplier_postcode, supplier_city::varchar as supplier_city,
                supplier_country::varchar as supplier_country,
                (amount_excl_vat_cents::decimal(18,0) * 0.01)::decimal(18,2) as amount_excl_vat,
                (vat_amount_cents::decimal(18,0) * 0.01)::decimal(18,2) as vat_amount,
                vat_basis::varchar as vat_basis,
                currency::varchar as currency,
                ledger_account::varchar as ledger_account, cost_centre::varchar as cost_centre,
                category::varchar as category, cpv_code::varchar as cpv_code,
                description::varchar as description
            from frame_df
        """)


def insert_rejected(con: duckdb.DuckDBPyConnection, rejected: pd.DataFrame) -> None:
    _insert_frame(con, rejected.astype({"amount_cents": "Int64"}), """
            insert into raw.rejected_rows by name
            select anchor_code, source_file, source_row, field, "column", value::varchar as value, reason_code,
                   reason, (amount_cents::decimal(18,0) * 0.01)::decimal(18,2) as amount_eur
            from frame_df
        """)


def insert_issues(con: duckdb.DuckDBPyConnection, issues: pd.DataFrame) -> None:
    _insert_frame(con, issues, """
            insert into raw.field_issues by name
            select anchor_code, source_file, source_row, field, "column", value::varchar as value, reason_code,
                   reason
            from frame_df
        """)


def insert_deliveries(con: duckdb.DuckDBPyConnection, records: list[dict], fingerprint: str | None = None) -> None:
    """Append delivery-log records (``Delivery.as_record()``), stamped with the loader fingerprint."""
    _insert_frame(con, pd.DataFrame(records, columns=DELIVERY_COLUMNS), """
            insert into raw.deliveries by name
            select anchor_code, source_file, sha256, size_bytes::bigint as size_bytes,
                   modified_at::timestamp as modified_at, declared_period::varchar as declared_period, status,
                   duplicate_of::varchar as duplicate_of, superseded_by::varchar as superseded_by,
                   reason::varchar as reason, rows_read::bigint as rows_read, rows_loaded::bigint as rows_loaded,
                   rows_rejected::bigint as rows_rejected, rows_superseded::bigint as rows_superseded,
                   euros_read::decimal(18,2) as euros_read, euros_loaded::decimal(18,2) as euros_loaded,
                   euros_rejected::decimal(18,2) as euros_rejected,
                   euros_superseded::decimal(18,2) as euros_superseded,
                   current_timestamp::timestamp as processed_at, $fingerprint::varchar as loader_fingerprint
            from frame_df
        """, {"fingerprint": fingerprint})


def write_anchor(con: duckdb.DuckDBPyConnection, anchor_code: str, load: AnchorLoad) -> None:
    """Replace one anchor's accepted lines, rejected rows, field issues and delivery log with a load read
    in memory (``read_anchor``), in one transaction. The pipeline uses ``ingestion.loader.ingest_anchor``,
    which gives the same tables file by file."""
    ensure_raw_tables(con)
    result = load.result
    con.execute("begin transaction")
    try:
        create_invoice_table(con, invoice_table(anchor_code))
        insert_accepted(con, invoice_table(anchor_code), result.accepted)
        for table in ("rejected_rows", "field_issues", "deliveries"):
            con.execute(f"delete from raw.{table} where anchor_code = ?", [anchor_code])
        insert_rejected(con, result.rejected)
        insert_issues(con, result.field_issues)
        insert_deliveries(con, [d.as_record() for d in load.deliveries])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def union_invoice_lines(con: duckdb.DuckDBPyConnection, anchor_codes: list[str]) -> None:
    """(Re)create the view ``raw.invoice_lines`` over the anchors' tables that exist."""
    existing = {
        r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }
    tables = [invoice_table(c) for c in anchor_codes if f"invoice_lines__{c}" in existing]
    if not tables:
        raise ValueError(f"none of the anchors' raw tables exist yet: {anchor_codes}")
    union = "\nunion all by name\n".join(f"select * from {t}" for t in tables)
    con.execute(f"create or replace view raw.invoice_lines as {union}")


def load_reference_table(con: duckdb.DuckDBPyConnection, name: str, csv_path: Path) -> int:
    """Load one reference CSV into ``reference.<name>``, code columns as text. Returns the row count."""
    con.execute("create schema if not exists reference")
    types = {c: "VARCHAR" for c in REFERENCE_TABLES[name]}
    con.execute(
        f"create or replace table reference.{name} as select * from read_csv(?, header = true, types = ?)",
        [str(csv_path), types],
    )
    return con.execute(f"select count(*) from reference.{name}").fetchone()[0]


def supplier_records(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One record per anchor x creditor number from the accepted invoice lines, for supplier resolution:
    each identifying field is the value the creditor's lines carry most often; with its lines and euros,
    and every spelling of its name the lines carry (``supplier_names``, sorted: what dbt's test
    ``no_natural_person_names`` looks for, without reading every line again in each of its 81 runs).
    A line without a creditor number is keyed by its supplier name (``naam:<name>``)."""
    return con.execute("""
        select
            anchor_code,
            coalesce(supplier_ref, 'naam:' || lower(trim(supplier_name))) as supplier_ref,
            mode(supplier_name) as supplier_name,
            mode(kvk_number) as kvk_number,
            mode(vestigingsnummer) as vestigingsnummer,
            mode(vat_number) as vat_number,
            mode(iban) as iban,
            mode(supplier_street) as supplier_street,
            mode(supplier_house_number) as supplier_house_number,
            mode(supplier_postcode) as supplier_postcode,
            mode(supplier_city) as supplier_city,
            mode(supplier_country) as supplier_country,
            count(*) as n_lines,
            sum(amount_excl_vat) as spend_eur,
            list(distinct supplier_name order by supplier_name)
                filter (where supplier_name is not null) as supplier_names
        from raw.invoice_lines
        group by all
        order by anchor_code, supplier_ref
    """).df()
