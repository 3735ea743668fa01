"""pandera schemas that gate every ingested table.

The orchestration layer reads each table back from the warehouse after it was written and validates
it with these schemas in a blocking asset check: a table that fails never reaches the marts. An anchor's
invoice lines are validated by the loader (ingestion/loader.py), file by file, as they are staged for the
warehouse (then appended unchanged), in its worker processes: with pandera's Ibis backend, in DuckDB, on the
staged table itself (``gate_stored_files``).
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import ibis
import ibis.expr.datatypes as idt
import numpy as np
import pandas as pd
import pandera.ibis as pa_ibis
import pandera.pandas as pa
from pandera.dtypes import immutable
from pandera.engines import pandas_engine
from pandera.errors import SchemaErrors

from ingestion.exports import once_per_distinct


@pandas_engine.Engine.register_dtype
@immutable
class Text(pandas_engine.NpString):
    """pandera's ``str`` column type, whose check on an object column calls ``isinstance`` once per cell
    in Python. A column whose every non-missing cell is a ``str`` passes in one call of pandas' C type
    inference; any other column is checked cell by cell as before, so a failure names the same cells. At
    ten million lines, validating Gemeente Amsterdam's 3.6 million stored lines took 7.7 s with ``str``
    and 5.8 s with ``Text`` (reading them back takes another 6.6 s)."""

    def check(self, pandera_dtype, data_container=None):
        if (data_container is not None and pd.api.types.is_object_dtype(getattr(data_container, "dtype", None))
                and pd.api.types.infer_dtype(data_container, skipna=True) in ("string", "empty")):
            return np.ones(len(data_container), dtype=bool)
        return super().check(pandera_dtype, data_container)

    def __str__(self) -> str:
        return "str"


KVK_RE = r"^[0-9]{8}$"
VESTIGING_RE = r"^[0-9]{12}$"
NL_POSTCODE_RE = r"^[1-9][0-9]{3}[A-Z]{2}$"
PC4_RE = r"^[1-9][0-9]{3}$"


def _matching(series: pd.Series, regex: re.Pattern) -> pd.Series:
    """Element-wise ``regex.match`` (NULL passes), tried once per distinct value."""
    ok, codes = once_per_distinct(series.to_numpy(dtype=object),
                                  lambda u: isinstance(u, str) and regex.match(u) is not None)
    ok[codes < 0] = True  # a NULL cell
    return pd.Series(ok.astype(bool), index=series.index)


def matches(pattern: str) -> pa.Check:
    """pandera's ``Check.str_matches`` with the pattern tried once per distinct value: an invoice table
    repeats a few thousand identifiers and postcodes over millions of lines, and the stock check runs the
    regex on every line (most of the gate's time at 10 million lines; benchmarks/). Same name, same result."""
    regex = re.compile(pattern)
    return pa.Check(lambda series: _matching(series, regex), name="str_matches", error=f"str_matches('{pattern}')")


# The column of the gated relation that counts the lines sharing a line's identity (gate_stored_files).
IDENTITY_COUNT = "lines_with_this_identity"


def invoice_lines_schema(line_identity: tuple[str, ...] = ("invoice_id", "invoice_line"),
                         earliest: dt.date = dt.date(2000, 1, 1)) -> pa_ibis.DataFrameSchema:
    """One anchor's accepted invoice lines as stored in ``raw.invoice_lines__<anchor>``; no two lines
    share the anchor's ``line_identity``.

    A schema of pandera's Ibis backend: ``gate_stored_files`` validates the stored table where it is, every
    check one query in DuckDB, instead of reading ten million lines back into pandas (at 10M lines the
    pandas gate took 1.5 of the 5.6 s that a Gemeente Amsterdam file costs a worker; benchmarks/, README
    "Scale and speed"). The identity check looks at ``IDENTITY_COUNT``, which the gate adds to the
    relation it validates (a window count: pandera's own multi-column ``unique`` reports no rows on
    Ibis)."""
    latest = dt.date.today() + dt.timedelta(days=366)
    text = dict(dtype=idt.String(), nullable=True)

    def nl_postcodes_valid(data) -> ibis.ir.BooleanColumn:
        """Dutch suppliers' postcodes, when present, are normalised 1234AB."""
        t = data.table
        return (t.supplier_country != "NL") | t.supplier_postcode.isnull() | t.supplier_postcode.re_search(
            NL_POSTCODE_RE)

    return pa_ibis.DataFrameSchema(
        name="raw.invoice_lines",
        columns={
            "anchor_code": pa_ibis.Column(idt.String(), pa_ibis.Check.str_matches(r"^[a-z][a-z0-9_]*$")),
            "anchor_name": pa_ibis.Column(idt.String()),
            "source_file": pa_ibis.Column(idt.String()),
            "source_row": pa_ibis.Column(idt.Int32(), pa_ibis.Check.ge(1)),
            "invoice_id": pa_ibis.Column(idt.String(), pa_ibis.Check.str_length(min_value=1)),
            "invoice_line": pa_ibis.Column(idt.Int32(), pa_ibis.Check.ge(0)),
            "invoice_date": pa_ibis.Column(idt.Date(), pa_ibis.Check.in_range(earliest, latest)),
            "supplier_ref": pa_ibis.Column(**text),
            "supplier_name": pa_ibis.Column(**text),
            "kvk_number": pa_ibis.Column(idt.String(), pa_ibis.Check.str_matches(KVK_RE), nullable=True),
            "vestigingsnummer": pa_ibis.Column(idt.String(), pa_ibis.Check.str_matches(VESTIGING_RE), nullable=True),
            "supplier_postcode": pa_ibis.Column(**text),
            "supplier_country": pa_ibis.Column(idt.String(), pa_ibis.Check.str_matches(r"^[A-Z]{2}$")),
            "amount_excl_vat": pa_ibis.Column(idt.Decimal(18, 2)),
            "vat_amount": pa_ibis.Column(idt.Decimal(18, 2), nullable=True),
            "vat_basis": pa_ibis.Column(idt.String(), pa_ibis.Check.isin(["column", "rate"]), nullable=True),
        },
        checks=[
            pa_ibis.Check(nl_postcodes_valid, error="Dutch postcode not normalised to 1234AB"),
            pa_ibis.Check(lambda data: data.table.supplier_ref.notnull() | data.table.supplier_name.notnull(),
                          error="supplier_ref and supplier_name both empty"),
            pa_ibis.Check(lambda data: data.table[IDENTITY_COUNT] == 1,
                          error=f"no two lines share ({', '.join(line_identity)})"),
        ],
        strict=False,
        metadata={"line_identity": list(line_identity)},
    )


def kvk_establishments_schema() -> pa.DataFrameSchema:
    """The KvK Handelsregister establishment extract as stored in ``raw.kvk_establishments``."""
    yes_no = pa.Check.isin(["Ja", "Nee"])
    return pa.DataFrameSchema(
        name="raw.kvk_establishments",
        columns={
            "kvk_nummer": pa.Column(Text, matches(KVK_RE)),
            "vestigingsnummer": pa.Column(Text, matches(VESTIGING_RE), unique=True),
            "statutaire_naam": pa.Column(Text, nullable=True),
            "eerste_handelsnaam": pa.Column(Text, nullable=True),
            "ind_hoofdvestiging": pa.Column(Text, yes_no),
            "rechtsvorm": pa.Column(Text),
            "postcode": pa.Column(Text, matches(NL_POSTCODE_RE), nullable=True),
            "plaats": pa.Column(Text, nullable=True),
            "ind_afgeschermd": pa.Column(Text, yes_no, nullable=True),
            "sbi_hoofdactiviteit": pa.Column(Text, matches(r"^[0-9]{2,5}$"), nullable=True),
        },
        checks=[
            # Counted in one grouped sum, not a Python function per KvK number: that took 1.8-2.8 s of the
            # monthly refresh at 31,705 establishments (21,253 KvK numbers), and grows with the register.
            pa.Check(
                lambda df: (df["ind_hoofdvestiging"] == "Ja").groupby(df["kvk_nummer"]).transform("sum") <= 1,
                error="more than one head office (ind_hoofdvestiging = Ja) for a KvK number",
            ),
        ],
        strict=False,
    )


def nl_pc4_gemeente_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        name="reference.nl_pc4_gemeente",
        columns={
            "pc4": pa.Column(Text, matches(PC4_RE)),
            "gemeente_code": pa.Column(Text, matches(r"^GM[0-9]{4}$")),
            "gemeente_naam": pa.Column(Text),
            "n_adressen": pa.Column(int, pa.Check.ge(0)),
            "aandeel": pa.Column(float, pa.Check.in_range(0, 1)),
            "is_hoofdgemeente": pa.Column(int, pa.Check.isin([0, 1])),
        },
        checks=[pa.Check(lambda df: df.groupby("pc4")["is_hoofdgemeente"].transform("sum") == 1,
                         error="each PC4 has exactly one hoofdgemeente")],
        unique=["pc4", "gemeente_code"],
    )


