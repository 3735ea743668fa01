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

from ingestion.programme import ProgrammeInputs, write_programme
from ingestion.warehouse import ensure_raw_tables, load_reference_table

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

# raw.deliveries contract (docs/architecture.md), in order; test_raw_deliveries_follows_the_contract
# checks it against the contract table itself.
DELIVERY_COLUMNS = [
    ("anchor_code", "VARCHAR"), ("source_file", "VARCHAR"), ("sha256", "VARCHAR"), ("size_bytes", "BIGINT"),
    ("modified_at", "TIMESTAMP"), ("declared_period", "VARCHAR"), ("status", "VARCHAR"),
    ("duplicate_of", "VARCHAR"), ("superseded_by", "VARCHAR"), ("reason", "VARCHAR"),
    ("rows_read", "BIGINT"), ("rows_loaded", "BIGINT"), ("rows_rejected", "BIGINT"), ("rows_superseded", "BIGINT"),
    ("euros_read", "DECIMAL(18,2)"), ("euros_loaded", "DECIMAL(18,2)"), ("euros_rejected", "DECIMAL(18,2)"),
    ("euros_superseded", "DECIMAL(18,2)"), ("processed_at", "TIMESTAMP"), ("loader_fingerprint", "VARCHAR"),
]

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
    # CLES basis (default): organisation 11111111 has a branch in 1068, so all its spend, H3 from the
    # Zaandam head office included, counts in Nieuw-West: 1000 + 500 + 2000 - 100.
    ("hva", 2024, "nieuw_west"): (Decimal("3400.00"), 4),
    ("hva", 2024, "rest_of_amsterdam"): (Decimal("500.00"), 2),
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
# anchor, source_file, source_row, field, value, amount_eur: rows quarantined by the ingestion.
# Supplier resolution as Dagster writes it: anchor, creditor, name, vestiging, kvk, method, confidence,
# status, candidates, merged key, lines, euros.
SUPPLIER_MATCHES = [
    ("hva", "C1", "Bouw BV", "000012345671", "12345671", "kvk_number_head_office", 0.99, "auto_accepted", None,
     "hva:000012345671", 3, "4300.00"),
    ("olvg", "C2", "Zorg BV", "000012345672", "12345672", "name_address", 0.93, "auto_accepted", None,
     "olvg:000012345672", 2, "2000.00"),
    ("olvg", "C5", "Zorg B.V.", "000012345672", "12345672", "name_address", 0.9, "auto_accepted", None,
     "olvg:000012345672", 1, "500.00"),
    ("olvg", "C3", "Groen", None, None, "name_address", 0.7, "review",
     '[{"vestigingsnummer": "000012345673", "name": "J. Groen", "postcode": "1068AB", "score": 0.7, "why": "PC4"}]',
     "olvg:ref:C3", 4, "900.00"),
    ("olvg", "C4", "Schilder", None, None, "name_address", 0.6, "review", '[{"vestigingsnummer": "000012345674"}]',
     "olvg:ref:C4", 1, "100.00"),
]

REJECTED_ROWS = [
    ("hva", "landing/hva/export.csv", 11, "invoice_date", "31-02-2024", "75.00"),
    ("hva", "landing/hva/export.csv", 12, "amount", "twaalf", None),
    ("olvg", "landing/olvg/export.csv", 7, "description", "vrije tekst met een naam", "20.00"),
    ("olvg", "landing/olvg/export.csv", 8, "supplier_name", "J. Jansen", "30.00"),
]

