"""Onboarding a new anchor by configuration alone.

A layout the project has not seen: a Parquet export (written with DuckDB ``COPY ... TO``), English
headers, a booking period column, amounts including VAT with a VAT column, a supplier IBAN column and
invoice dates as real DATE values. Only a YAML file is written (into a temporary config folder, not
``ingestion/anchors/``); the Dagster asset is built from it with the project's own factory and
materialized for real into a DuckDB file under tmp_path. The expected lines and net amounts are
computed here from the literal values written into the export.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal

import dagster
import duckdb

from ingestion.config import ANCHOR_CONFIG_DIR, load_anchor_config
from orchestration.assets.anchors import build_anchor_asset, raw_invoice_key
from orchestration.resources import CwbPaths

CODE = "zuidas_zorg"
EXPORT = "ap_export_2024-03.parquet"

CONFIG = """
    # Zuidas Zorggroep: ERP export as Parquet, English headers, amounts including VAT.
    code: zuidas_zorg
    name: Zuidas Zorggroep
    files: "zuidas_zorg/ap_export_*.parquet"
    format: parquet
    amount_basis: incl_vat
    vat: column
    credit_notes:
      sign: negative
    default_country: NL
    period_pattern: "_(?P<year>\\\\d{4})-(?P<month>\\\\d{2})"
    columns:
      invoice_id: Invoice Number
      invoice_line: Line
      invoice_date: Invoice Date
      booking_period: Booking Period
      supplier_ref: Supplier ID
      supplier_name: Supplier Name
      iban: Supplier IBAN
      supplier_postcode: Postal Code
      supplier_country: Country
      amount: Gross Amount
      vat_amount: VAT Amount
      currency: Currency
      cost_centre: Cost Center
      description: Description
"""

# Invoice Number, Line, Invoice Date, Booking Period, Supplier ID, Supplier Name, Supplier IBAN,
# Postal Code, Country, Gross Amount, VAT Amount, Currency, Cost Center, Description
LINES = [
    ("INV-24-0301", 1, dt.date(2024, 3, 4), 202403, "S-0042", "Zorgtechniek Nieuw-West B.V.",
     "NL91ABNA0417164300", "1062 AB", "Netherlands", "1210.00", "210.00", "EUR", "CC-100", "Tilliften"),
    ("INV-24-0301", 2, dt.date(2024, 3, 4), 202403, "S-0042", "Zorgtechniek Nieuw-West B.V.",
     "NL91ABNA0417164300", "1062 AB", "Netherlands", "60.50", "10.50", "EUR", "CC-100", "Installatie"),
    ("INV-24-0302", 1, dt.date(2024, 3, 11), 202403, "S-0107", "Linnenservice Osdorp",
     "NL20 INGB 0001 2345 67", "1069KL", "", "2456.30", "426.30", "EUR", "CC-220", "Linnen maart"),
    ("INV-24-0303", 1, dt.date(2024, 3, 15), 202403, "S-0311", "Medizintechnik Berlin GmbH",
     "DE89370400440532013000", "10115", "Germany", "5000.00", "0.00", "EUR", "CC-100", "Reverse charge"),
    ("CN-24-0011", 1, dt.date(2024, 3, 20), 202403, "S-0107", "Linnenservice Osdorp",
     "NL20INGB0001234568", "1069 KL", "NL", "-121.00", "-21.00", "EUR", "CC-220", "Creditnota linnen"),
]


def write_export(path) -> None:
    """The anchor's export as its ERP writes it: typed Parquet columns (DATE, INTEGER, DECIMAL)."""
    with duckdb.connect() as con:
        con.execute("""
            create table export (
                "Invoice Number" varchar, "Line" integer, "Invoice Date" date, "Booking Period" integer,
                "Supplier ID" varchar, "Supplier Name" varchar, "Supplier IBAN" varchar, "Postal Code" varchar,
                "Country" varchar, "Gross Amount" decimal(14,2), "VAT Amount" decimal(14,2), "Currency" varchar,
                "Cost Center" varchar, "Description" varchar
            )""")
        con.executemany("insert into export values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::decimal(14,2), "
                        "?::decimal(14,2), ?, ?, ?)", LINES)
        con.execute(f"copy export to '{path}' (format parquet)")