def amsterdam_pc4_stadsdeel_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        name="reference.amsterdam_pc4_stadsdeel",
        columns={
            "postcode": pa.Column(Text, matches(PC4_RE)),
            "stadsdeel_code": pa.Column(Text, matches(r"^[A-Z]$")),
            "n_adressen": pa.Column(int, pa.Check.ge(0)),
            "aandeel_van_pc4": pa.Column(float, pa.Check.in_range(0, 1)),
            "is_hoofdstadsdeel": pa.Column(int, pa.Check.isin([0, 1])),
        },
        checks=[pa.Check(lambda df: df.groupby("postcode")["is_hoofdstadsdeel"].transform("sum") == 1,
                         error="each PC4 has exactly one hoofdstadsdeel")],
        unique=["postcode", "stadsdeel_code"],
    )


def sbi_schema(version: str) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        name=f"reference.sbi{version}",
        columns={
            "code": pa.Column(Text, matches(r"^([A-Z]|[0-9]{2,5})$"), unique=True),
            "niveau": pa.Column(int, pa.Check.isin([1, 2, 3, 4, 5])),
            "sectie": pa.Column(Text, matches(r"^[A-Z]$")),
        },
    )


def amsterdam_postcode_areas_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        name="reference.amsterdam_postcode_areas",
        columns={
            "postcode": pa.Column(Text, matches(PC4_RE)),
            "wijk_code": pa.Column(Text, matches(r"^[A-Z]{1,2}[A-Z0-9]?$")),
            "gebied_code": pa.Column(object, nullable=True),   # empty or "GN18|GN19" for some wijken
            "aandeel_van_pc4": pa.Column(float, pa.Check.in_range(0, 1)),
            "is_hoofdwijk": pa.Column(int, pa.Check.isin([0, 1])),
        },
        checks=[pa.Check(lambda df: df.groupby("postcode")["is_hoofdwijk"].transform("sum") == 1,
                         error="each PC4 has exactly one hoofdwijk")],
        unique=["postcode", "wijk_code"],
    )