# The delivery log: both exports loaded; a copy of the hva export under another name (duplicate); an
# earlier olvg export of the same period that the current one replaced (superseded); a file that
# could not be read (rejected). Worked out by hand from INVOICE_ROWS and REJECTED_ROWS:
#   hva export: 9 lines (1000 + 500 + 2000 + 300 + 200 + 400 - 100 + 250 + 50 = 4600.00) loaded,
#   2 rejected (75.00 and an amount that could not be parsed), so 11 rows and 4675.00 euros read.
#   olvg export: 5 lines (700 + 300 + 100 + 1000 + 150 = 2250.00) loaded, 2 rejected (20.00 + 30.00),
#   so 7 rows and 2300.00 euros read.
HVA, OLVG = "landing/hva/export.csv", "landing/olvg/export.csv"
# source_file, anchor, period, status, duplicate_of, superseded_by, reason, rows r/l/rej/sup, euros r/l/rej/sup
DELIVERY_ROWS = [
    (HVA, "hva", "2024", "loaded", None, None, None, (11, 9, 2, 0), ("4675.00", "4600.00", "75.00", "0.00")),
    ("landing/hva/export_kopie.csv", "hva", "2024", "duplicate", HVA, None, None, (None,) * 4, (None,) * 4),
    ("landing/olvg/export_v1.csv", "olvg", "2024", "superseded", None, OLVG, None, (3, 0, 0, 3),
     ("900.00", "0.00", "0.00", "900.00")),
    (OLVG, "olvg", "2024", "loaded", None, None, None, (7, 5, 2, 0), ("2300.00", "2250.00", "50.00", "0.00")),
    ("landing/olvg/leeg.csv", "olvg", None, "rejected", None, None,
     "landing/olvg/leeg.csv: required column(s) missing: Factuurnummer, Datum, Bedrag", (None,) * 4, (None,) * 4),
]
# source_file -> (status, rows_rejected_in_table, euros_rejected_in_table, rows_loaded_in_warehouse,
#                 euros_loaded_in_warehouse, reconciles), worked out by hand from the rows above.
EXPECTED_RECONCILIATION = {
    HVA: ("loaded", 2, Decimal("75.00"), 9, Decimal("4600.00"), True),
    "landing/hva/export_kopie.csv": ("duplicate", 0, Decimal("0.00"), 0, Decimal("0.00"), True),
    "landing/olvg/export_v1.csv": ("superseded", 0, Decimal("0.00"), 0, Decimal("0.00"), True),
    OLVG: ("loaded", 2, Decimal("50.00"), 5, Decimal("2250.00"), True),
    "landing/olvg/leeg.csv": ("rejected", 0, Decimal("0.00"), 0, Decimal("0.00"), True),
}

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


# The warehouses built here by hand are not the synthetic sample, so dbt needs a pseudonym salt (see
# ingestion/privacy.py): a test salt, never a real one.
TEST_SALT = "salt-for-the-dbt-project-tests-only"


def dbt_env(warehouse: Path) -> dict[str, str]:
    return {**os.environ, "CWB_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "CWB_PSEUDONYM_SALT": TEST_SALT}


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
        for anchor in ANCHOR_NAMES:  # the contract's later fields, empty in these hand-made lines
            for column in ("booking_period", "vat_number", "iban", "currency", "cpv_code", "vat_basis"):
                con.execute(f"alter table raw.invoice_lines__{anchor} add column {column} VARCHAR")
        con.execute(
            "create view raw.invoice_lines as "
            + " union all by name ".join(f"select * from raw.invoice_lines__{a}" for a in ANCHOR_NAMES)
        )
        ensure_raw_tables(con)  # the quarantine as the ingestion layer creates it
        for anchor, source_file, source_row, field, value, amount in REJECTED_ROWS:
            con.execute(
                "insert into raw.rejected_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [anchor, source_file, source_row, field, field.title(), value, f"{field}_invalid",
                 f"{field}: not usable", None if amount is None else Decimal(amount)],
            )

        con.execute("drop table raw.deliveries")  # created here from the contract, checked below
        con.execute("create table raw.deliveries ("
                    + ", ".join(f"{name} {type_}" for name, type_ in DELIVERY_COLUMNS) + ")")
        for position, (source_file, anchor, period, status, duplicate_of, superseded_by, reason, rows, euros) \
                in enumerate(DELIVERY_ROWS):
            con.execute(
                "insert into raw.deliveries values (?, ?, ?, 1024, TIMESTAMP '2025-01-02 10:00:00' + to_minutes(?), "
                "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, TIMESTAMP '2025-01-03 06:00:00', 'fingerprint')",
                [anchor, source_file, "ab" * 32 if status == "duplicate" or source_file == HVA else f"{position:064d}",
                 position, period, status, duplicate_of, superseded_by, reason, *rows,
                 *(None if e is None else Decimal(e) for e in euros)],
            )

        con.execute(f"create table raw.kvk_establishments ({KVK_COLUMNS})")
        for kvk, vestiging, hoofd, rechtsvorm, postcode, plaats, sbi, peildatum in KVK_ROWS:
            con.execute(
                "insert into raw.kvk_establishments values (?, ?, NULL, ?, ?, ?, ?, ?, 'Straat', 1, NULL, "
                "NULL, ?, ?, 'Nederland', 'Nee', ?, NULL, 5, DATE '2010-01-01', ?)",
                [kvk, vestiging, f"Bedrijf {kvk}", f"Bedrijf {kvk}", f"Bedrijf {kvk}", hoofd, rechtsvorm,
                 postcode, plaats, sbi, peildatum],
            )

        con.execute("create schema resolution")
        # no programme inputs in this warehouse: the programme marts build empty
        write_programme(con, ProgrammeInputs.empty())
        load_reference_table(con, "amsterdam_postcode_areas", reference_dir() / "amsterdam_postcode_areas.csv")
        con.execute("""create table resolution.supplier_matches (anchor_code VARCHAR, supplier_ref VARCHAR,
            supplier_name VARCHAR, vestigingsnummer VARCHAR, kvk_number VARCHAR, method VARCHAR, confidence DOUBLE,
            status VARCHAR, candidates VARCHAR, merged_supplier_key VARCHAR, n_lines BIGINT,
            spend_eur DECIMAL(18,2), supplier_names VARCHAR[])""")
        for row in SUPPLIER_MATCHES:
            con.execute("insert into resolution.supplier_matches values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [*row[:11], Decimal(row[11]), [row[2]]])
    finally:
        con.close()


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt")
    warehouse = tmp / "cwb.duckdb"
    build_warehouse(warehouse)
    env = dbt_env(warehouse)
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
                  "int_invoice_lines_placed", "fct_spend_by_tier", "fct_invoice_lines",
                  "stg_anchors__deliveries", "stg_anchors__rejected_rows", "fct_delivery_reconciliation"):
        assert statuses.get(f"model.cwb.{model}") == "success", model
    assert sum(uid.startswith("unit_test.") for uid in statuses) >= 4
    assert statuses.get("unit_test.cwb.fct_delivery_reconciliation."
                        "fct_delivery_reconciliation_accounts_for_every_delivery") == "pass"


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
    assert shares[("hva", 2024, "nieuw_west")] == pytest.approx(3400 / 4300)