def test_new_anchor_is_onboarded_by_a_yaml_file_alone(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / f"{CODE}.yaml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    data_dir = tmp_path / "data"
    (data_dir / "landing" / CODE).mkdir(parents=True)
    write_export(data_dir / "landing" / CODE / EXPORT)
    warehouse = tmp_path / "warehouse" / "cwb.duckdb"

    cfg = load_anchor_config(config_dir / f"{CODE}.yaml")
    asset = build_anchor_asset(cfg)
    result = dagster.materialize(
        [asset],
        resources={"paths": CwbPaths(data_dir=str(data_dir), warehouse=str(warehouse),
                                     output_dir=str(tmp_path / "output"))},
    )
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert [(e.asset_key, e.check_name, e.passed) for e in evaluations] == [
        (raw_invoice_key(CODE), "pandera_invoice_lines", True)]
    assert not (ANCHOR_CONFIG_DIR / f"{CODE}.yaml").exists()  # nothing was added to the project

    # Expected lines: net = gross - VAT, computed from the literals above.
    source_file = f"landing/{CODE}/{EXPORT}"
    countries = {"Netherlands": "NL", "": "NL", "NL": "NL", "Germany": "DE"}
    ibans = {"NL91ABNA0417164300": "NL91ABNA0417164300", "NL20 INGB 0001 2345 67": "NL20INGB0001234567",
             "DE89370400440532013000": "DE89370400440532013000", "NL20INGB0001234568": None}  # bad checksum
    postcodes = {"1062 AB": "1062AB", "1069KL": "1069KL", "1069 KL": "1069KL", "10115": "10115"}
    expected = [
        (source_file, row, inv, line, date, f"{str(period)[:4]}-{str(period)[4:]}", ref, name, ibans[iban],
         postcodes[pc], countries[country], Decimal(gross) - Decimal(vat), Decimal(vat), cur, cc, desc)
        for row, (inv, line, date, period, ref, name, iban, pc, country, gross, vat, cur, cc, desc)
        in enumerate(LINES, start=1)
    ]
    assert [e[11] for e in expected] == [Decimal("1000.00"), Decimal("50.00"), Decimal("2030.00"),
                                         Decimal("5000.00"), Decimal("-100.00")]

    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = con.execute(f"""
            select source_file, source_row, invoice_id, invoice_line, invoice_date, booking_period, supplier_ref,
                   supplier_name, iban, supplier_postcode, supplier_country, amount_excl_vat, vat_amount,
                   currency, cost_centre, description
            from raw.invoice_lines__{CODE} order by source_row""").fetchall()
        types = dict(con.execute(f"select column_name, data_type from information_schema.columns "
                                 f"where table_schema = 'raw' and table_name = 'invoice_lines__{CODE}'").fetchall())
        deliveries = con.execute(
            "select source_file, status, declared_period, rows_read, rows_loaded, rows_rejected, rows_superseded, "
            "euros_read, euros_loaded, euros_rejected, euros_superseded from raw.deliveries where anchor_code = ?",
            [CODE]).fetchall()
        rejected = con.execute("select count(*) from raw.rejected_rows where anchor_code = ?", [CODE]).fetchone()
        issues = con.execute("select source_row, field, value, reason_code from raw.field_issues "
                             "where anchor_code = ?", [CODE]).fetchall()

    assert stored == expected
    assert types["amount_excl_vat"] == "DECIMAL(18,2)" and types["invoice_date"] == "DATE"
    total = sum(e[11] for e in expected)
    assert total == Decimal("7980.00")
    assert deliveries == [(source_file, "loaded", "2024-03", 5, 5, 0, 0, total, total, Decimal("0.00"),
                           Decimal("0.00"))]
    assert rejected == (0,)
    assert issues == [(5, "iban", "NL20INGB0001234568", "iban_invalid")]
