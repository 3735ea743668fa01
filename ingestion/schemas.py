"""pandera schemas that gate every ingested table.

The orchestration layer reads each table back from the warehouse after it was written and validates
it with these schemas in a blocking asset check: a table that fails never reaches the marts. An anchor's
invoice lines are validated by the loader (ingestion/loader.py), file by file, as they are staged for the
warehouse (read back with the warehouse's types, then appended unchanged), in its worker processes.
"""

from __future__ import annotations

import copy
import datetime as dt
import re

import numpy as np
import pandas as pd
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


_NL_POSTCODE = re.compile(NL_POSTCODE_RE)


def _nl_postcodes_valid(df: pd.DataFrame) -> pd.Series:
    """Dutch suppliers' postcodes, when present, are normalised 1234AB."""
    is_nl = df["supplier_country"] == "NL"
    return ~is_nl | _matching(df["supplier_postcode"], _NL_POSTCODE)


def invoice_lines_schema(line_identity: tuple[str, ...] = ("invoice_id", "invoice_line"),
                         earliest: dt.date = dt.date(2000, 1, 1)) -> pa.DataFrameSchema:
    """One anchor's accepted invoice lines as stored in ``raw.invoice_lines__<anchor>``; no two lines
    share the anchor's ``line_identity``."""
    latest = dt.date.today() + dt.timedelta(days=366)
    text = dict(dtype=object, nullable=True)
    return pa.DataFrameSchema(
        name="raw.invoice_lines",
        columns={
            "anchor_code": pa.Column(Text, matches(r"^[a-z][a-z0-9_]*$")),
            "anchor_name": pa.Column(Text),
            "source_file": pa.Column(Text),
            "source_row": pa.Column("int32", pa.Check.ge(1)),
            "invoice_id": pa.Column(Text, pa.Check.str_length(min_value=1)),
            "invoice_line": pa.Column("int32", pa.Check.ge(0)),
            "invoice_date": pa.Column(
                "datetime64[ns]",
                pa.Check.in_range(pd.Timestamp(earliest), pd.Timestamp(latest)),
            ),
            "supplier_ref": pa.Column(**text),
            "supplier_name": pa.Column(**text),
            "kvk_number": pa.Column(object, matches(KVK_RE), nullable=True),
            "vestigingsnummer": pa.Column(object, matches(VESTIGING_RE), nullable=True),
            "supplier_postcode": pa.Column(**text),
            "supplier_country": pa.Column(Text, matches(r"^[A-Z]{2}$")),
            "amount_excl_vat": pa.Column(float),
            "vat_amount": pa.Column(float, nullable=True),
            "vat_basis": pa.Column(object, pa.Check.isin(["column", "rate"]), nullable=True),
        },
        checks=[
            pa.Check(_nl_postcodes_valid, error="Dutch postcode not normalised to 1234AB"),
            pa.Check(lambda df: df["supplier_ref"].notna() | df["supplier_name"].notna(),
                     error="supplier_ref and supplier_name both empty"),
        ],
        unique=list(line_identity),
        report_duplicates="all",
        strict=False,
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
            pa.Check(
                lambda df: df.groupby("kvk_nummer")["ind_hoofdvestiging"].transform(
                    lambda s: (s == "Ja").sum()) <= 1,
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


# Rows of a stored file the gate validates at once. A worker process that gates a 358k-line file of Gemeente
# Amsterdam in one frame peaked at about 0.9 GiB, 0.4 GiB of it the frame read back (README "Scale and
# speed": two workers and the Dagster process went over 3 GiB together).
GATE_ROWS = 100_000
# Failure cases kept per file (as ``validate`` keeps per call).
GATE_FAILURES_PER_FILE = 20


def gate_stored_files(con, table: str, files: list[str], schema: pa.DataFrameSchema,
                      rows: int = GATE_ROWS) -> list[dict]:
    """The blocking gate of an anchor's load: ``schema`` on what the load stored, one file at a time (the
    earlier files passed it when they were loaded), reading back only the columns the schema names
    (a third less to read at Gemeente Amsterdam's width).

    Each file is validated ``rows`` rows at a time, against the schema without its ``unique`` columns;
    those (the line identity) are then validated over the whole file at once, read back alone. Every
    check of the schema looks at one row at a time but ``unique``, so this is the schema's verdict on the
    whole file, in a fraction of the memory. A failure's index is the row's position in the file's stored
    lines, as when the file is validated whole. Returns the first failure cases (empty: passed)."""
    from ingestion.warehouse import read_back, read_back_in_parts

    stored_columns = {d[0] for d in con.execute(f"select * from {table} limit 0").description}
    identity = list(schema.unique or [])
    per_row = copy.deepcopy(schema)
    per_row.unique = None
    # A column the schema wants but the table lacks is left for pandera to report as missing.
    columns = [c for c in schema.columns if c in stored_columns]
    failures: list[dict] = []
    for name in files:
        found: list[dict] = []
        for part in read_back_in_parts(con, table, source_file=name, columns=columns, rows=rows):
            found += validate(part, per_row)[1]
            if len(found) >= GATE_FAILURES_PER_FILE:
                break  # enough to report: the rest of the file is not read
        if identity:
            keys = read_back(con, table, source_file=name, columns=[c for c in identity if c in stored_columns])
            if len(keys):
                found += validate(keys, pa.DataFrameSchema(name=schema.name, unique=identity,
                                                           report_duplicates=schema.report_duplicates))[1]
        failures += found[:GATE_FAILURES_PER_FILE]
    return failures


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema) -> tuple[bool, list[dict]]:
    """Validate lazily. Returns (passed, first failure cases)."""
    try:
        schema.validate(df, lazy=True)
    except SchemaErrors as exc:
        return False, failure_summary(exc)
    return True, []