def test_mart_column_types_follow_the_contract(built_warehouse):
    warehouse, _, _ = built_warehouse
    types = dict(query(warehouse, """
        select column_name, data_type from information_schema.columns
        where table_schema = 'marts' and table_name = 'fct_spend_by_tier' order by ordinal_position
    """))
    assert list(types) == ["anchor_code", "anchor_name", "year", "tier", "tier_label_nl", "tier_order",
                           "spend_eur", "n_lines", "placement_basis", "share", "is_suppressed",
                           "is_period_total_suppressed", "suppression_reason"]
    assert types["spend_eur"] == "DECIMAL(18,2)"
    assert types["share"] == "DOUBLE"
    assert types["is_suppressed"] == "BOOLEAN"


def test_each_line_is_placed_by_the_expected_rule(built_warehouse):
    warehouse, _, _ = built_warehouse
    got = dict(query(warehouse, "select invoice_id, placement_method from marts.fct_invoice_lines"))
    assert got == {row[1]: row[8] for row in INVOICE_ROWS}
    tiers = dict(query(warehouse, "select invoice_id, tier_establishment from marts.fct_invoice_lines"))
    # A 1061 supplier lands in rest_of_amsterdam (West majority), whether by head office or postcode.
    assert tiers["H4"] == tiers["H5"] == "rest_of_amsterdam"
    # By delivering establishment, a branch in 1068 of a Zaandam head office lands in nieuw_west when
    # the invoice carries that postcode, and in rest_of_mra when it carries the head office's ...
    assert tiers["H2"] == "nieuw_west"
    assert tiers["H3"] == "rest_of_mra"
    # ... while by the CLES rule (the default basis) the organisation is branched in Nieuw-West, and by
    # head office it is in Zaandam.
    by_basis = {r[0]: r[1:] for r in query(warehouse, "select invoice_id, tier, tier_cles, tier_head_office, "
                                                      "placement_basis from marts.fct_invoice_lines")}
    assert by_basis["H3"] == ("nieuw_west", "nieuw_west", "rest_of_mra", "cles")
    assert by_basis["H2"] == ("nieuw_west", "nieuw_west", "rest_of_mra", "cles")


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


def contract_columns(table: str) -> list[tuple[str, str]]:
    """(column, type) pairs of a table's contract in docs/architecture.md, from its Markdown table
    (a row may name several columns, comma-separated, that share one type)."""
    lines = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"### {table} "))
    columns = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0] in ("column", "") or set(cells[0]) <= {"-"}:
            continue
        columns += [(name.strip(), cells[1].replace(" ", "")) for name in cells[0].split(",")]
    return columns


