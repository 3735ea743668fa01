"""Writing the raw and reference layers into the DuckDB warehouse.

Amounts travel as integer cents and become DECIMAL(18,2) here by an exact decimal multiplication,
so no float ever touches a euro.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from ingestion.exports import CanonicalResult

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"

# Reference tables and the columns that are codes (must stay text: leading zeros, "NA" wijk code).
REFERENCE_TABLES = {
    "nl_pc4_gemeente": ["pc4", "gemeente_code"],
    "amsterdam_pc4_stadsdeel": ["postcode", "stadsdeel_code"],
    "sbi2008": ["code", "code_met_punten", "sectie", "parent_code"],
    "sbi2025": ["code", "sectie", "parent_code"],
}

_REJECTED_DDL = """
create table if not exists raw.rejected_rows (
    anchor_code varchar, source_file varchar, source_row integer, field varchar, value varchar,
    reason varchar, amount_eur decimal(18,2)
)"""
_ISSUES_DDL = """
create table if not exists raw.field_issues (
    anchor_code varchar, source_file varchar, source_row integer, field varchar, value varchar,
    reason varchar
)"""


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


def invoice_table(anchor_code: str) -> str:
    return f"raw.invoice_lines__{anchor_code}"


def write_anchor(con: duckdb.DuckDBPyConnection, anchor_code: str, result: CanonicalResult) -> None:
    """Replace one anchor's accepted lines, rejected rows and field issues, in one transaction."""
    con.execute("create schema if not exists raw")
    con.execute(_REJECTED_DDL)
    con.execute(_ISSUES_DDL)
    accepted = result.accepted
    rejected = result.rejected.astype({"amount_cents": "Int64"})
    issues = result.field_issues
    con.execute("begin transaction")
    try:
        con.register("accepted_df", accepted)
        con.execute(f"""
            create or replace table {invoice_table(anchor_code)} as
            select
                anchor_code::varchar as anchor_code, anchor_name::varchar as anchor_name,
                source_file::varchar as source_file, source_row::integer as source_row,
                invoice_id::varchar as invoice_id, invoice_line::integer as invoice_line,
                invoice_date::date as invoice_date,
                supplier_ref::varchar as supplier_ref, supplier_name::varchar as supplier_name,
                kvk_number::varchar as kvk_number, vestigingsnummer::varchar as vestigingsnummer,
                supplier_street::varchar as supplier_street,
                supplier_house_number::varchar as supplier_house_number,
                supplier_postcode::varchar as supplier_postcode, supplier_city::varchar as supplier_city,
                supplier_country::varchar as supplier_country,
                (amount_excl_vat_cents::decimal(18,0) * 0.01)::decimal(18,2) as amount_excl_vat,
                (vat_amount_cents::decimal(18,0) * 0.01)::decimal(18,2) as vat_amount,
                ledger_account::varchar as ledger_account, cost_centre::varchar as cost_centre,
                category::varchar as category, description::varchar as description
            from accepted_df
        """)
        con.unregister("accepted_df")
        con.execute("delete from raw.rejected_rows where anchor_code = ?", [anchor_code])
        if len(rejected):
            con.register("rejected_df", rejected)
            con.execute("""
                insert into raw.rejected_rows
                select anchor_code, source_file, source_row, field, value::varchar, reason,
                       (amount_cents::decimal(18,0) * 0.01)::decimal(18,2)
                from rejected_df
            """)
            con.unregister("rejected_df")
        con.execute("delete from raw.field_issues where anchor_code = ?", [anchor_code])
        if len(issues):
            con.register("issues_df", issues)
            con.execute("""
                insert into raw.field_issues
                select anchor_code, source_file, source_row, field, value::varchar, reason from issues_df
            """)
            con.unregister("issues_df")
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


def read_back(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """A stored table as pandas, amounts as float and dates as datetime64 (for pandera checks)."""
    df = con.execute(f"select * from {table}").df()
    for column in ("amount_excl_vat", "vat_amount"):
        if column in df.columns:
            df[column] = df[column].astype(float)
    if "invoice_date" in df.columns:
        df["invoice_date"] = pd.to_datetime(df["invoice_date"])
    return df


def load_reference_table(con: duckdb.DuckDBPyConnection, name: str, csv_path: Path) -> int:
    """Load one reference CSV into ``reference.<name>``, code columns as text. Returns the row count."""
    con.execute("create schema if not exists reference")
    types = {c: "VARCHAR" for c in REFERENCE_TABLES[name]}
    con.execute(
        f"create or replace table reference.{name} as select * from read_csv(?, header = true, types = ?)",
        [str(csv_path), types],
    )
    return con.execute(f"select count(*) from reference.{name}").fetchone()[0]


def load_kvk_extract(con: duckdb.DuckDBPyConnection, csv_path: Path) -> int:
    """Load the KvK establishment extract into ``raw.kvk_establishments`` (all text except numbers)."""
    con.execute("create schema if not exists raw")
    con.execute(
        """
        create or replace table raw.kvk_establishments as
        select * replace (
            try_cast(huisnummer as integer) as huisnummer,
            try_cast(totaal_werkzame_personen as integer) as totaal_werkzame_personen,
            try_cast(registratie_datum_aanvang as date) as registratie_datum_aanvang,
            try_cast(peildatum as date) as peildatum
        )
        from read_csv(?, header = true, all_varchar = true)
        """,
        [str(csv_path)],
    )
    return con.execute("select count(*) from raw.kvk_establishments").fetchone()[0]