REFERENCE_SCHEMAS = {
    "nl_pc4_gemeente": nl_pc4_gemeente_schema,
    "amsterdam_pc4_stadsdeel": amsterdam_pc4_stadsdeel_schema,
    "sbi2008": lambda: sbi_schema("2008"),
    "sbi2025": lambda: sbi_schema("2025"),
    "amsterdam_postcode_areas": amsterdam_postcode_areas_schema,
}


def programme_schemas() -> dict[str, pa.DataFrameSchema]:
    """Gates of the programme tables (ingestion/programme.py already refuses bad files; these check what
    the warehouse holds)."""
    sectors = ["food", "energy_insulation", "care_welfare", "green_maintenance", "construction_maintenance",
               "logistics"]
    return {
        "initiatives": pa.DataFrameSchema(name="programme.initiatives", columns={
            "initiative_key": pa.Column(Text, unique=True),
            "sector": pa.Column(Text, pa.Check.isin(sectors)),
            "phase": pa.Column("int32", pa.Check.in_range(1, 7)),
            "kvk_number": pa.Column(object, matches(KVK_RE), nullable=True),
            "fte": pa.Column(float, pa.Check.ge(0)),
        }, checks=[pa.Check(lambda df: df["fte_living_wage"] <= df["fte"], error="fte_living_wage <= fte")]),
        "initiative_phases": pa.DataFrameSchema(name="programme.initiative_phases", columns={
            "phase": pa.Column("int32", pa.Check.in_range(1, 7)),
        }, unique=["initiative_key", "phase"]),
        "targets": pa.DataFrameSchema(name="programme.targets", columns={
            "target_key": pa.Column(Text, unique=True), "target": pa.Column(float, pa.Check.ge(0)),
        }),
        "tenders": pa.DataFrameSchema(name="programme.tenders", columns={
            "tender_id": pa.Column(Text, unique=True),
            "cpv_code": pa.Column(Text, matches(r"^[0-9]{8}-[0-9]$")),
            "estimated_value_eur": pa.Column(float, pa.Check.ge(0)),
        }),
        "tender_lots": pa.DataFrameSchema(name="programme.tender_lots", unique=["tender_id", "lot_number"]),
        "fund_transactions": pa.DataFrameSchema(name="programme.fund_transactions", columns={
            "kind": pa.Column(Text, pa.Check.isin(["commitment", "investment"])),
            "amount_eur": pa.Column(float, pa.Check.gt(0)),
        }),
    }


def failure_summary(exc: SchemaErrors, limit: int = 20) -> list[dict]:
    """The first failure cases of a lazy validation, as plain dicts for logs and metadata."""
    cases = exc.failure_cases.head(limit)
    return [
        {k: (None if pd.isna(v) else str(v)) for k, v in row.items()
         if k in ("schema_context", "column", "check", "index", "failure_case")}
        for row in cases.to_dict("records")
    ]


# Failure cases kept per file (as ``validate`` keeps per call).
GATE_FAILURES_PER_FILE = 20
# The temporary table a file's lines are gated in (on the gate's own cursor).
_GATE_TABLE = "cwb_gate_lines"


