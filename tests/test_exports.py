"""Exports for analysts (issue 6): the Excel workbook and the Parquet files.

Unit tests build a small warehouse by hand (every column type the marts use, NULLs, a line-level mart,
a mart longer than the sheet limit given); the end-to-end tests read the exports the session fixture
`pipeline` wrote for the 2 % sample. Dutch labels: every column of every mart has one, checked against
dbt's manifest (fast) and against the built warehouse's information_schema.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from dashboards.exports import (
    DEFAULT_EXCEL_MAX_ROWS,
    EXCEL_MAX_DATA_ROWS,
    EXCEL_MAX_ROWS_ENV,
    PARQUET_ONLY,
    SHEET_ABOUT,
    SHEET_DEFINITIONS,
    WORKBOOK_NAME,
    excel_max_rows,
    export_excel,
    export_parquet,
    sheet_names,
)
from dashboards.labels_nl import COLUMNS_NL, MARTS_NL

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "dbt_project" / "target" / "manifest.json"


def manifest_marts() -> dict[str, list[str]]:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {n["name"]: list(n["columns"]) for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["original_file_path"].startswith("models/marts/")}


def read_sheets(path: Path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


# --------------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------------

def test_every_mart_and_column_of_the_dbt_project_has_a_dutch_label():
    marts = manifest_marts()
    assert len(marts) >= 21
    assert not set(marts) - set(MARTS_NL), "marts without a Dutch sheet name in dashboards/labels_nl.py"
    missing = sorted({c for cols in marts.values() for c in cols} - set(COLUMNS_NL))
    assert not missing, f"mart columns without a Dutch label in dashboards/labels_nl.py: {missing}"
    for mart, cols in marts.items():
        labels = Counter(COLUMNS_NL[c] for c in cols)
        assert not [lbl for lbl, n in labels.items() if n > 1], f"{mart}: two columns share a Dutch header"


def test_sheet_names_fit_excel():
    names = [s for s, _ in MARTS_NL.values()]
    assert all(0 < len(s) <= 31 for s in names)
    assert all(not set(s) & set("[]:*?/\\") for s in names)
    assert len({s.lower() for s in names} | {SHEET_ABOUT.lower(), SHEET_DEFINITIONS.lower()}) == len(names) + 2
    # An unknown mart gets its technical name cut to 31 characters, made unique.
    got = sheet_names(["fct_a_mart_nobody_has_labelled_yet_1", "fct_a_mart_nobody_has_labelled_yet_2"])
    assert [len(s) for s in got.values()] == [31, 31]
    assert len(set(got.values())) == 2


# --------------------------------------------------------------------------------------------------
# On a hand-made warehouse
# --------------------------------------------------------------------------------------------------

@pytest.fixture
def small_warehouse(tmp_path):
    """The exports read schema publication (what may leave the platform); the date of the data comes from
    the line-level mart in schema marts. A line-level table in publication exercises the Parquet-only path."""
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema publication")
        con.execute("create schema marts")
        con.execute("""
            create table publication.fct_spend_by_tier as select * from (values
                ('olvg', 'OLVG', 2024, 'nieuw_west', 1234567.89::decimal(18,2), 3::bigint, 0.1234::double, 'cles'),
                ('olvg', 'OLVG', 2024, 'unknown', -10.50::decimal(18,2), 1::bigint, NULL::double, 'cles'),
                ('hva', '=HYPERLINK("x")', 2023, 'abroad', NULL::decimal(18,2), 0::bigint, 'nan'::double, 'cles'))
              t(anchor_code, anchor_name, year, tier, spend_eur, n_lines, share, placement_basis)""")
        con.execute("""
            create table marts.fct_invoice_lines as select * from (values
                ('k1', 'olvg', date '2024-03-01', 12.34::decimal(18,2), true),
                ('k2', 'olvg', date '2025-06-30', -1.00::decimal(18,2), false))
              t(invoice_line_key, anchor_code, invoice_date, amount_excl_vat, is_influenceable)""")
        con.execute("create table publication.fct_invoice_lines as select * from marts.fct_invoice_lines")
        con.execute("""
            create table publication.fct_delivery_reconciliation as select * from (values
                ('olvg', 'landing/olvg/a.csv', timestamp '2025-01-02 03:04:05', true, date '2025-06-30'),
                ('hva', 'landing/hva/c.csv', NULL, NULL, NULL))
              t(anchor_code, source_file, processed_at, reconciles, last_invoice_date)""")
        con.execute("""create table publication.fct_lm3 as select 'olvg' as anchor_code, 2024 as year,
                       1.5::double as lm3, '2026.1' as metric_definition_version""")
    return path


def test_excel_on_a_hand_made_warehouse(small_warehouse, tmp_path):
    out = tmp_path / "exports"
    built = datetime(2026, 1, 2, 3, 4, 5)
    result = export_excel(small_warehouse, out, manifest_path=MANIFEST, synthetic=True, built_at=built,
                          max_rows=2)
    assert result.path == out / WORKBOOK_NAME and result.path.exists()
    assert not list(out.glob(".*tmp"))
    # fct_invoice_lines is Parquet only; the 3-row mart is over the given limit of 2 rows.
    assert set(result.left_out) == {"fct_invoice_lines", "fct_spend_by_tier"}
    assert result.rows == {"fct_lm3": 1, "fct_delivery_reconciliation": 2}
    sheets = read_sheets(result.path)
    assert list(sheets)[:2] == [SHEET_ABOUT, SHEET_DEFINITIONS]
    assert set(sheets) == {SHEET_ABOUT, SHEET_DEFINITIONS, MARTS_NL["fct_lm3"][0],
                           MARTS_NL["fct_delivery_reconciliation"][0]}

    about = "\n".join(" | ".join(str(c) for c in row) for row in sheets[SHEET_ABOUT])
    assert "synthetische voorbeeldgegevens" in about
    assert "2025-06-30" in about  # the date of the data: the latest invoice date
    assert "2026-01-02 03:04:05" in about
    assert "2026.1" in about
    assert "exclusief btw" in about and "creditnota's zijn verrekend" in about
    assert "Niet in deze werkmap: fct_invoice_lines" in about and "parquet/fct_invoice_lines.parquet" in about
    # the 3-row mart: over this workbook's limit, which the About sheet names, with where its rows are
    assert "Niet in deze werkmap: fct_spend_by_tier | 3 rijen, meer dan de 2 van deze werkmap " \
           "(CWB_EXCEL_MAX_ROWS): alleen als Parquet (parquet/fct_spend_by_tier.parquet)" in about

    definitions = sheets[SHEET_DEFINITIONS]
    assert definitions[0][:5] == ["Mart", "Blad", "Kolom (kop in het blad)", "Technische naam", "Datatype"]
    by_column = {(r[0], r[3]): r for r in definitions[1:] if r[3]}
    assert by_column[("fct_lm3", "lm3")][2] == "LM3"
    assert by_column[("fct_lm3", "lm3")][4] == "DOUBLE"
    assert "round1_eur" in by_column[("fct_lm3", "lm3")][5]  # the formula, from dbt's docs
    assert by_column[("fct_invoice_lines", "amount_excl_vat")][1].startswith("alleen Parquet")

    recon = sheets[MARTS_NL["fct_delivery_reconciliation"][0]]
    assert recon[0] == [COLUMNS_NL[c] for c in ("anchor_code", "source_file", "processed_at", "reconciles",
                                                "last_invoice_date")]
    assert recon[1] == ["hva", "landing/hva/c.csv", "", "", ""]  # NULLs are empty cells
    assert recon[2][2] == datetime(2025, 1, 2, 3, 4, 5) and recon[2][3] is True


def test_the_workbooks_row_limit_comes_from_the_environment(small_warehouse, tmp_path, monkeypatch):
    monkeypatch.delenv(EXCEL_MAX_ROWS_ENV, raising=False)
    assert excel_max_rows() == DEFAULT_EXCEL_MAX_ROWS == 100_000
    monkeypatch.setenv(EXCEL_MAX_ROWS_ENV, "1_048_575")
    assert excel_max_rows() == EXCEL_MAX_DATA_ROWS
    assert excel_max_rows("0") == 0  # an argument wins over the environment
    for bad in ("-1", "1e5", "many", "1048576"):
        with pytest.raises(ValueError, match=f"CWB_EXCEL_MAX_ROWS='{bad}'"):
            excel_max_rows(bad)
    # From the environment: the 3-row mart fits a limit of 3 and not one of 2 (fct_invoice_lines never does).
    for limit, left_out in (("3", {"fct_invoice_lines"}), ("2", {"fct_invoice_lines", "fct_spend_by_tier"})):
        monkeypatch.setenv(EXCEL_MAX_ROWS_ENV, limit)
        result = export_excel(small_warehouse, tmp_path / limit, manifest_path=MANIFEST, log=lambda m: None)
        assert set(result.left_out) == left_out, limit
        assert set(result.rows) == {"fct_lm3", "fct_delivery_reconciliation", "fct_spend_by_tier"} - left_out
    monkeypatch.setenv(EXCEL_MAX_ROWS_ENV, "lots")
    with pytest.raises(ValueError, match="CWB_EXCEL_MAX_ROWS"):
        export_excel(small_warehouse, tmp_path / "bad", manifest_path=MANIFEST, log=lambda m: None)


def test_excel_types_and_number_formats(small_warehouse, tmp_path):
    result = export_excel(small_warehouse, tmp_path, manifest_path=MANIFEST, built_at=datetime(2026, 1, 1))
    sheets = read_sheets(result.path)
    assert "synthetische" not in str(sheets[SHEET_ABOUT])
    tier = sheets[MARTS_NL["fct_spend_by_tier"][0]]
    assert tier[0][4] == "Uitgaven (EUR)" and tier[0][6] == "Aandeel"
    rows = {r[3]: r for r in tier[1:]}
    # Amounts and shares are numbers (formatted by Excel), not text; a formula-looking name stays text.
    assert rows["nieuw_west"][4] == pytest.approx(1234567.89) and rows["unknown"][4] == pytest.approx(-10.5)
    assert rows["nieuw_west"][6] == pytest.approx(0.1234)
    assert rows["abroad"][1] == '=HYPERLINK("x")'
    with zipfile.ZipFile(result.path) as z:
        styles = z.read("xl/styles.xml").decode()
        sheet_xml = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert 'formatCode="#,##0.00"' in styles and 'formatCode="0.00%"' in styles
    assert 'formatCode="dd-mm-yyyy hh:mm:ss"' in styles
    assert not any("<f>" in x for x in sheet_xml), "no cell is a formula"


def test_parquet_round_trip(small_warehouse, tmp_path):
    out = tmp_path / "exports"
    stale = out / "parquet" / "fct_gone.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    result = export_parquet(small_warehouse, out, log=lambda _m: None)
    assert not stale.exists()
    assert result.rows == {"fct_spend_by_tier": 3, "fct_invoice_lines": 2, "fct_delivery_reconciliation": 2,
                           "fct_lm3": 1}
    with duckdb.connect(str(small_warehouse), read_only=True) as con:
        for mart in result.rows:
            f = out / "parquet" / f"{mart}.parquet"
            assert con.execute(f"describe select * from publication.{mart}").fetchall() == \
                   con.execute(f"describe select * from read_parquet('{f}')").fetchall()
            diff = con.execute(f"""select count(*) from (
                (select * from publication.{mart} except all select * from read_parquet('{f}'))
                union all (select * from read_parquet('{f}') except all select * from publication.{mart}))"""
                               ).fetchone()
            assert diff == (0,), mart
        kv = dict(con.execute(f"select key::varchar, value::varchar from parquet_kv_metadata("
                              f"'{out / 'parquet' / 'fct_lm3.parquet'}')").fetchall())
    assert kv["cwb_mart"] == "publication.fct_lm3"


# --------------------------------------------------------------------------------------------------
# End to end, on the 2 % sample
# --------------------------------------------------------------------------------------------------

def _columns_by_relation(pipeline, schema: str) -> dict[str, list[str]]:
    """{relation: its columns in order} of one schema of the pipeline's warehouse."""
    _, _, warehouse, _ = pipeline
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select table_name, column_name from information_schema.columns "
                           "where table_schema = ? order by table_name, ordinal_position", [schema]).fetchall()
    relations: dict[str, list[str]] = {}
    for table, column in rows:
        relations.setdefault(table, []).append(column)
    return relations