def test_raw_deliveries_follows_the_contract(built_warehouse):
    warehouse, _, _ = built_warehouse
    assert DELIVERY_COLUMNS == contract_columns("raw.deliveries")
    stored = query(warehouse, """
        select column_name, data_type from information_schema.columns
        where table_schema = 'raw' and table_name = 'deliveries' order by ordinal_position
    """)
    assert stored == DELIVERY_COLUMNS
    staged = query(warehouse, """
        select column_name, data_type from information_schema.columns
        where table_schema = 'staging' and table_name = 'stg_anchors__deliveries' order by ordinal_position
    """)
    # the loader's fingerprint (which YAML and code read the file) stays in raw: staging does not select it
    assert staged == [c for c in DELIVERY_COLUMNS if c[0] != "loader_fingerprint"]


def test_delivery_reconciliation_matches_hand_computed_figures(built_warehouse):
    warehouse, _, _ = built_warehouse
    rows = query(warehouse, """
        select source_file, anchor_code, declared_period, status, duplicate_of, superseded_by, reason,
               rows_read, rows_loaded, rows_rejected, rows_superseded,
               euros_read, euros_loaded, euros_rejected, euros_superseded,
               rows_rejected_in_table, euros_rejected_in_table,
               rows_loaded_in_warehouse, euros_loaded_in_warehouse, reconciles
        from marts.fct_delivery_reconciliation
    """)
    logged = {r[0]: r[1:15] for r in rows}
    assert logged == {
        source_file: (anchor, period, status, duplicate_of, superseded_by, reason, *counts,
                      *(None if e is None else Decimal(e) for e in euros))
        for source_file, anchor, period, status, duplicate_of, superseded_by, reason, counts, euros
        in DELIVERY_ROWS
    }
    computed = {r[0]: (r[3], *r[15:]) for r in rows}
    assert computed == EXPECTED_RECONCILIATION
    # Every euro read is accounted for: loaded into the marts, quarantined, or superseded.
    (read, loaded, rejected, superseded, in_marts), = query(warehouse, """
        select sum(euros_read), sum(euros_loaded), sum(euros_rejected), sum(euros_superseded),
               (select sum(spend_eur) from marts.fct_spend_by_tier)
        from marts.fct_delivery_reconciliation
    """)
    assert (read, loaded, rejected, superseded) == (Decimal("7875.00"), Decimal("6850.00"), Decimal("125.00"),
                                                    Decimal("900.00"))
    assert loaded == in_marts


def test_review_queue_and_resolution_coverage(built_warehouse):
    warehouse, _, _ = built_warehouse
    queue = query(warehouse, """select anchor_code, supplier_ref, priority, spend_eur
                                from marts.fct_supplier_review_queue order by anchor_code, priority""")
    # Review rows only, largest spend first per anchor.
    assert queue == [("olvg", "C3", 1, Decimal("900.00")), ("olvg", "C4", 2, Decimal("100.00"))]
    (candidates,), = query(warehouse,
                           "select candidates from marts.fct_supplier_review_queue where supplier_ref = 'C3'")
    assert candidates == '[{"vestigingsnummer":"000012345673","postcode":"1068AB","score":0.7,"why":"PC4"}]'

    coverage = {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in query(warehouse, """
        select anchor_code, resolution_method, resolution_status, n_suppliers, spend_eur, round(spend_share, 6)
        from marts.fct_resolution_coverage""")}
    # Computed by hand from SUPPLIER_MATCHES: olvg 2000 + 500 + 900 + 100 = 3500 euros.
    assert coverage == {
        ("hva", "kvk_number_head_office", "auto_accepted"): (1, Decimal("4300.00"), 1.0),
        ("olvg", "name_address", "auto_accepted"): (2, Decimal("2500.00"), round(2500 / 3500, 6)),
        ("olvg", "name_address", "review"): (2, Decimal("1000.00"), round(1000 / 3500, 6)),
    }


def test_rejected_rows_carry_no_names_or_free_text(built_warehouse):
    warehouse, _, _ = built_warehouse
    got = {(r[0], r[1]): r[2:] for r in query(warehouse, """
        select source_file, source_row, field, value, amount_eur from staging.stg_anchors__rejected_rows
    """)}
    assert got == {
        (HVA, 11): ("invoice_date", "31-02-2024", Decimal("75.00")),
        (HVA, 12): ("amount", "twaalf", None),
        (OLVG, 7): ("description", None, Decimal("20.00")),
        (OLVG, 8): ("supplier_name", None, Decimal("30.00")),
    }
    # The raw quarantine keeps the cells as delivered; only staging leaves them out.
    raw_values = {r[0] for r in query(warehouse, "select value from raw.rejected_rows")}
    assert {"J. Jansen", "vrije tekst met een naam"} <= raw_values