def gate_stored_files(con: duckdb.DuckDBPyConnection, table: str, files: list[str],
                      schema: pa_ibis.DataFrameSchema) -> list[dict]:
    """The blocking gate of an anchor's load: ``schema`` (``invoice_lines_schema``) on what the load
    stored, one file at a time (the earlier files passed it when they were loaded), validated where the
    lines are: pandera's Ibis backend runs each check as a query on ``con``'s DuckDB, over the columns the
    schema names and, per line, the number of lines of the file sharing its identity (``IDENTITY_COUNT``).

    Returns the first failure cases of each file (empty: passed), each naming the check, the column
    (None for a check across columns), the value and where it is: ``source_file`` and ``source_row``, the
    row as the delivered file numbers it (for a value, its first row in the file). Only the checked
    columns are read, so neither a description nor a name of a line that fails a check on another column
    reaches a failure case.

    The gate reads through a cursor of its own, which sees what ``con`` has committed: call it outside a
    transaction (the loader's workers stage and gate a file in auto-commit)."""
    schema_name, _, name = table.rpartition(".")
    # A cursor of its own: Ibis sets the session's time zone and turns off DuckDB's replacement scans.
    cursor = con.cursor()
    try:
        backend = ibis.duckdb.from_connection(cursor)
        stored = backend.table(name, database=schema_name or None)
        identity = [c for c in schema.metadata.get("line_identity", []) if c in stored.columns]
        # A column the schema wants but the table lacks is left for pandera to report as missing.
        columns = [c for c in dict.fromkeys([*schema.columns, "source_file", "source_row", *identity])
                   if c in stored.columns]
        failures: list[dict] = []
        for source_file in files:
            lines = stored.filter(stored.source_file == source_file).select(columns)
            if identity:
                lines = lines.mutate(**{IDENTITY_COUNT: lines.count().over(
                    ibis.window(group_by=[lines[c] for c in identity]))})
            # Computed once into a temporary table, which each check then reads (a view would count the
            # identities again in each of the schema's 21 queries: 1.5 instead of 0.4 s for a 358k-line file).
            cursor.execute(f"create or replace temp table {_GATE_TABLE} as {backend.compile(lines)}")
            try:
                if not cursor.execute(f"select count(*) from {_GATE_TABLE}").fetchone()[0]:
                    continue  # no lines stored from this file (on Ibis, a check of no rows is NULL: failed)
                schema.validate(backend.table(_GATE_TABLE), lazy=True)
            except SchemaErrors as exc:
                failures += _located_failures(cursor, source_file, exc)
            finally:
                cursor.execute(f"drop table if exists {_GATE_TABLE}")
    finally:
        cursor.close()
    return failures


def _located_failures(con: duckdb.DuckDBPyConnection, source_file: str, exc: SchemaErrors) -> list[dict]:
    """The first ``GATE_FAILURES_PER_FILE`` failure cases of one file's validation on Ibis, each with the
    row it is at. A check across columns reports whole rows (``source_row`` among them); a column check
    reports the value, whose first row is looked up in the gated file's lines (``_GATE_TABLE``, on ``con``;
    a value failing on several rows is reported once)."""
    found: list[dict] = []
    for case in exc.failure_cases.to_dict("records"):
        if len(found) == GATE_FAILURES_PER_FILE:
            break
        value = case.get("failure_case")
        located = {"schema_context": case.get("schema_context"), "column": None, "check": case.get("check"),
                   "failure_case": None, "source_file": source_file, "source_row": None}
        if isinstance(value, dict) and "source_row" in value:  # a check across columns: the row itself
            located["source_row"] = int(value["source_row"])
        elif (isinstance(value, dict) and len(value) == 1) or (case.get("schema_context") == "Column"
                                                             and case.get("check") == "not_nullable"):
            # a column check: the value (a missing one for not_nullable)
            column, cell = next(iter(value.items())) if isinstance(value, dict) else (case.get("column"), None)
            located["column"] = column
            located["failure_case"] = None if pd.isna(cell) else str(cell)
            where = f'"{column}" is null' if pd.isna(cell) else f'"{column}" = ?'
            row = con.execute(f"select min(source_row) from {_GATE_TABLE} where {where}",
                              [] if pd.isna(cell) else [cell]).fetchone()
            located["source_row"] = row[0] if row else None
        else:  # the table itself: a missing column, a column of another type
            located["column"] = case.get("column")
            located["failure_case"] = None if value is None or pd.isna(value) else str(value)
        if located not in found:  # a value that fails on several rows: once, at its first row
            found.append(located)
    return found


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema) -> tuple[bool, list[dict]]:
    """Validate lazily. Returns (passed, first failure cases)."""
    try:
        schema.validate(df, lazy=True)
    except SchemaErrors as exc:
        return False, failure_summary(exc)
    return True, []