@pytest.fixture(scope="module")
def warehouse_marts(pipeline) -> dict[str, list[str]]:
    return _columns_by_relation(pipeline, "marts")


@pytest.fixture(scope="module")
def published(pipeline) -> dict[str, list[str]]:
    """The publication views: what the exports hold (every mart but the line-level one)."""
    return _columns_by_relation(pipeline, "publication")


def test_every_mart_but_the_line_level_one_is_published_as_it_is(warehouse_marts, published):
    assert set(published) == set(warehouse_marts) - {"fct_invoice_lines"}
    for mart, columns in published.items():
        assert columns == warehouse_marts[mart], mart


def test_every_column_of_the_built_marts_has_a_dutch_label(warehouse_marts):
    assert len(warehouse_marts) >= 21
    missing = sorted({f"{m}.{c}" for m, cols in warehouse_marts.items() for c in cols if c not in COLUMNS_NL})
    assert not missing, f"add Dutch labels to dashboards/labels_nl.py for: {missing}"
    assert not set(warehouse_marts) - set(MARTS_NL)


def test_exports_of_the_sample(pipeline, published):
    result, _, warehouse, out = pipeline
    for key in ("exports/marts_parquet", "exports/marts_excel"):
        mats = result.asset_materializations_for_node(key.replace("/", "__"))
        assert mats, key
        meta = mats[-1].metadata
        assert meta["size_bytes"].value > 0 and meta["seconds"].value >= 0
        assert meta["n_marts"].value == len(published)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = {m: con.execute(f"select count(*) from publication.{m}").fetchone()[0] for m in published}
        latest = con.execute("select max(invoice_date) from marts.fct_invoice_lines").fetchone()[0]
        for mart in published:
            f = out / "exports" / "parquet" / f"{mart}.parquet"
            assert con.execute(f"select count(*) from read_parquet('{f}')").fetchone()[0] == counts[mart], mart
            assert [r[0] for r in con.execute(f"describe select * from read_parquet('{f}')").fetchall()] \
                   == published[mart]
            # what is exported is the publication view, suppressed figures NULL included
            diff = con.execute(f"""select count(*) from (
                (select * from publication.{mart} except all select * from read_parquet('{f}'))
                union all (select * from read_parquet('{f}') except all select * from publication.{mart}))"""
                               ).fetchone()
            assert diff == (0,), mart
    # the line-level mart is not exported: one sole trader's lines add up to its income
    assert not (out / "exports" / "parquet" / "fct_invoice_lines.parquet").exists()

    sheets = read_sheets(out / "exports" / WORKBOOK_NAME)
    assert MARTS_NL["fct_invoice_lines"][0] not in sheets
    for mart, columns in published.items():
        if mart in PARQUET_ONLY:
            continue
        rows = sheets[MARTS_NL[mart][0]]
        assert rows[0] == [COLUMNS_NL[c] for c in columns], mart
        assert len(rows) - 1 == counts[mart] or (counts[mart] == 0 and len(rows) <= 1), mart
        assert counts[mart] <= EXCEL_MAX_DATA_ROWS

    about = "\n".join(" | ".join(str(c) for c in row) for row in sheets[SHEET_ABOUT])
    assert isinstance(latest, date) and latest.isoformat() in about
    assert "synthetische voorbeeldgegevens" in about  # the sample has ground truth: it is synthetic
    assert "Onderdrukte cijfers" in about
    definitions = [r for r in sheets[SHEET_DEFINITIONS][1:] if r[3]]
    assert {(r[0], r[3]) for r in definitions} == {(m, c) for m, cols in published.items() for c in cols}
    assert all(r[5] for r in definitions), "every column has its definition from the dbt docs"
