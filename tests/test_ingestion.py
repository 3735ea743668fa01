"""Unit tests for the delivery configuration, the export readers and the validators."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
import xlsxwriter

from ingestion.config import ConfigError, invoice_table, load_anchor_config, load_anchor_configs
from ingestion.exports import DeliveryError, canonicalise, parse_cents, read_anchor, read_export
from ingestion.loader import ingest_anchor
from ingestion.schemas import Text, gate_stored_files, invoice_lines_schema, validate
from ingestion.warehouse import write_anchor

ANCHORS = ["de_alliantie", "gemeente_amsterdam", "hva", "olvg", "pantar", "stwt"]


def write_config(tmp_path: Path, code: str, body: str) -> Path:
    path = tmp_path / f"{code}.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


SAP_LIKE = """
    code: sap
    name: SAP-achtige organisatie
    files: "sap/*.csv"
    format: csv
    encoding: cp1252
    delimiter: ";"
    decimal: ","
    thousands: "."
    date_format: "%d-%m-%Y"
    amount_basis: excl_vat
    vat: column
    credit_notes:
      sign: negative
    columns:
      invoice_id: Factuurnummer
      invoice_line: Regel
      invoice_date: Factuurdatum
      supplier_ref: Crediteur
      supplier_name: Naam
      kvk_number: KvK
      supplier_postcode: Postcode
      supplier_country: Land
      amount: Bedrag
      vat_amount: Btw
