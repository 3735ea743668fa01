"""End-to-end test of the dbt project on a tiny warehouse.

Builds a DuckDB file under tmp_path with the `raw` and `reference` schemas exactly as
docs/architecture.md says Dagster writes them, runs `dbt build` through the CLI (seeds, models, data
tests and unit tests) and checks the marts against figures worked out by hand below.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"
REFERENCE_TABLES = ("nl_pc4_gemeente", "amsterdam_pc4_stadsdeel", "sbi2008", "sbi2025")

# raw.invoice_lines contract (docs/architecture.md), in order.
INVOICE_LINE_COLUMNS = """
    anchor_code VARCHAR, anchor_name VARCHAR, source_file VARCHAR, source_row INTEGER,
    invoice_id VARCHAR, invoice_line INTEGER, invoice_date DATE, supplier_ref VARCHAR,
    supplier_name VARCHAR, kvk_number VARCHAR, vestigingsnummer VARCHAR, supplier_street VARCHAR,
    supplier_house_number VARCHAR, supplier_postcode VARCHAR, supplier_city VARCHAR,
    supplier_country VARCHAR, amount_excl_vat DECIMAL(18,2), vat_amount DECIMAL(18,2),
    ledger_account VARCHAR, cost_centre VARCHAR, category VARCHAR, description VARCHAR
"""

KVK_COLUMNS = """
    kvk_nummer VARCHAR, vestigingsnummer VARCHAR, rsin VARCHAR, statutaire_naam VARCHAR,
    eerste_handelsnaam VARCHAR, handelsnamen VARCHAR, ind_hoofdvestiging VARCHAR, rechtsvorm VARCHAR,
    straatnaam VARCHAR, huisnummer INTEGER, huisletter VARCHAR, huisnummertoevoeging VARCHAR,
    postcode VARCHAR, plaats VARCHAR, land VARCHAR, ind_afgeschermd VARCHAR,
    sbi_hoofdactiviteit VARCHAR, sbi_nevenactiviteiten VARCHAR, totaal_werkzame_personen INTEGER,
    registratie_datum_aanvang DATE, peildatum DATE