def test_docs_generate_writes_the_site_with_the_marts_in_the_catalog(built_warehouse):
    """`make docs` runs `dbt docs generate`: the site (index.html), the manifest and a catalog read from
    the warehouse, listing every mart with the columns and types the warehouse holds."""
    warehouse, _, _ = built_warehouse
    tmp = warehouse.parent
    target = tmp / "docs_target"
    env = dbt_env(warehouse)
    result = subprocess.run(
        [dbt_executable(), "docs", "generate", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", str(target), "--log-path", str(tmp / "docs_logs")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    for artefact in ("index.html", "manifest.json", "catalog.json"):
        assert (target / artefact).is_file() and (target / artefact).stat().st_size > 0, artefact

    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    marts = {node["unique_id"]: node for node in manifest["nodes"].values()
             if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")}
    assert "model.cwb.fct_spend_by_tier" in marts

    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    assert not catalog.get("errors"), catalog["errors"]
    in_warehouse = {}
    for table, column, type_ in query(warehouse, """
        select table_name, column_name, data_type from information_schema.columns where table_schema = 'marts'
    """):
        in_warehouse.setdefault(table, {})[column] = type_
    for unique_id, node in marts.items():
        entry = catalog["nodes"].get(unique_id)
        assert entry is not None, f"{unique_id} missing from catalog.json"
        assert entry["metadata"]["schema"] == "marts"
        columns = {name: column["type"] for name, column in entry["columns"].items()}
        assert columns == in_warehouse[node["name"]], unique_id
        # the documented columns (the contract) are the columns the warehouse holds
        assert set(node["columns"]) == set(columns), unique_id


def test_no_natural_person_names_test_finds_a_planted_name(built_warehouse, tmp_path):
    """The generic test `no_natural_person_names` fails on a sole trader's register name planted in a
    line-level table, in any case and with spaces around it, once per column, and on an anchor's own
    spelling of a creditor resolved to the sole trader (from `supplier_names` of the matches: the
    register does not know it), also in a column it compares row by row (`high_cardinality_columns`); a
    legal entity's name and a clean table pass. On a copy of the built warehouse."""
    warehouse, _, _ = built_warehouse
    copy = tmp_path / "planted" / "cwb.duckdb"  # the built name: a view names its tables with the database's
    copy.parent.mkdir()
    shutil.copy(warehouse, copy)
    sole_trader = "Bedrijf 44444444"  # KVK_ROWS: the Eenmanszaak; its name is a natural person's
    legal_entity = "Bedrijf 11111111"  # the Besloten Vennootschap's name: not personal data
    spelling = "Schildersbedrijf J. de Vries"  # how OLVG spells creditor C4, once resolved to the Eenmanszaak
    con = duckdb.connect(str(copy))
    try:
        con.execute("update intermediate.int_invoice_lines_placed set ledger_account = ? where invoice_id = 'H1'",
                    [f"  {sole_trader.upper()} "])
        con.execute("update intermediate.int_invoice_lines_placed set cost_centre = ? where invoice_id in ('H2', 'H3')",
                    [sole_trader])
        con.execute("update intermediate.int_invoice_lines_placed set category = ?", [legal_entity])
        con.execute("update resolution.supplier_matches set vestigingsnummer = '000044444440', "
                    "supplier_names = ['Schilder', ?] where supplier_ref = 'C4'", [spelling])
        con.execute("update intermediate.int_invoice_lines_placed set gemeente_naam = ? where invoice_id = 'O2'",
                    [spelling])
        # invoice_line_key and invoice_id are the test's high_cardinality_columns: compared row by row, not by
        # distinct value, trimming only a value with a space at either end
        con.execute("update intermediate.int_invoice_lines_placed set invoice_id = ? where invoice_id = 'O1'",
                    [f"{spelling} "])
        con.execute("update intermediate.int_invoice_lines_placed set invoice_id = ? where invoice_id = 'O3'",
                    [f"  {sole_trader.lower()}"])
        con.execute("update intermediate.int_invoice_lines_placed set invoice_line_key = ? where invoice_id = 'H2'",
                    [sole_trader.upper()])
    finally:
        con.close()

    def run(model: str, command: str = "test", *more: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [dbt_executable(), command, "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
             "--select", model, *more,
             "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
            cwd=REPO, env=dbt_env(copy), capture_output=True, text=True, timeout=600)

    def names_test(model: str) -> subprocess.CompletedProcess:
        return run(f"test_name:no_natural_person_names,{model}", "test", "--store-failures")

    # The test reads the names from the restricted model natural_person_names, built once per build: build
    # it again to take in the planted spelling.
    rebuilt = run("natural_person_names", "run")
    assert rebuilt.returncode == 0, rebuilt.stdout[-4000:]
    failed = names_test("int_invoice_lines_placed")
    assert failed.returncode != 0, failed.stdout[-4000:]
    con = duckdb.connect(str(copy), read_only=True)
    try:
        schema, table = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_name like 'no_natural_person_names%'").fetchone()  # the only test run so far
        found = sorted(con.execute(f'select column_name, value from "{schema}"."{table}"').fetchall())
    finally:
        con.close()
    assert found == [("cost_centre", sole_trader.lower()), ("gemeente_naam", spelling.lower()),
                     ("invoice_id", sole_trader.lower()), ("invoice_id", spelling.lower()),
                     ("invoice_line_key", sole_trader.lower()), ("ledger_account", sole_trader.lower())]
    passed = names_test("int_invoice_lines_classified")  # not tampered with
    assert passed.returncode == 0, passed.stdout[-4000:]
    # The view stg_anchors__invoice_lines computes invoice_line_key (an md5) and does not store it: listed in
    # digest_columns, it is left out of the comparison (stored, it is compared above), its other text
    # columns are not.
    staged = names_test("stg_anchors__invoice_lines")
    assert staged.returncode == 0, staged.stdout[-4000:]
    [compiled] = [p for p in (tmp_path / "target" / "compiled").rglob("no_natural_person_names_stg_an*.sql")]
    sql = compiled.read_text()
    assert "invoice_line_key" not in sql
    # the names come from the list built once per build, not from the register in each run of the test
    assert '"raw"."natural_person_names"' in sql and "kvk_establishments" not in sql
    assert "select 'invoice_id' as column_name" in sql and "select 'supplier_ref' as column_name" in sql


def test_supplier_names_must_cover_the_raw_lines(built_warehouse, tmp_path):
    """The singular test `assert_supplier_names_cover_the_raw_lines` fails when a creditor's spelling in
    raw.invoice_lines is missing from its `supplier_names` (also for a creditor keyed `naam:<name>`, which
    it reports as an md5, not as the name), and passes once the spellings are there. On a copy of the
    built warehouse, whose hand-made matches name no creditor of the lines."""
    warehouse, _, _ = built_warehouse
    copy = tmp_path / "spellings.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        # H1 is creditor CRED-H1, spelled "Leverancier H1"; H2 loses its creditor number, so resolution
        # keys it by its name.
        con.execute("update raw.invoice_lines__hva set supplier_ref = null where invoice_id = 'H2'")
        con.execute("update resolution.supplier_matches set supplier_ref = 'CRED-H1', supplier_names = ['Other'] "
                    "where supplier_ref = 'C1'")
        con.execute("update resolution.supplier_matches set anchor_code = 'hva', supplier_ref = 'naam:leverancier h2', "
                    "supplier_names = null where supplier_ref = 'C2'")
    finally:
        con.close()

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [dbt_executable(), "test", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
             "--select", "assert_supplier_names_cover_the_raw_lines", "--store-failures",
             "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
            cwd=REPO, env=dbt_env(copy), capture_output=True, text=True, timeout=600)

    failed = run()
    assert failed.returncode != 0, failed.stdout[-4000:]
    con = duckdb.connect(str(copy))
    try:
        schema, table = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_name like 'assert_supplier_names_cover%'").fetchone()
        found = sorted(con.execute(f'select * from "{schema}"."{table}"').fetchall())
        md5 = con.execute("select md5('naam:leverancier h2')").fetchone()[0]
        con.execute("update resolution.supplier_matches set supplier_names = ['Leverancier H1'] "
                    "where supplier_ref = 'CRED-H1'")
        con.execute("update resolution.supplier_matches set supplier_names = ['Leverancier H2'] "
                    "where supplier_ref = 'naam:leverancier h2'")
    finally:
        con.close()
    assert found == [("hva", "CRED-H1", 1), ("hva", f"naam:{md5}", 1)]
    passed = run()
    assert passed.returncode == 0, passed.stdout[-4000:]