"""

SAP_ROWS = [
    # header row is row 1 in the file, so these are rows 2..9
    "Factuurnummer;Regel;Factuurdatum;Crediteur;Naam;KvK;Postcode;Land;Bedrag;Btw",
    "F1;1;03-01-2024;C1;Café Één B.V.;12345678;1068 ab;NL;1.234,56;259,26",
    "F1;2;03-01-2024;C1;Café Één B.V.;12345678;1068 ab;NL;-100,00;-21,00",
    "F2;1;31-02-2024;C2;Bakkerij;87654321;1061AB;NL;10,00;2,10",       # impossible date
    "F3;1;04-01-2024;C3;Drukkerij;1234;9999;NL;12,5;2,63",             # bad postcode, KvK padded
    "F4;1;05-01-2024;C4;Duits GmbH;;10115;DE;abc;0",                    # amount not a number
    "F1;1;03-01-2024;C1;Café Één B.V.;12345678;1068AB;NL;5,00;1,05",   # duplicate line
    "F5;1;06-01-2024;;;;;;7,00;0",                                      # no supplier at all
    "F6;1;06-01-1999;C6;Oud;;;NL;8,00;0",                               # implausible date
]


@pytest.fixture
def sap(tmp_path):
    cfg = load_anchor_config(write_config(tmp_path, "sap", SAP_LIKE))
    landing = tmp_path / "landing" / "sap"
    landing.mkdir(parents=True)
    (landing / "export_2024.csv").write_bytes(("\r\n".join(SAP_ROWS) + "\r\n").encode("cp1252"))
    return cfg, tmp_path / "landing"


def test_shipped_anchor_configs_load():
    configs = load_anchor_configs()
    assert [c.code for c in configs] == ANCHORS
    assert {c.format for c in configs} == {"csv", "xlsx"}


@pytest.mark.parametrize(
    "change, message",
    [
        (("format: csv", "format: pdf"), "'format': 'pdf' is not one of csv, xlsx"),
        (("      amount: Bedrag\n", ""), "required field(s) not mapped: ['amount']"),
        (("      vat_amount: Btw\n", ""), "'vat': is 'column' but no vat_amount column is mapped"),
        (("      invoice_id: Factuurnummer", "      invoice_nr: Factuurnummer"), "unknown canonical field"),
        (("code: sap", "code: other"), "must equal the file name"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, change, message):
    body = SAP_LIKE.replace(*change)
    path = write_config(tmp_path, "sap", body)
    with pytest.raises(ConfigError) as err:
        load_anchor_config(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_cp1252_csv_with_decimal_commas(sap):
    cfg, landing = sap
    load = read_anchor(cfg, landing)
    result = load.result
    assert load.files == ["landing/sap/export_2024.csv"]
    acc = result.accepted.set_index(["invoice_id", "invoice_line"])
    assert acc.loc[("F1", 1), "supplier_name"] == "Café Één B.V."  # decoded from Windows-1252
    assert acc.loc[("F1", 1), "amount_excl_vat_cents"] == 123456
    assert acc.loc[("F1", 1), "vat_amount_cents"] == 25926
    assert acc.loc[("F1", 2), "amount_excl_vat_cents"] == -10000
    assert acc.loc[("F1", 1), "supplier_postcode"] == "1068AB"
    assert acc.loc[("F1", 1), "invoice_date"].date() == dt.date(2024, 1, 3)
    assert acc.loc[("F3", 1), "kvk_number"] == "00001234"  # leading zeros lost in a spreadsheet


def test_bad_rows_are_quarantined_with_file_row_field_and_reason(sap):
    cfg, landing = sap
    result = read_anchor(cfg, landing).result
    rej = result.rejected.set_index("source_row")
    assert set(rej.index) == {4, 6, 7, 8, 9}
    assert rej.loc[4, "field"] == "invoice_date" and "format %d-%m-%Y" in rej.loc[4, "reason"]
    assert rej.loc[4, "column"] == "Factuurdatum" and rej.loc[4, "reason_code"] == "invoice_date_invalid"
    assert rej.loc[6, "field"] == "amount" and rej.loc[6, "value"] == "abc"
    assert rej.loc[7, "field"] == "invoice_id"
    assert "already delivered in landing/sap/export_2024.csv row 2" in rej.loc[7, "reason"]
    assert rej.loc[8, "field"] == "supplier_ref"
    assert rej.loc[9, "field"] == "invoice_date" and "implausible" in rej.loc[9, "reason"]
    assert (rej["source_file"] == "landing/sap/export_2024.csv").all()
    # A malformed postcode does not throw the euros away: the line is kept, the field emptied, noted.
    issues = result.field_issues
    assert issues[["source_row", "field", "value"]].values.tolist() == [[5, "supplier_postcode", "9999"]]
    assert pd.isna(result.accepted.set_index("source_row").loc[5, "supplier_postcode"])


def test_rows_and_euros_reconcile_to_the_cent(sap):
    cfg, landing = sap
    result = read_anchor(cfg, landing).result
    assert result.rows_read == 8 == result.rows_accepted + result.rows_rejected
    # Parseable euros: 1234.56 - 100 + 10 + 12.50 + 5 + 7 + 8 (the "abc" row has none).
    assert result.cents_read == 123456 - 10000 + 1000 + 1250 + 500 + 700 + 800
    assert result.cents_read == result.cents_accepted + result.cents_rejected


def test_missing_column_rejects_the_whole_file(sap):
    cfg, landing = sap
    path = landing / "sap" / "export_2024.csv"
    path.write_bytes(path.read_bytes().replace(b"Bedrag", b"Bedrag (EUR)"))
    load = read_anchor(cfg, landing)
    (delivery,) = load.deliveries
    assert delivery.status == "rejected" and delivery.rows_read is None
    assert delivery.reason == ("landing/sap/export_2024.csv: required column(s) ['Bedrag'] not in the file; "
                               "did you mean 'Bedrag (EUR)' for 'Bedrag'?")
    assert load.result.rows_read == 0


def test_undecodable_file_is_named(tmp_path):
    body = SAP_LIKE.replace("encoding: cp1252", "encoding: utf-8")
    cfg = load_anchor_config(write_config(tmp_path, "sap", body))
    (tmp_path / "sap.csv").write_bytes("Naam\nCafé\n".encode("cp1252"))
    with pytest.raises(DeliveryError, match="sap.csv: the file cannot be decoded as utf-8 \\(byte 0xe9"):
        read_export(tmp_path / "sap.csv", cfg)


def test_credit_indicator_and_vat_rate_incl(tmp_path):
    body = """
        code: exact
        name: Exact
        files: "*.csv"
        format: csv
        delimiter: "|"
        decimal: ","
        date_format: "%d-%m-%Y"
        amount_basis: incl_vat
        vat: rate
        credit_notes:
          indicator_column: Soort
          credit_values: [C]
        columns:
          invoice_id: Nr
          invoice_date: Datum
          supplier_name: Naam
          amount: Bruto
          vat_rate: Tarief
    """
    cfg = load_anchor_config(write_config(tmp_path, "exact", body))
    frame = pd.DataFrame({
        "Nr": ["A", "A", "B", "C"], "Datum": ["1-2-2024", "1-2-2024", "2-2-2024", "3-2-2024"],
        "Naam": ["X"] * 4, "Bruto": ["121,00", "10,90", "121,00", "100,01"],
        "Tarief": ["21", "9", "21%", "0"], "Soort": ["F", "F", "C", "F"],
        "__source_row": [2, 3, 4, 5],
    })
    result = canonicalise([("x.csv", frame)], cfg)
    acc = result.accepted
    assert acc["amount_excl_vat_cents"].tolist() == [10000, 1000, -10000, 10001]
    assert acc["vat_amount_cents"].tolist() == [2100, 90, -2100, 0]
    assert acc["invoice_line"].tolist() == [1, 2, 1, 1]  # numbered within an invoice when absent
    assert acc["vat_basis"].tolist() == ["rate"] * 4  # computed from the rate, never read


def test_vat_basis_says_where_the_vat_amount_came_from(sap):
    cfg, landing = sap
    acc = read_anchor(cfg, landing).result.accepted
    assert set(acc["vat_basis"]) == {"column"}  # every accepted SAP line has a VAT cell
    frame = pd.DataFrame({"Factuurnummer": ["A", "B"], "Factuurdatum": ["01-02-2024", "01-02-2024"],
                          "Naam": ["X", "Y"], "Bedrag": ["10,00", "20,00"], "Btw": ["2,10", ""],
                          "__source_row": [2, 3]})
    acc = canonicalise([("x.csv", frame)], cfg).accepted
    assert acc["vat_basis"].tolist() == ["column", None]  # an empty VAT cell is unknown, not zero


def test_older_warehouse_tables_gain_new_contract_columns(sap, tmp_path):
    """A warehouse written before raw.rejected_rows had `column` and `reason_code` is brought up to the
    contract on the next load, without losing its rows or shifting values between columns."""
    cfg, landing = sap
    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("create schema raw")
        con.execute("create table raw.rejected_rows (anchor_code varchar, source_file varchar, source_row integer, "
                    "field varchar, value varchar, reason varchar, amount_eur decimal(18,2))")
        con.execute("insert into raw.rejected_rows values ('other', 'o.csv', 7, 'amount', 'x', 'old', 1.50)")
        write_anchor(con, cfg.code, read_anchor(cfg, landing))
        old = con.execute("select source_row, amount_eur, reason from raw.rejected_rows "
                          "where anchor_code = 'other'").fetchall()
        new = con.execute("select field, \"column\", reason_code from raw.rejected_rows "
                          "where anchor_code = 'sap' and source_row = 4").fetchall()
    assert old == [(7, Decimal("1.50"), "old")]
    assert new == [("invoice_date", "Factuurdatum", "invoice_date_invalid")]


def test_vat_rate_recovers_every_net_amount_exactly():
    # Independent truth: for each net amount and rate, gross = net + round_half_up(net * rate).
    from decimal import ROUND_HALF_UP, Decimal

    nets = list(range(1, 20001, 7)) + [-n for n in range(1, 5001, 13)]
    rows = []
    for net in nets:
        for rate in (0, 9, 21):
            vat = int((Decimal(net) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            rows.append((net, rate, net + vat))
    cfg = load_anchor_config(Path(__file__).parent.parent / "ingestion" / "anchors" / "pantar.yaml")
    assert cfg.vat == "rate" and cfg.amount_basis == "incl_vat"
    header = cfg.columns
    frame = pd.DataFrame({
        header["invoice_id"]: [f"I{i}" for i in range(len(rows))],
        header["invoice_date"]: ["1-2-2024"] * len(rows),
        header["amount"]: [f"{g / 100:.2f}".replace(".", cfg.decimal) for _, _, g in rows],
        header["vat_rate"]: [str(r) for _, r, _ in rows],
    })
    for field, column in header.items():
        if column not in frame.columns:
            frame[column] = "x" if field in ("supplier_ref", "supplier_name") else ""
    frame["__source_row"] = range(2, len(rows) + 2)
    result = canonicalise([("p.csv", frame)], cfg)
    assert result.rows_rejected == 0
    assert result.accepted["amount_excl_vat_cents"].tolist() == [n for n, _, _ in rows]


def test_parse_cents_text_and_numbers():
    cents, bad = parse_cents(pd.Series(["1.234,56", "-0,5", "12,345", "€ 3,00", "7-", 2.675, 1e3, ""]), ",", ".")
    assert cents.tolist()[:6] == [123456, -50, pd.NA, 300, -700, 268]
    assert bad.tolist() == [False, False, True, False, False, False, False, False]
    assert cents.iloc[6] == 100000 and pd.isna(cents.iloc[7])


def test_xlsx_with_title_rows_footer_and_date_cells(tmp_path):
    body = """
        code: afas
        name: AFAS
        files: "*.xlsx"
        format: xlsx
        sheet: Facturen
        skip_rows: 2
        skip_footer: 1
        amount_basis: incl_vat
        vat: column
        columns:
          invoice_id: Factuur
          invoice_date: Datum
          supplier_name: Naam
          supplier_ref: Crediteur
          amount: Bedrag incl. btw
          vat_amount: Btw
    """
    cfg = load_anchor_config(write_config(tmp_path, "afas", body))
    path = tmp_path / "afas.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Facturen")
    date_fmt = wb.add_format({"num_format": "dd-mm-yyyy"})
    ws.write(0, 0, "Export crediteurenfacturen 2024")
    ws.write_row(2, 0, ["Factuur", "Datum", "Naam", "Crediteur", "Bedrag incl. btw", "Btw"])
    ws.write_row(3, 0, ["A1", None, "Groen Coöperatie U.A.", 1001])
    ws.write_datetime(3, 1, dt.datetime(2023, 5, 17), date_fmt)
    ws.write_number(3, 4, 121.0)
    ws.write_number(3, 5, 21.0)
    ws.write_row(4, 0, ["A2", None, "Bouw BV", 1002])
    ws.write_datetime(4, 1, dt.datetime(2023, 6, 1), date_fmt)
    ws.write_number(4, 4, -60.5)
    ws.write_number(4, 5, -10.5)
    ws.write_row(5, 0, ["Totaal", None, None, None, 60.5, 10.5])
    wb.close()
    frame = read_export(path, cfg)
    assert frame["__source_row"].tolist() == [4, 5]  # header is spreadsheet row 3
    result = canonicalise([("afas.xlsx", frame)], cfg)
    acc = result.accepted
    assert acc["amount_excl_vat_cents"].tolist() == [10000, -5000]
    assert acc["supplier_ref"].tolist() == ["1001", "1002"]
    assert [d.date() for d in acc["invoice_date"]] == [dt.date(2023, 5, 17), dt.date(2023, 6, 1)]


def test_stored_table_passes_schema_and_schema_catches_bad_rows(sap, tmp_path):
    cfg, landing = sap
    load = read_anchor(cfg, landing)
    result = load.result
    table = "raw.invoice_lines__sap"
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        write_anchor(con, cfg.code, load)
        rejected = con.execute("select count(*), sum(amount_eur) from raw.rejected_rows").fetchone()
        total = con.execute(f"select sum(amount_excl_vat) from {table}").fetchone()[0]
        files = [r[0] for r in con.execute(f"select distinct source_file from {table} order by 1").fetchall()]
        assert gate_stored_files(con, table, files, invoice_lines_schema()) == []
        first, second = con.execute(f"select source_file, source_row, invoice_id, invoice_line from {table} "
                                    "order by source_file, source_row limit 2").fetchall()
        con.execute(f"update {table} set kvk_number = '123' where source_file = ? and source_row = ?", first[:2])
        con.execute(f"update {table} set invoice_id = ?, invoice_line = ? where source_file = ? and source_row = ?",
                    [first[2], first[3], *second[:2]])
        failures = gate_stored_files(con, table, files, invoice_lines_schema())
    assert rejected[0] == 5
    assert int(total * 100) + int(rejected[1] * 100) == result.cents_read
    found = {(f["check"], f["column"], f["source_file"], f["source_row"]) for f in failures}
    assert found == {
        ("str_matches('^[0-9]{8}$')", "kvk_number", *first[:2]),
        ("no two lines share (invoice_id, invoice_line)", None, *first[:2]),
        ("no two lines share (invoice_id, invoice_line)", None, *second[:2]),
    }


@pytest.mark.parametrize("column", [
    ["a", None, np.nan, "b"],  # only text and missing cells: the fast path
    ["a", 5, None, 2.5],  # numbers among the text
    [b"a", "b", True, pd.Timestamp("2024-01-01")],  # bytes, a bool, a date
    [1, 2, 3, 4],  # int64, not object
    [None, None, None, None],  # every cell missing
])
def test_text_column_type_fails_exactly_where_pandera_str_does(column):
    """``Text`` (the gate's text type, checked in C when every cell is a str) reports the same failures,
    cell by cell, as pandera's own ``str``, nullable or not."""
    df = pd.DataFrame({"c": column})
    for nullable in (True, False):
        ours = validate(df, pa.DataFrameSchema({"c": pa.Column(Text, nullable=nullable)}))
        stock = validate(df, pa.DataFrameSchema({"c": pa.Column(str, nullable=nullable)}))
        assert ours == stock
    assert validate(df, pa.DataFrameSchema({"c": pa.Column(Text, nullable=True)}))[0] == (
        all(isinstance(v, str) or pd.isna(v) for v in column))


def test_the_gate_on_stored_files_reports_what_breaks_the_schema(sap, tmp_path):
    """The anchor asset's gate (gate_stored_files) passes what the loader stored and, once stored values
    are broken behind its back, names the column, the check and the value, per file."""
    cfg, landing = sap
    table = invoice_table(cfg.code)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load = ingest_anchor(con, cfg, landing)
        assert load.files_read
        assert gate_stored_files(con, table, load.files_read, invoice_lines_schema()) == []
        first = load.files_read[0]
        row = con.execute(f"select min(source_row) from {table} where source_file = ?", [first]).fetchone()[0]
        con.execute(f"update {table} set kvk_number = '123' where source_file = ? and source_row = ?", [first, row])
        con.execute(f"update {table} set supplier_postcode = '1234 ab', supplier_country = 'NL' "
                    f"where source_file = ? and source_row = ?", [first, row])
        failures = gate_stored_files(con, table, load.files_read, invoice_lines_schema())
    found = {(f["column"], f["failure_case"]) for f in failures}
    assert ("kvk_number", "123") in found
    assert any(f["check"].startswith("Dutch postcode") for f in failures)
    assert all(f["check"] for f in failures)


def test_the_loaders_gate_reports_what_the_warehouse_then_holds(sap, tmp_path, monkeypatch):
    """The anchor asset takes its gate from the loader (``AnchorIngest.gate_failures``), which runs it on
    each file's lines as staged for the warehouse: when the mapping lets a bad value through, that gate
    names it, and says what the gate on the stored table says."""
    from ingestion import loader

    cfg, landing = sap
    real = loader.canonicalise

    def letting_a_bad_kvk_number_through(frames, cfg):
        result = real(frames, cfg)
        result.accepted.loc[0, "kvk_number"] = "123"
        return result

    monkeypatch.setattr(loader, "canonicalise", letting_a_bad_kvk_number_through)
    monkeypatch.setenv(loader.PROCESSES_ENV, "0")  # a thread: the patched mapping runs in this process
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load = ingest_anchor(con, cfg, landing)
        stored = gate_stored_files(con, invoice_table(cfg.code), load.files_read, invoice_lines_schema())
    assert ("kvk_number", "123") in {(f["column"], f["failure_case"]) for f in load.gate_failures}
    assert load.gate_failures == stored


def test_the_gate_names_every_broken_row_of_a_file():
    """``gate_stored_files`` (pandera's Ibis backend, in DuckDB) finds every value planted in a stored
    file that breaks the schema, and names each by file, row and column: bad values at the start, the
    middle and the end of the file, a missing required value, a line without creditor number or name,
    and a line identity shared by rows far apart (each of the two rows is named). Other files of the
    table are not reported."""
    from ingestion.warehouse import create_invoice_table, ensure_raw_tables

    n = 5_000
    with duckdb.connect() as con:
        ensure_raw_tables(con)
        create_invoice_table(con, "raw.staged")
        con.execute(f"""
            insert into raw.staged by name
            select 'sap' as anchor_code, 'SAP' as anchor_name, 'f.csv' as source_file, i + 1 as source_row,
                   'F' || i as invoice_id, 1 as invoice_line, date '2024-01-01' + (i % 300)::integer as invoice_date,
                   'C' || (i % 97) as supplier_ref, null as supplier_name, '12345678' as kvk_number,
                   '1068AB' as supplier_postcode, 'NL' as supplier_country,
                   (i % 1000)::decimal(18, 2) as amount_excl_vat, null as vat_amount, null as vat_basis
            from range({n}) t(i)
        """)
        schema = invoice_lines_schema()
        assert gate_stored_files(con, "raw.staged", ["f.csv"], schema) == []
        # A second file with the same broken values: the gate looks only at the files it is given.
        con.execute("insert into raw.staged select * replace ('g.csv' as source_file) from raw.staged")
        for file in ("f.csv", "g.csv"):
            con.execute("update raw.staged set kvk_number = '123' where source_row = 5 and source_file = ?", [file])
            con.execute("update raw.staged set kvk_number = '1234567' where source_row = 3000 and source_file = ?",
                        [file])
            con.execute("update raw.staged set supplier_postcode = '1068 ab' where source_row = 4990 "
                        "and source_file = ?", [file])
            con.execute("update raw.staged set invoice_id = 'F10' where source_row = 4500 and source_file = ?",
                        [file])  # the identity of row 11
            con.execute("update raw.staged set anchor_name = null where source_row = 2000 and source_file = ?",
                        [file])
            con.execute("update raw.staged set supplier_ref = null where source_row = 77 and source_file = ?",
                        [file])
            con.execute("update raw.staged set invoice_date = date '1999-12-31' where source_row = 4999 "
                        "and source_file = ?", [file])
        failures = gate_stored_files(con, "raw.staged", ["f.csv"], schema)

    found = {(f["source_file"], f["source_row"], f["column"], f["failure_case"], f["check"]) for f in failures}
    kvk = "str_matches('^[0-9]{8}$')"
    identity = "no two lines share (invoice_id, invoice_line)"
    assert found == {
        ("f.csv", 5, "kvk_number", "123", kvk),
        ("f.csv", 3000, "kvk_number", "1234567", kvk),
        ("f.csv", 4990, None, None, "Dutch postcode not normalised to 1234AB"),
        ("f.csv", 11, None, None, identity),
        ("f.csv", 4500, None, None, identity),
        ("f.csv", 2000, "anchor_name", None, "not_nullable"),
        ("f.csv", 77, None, None, "supplier_ref and supplier_name both empty"),
        ("f.csv", 4999, "invoice_date", "1999-12-31 00:00:00",
         f"in_range(2000-01-01, {dt.date.today() + dt.timedelta(days=366)})"),
    }
    assert len(failures) == len(found)  # each once