"""

# kvk_nummer, vestigingsnummer, hoofdvestiging, rechtsvorm, postcode, plaats, sbi, peildatum
KVK_ROWS = [
    # Zaandam head office (GM0479, MRA) with a branch in Nieuw-West (1068).
    ("11111111", "000011111110", "Ja", "Besloten Vennootschap", "1507AA", "Zaandam", "4120", "2025-06-01"),
    ("11111111", "000011111111", "Nee", "Besloten Vennootschap", "1068AB", "Amsterdam", "4120", "2025-06-01"),
    # Head office in 1061: West majority (only 37.6 % of 1061 is Nieuw-West).
    ("22222222", "000022222220", "Ja", "Stichting", "1061BC", "Amsterdam", "5610", "2025-06-01"),
    # Utrecht, from an extract after the SBI 2025 switch: 62100 lies in section K of SBI 2025.
    ("33333333", "000033333330", "Ja", "Besloten Vennootschap", "3511AB", "Utrecht", "62100", "2025-10-01"),
    # Sole trader in 1043 (Sloterdijk, 95.6 % Nieuw-West).
    ("44444444", "000044444440", "Ja", "Eenmanszaak", "1043AA", "Amsterdam", "8121", "2025-06-01"),
]

# Expected placement methods, abbreviated to keep the table readable.
AT_POSTCODE, HEAD_OFFICE = "kvk_number_at_invoice_postcode", "kvk_number_head_office"

# anchor, invoice_id, date, kvk, vestigingsnummer, postcode, country, amount, expected placement
INVOICE_ROWS = [
    ("hva", "H1", "2024-02-01", "11111111", "000011111111", "1068AB", "NL", "1000.00", "vestigingsnummer"),
    ("hva", "H2", "2024-03-01", "11111111", None, "1068AB", "NL", "500.00", AT_POSTCODE),
    ("hva", "H3", "2024-04-01", "11111111", None, "1507AA", "NL", "2000.00", AT_POSTCODE),
    ("hva", "H4", "2024-05-01", "22222222", None, None, "NL", "300.00", HEAD_OFFICE),
    ("hva", "H5", "2024-06-01", None, None, "1061AB", "NL", "200.00", "invoice_postcode"),
    ("hva", "H6", "2024-07-01", None, None, "10115", "DE", "400.00", "abroad"),
    ("hva", "H7", "2024-08-01", "11111111", "000011111111", "1068AB", "NL", "-100.00", "vestigingsnummer"),
    ("hva", "H8", "2025-01-15", None, None, "3511AB", "NL", "250.00", "invoice_postcode"),
    ("hva", "H9", "2025-02-15", None, None, None, "NL", "50.00", "unknown"),
    ("olvg", "O1", "2024-01-10", "44444444", None, "1043AA", "NL", "700.00", AT_POSTCODE),
    ("olvg", "O2", "2024-01-11", None, None, "1181AB", "NL", "300.00", "invoice_postcode"),
    ("olvg", "O3", "2024-01-12", None, None, "1999AB", "NL", "100.00", "unknown"),
    ("olvg", "O4", "2024-01-13", "33333333", None, "3511AB", "NL", "1000.00", AT_POSTCODE),
    ("olvg", "O5", "2024-01-14", None, None, "1381AB", "NL", "150.00", "invoice_postcode"),
]
ANCHOR_NAMES = {"hva": "Hogeschool van Amsterdam", "olvg": "OLVG"}

# Worked out by hand from the rows above: (anchor, year, tier) -> (spend_eur, n_lines).
#   hva 2024: nieuw_west H1 + H2 + H7 (branch in 1068) = 1000 + 500 - 100; rest_of_mra H3 (Zaandam
#   head office at the invoice postcode); rest_of_amsterdam H4 (1061 head office) + H5 (1061 postcode);
#   abroad H6.  hva 2025: H8 Utrecht, H9 nothing known.
#   olvg 2024: O1 1043 -> nieuw_west; O2 Amstelveen; O3 1999 is not a PC4 -> unknown; O4 Utrecht;
#   O5 Weesp -> rest_of_amsterdam.
EXPECTED_SPEND = {
    ("hva", 2024, "nieuw_west"): (Decimal("1400.00"), 3),
    ("hva", 2024, "rest_of_amsterdam"): (Decimal("500.00"), 2),
    ("hva", 2024, "rest_of_mra"): (Decimal("2000.00"), 1),
    ("hva", 2024, "abroad"): (Decimal("400.00"), 1),
    ("hva", 2025, "rest_of_netherlands"): (Decimal("250.00"), 1),
    ("hva", 2025, "unknown"): (Decimal("50.00"), 1),
    ("olvg", 2024, "nieuw_west"): (Decimal("700.00"), 1),
    ("olvg", 2024, "rest_of_amsterdam"): (Decimal("150.00"), 1),
    ("olvg", 2024, "rest_of_mra"): (Decimal("300.00"), 1),
    ("olvg", 2024, "rest_of_netherlands"): (Decimal("1000.00"), 1),
    ("olvg", 2024, "unknown"): (Decimal("100.00"), 1),
}
ANCHOR_YEAR_TOTALS = {("hva", 2024): Decimal("4300.00"), ("hva", 2025): Decimal("300.00"),
                      ("olvg", 2024): Decimal("2250.00")}
TIER_LABELS = {"nieuw_west": ("Nieuw-West", 1), "rest_of_amsterdam": ("Rest van Amsterdam", 2),
               "rest_of_mra": ("Rest van de MRA", 3), "rest_of_netherlands": ("Rest van Nederland", 4),
               "abroad": ("Buitenland", 5), "unknown": ("Onbekend", 6)}


def reference_dir() -> Path:
    """data/reference in the repo if it is there, else the shared copy beside the repo."""
    for candidate in (REPO / "data" / "reference", REPO.parent / "shared" / "reference",
                      Path("/work/shared/reference")):
        if all((candidate / f"{table}.csv").is_file() for table in REFERENCE_TABLES):
            return candidate
    raise FileNotFoundError("reference CSVs not found in data/reference or ../shared/reference")


def dbt_executable() -> str:
    local = Path(sys.executable).with_name("dbt")
    found = str(local) if local.exists() else shutil.which("dbt")
    if not found:
        pytest.fail("dbt executable not found next to the Python interpreter or on PATH")
    return found


def build_warehouse(path: Path) -> None:
    ref = reference_dir()
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema raw")
        con.execute("create schema reference")
        # The contract fixes the reference columns (as in the CSV), not their types. Half the tables
        # are loaded typed (pc4 as BIGINT, flags as 0/1 integers), half as text, as a pandas
        # read with keep_default_na=False / dtype=str would write them: staging must cast both.
        for table, all_varchar in (("nl_pc4_gemeente", False), ("amsterdam_pc4_stadsdeel", True),
                                   ("sbi2008", True), ("sbi2025", False)):
            con.execute(
                f"create table reference.{table} as select * from read_csv(?, header = true, "
                f"all_varchar = {str(all_varchar).lower()})",
                [str(ref / f"{table}.csv")],
            )

        for anchor in ANCHOR_NAMES:
            con.execute(f"create table raw.invoice_lines__{anchor} ({INVOICE_LINE_COLUMNS})")
        for row_number, (anchor, invoice_id, date, kvk, vestiging, postcode, country, amount, _) in \
                enumerate(INVOICE_ROWS, start=2):
            con.execute(
                f"insert into raw.invoice_lines__{anchor} values "
                "(?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, 'Straat', '7', ?, 'Plaats', ?, ?, NULL, '4000', 'CC1', "
                "'diensten', 'vrije tekst die de raw-laag nooit verlaat')",
                [anchor, ANCHOR_NAMES[anchor], f"landing/{anchor}/export.csv", row_number, invoice_id,
                 date, f"CRED-{invoice_id}", f"Leverancier {invoice_id}", kvk, vestiging, postcode,
                 country, Decimal(amount)],
            )
        con.execute(
            "create view raw.invoice_lines as "
            + " union all by name ".join(f"select * from raw.invoice_lines__{a}" for a in ANCHOR_NAMES)
        )
        con.execute(
            "create table raw.rejected_rows (anchor_code VARCHAR, source_file VARCHAR, source_row INTEGER, "
            "field VARCHAR, value VARCHAR, reason VARCHAR, amount_eur DECIMAL(18,2))"
        )

        con.execute(f"create table raw.kvk_establishments ({KVK_COLUMNS})")
        for kvk, vestiging, hoofd, rechtsvorm, postcode, plaats, sbi, peildatum in KVK_ROWS:
            con.execute(
                "insert into raw.kvk_establishments values (?, ?, NULL, ?, ?, ?, ?, ?, 'Straat', 1, NULL, "
                "NULL, ?, ?, 'Nederland', 'Nee', ?, NULL, 5, DATE '2010-01-01', ?)",
                [kvk, vestiging, f"Bedrijf {kvk}", f"Bedrijf {kvk}", f"Bedrijf {kvk}", hoofd, rechtsvorm,
                 postcode, plaats, sbi, peildatum],
            )
    finally:
        con.close()


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt")
    warehouse = tmp / "cwb.duckdb"
    build_warehouse(warehouse)
    env = {**os.environ, "CWB_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = tmp / "target"
    started = time.monotonic()
    result = subprocess.run(
        [dbt_executable(), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", str(target), "--log-path", str(tmp / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    elapsed = time.monotonic() - started
    print(f"dbt build took {elapsed:.1f} s")
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    run_results = json.loads((target / "run_results.json").read_text())
    return warehouse, run_results, result.stdout


def query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_dbt_build_passes_every_node(built_warehouse):
    _, run_results, stdout = built_warehouse
    statuses = {r["unique_id"]: r["status"] for r in run_results["results"]}
    not_ok = {uid: s for uid, s in statuses.items() if s not in ("success", "pass")}
    assert not not_ok, not_ok
    kinds = {uid.split(".")[0] for uid in statuses}
    assert {"seed", "model", "test", "unit_test"} <= kinds
    for model in ("stg_anchors__invoice_lines", "stg_kvk__establishments", "stg_reference__pc4_gemeenten",
                  "stg_reference__amsterdam_pc4_stadsdelen", "stg_reference__sbi_codes", "int_pc4s_tiered",
                  "int_invoice_lines_located", "fct_spend_by_tier", "fct_invoice_lines"):
        assert statuses.get(f"model.cwb.{model}") == "success", model
    assert sum(uid.startswith("unit_test.") for uid in statuses) >= 3


def test_spend_by_tier_matches_hand_computed_figures(built_warehouse):
    warehouse, _, _ = built_warehouse
    rows = query(warehouse, """
        select anchor_code, anchor_name, year, tier, tier_label_nl, tier_order, spend_eur, n_lines, share
        from marts.fct_spend_by_tier
    """)
    got = {(a, y, t): (spend, n) for a, _, y, t, _, _, spend, n, _ in rows}
    assert got == EXPECTED_SPEND
    for anchor, name, year, tier, label, order, spend, _, share in rows:
        assert name == ANCHOR_NAMES[anchor]
        assert (label, order) == TIER_LABELS[tier]
        assert share == pytest.approx(float(spend / ANCHOR_YEAR_TOTALS[(anchor, year)]), abs=1e-12)
    shares = {(a, y, t): share for a, _, y, t, _, _, _, _, share in rows}
    assert shares[("hva", 2024, "nieuw_west")] == pytest.approx(1400 / 4300)


def test_mart_column_types_follow_the_contract(built_warehouse):
    warehouse, _, _ = built_warehouse
    types = dict(query(warehouse, """
        select column_name, data_type from information_schema.columns
        where table_schema = 'marts' and table_name = 'fct_spend_by_tier' order by ordinal_position
    """))
    assert list(types) == ["anchor_code", "anchor_name", "year", "tier", "tier_label_nl", "tier_order",
                           "spend_eur", "n_lines", "share"]
    assert types["spend_eur"] == "DECIMAL(18,2)"
    assert types["share"] == "DOUBLE"


def test_each_line_is_placed_by_the_expected_rule(built_warehouse):
    warehouse, _, _ = built_warehouse
    got = dict(query(warehouse, "select invoice_id, placement_method from marts.fct_invoice_lines"))
    assert got == {row[1]: row[8] for row in INVOICE_ROWS}
    tiers = dict(query(warehouse, "select invoice_id, tier from marts.fct_invoice_lines"))
    # A 1061 supplier lands in rest_of_amsterdam (West majority), whether by head office or postcode.
    assert tiers["H4"] == tiers["H5"] == "rest_of_amsterdam"
    # A branch in 1068 of a Zaandam head office lands in nieuw_west when the invoice carries that
    # postcode, and in rest_of_mra when it carries the head office's.
    assert tiers["H2"] == "nieuw_west"
    assert tiers["H3"] == "rest_of_mra"


def test_sector_is_mapped_through_the_sbi_version_of_the_extract(built_warehouse):
    warehouse, _, _ = built_warehouse
    got = {r[0]: r[1:] for r in query(warehouse, """
        select invoice_id, sbi_version, sector_code from marts.fct_invoice_lines
        where invoice_id in ('H1', 'H4', 'O1', 'O4', 'H5')
    """)}
    assert got["H1"] == ("2008", "F")   # 4120 building
    assert got["H4"] == ("2008", "I")   # 5610 restaurants
    assert got["O1"] == ("2008", "N")   # 8121 cleaning
    assert got["O4"] == ("2025", "K")   # 62100: K in SBI 2025 (it would be J in SBI 2008)
    assert got["H5"] == (None, None)    # no establishment resolved


def test_no_free_text_or_names_leave_the_raw_layer(built_warehouse):
    warehouse, _, _ = built_warehouse
    columns = query(warehouse, """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema in ('staging', 'intermediate', 'marts')
    """)
    assert not [c for c in columns if c[2] == "description"]
    assert not [c for c in columns if c[0] in ("intermediate", "marts") and c[2] == "supplier_name"]
    mart_columns = {c[2] for c in columns if c[0] == "marts"}
    assert not mart_columns & {"supplier_name", "legal_name", "trade_name", "kvk_number", "vestigingsnummer"}


def test_seeds_land_in_reference_and_list_the_30_mra_gemeenten(built_warehouse):
    warehouse, _, _ = built_warehouse
    (n_mra, n_known), = query(warehouse, """
        select count(*), count(*) filter (where gemeente_code in (
            select gemeente_code from reference.nl_pc4_gemeente))
        from reference.mra_gemeenten
    """)
    assert n_mra == n_known == 30
    assert query(warehouse, "select count(*) from reference.geography_tiers") == [(6,)]
