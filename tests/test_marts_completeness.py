"""The data quality scorecard and the marts it summarises (issue 5 item 5).

Two kinds of checks:
- On the whole pipeline over the 2 % synthetic sample (session fixture `pipeline`): every figure is
  recomputed here in pandas from the warehouse's raw tables (what the ingestion loaded) and the
  generator's ground truth (ground_truth/*.csv, manifest.json), and compared to the marts to the cent.
- The generator plants no duplicate invoices and its credit notes have no originals, so a tiny warehouse
  built by hand below plants them, dbt builds the scorecard's part of the project through the CLI, and the
  marts are compared with figures worked out by hand.
"""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.config import load_anchor_configs
from ingestion.programme import ProgrammeInputs, write_programme
from ingestion.warehouse import load_reference_table
from tests.test_dbt_project import KVK_COLUMNS, REFERENCE_TABLES, dbt_env, dbt_executable, reference_dir

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"
DUPLICATE_WINDOW_DAYS = 7  # the default of dbt var duplicate_invoice_window_days
TOP_N = 10  # the default of dbt var scorecard_top_n_unresolved
GROUPS = ("vestigingsnummer", "kvk_number", "supplier_resolution", "invoice_postcode", "abroad", "unknown")


def query_df(warehouse: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def cents(value) -> int:
    """Exact cents of a DECIMAL read back as Decimal (or of a whole float of cents)."""
    return int(Decimal(str(value)) * 100)


# ------------------------------------------------------------------------------------------------
# The whole pipeline on the synthetic sample, recomputed independently
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(pipeline):
    """Raw lines in integer cents, the generator's ground truth and the warehouse path."""
    result, data_dir, warehouse, _ = pipeline
    assert result.success
    # Never the free-text `description`.
    lines = query_df(warehouse, """
        select anchor_code, supplier_ref, invoice_id, invoice_line, invoice_date,
               cast(round(amount_excl_vat * 100) as bigint) as cents,
               cast(round(vat_amount * 100) as bigint) as vat_cents,
               supplier_postcode, kvk_number, vestigingsnummer, vat_number, iban
        from raw.invoice_lines
    """)
    lines["year"] = pd.to_datetime(lines["invoice_date"]).dt.year
    lines["invoice_date"] = pd.to_datetime(lines["invoice_date"])
    manifest = json.loads((data_dir / "ground_truth" / "manifest.json").read_text(encoding="utf-8"))
    creditors = pd.read_csv(data_dir / "ground_truth" / "creditors.csv", dtype=str, keep_default_na=False)
    by_creditor = pd.read_csv(data_dir / "ground_truth" / "spend_by_creditor.csv",
                              dtype={"anchor_code": str, "supplier_ref": str, "spend_eur": str})
    by_creditor["cents"] = by_creditor["spend_eur"].map(cents)
    n_rejected = query_df(warehouse, "select anchor_code, count(*) as n from raw.rejected_rows group by anchor_code")
    return {
        "warehouse": warehouse, "lines": lines, "manifest": manifest, "creditors": creditors,
        "by_creditor": by_creditor, "rejected": dict(zip(n_rejected["anchor_code"], n_rejected["n"], strict=True)),
    }


def scorecard(warehouse: Path) -> pd.DataFrame:
    return query_df(warehouse, "select * from marts.fct_data_quality_scorecard").set_index(["anchor_code", "year"])


def complete_anchor_years(sample) -> list[tuple[str, int]]:
    """Anchor-years whose every generated line arrived in the warehouse (none rejected or missing), so that
    the generator's manifest applies to them unchanged."""
    got = sample["lines"].groupby(["anchor_code", "year"]).size()
    out = []
    for code, anchor in sample["manifest"]["anchors"].items():
        for year, figures in anchor["years"].items():
            if not sample["rejected"].get(code) and got.get((code, int(year))) == figures["n_lines"]:
                out.append((code, int(year)))
    return out


def invoices_of(lines: pd.DataFrame) -> pd.DataFrame:
    return (lines.groupby(["anchor_code", "supplier_ref", "invoice_id"], dropna=False)
            .agg(invoice_date=("invoice_date", "min"), cents=("cents", "sum")).reset_index()
            .assign(year=lambda d: d["invoice_date"].dt.year))


def test_negative_lines_match_raw_lines_and_generated_credit_notes(sample):
    lines, card = sample["lines"], scorecard(sample["warehouse"])
    negative = lines[lines["cents"] < 0].groupby(["anchor_code", "year"])["cents"].agg(["size", "sum"])
    for (code, year), row in card.iterrows():
        n, total = (negative.loc[(code, year)] if (code, year) in negative.index else (0, 0))
        assert row["n_negative_lines"] == n, (code, year)
        assert cents(row["negative_lines_eur"]) == total, (code, year)
    # The generator writes credit-note lines (and only those) negative, at a known count per anchor-year.
    checked = complete_anchor_years(sample)
    assert checked, "no anchor-year arrived complete: the manifest cannot be compared"
    for code, year in checked:
        expected = sample["manifest"]["anchors"][code]["years"][str(year)]["n_credit_note_lines"]
        assert card.loc[(code, year), "n_negative_lines"] == expected, (code, year)
        assert expected > 0


def test_credit_notes_and_their_originals_are_recomputed(sample):
    lines, warehouse = sample["lines"], sample["warehouse"]
    invoices = invoices_of(lines)
    credit = invoices[invoices["cents"] < 0]
    positive_totals = set(zip(invoices.loc[invoices["cents"] > 0, "anchor_code"],
                              invoices.loc[invoices["cents"] > 0, "supplier_ref"],
                              invoices.loc[invoices["cents"] > 0, "cents"], strict=True))
    positive = lines[lines["cents"] > 0]
    positive_lines = set(zip(positive["anchor_code"], positive["supplier_ref"], positive["cents"], strict=True))
    matched = {}
    for row in credit.itertuples(index=False):
        key = (row.anchor_code, row.supplier_ref, -row.cents)
        matched[(row.anchor_code, row.supplier_ref, row.invoice_id)] = (
            "invoice_total" if key in positive_totals else "invoice_line" if key in positive_lines else None)
    mart = query_df(warehouse, "select anchor_code, supplier_ref, invoice_id, amount_excl_vat, matched_on, "
                               "has_matching_original from marts.fct_credit_notes")
    got = {(r.anchor_code, r.supplier_ref, r.invoice_id): r.matched_on for r in mart.itertuples(index=False)}
    assert got == matched
    assert (mart["has_matching_original"] == mart["matched_on"].notna()).all()

    card = scorecard(warehouse)
    credit = credit.assign(unmatched=[matched[k] is None for k in zip(
        credit["anchor_code"], credit["supplier_ref"], credit["invoice_id"], strict=True)])
    per_year = credit.groupby(["anchor_code", "year"])
    for (code, year), group in per_year:
        row = card.loc[(code, year)]
        assert row["n_credit_notes"] == len(group)
        assert cents(row["credit_notes_eur"]) == group["cents"].sum()
        assert row["n_credit_notes_without_original"] == group["unmatched"].sum()
        assert cents(row["credit_notes_without_original_eur"]) == group.loc[group["unmatched"], "cents"].sum()
    # The generator draws credit-note amounts independently of the invoices: nearly all have no original.
    assert card["n_credit_notes_without_original"].sum() >= 0.9 * card["n_credit_notes"].sum() > 0


def test_suspected_duplicates_are_recomputed(sample):
    lines, warehouse = sample["lines"], sample["warehouse"]
    inv = invoices_of(lines)
    inv = inv[inv["supplier_ref"].notna()]
    expected = set()
    same_amount = inv[inv["cents"] != 0].merge(inv, on=["anchor_code", "supplier_ref", "cents"], suffixes=("", "_o"))
    days = (same_amount["invoice_date"] - same_amount["invoice_date_o"]).dt.days
    later = (days > 0) | ((days == 0) & (same_amount["invoice_id"] > same_amount["invoice_id_o"]))
    for r in same_amount[later & (days <= DUPLICATE_WINDOW_DAYS)].itertuples(index=False):
        expected.add(("same_amount_within_window", r.anchor_code, r.supplier_ref, r.invoice_id, r.supplier_ref,
                      r.invoice_id_o, r.cents))
    same_id = inv.merge(inv, on=["anchor_code", "invoice_id"], suffixes=("", "_o"))
    days = (same_id["invoice_date"] - same_id["invoice_date_o"]).dt.days
    later = (days > 0) | ((days == 0) & (same_id["supplier_ref"] > same_id["supplier_ref_o"]))
    for r in same_id[later & (same_id["supplier_ref"] != same_id["supplier_ref_o"])].itertuples(index=False):
        expected.add(("same_invoice_id_two_creditors", r.anchor_code, r.supplier_ref, r.invoice_id,
                      r.supplier_ref_o, r.invoice_id_o, r.cents))
    mart = query_df(warehouse, "select * from marts.fct_suspected_duplicate_invoices")
    got = {(r.duplicate_rule, r.anchor_code, r.supplier_ref, r.invoice_id, r.original_supplier_ref,
            r.original_invoice_id, cents(r.amount_excl_vat)) for r in mart.itertuples(index=False)}
    assert got == expected
    card = scorecard(warehouse)
    suspects = {(e[1], e[2], e[3]): abs(e[6]) for e in expected}
    for code, year in card.index:
        mine = {k: v for k, v in suspects.items() if k[0] == code and
                inv.loc[(inv["anchor_code"] == k[0]) & (inv["supplier_ref"] == k[1]) & (inv["invoice_id"] == k[2]),
                        "year"].iloc[0] == year}
        assert card.loc[(code, year), "n_suspected_duplicates"] == len(mine)
        assert cents(card.loc[(code, year), "suspected_duplicate_eur"]) == sum(mine.values())


def test_vat_basis_follows_the_anchor_configuration_and_the_generated_vat(sample):
    lines, warehouse = sample["lines"], sample["warehouse"]
    vat_config = {cfg.code: cfg.vat for cfg in load_anchor_configs()}
    named = {"column": "from_source_column", "rate": "derived_from_rate"}
    lines = lines.assign(
        basis=["unknown" if pd.isna(vat) else named[vat_config[code]]
               for code, vat in zip(lines["anchor_code"], lines["vat_cents"], strict=True)],
        volume=lines["cents"].abs(),
    )
    expected = lines.groupby(["anchor_code", "year", "basis"]).agg(n=("cents", "size"), volume=("volume", "sum"))
    mart = query_df(warehouse, "select * from marts.fct_vat_basis")
    got = {(r.anchor_code, r.year, r.vat_basis): (r.n_lines, cents(r.volume_eur)) for r in mart.itertuples(index=False)}
    assert got == {k: (v.n, v.volume) for k, v in expected.iterrows()}
    # Shares in the scorecard; pantar's rate-derived VAT and the others' VAT columns are the generator's VAT.
    card = scorecard(warehouse)
    for (code, year, vat_basis), v in expected.iterrows():
        total = expected.loc[(code, year), "volume"].sum()
        assert card.loc[(code, year), f"share_volume_vat_{vat_basis}"] == pytest.approx(v.volume / total, abs=1e-12)
    assert (card.loc["pantar", "share_lines_vat_derived_from_rate"] == 1.0).all()
    assert (card.loc["stwt", "share_lines_vat_unknown"] == 1.0).all()
    vat_by_year = mart.groupby(["anchor_code", "year"])["vat_eur"].agg(lambda s: sum(cents(x) for x in s.dropna()))
    for code, year in complete_anchor_years(sample):
        if vat_config[code] != "none":
            generated = sample["manifest"]["anchors"][code]["years"][str(year)]["total_vat_cents"]
            assert vat_by_year.loc[(code, year)] == generated, (code, year)


def test_placement_methods_agree_with_ground_truth_and_resolution_coverage(sample):
    warehouse, gt = sample["warehouse"], sample["creditors"]
    spend = sample["by_creditor"].merge(gt, on=["anchor_code", "supplier_ref"])
    fields = spend["in_export"].str.split("|")
    # What the export itself says decides the group for these creditors (every synthetic KvK number and
    # vestigingsnummer is in the extract); the rest is supplier resolution, invoice postcode or unknown.
    spend["group"] = [
        "abroad" if country != "NL" else "vestigingsnummer" if "vestigingsnummer" in f else
        "kvk_number" if "kvk_number" in f else "unknown" if f == [""] else "other"
        for country, f in zip(spend["country"], fields, strict=True)
    ]
    expected = spend.groupby(["anchor_code", "year", "group"])["cents"].sum()
    mart = query_df(warehouse, "select anchor_code, year, method_group, sum(spend_eur) as spend_eur "
                               "from marts.fct_placement_methods group by all")
    got = {(r.anchor_code, r.year, r.method_group): cents(r.spend_eur) for r in mart.itertuples(index=False)}
    for (code, year, group), value in expected.items():
        if group != "other":
            assert got.get((code, year, group), 0) == value, (code, year, group)
    card = scorecard(warehouse)
    for (code, year), row in card.iterrows():
        total = sum(v for k, v in got.items() if k[:2] == (code, year))
        assert total == cents(row["spend_eur"])
        for group in GROUPS:
            assert row[f"share_spend_placed_by_{group}"] == pytest.approx(got.get((code, year, group), 0) / total,
                                                                          abs=1e-12)
    # Consistent with fct_resolution_coverage: the same euros per anchor, and where the exports carry no
    # KvK number (olvg, pantar, stwt) every auto-accepted Dutch creditor is placed by supplier resolution.
    coverage = query_df(warehouse, "select * from marts.fct_resolution_coverage")
    for code, group in coverage.groupby("anchor_code"):
        assert sum(cents(v) for v in group["spend_eur"]) == sum(v for k, v in got.items() if k[0] == code)
        if code in ("olvg", "pantar", "stwt"):
            resolved = group[(group["resolution_status"] == "auto_accepted")
                             & (group["resolution_method"] != "foreign")]
            placed = sum(v for k, v in got.items() if k[0] == code and k[2] == "supplier_resolution")
            assert placed == sum(cents(v) for v in resolved["spend_eur"]), code


def test_unresolved_suppliers_are_recomputed_without_names(sample):
    lines, warehouse = sample["lines"], sample["warehouse"]
    matches = query_df(warehouse, "select anchor_code, supplier_ref, supplier_name, status, candidates "
                                  "from resolution.supplier_matches")
    unknown = query_df(warehouse, "select distinct anchor_code, supplier_ref from marts.fct_invoice_lines "
                                  "where tier = 'unknown'")
    listed = set(zip(matches.loc[matches["status"] != "auto_accepted", "anchor_code"],
                     matches.loc[matches["status"] != "auto_accepted", "supplier_ref"], strict=True))
    listed |= set(zip(unknown["anchor_code"], unknown["supplier_ref"], strict=True))
    listed |= set(zip(lines["anchor_code"], lines["supplier_ref"], strict=True)) - set(
        zip(matches["anchor_code"], matches["supplier_ref"], strict=True))
    per_creditor = lines.groupby(["anchor_code", "supplier_ref"]).agg(
        cents=("cents", "sum"), n=("cents", "size"), postcode=("supplier_postcode", "count"),
        kvk=("kvk_number", "count"), vat=("vat_number", "count"))
    mart = query_df(warehouse, "select * from marts.fct_unresolved_suppliers")
    assert set(zip(mart["anchor_code"], mart["supplier_ref"], strict=True)) == listed
    assert listed, "the sample should have unresolved creditors (olvg and pantar creditors without a postcode)"
    anchor_total = lines.groupby("anchor_code")["cents"].sum()
    truth = sample["by_creditor"].groupby(["anchor_code", "supplier_ref"])["cents"].sum()
    for r in mart.itertuples(index=False):
        c = per_creditor.loc[(r.anchor_code, r.supplier_ref)]
        assert (cents(r.spend_eur), r.n_lines) == (c.cents, c.n)
        assert cents(r.spend_eur) == truth.loc[(r.anchor_code, r.supplier_ref)]  # the generator's own figure
        assert r.share_of_anchor_spend == pytest.approx(c.cents / anchor_total[r.anchor_code], abs=1e-12)
        assert (r.has_postcode, r.has_kvk_number, r.has_vat_number) == (c.postcode > 0, c.kvk > 0, c.vat > 0)
    for _code, group in mart.groupby("anchor_code"):
        ranked = group.sort_values("rank_in_anchor")
        assert list(ranked["rank_in_anchor"]) == list(range(1, len(group) + 1))
        assert ranked["spend_eur"].is_monotonic_decreasing
    # Privacy: no names, no identifier values, and no value that is a supplier's name.
    assert not set(mart.columns) & {"supplier_name", "kvk_number", "vestigingsnummer", "vat_number", "iban"}
    names = set(matches["supplier_name"].dropna())
    text_columns = [c for c in mart.columns if mart[c].dtype == object]
    assert not any(v in names for c in text_columns for v in mart[c].dropna())

    # The scorecard's top N per anchor-year: the N unresolved creditors with most spend that year.
    card = scorecard(warehouse)
    unresolved_lines = lines[[k in listed for k in zip(lines["anchor_code"], lines["supplier_ref"], strict=True)]]
    per_year = unresolved_lines.groupby(["anchor_code", "year", "supplier_ref"])["cents"].sum()
    for (code, year), row in card.iterrows():
        year_spend = per_year.loc[(code, year)] if (code, year) in per_year.index else pd.Series(dtype="int64")
        assert row["n_unresolved_suppliers"] == len(year_spend)
        assert cents(row["unresolved_spend_eur"]) == year_spend.sum()
        assert cents(row["unresolved_top_n_eur"]) == year_spend.sort_values(ascending=False).head(TOP_N).sum()
    assert (card.loc["olvg", "unresolved_top_n_eur"] > 0).all()


# ------------------------------------------------------------------------------------------------
# Planted duplicates, credit notes and unresolved creditors in a warehouse built by hand
# ------------------------------------------------------------------------------------------------

INVOICE_LINE_COLUMNS = """
    anchor_code VARCHAR, anchor_name VARCHAR, source_file VARCHAR, source_row INTEGER,
    invoice_id VARCHAR, invoice_line INTEGER, invoice_date DATE, supplier_ref VARCHAR,
    supplier_name VARCHAR, kvk_number VARCHAR, vestigingsnummer VARCHAR, supplier_street VARCHAR,
    supplier_house_number VARCHAR, supplier_postcode VARCHAR, supplier_city VARCHAR,
    supplier_country VARCHAR, booking_period VARCHAR, vat_number VARCHAR, iban VARCHAR, currency VARCHAR,
    cpv_code VARCHAR, amount_excl_vat DECIMAL(18,2), vat_amount DECIMAL(18,2), ledger_account VARCHAR,
    cost_centre VARCHAR, category VARCHAR, description VARCHAR, vat_basis VARCHAR
"""
# anchor, creditor, invoice_id, line, date, amount, VAT amount, postcode
PLANTED_LINES = [
    ("hva", "C1", "F1", 1, "2024-03-01", "600.00", "126.00", "1068AB"),
    ("hva", "C1", "F1", 2, "2024-03-01", "400.00", "84.00", "1068AB"),
    # F1 again 5 days later under another number, as one line: suspect (same creditor, same total).
    ("hva", "C1", "F2", 1, "2024-03-06", "1000.00", "210.00", "1068AB"),
    # 14 days after F2: outside the 7-day window.
    ("hva", "C1", "F3", 1, "2024-03-20", "1000.00", None, "1068AB"),
    # Invoice number F1 under a second creditor number, a day later: suspect of the second rule. Its line
    # is numbered 3: a line with F1's identity (invoice_id, invoice_line) would not reach the warehouse
    # (the ingestion rejects it as a duplicate line, and staging tests that the identity is unique).
    ("hva", "C2", "F1", 3, "2024-03-02", "250.00", None, "1068AB"),
    # Credit notes: F4 credits F1's total (not a duplicate of it: other sign), F5 credits F1's 400 line,
    # F6 credits nothing that can be found.
    ("hva", "C1", "F4", 1, "2024-03-03", "-1000.00", "-210.00", "1068AB"),
    ("hva", "C1", "F5", 1, "2024-04-01", "-400.00", "-84.00", "1068AB"),
    ("hva", "C3", "F6", 1, "2024-05-01", "-77.00", None, "1068AB"),
    # Unresolved creditors: C4 not in the resolution and nothing places it; C5 in review, placed only by
    # its invoice postcode.
    ("hva", "C4", "F8", 1, "2024-06-01", "300.00", None, None),
    ("hva", "C5", "F9", 1, "2024-06-02", "500.00", None, "1068AB"),
    # Across the turn of the year, 3 days apart: the suspect counts in 2025.
    ("hva", "C1", "F13", 1, "2024-12-30", "70.00", None, "1068AB"),
    ("hva", "C1", "F14", 1, "2025-01-02", "70.00", None, "1068AB"),
    # pantar delivers VAT rates: its VAT amount was derived from the rate.
    ("pantar", "P1", "G1", 1, "2024-02-01", "100.00", "21.00", "1068AB"),
]
ANCHOR_NAMES = {"hva": "Hogeschool van Amsterdam", "pantar": "Pantar"}
# anchor, creditor, status: C1-C3 and P1 resolved by an analyst to no establishment (their invoice
# postcode places them), C5 waiting for review with two candidates.
PLANTED_MATCHES = [
    ("hva", "C1", "override", "auto_accepted", None),
    ("hva", "C2", "override", "auto_accepted", None),
    ("hva", "C3", "override", "auto_accepted", None),
    ("hva", "C5", "name_address", "review",
     '[{"vestigingsnummer": "000012345673", "name": "J. Groen", "score": 0.7}, {"vestigingsnummer": "000012345674"}]'),
    ("pantar", "P1", "override", "auto_accepted", None),
]


def build_planted_warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema raw")
        con.execute("create schema reference")
        con.execute("create schema resolution")
        # no programme inputs in this warehouse: the programme marts build empty
        write_programme(con, ProgrammeInputs.empty())
        load_reference_table(con, "amsterdam_postcode_areas", reference_dir() / "amsterdam_postcode_areas.csv")
        for table in REFERENCE_TABLES:
            con.execute(f"create table reference.{table} as select * from read_csv(?, header = true)",
                        [str(reference_dir() / f"{table}.csv")])
        con.execute(f"create table raw.invoice_lines ({INVOICE_LINE_COLUMNS})")
        for row_number, (anchor, ref, invoice, line, date, amount, vat, postcode) in enumerate(PLANTED_LINES, 2):
            con.execute(
                "insert into raw.invoice_lines (anchor_code, anchor_name, source_file, source_row, invoice_id, "
                "invoice_line, invoice_date, supplier_ref, supplier_name, supplier_postcode, supplier_country, "
                "currency, amount_excl_vat, vat_amount, vat_basis, description) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'NL', 'EUR', ?, ?, ?, 'vrije tekst')",
                [anchor, ANCHOR_NAMES[anchor], f"landing/{anchor}/export.csv", row_number, invoice, line, date, ref,
                 f"Leverancier {ref}", postcode, Decimal(amount), None if vat is None else Decimal(vat),
                 None if vat is None else ("rate" if anchor == "pantar" else "column")],  # pantar: rate only
            )
        con.execute(f"create table raw.kvk_establishments ({KVK_COLUMNS})")
        con.execute("""create table resolution.supplier_matches (anchor_code VARCHAR, supplier_ref VARCHAR,
            supplier_name VARCHAR, vestigingsnummer VARCHAR, kvk_number VARCHAR, method VARCHAR, confidence DOUBLE,
            status VARCHAR, candidates VARCHAR, merged_supplier_key VARCHAR, n_lines BIGINT,
            spend_eur DECIMAL(18,2), supplier_names VARCHAR[])""")
        for anchor, ref, method, status, candidates in PLANTED_MATCHES:
            con.execute("insert into resolution.supplier_matches values "
                        "(?, ?, ?, NULL, NULL, ?, 0.9, ?, ?, ?, 1, 0, [?])",
                        [anchor, ref, f"Leverancier {ref}", method, status, candidates, f"{anchor}:ref:{ref}",
                         f"Leverancier {ref}"])
    finally:
        con.close()


def run_dbt(warehouse: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    env = dbt_env(warehouse)
    result = subprocess.run(
        [dbt_executable(), *args, "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    return result


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("planted")
    warehouse = tmp / "cwb.duckdb"
    build_planted_warehouse(warehouse)
    # The scorecard, everything it is built from, and the marts its data tests reconcile against; only
    # the data tests whose every model is built here (cautious), so no test needs the delivery log.
    run_dbt(warehouse, tmp, "build", "--select", "+fct_data_quality_scorecard", "+fct_spend_by_tier",
            "+fct_invoice_lines", "--indirect-selection", "cautious")
    return warehouse, tmp


def test_planted_duplicates_are_found_by_both_rules(planted):
    warehouse, _ = planted
    got = query_df(warehouse, "select * from marts.fct_suspected_duplicate_invoices")
    assert {(r.duplicate_rule, r.supplier_ref, r.invoice_id, r.original_supplier_ref, r.original_invoice_id,
             r.days_apart, r.euros_at_stake) for r in got.itertuples(index=False)} == {
        ("same_amount_within_window", "C1", "F2", "C1", "F1", 5, Decimal("1000.00")),
        ("same_invoice_id_two_creditors", "C2", "F1", "C1", "F1", 1, Decimal("250.00")),
        ("same_amount_within_window", "C1", "F14", "C1", "F13", 3, Decimal("70.00")),
    }
    card = scorecard(warehouse)
    assert card.loc[("hva", 2024), ["n_suspected_duplicates", "suspected_duplicate_eur"]].tolist() == [
        2, Decimal("1250.00")]
    assert card.loc[("hva", 2025), ["n_suspected_duplicates", "suspected_duplicate_eur"]].tolist() == [
        1, Decimal("70.00")]


def test_duplicate_window_is_a_dbt_var(planted):
    warehouse, tmp = planted
    run_dbt(warehouse, tmp, "run", "--select", "fct_suspected_duplicate_invoices",
            "--vars", "{duplicate_invoice_window_days: 14}")
    try:
        got = query_df(warehouse, "select invoice_id, original_invoice_id from marts.fct_suspected_duplicate_invoices "
                                  "where duplicate_rule = 'same_amount_within_window'")
        # F3 is 14 days after F2 (and 19 after F1): inside a 14-day window, paired with F2 only.
        assert set(zip(got["invoice_id"], got["original_invoice_id"], strict=True)) == {
            ("F2", "F1"), ("F3", "F2"), ("F14", "F13")}
    finally:
        run_dbt(warehouse, tmp, "run", "--select", "fct_suspected_duplicate_invoices")


def test_planted_credit_notes_negatives_and_vat_basis(planted):
    warehouse, _ = planted
    notes = query_df(warehouse, "select invoice_id, matched_on, original_invoice_id from marts.fct_credit_notes")
    assert {(r.invoice_id, r.matched_on, r.original_invoice_id) for r in notes.itertuples(index=False)} == {
        ("F4", "invoice_total", "F1"),  # F1 (1,000 on 1 March) precedes it; F2, F3 have the same total
        ("F5", "invoice_line", "F1"),   # no 400 invoice, but F1's 400 line
        ("F6", None, None),
    }
    card = scorecard(warehouse)
    row = card.loc[("hva", 2024)]
    assert (row["n_negative_lines"], row["negative_lines_eur"]) == (3, Decimal("-1477.00"))
    assert (row["n_credit_notes"], row["credit_notes_eur"]) == (3, Decimal("-1477.00"))
    assert (row["n_credit_notes_without_original"], row["credit_notes_without_original_eur"]) == (1, Decimal("-77.00"))
    # hva 2024: 5 of its 11 lines carry a VAT amount from the export's VAT column (F1's two lines, F2, F4,
    # F5), an absolute volume of 600 + 400 + 1,000 + 1,000 + 400 = 3,400 of 5,597.
    assert row["share_lines_vat_from_source_column"] == pytest.approx(5 / 11)
    assert row["share_volume_vat_from_source_column"] == pytest.approx(3400 / 5597)
    assert row["share_lines_vat_unknown"] == pytest.approx(6 / 11)
    assert card.loc[("pantar", 2024), "share_lines_vat_derived_from_rate"] == 1.0


def test_planted_unresolved_creditors_are_ranked_without_names(planted):
    warehouse, _ = planted
    mart = query_df(warehouse, "select * from marts.fct_unresolved_suppliers where anchor_code = 'hva'")
    got = {r.supplier_ref: (r.rank_in_anchor, r.spend_eur, r.unknown_tier_eur, r.resolution_status, r.n_candidates,
                            r.has_postcode) for r in mart.itertuples(index=False)}
    assert got == {
        "C5": (1, Decimal("500.00"), Decimal("0.00"), "review", 2, True),
        "C4": (2, Decimal("300.00"), Decimal("300.00"), "not_in_resolution", 0, False),
    }
    # hva spends 1,000 + 1,000 + 1,000 + 250 - 1,000 - 400 - 77 + 300 + 500 + 70 = 2,643 in 2024, 70 in 2025.
    assert mart.set_index("supplier_ref").loc["C5", "share_of_anchor_spend"] == pytest.approx(500 / 2713)
    assert "supplier_name" not in mart.columns
    assert not mart.isin(["Leverancier C4", "Leverancier C5", "J. Groen"]).any().any()
    row = scorecard(warehouse).loc[("hva", 2024)]
    assert row["spend_eur"] == Decimal("2643.00")
    assert (row["n_unresolved_suppliers"], row["unresolved_spend_eur"], row["unresolved_top_n_eur"]) == (
        2, Decimal("800.00"), Decimal("800.00"))
    assert row["unresolved_top_n_share"] == pytest.approx(800 / 2643)
    assert row["share_spend_placed_by_unknown"] == pytest.approx(300 / 2643)
    assert row["share_spend_placed_by_invoice_postcode"] == pytest.approx(2343 / 2643)
