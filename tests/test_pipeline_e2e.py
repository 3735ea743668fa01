"""End to end: the synthetic sample (small scale) through every asset into a DuckDB file under a
temporary directory, and the mart checked against the generator's own ground truth to the cent.

The expected figures are computed here, in pandas, from the generator's ground truth and the
reference CSVs, by the placement rules documented in docs/architecture.md; nothing is taken from the
project's SQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
from dagster import AssetCheckSeverity, AssetKey, DagsterInstance

from orchestration.definitions import defs

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "data" / "reference"
SCALE = "0.02"  # the session fixture `pipeline` in conftest.py uses the same scale
ANCHORS = ["gemeente_amsterdam", "hva", "olvg", "de_alliantie", "stwt", "pantar"]
MRA = {
    "Aalsmeer", "Almere", "Amstelveen", "Amsterdam", "Beverwijk", "Blaricum", "Bloemendaal", "Diemen",
    "Edam-Volendam", "Gooise Meren", "Haarlem", "Haarlemmermeer", "Heemskerk", "Heemstede", "Hilversum",
    "Huizen", "Landsmeer", "Laren", "Lelystad", "Oostzaan", "Ouder-Amstel", "Purmerend", "Uitgeest",
    "Uithoorn", "Velsen", "Waterland", "Wijdemeren", "Wormerland", "Zaanstad", "Zandvoort",
}  # docs: shared/docs/DOMAIN.md


def pc4_tier_table() -> dict[str, str]:
    """PC4 -> tier by the documented rule, computed from the reference CSVs."""
    gem = pd.read_csv(REF / "nl_pc4_gemeente.csv", dtype={"pc4": str})
    gem = gem[gem["is_hoofdgemeente"] == 1].set_index("pc4")["gemeente_naam"]
    sd = pd.read_csv(REF / "amsterdam_pc4_stadsdeel.csv", dtype={"postcode": str}, keep_default_na=False)
    sd = sd[sd["is_hoofdstadsdeel"] == 1].set_index("postcode")["stadsdeel_code"]
    tiers = {}
    for pc4, name in gem.items():
        if name == "Amsterdam":
            tiers[pc4] = "nieuw_west" if sd.get(pc4) == "F" else "rest_of_amsterdam"
        elif name.split(" (")[0] in MRA:  # CBS writes "Laren (NH.)"
            tiers[pc4] = "rest_of_mra"
        else:
            tiers[pc4] = "rest_of_netherlands"
    return tiers


TIER_ORDER = ["nieuw_west", "rest_of_amsterdam", "rest_of_mra", "rest_of_netherlands"]


def expected_creditor_tiers(data: Path, warehouse: Path, tiers: dict[str, str]) -> pd.DataFrame:
    """Each creditor's tier by the documented rules and the default CLES basis, from the generator's
    ground truth: the establishment is the true one when the export carries a vestigingsnummer or KvK
    number, else the one supplier resolution auto-accepted (whose precision against the ground truth is
    tested separately); an organisation counts where it is based or branched (its most local
    establishment); without an establishment: abroad, the invoice postcode, or unknown."""
    creditors = pd.read_csv(data / "ground_truth" / "creditors.csv", dtype=str, keep_default_na=False)
    register = pd.read_csv(data / "landing" / "kvk" / "vestigingen.csv", dtype=str, keep_default_na=False)
    register["tier"] = register["postcode"].str[:4].map(tiers)
    register["rank"] = register["tier"].map({t: i for i, t in enumerate(TIER_ORDER)})
    org_of = dict(zip(register["vestigingsnummer"], register["kvk_nummer"], strict=True))
    placed_est = set(register.loc[register["tier"].notna(), "vestigingsnummer"])
    best = register.dropna(subset=["rank"]).sort_values("rank").drop_duplicates("kvk_nummer")
    org_tier = dict(zip(best["kvk_nummer"], best["tier"], strict=True))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        resolved = con.execute("select anchor_code, supplier_ref, vestigingsnummer from resolution.supplier_matches "
                               "where status = 'auto_accepted' and vestigingsnummer is not null").fetchall()
    resolved = {(a, r): v for a, r, v in resolved}

    def establishment(row) -> str | None:
        """The establishment the line names (export) or supplier resolution found, placed or not."""
        fields = set(row["in_export"].split("|")) if row["in_export"] else set()
        if fields & {"vestigingsnummer", "kvk_number"}:
            return row["vestigingsnummer"]
        return resolved.get((row["anchor_code"], row["supplier_ref"]))

    def tier(row) -> str:
        fields = set(row["in_export"].split("|")) if row["in_export"] else set()
        est = establishment(row)
        if est in placed_est:
            return org_tier[org_of[est]]
        if row["country"] != "NL":
            return "abroad"
        if "postcode" in fields:
            return tiers.get(row["postcode"][:4], "unknown")
        return "unknown"

    creditors["tier"] = creditors.apply(tier, axis=1)
    creditors["establishment"] = creditors.apply(establishment, axis=1)
    creditors["establishment_placed"] = creditors["establishment"].isin(placed_est)
    return creditors


def test_every_asset_and_check_succeeds(pipeline):
    result, *_ = pipeline
    assert result.success
    graph = defs.resolve_asset_graph()
    planned = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert planned == materialized
    evaluations = result.get_asset_check_evaluations()
    # Every gate ran: one pandera check per ingested table, plus the dbt tests.
    pandera = {e.asset_key.to_user_string() for e in evaluations if e.check_name.startswith("pandera_")}
    assert pandera == {f"raw/invoice_lines__{a}" for a in ANCHORS} | {
        "raw/kvk_establishments", "reference/nl_pc4_gemeente", "reference/amsterdam_pc4_stadsdeel",
        "reference/sbi2008", "reference/sbi2025", "reference/amsterdam_postcode_areas"} | {
        f"programme/{t}" for t in ("initiatives", "initiative_phases", "targets", "tenders", "tender_lots",
                                   "fund_transactions")}
    errors = [(e.asset_key, e.check_name) for e in evaluations
              if not e.passed and e.severity == AssetCheckSeverity.ERROR]
    assert errors == []
    # conftest.py asks for two worker processes: every anchor with more than one file was read by them.
    loads = {e.asset_key.to_user_string(): e.materialization.metadata
             for e in result.get_asset_materialization_events()
             if e.asset_key.to_user_string().startswith("raw/invoice_lines__")}
    assert {k: (m["files_read"].value > 1, m["worker_processes"].value) for k, m in loads.items()} == {
        f"raw/invoice_lines__{a}": (True, 2) for a in ANCHORS}


def test_mart_equals_ground_truth_to_the_cent(pipeline):
    _, data, warehouse, _ = pipeline
    creditors = expected_creditor_tiers(data, warehouse, pc4_tier_table())
    spend = pd.read_csv(data / "ground_truth" / "spend_by_creditor.csv", dtype={"supplier_ref": str,
                                                                                  "spend_eur": str})
    spend["cents"] = spend["spend_eur"].map(lambda s: int(Decimal(s) * 100))
    merged = spend.merge(creditors[["anchor_code", "supplier_ref", "tier"]], on=["anchor_code", "supplier_ref"],
                         how="left", validate="many_to_one")
    assert merged["tier"].notna().all()
    expected = merged.groupby(["anchor_code", "year", "tier"], as_index=False).agg(
        cents=("cents", "sum"), n_lines=("n_lines", "sum"))

    with duckdb.connect(str(warehouse), read_only=True) as con:
        mart = con.execute(
            "select anchor_code, year, tier, (spend_eur * 100)::bigint as cents, n_lines, share "
            "from marts.fct_spend_by_tier").df()
    mart["year"] = mart["year"].astype("int64")
    got = mart.sort_values(["anchor_code", "year", "tier"]).reset_index(drop=True)
    want = expected.sort_values(["anchor_code", "year", "tier"]).reset_index(drop=True)
    assert got[["anchor_code", "year", "tier"]].values.tolist() == want[["anchor_code", "year", "tier"]].values.tolist()
    assert got["cents"].tolist() == want["cents"].tolist()
    assert got["n_lines"].tolist() == want["n_lines"].tolist()

    # The Nieuw-West share per anchor-year, computed independently.
    totals = want.groupby(["anchor_code", "year"])["cents"].transform("sum")
    want["share"] = want["cents"] / totals
    nw_want = want[want["tier"] == "nieuw_west"].set_index(["anchor_code", "year"])["share"]
    nw_got = got[got["tier"] == "nieuw_west"].set_index(["anchor_code", "year"])["share"]
    assert len(nw_got) == 6 * 4
    pd.testing.assert_series_equal(nw_got.sort_index(), nw_want.sort_index(), check_names=False, rtol=1e-12)

    # The steering mart: the same share, and its range with spend of unknown place counted as all local.
    unknown_want = want[want["tier"] == "unknown"].set_index(["anchor_code", "year"])["share"]
    high_want = nw_want.add(unknown_want, fill_value=0)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        progress = con.execute("select anchor_code, year::bigint as year, share_nieuw_west, share_nieuw_west_high, "
                               "on_track, trajectory_share from marts.fct_nieuw_west_progress "
                               "where spend_scope = 'total'").df()
    progress = progress.set_index(["anchor_code", "year"]).sort_index()
    pd.testing.assert_series_equal(progress["share_nieuw_west"], nw_want.sort_index(), check_names=False, atol=1e-10)
    pd.testing.assert_series_equal(progress["share_nieuw_west_high"], high_want.sort_index(), check_names=False,
                                   atol=1e-10)
    first_year = progress.index.get_level_values("year") == 2022
    assert progress.loc[first_year, "on_track"].isna().all()  # 2022 is the nulmeting
    later = progress.loc[~first_year]
    assert (later["on_track"] == (later["share_nieuw_west"] >= later["trajectory_share"])).all()


def expected_local_spend(data: Path, warehouse: Path) -> pd.DataFrame:
    """Cents and lines per anchor x grain x period x scope x tier, dense over the six tiers, from the
    generator's per-creditor monthly ground truth, each creditor's tier by the documented rules, and its
    true exclusion class (empty = influenceable)."""
    creditors = expected_creditor_tiers(data, warehouse, pc4_tier_table())
    monthly = pd.read_csv(data / "ground_truth" / "spend_by_creditor_month.csv",
                          dtype={"supplier_ref": str, "spend_eur": str})
    monthly["cents"] = monthly["spend_eur"].map(lambda s: int(Decimal(s) * 100))
    m = monthly.merge(creditors[["anchor_code", "supplier_ref", "tier", "exclusion_class"]],
                      on=["anchor_code", "supplier_ref"], how="left", validate="many_to_one")
    assert m["tier"].notna().all()
    frames = []
    for scope, rows in (("total", m), ("influenceable", m[m["exclusion_class"] == ""])):
        for grain, period in (("year", rows["year"].astype(str)),
                              ("quarter", rows["year"].astype(str) + "-Q" + ((rows["month"] - 1) // 3 + 1).astype(str)),
                              ("month", rows["year"].astype(str) + "-" + rows["month"].map("{:02d}".format))):
            g = rows.assign(period=period).groupby(["anchor_code", "period", "tier"], as_index=False).agg(
                cents=("cents", "sum"), n_lines=("n_lines", "sum"))
            frames.append(g.assign(period_grain=grain, spend_scope=scope))
    sparse = pd.concat(frames, ignore_index=True)
    periods = pd.concat([sparse[["anchor_code", "period_grain", "period"]].drop_duplicates()], ignore_index=True)
    tiers = pd.DataFrame({"tier": TIER_ORDER + ["abroad", "unknown"]})
    scopes = pd.DataFrame({"spend_scope": ["total", "influenceable"]})
    dense = periods.merge(scopes, how="cross").merge(tiers, how="cross")
    keys = ["anchor_code", "period_grain", "period", "spend_scope", "tier"]
    dense = dense.merge(sparse, on=keys, how="left").fillna({"cents": 0, "n_lines": 0})
    dense[["cents", "n_lines"]] = dense[["cents", "n_lines"]].astype("int64")
    total = dense.groupby(keys[:-1])["cents"].transform("sum")
    total = total.where(total > 0)  # a period that nets to zero or less has no shares
    unknown = dense["cents"].where(dense["tier"] == "unknown", 0).groupby(
        [dense[k] for k in keys[:-1]]).transform("sum")
    dense["share"] = dense["cents"] / total
    # unknown spend counted as all in the tier; the range is the lower and the higher of the two
    alt = (dense["cents"] + unknown.where(dense["tier"] != "unknown", 0)) / total
    dense["share_low"] = pd.concat([dense["share"], alt], axis=1).min(axis=1)
    dense["share_high"] = pd.concat([dense["share"], alt], axis=1).max(axis=1)
    return dense.sort_values(keys).reset_index(drop=True)


def test_local_spend_shares_per_period_and_scope_match_ground_truth(pipeline):
    """Every grain (year, quarter, month), both scopes, all six tiers: cents and lines exact, shares and
    their ranges to 1e-10 (the issue asks for 0.01 percentage point = 1e-4)."""
    _, data, warehouse, _ = pipeline
    want = expected_local_spend(data, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        got = con.execute(
            "select anchor_code, period_grain, period, spend_scope, tier, (spend_eur * 100)::bigint as cents, "
            "n_lines, share, share_low, share_high from marts.fct_local_spend_share").df()
    keys = ["anchor_code", "period_grain", "period", "spend_scope", "tier"]
    got = got.sort_values(keys).reset_index(drop=True)
    assert len(got) == len(want) == 6 * (4 + 16 + 48) * 2 * 6
    assert got[keys].values.tolist() == want[keys].values.tolist()
    assert got["cents"].tolist() == want["cents"].tolist()
    assert got["n_lines"].tolist() == want["n_lines"].tolist()
    pd.testing.assert_series_equal(got["share"], want["share"], check_names=False, atol=1e-10)
    pd.testing.assert_series_equal(got["share_low"], want["share_low"], check_names=False, atol=1e-10)
    pd.testing.assert_series_equal(got["share_high"], want["share_high"], check_names=False, atol=1e-10)
    # The excluded spend is material, so the two scopes really differ.
    year = want[want["period_grain"] == "year"].groupby(["anchor_code", "spend_scope"])["cents"].sum().unstack()
    assert ((year["total"] - year["influenceable"]) / year["total"] > 0.03).all()


def test_influenceable_progress_and_classification_match_ground_truth(pipeline):
    """The one-query answer of the README (progress on influenceable spend) against the ground truth,
    and every line's exclusion class against the generator's label of its creditor."""
    _, data, warehouse, _ = pipeline
    want = expected_local_spend(data, warehouse)
    want = want[want["period_grain"] == "year"]
    nw = want[want["tier"] == "nieuw_west"].assign(year=lambda d: d["period"].astype("int64"))
    nw = nw.set_index(["anchor_code", "year", "spend_scope"]).sort_index()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        progress = con.execute(
            "select anchor_code, year::bigint as year, spend_scope, (spend_nieuw_west_eur * 100)::bigint as cents, "
            "share_nieuw_west, share_nieuw_west_high, baseline_share_nieuw_west, on_track, trajectory_share "
            "from marts.fct_nieuw_west_progress").df().set_index(["anchor_code", "year", "spend_scope"]).sort_index()
        classes = con.execute(
            "select anchor_code, supplier_ref, coalesce(exclusion_class, '') as exclusion_class, count(*) as n "
            "from marts.fct_invoice_lines group by all").df()
    assert progress.index.tolist() == nw.index.tolist()
    assert progress["cents"].tolist() == nw["cents"].tolist()
    pd.testing.assert_series_equal(progress["share_nieuw_west"], nw["share"], check_names=False, atol=1e-10)
    pd.testing.assert_series_equal(progress["share_nieuw_west_high"], nw["share_high"], check_names=False,
                                   atol=1e-10)
    base = nw.xs(2022, level="year")["share"]
    got_base = progress.xs(2022, level="year")["baseline_share_nieuw_west"]
    pd.testing.assert_series_equal(got_base.sort_index(), base.sort_index(), check_names=False, atol=1e-10)
    later = progress[progress.index.get_level_values("year") > 2022]
    assert (later["on_track"] == (later["share_nieuw_west"] >= later["trajectory_share"])).all()

    truth = pd.read_csv(data / "ground_truth" / "creditors.csv", dtype=str, keep_default_na=False)
    merged = classes.merge(truth[["anchor_code", "supplier_ref", "exclusion_class"]],
                           on=["anchor_code", "supplier_ref"], suffixes=("", "_truth"), validate="many_to_one")
    wrong = merged[merged["exclusion_class"] != merged["exclusion_class_truth"]]
    assert wrong.empty, wrong.head(10).to_string()
    assert set(merged["exclusion_class"]) == {"", "taxes_levies", "pensions_social_premiums", "subsidies_grants",
                                              "public_bodies"}


def test_raw_layer_reconciles_with_generator_totals(pipeline):
    _, data, warehouse, _ = pipeline
    manifest = json.loads((data / "ground_truth" / "manifest.json").read_text(encoding="utf-8"))
    spend = pd.read_csv(data / "ground_truth" / "spend_by_creditor.csv", dtype={"spend_eur": str})
    spend["cents"] = spend["spend_eur"].map(lambda s: int(Decimal(s) * 100))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        raw = con.execute("select anchor_code, count(*), (sum(amount_excl_vat) * 100)::bigint "
                          "from raw.invoice_lines group by 1 order by 1").fetchall()
        rejected = con.execute("select count(*) from raw.rejected_rows").fetchone()[0]
        descriptions_in_marts = con.execute(
            "select count(*) from information_schema.columns where table_schema in ('staging','intermediate',"
            "'marts') and column_name = 'description'").fetchone()[0]
    by_anchor = spend.groupby("anchor_code").agg(n=("n_lines", "sum"), cents=("cents", "sum"))
    assert [(a, n, c) for a, n, c in raw] == [(a, int(r.n), int(r.cents)) for a, r in by_anchor.iterrows()]
    assert rejected == 0  # the clean sample has no bad rows
    assert descriptions_in_marts == 0  # free text never leaves the raw layer
    # Per anchor-year, lines and cents as the generator wrote them (its manifest).
    with duckdb.connect(str(warehouse), read_only=True) as con:
        per_year = con.execute("select anchor_code, year(invoice_date)::varchar, count(*), "
                               "(sum(amount_excl_vat) * 100)::bigint from raw.invoice_lines group by 1, 2").fetchall()
    assert {(a, y): (n, c) for a, y, n, c in per_year} == {
        (a, y): (v["n_lines"], v["total_excl_vat_cents"])
        for a, anchor in manifest["anchors"].items() for y, v in anchor["years"].items()}


def test_dashboard_written(pipeline):
    result, _, _, out = pipeline
    html = (out / "dashboard.html").read_text(encoding="utf-8")
    assert "Nieuw-West" in html and "<script src=\"http" not in html
    assert AssetKey(["dashboards", "spend_dashboard"]) in {
        e.asset_key for e in result.get_asset_materialization_events()}


def test_a_failing_gate_blocks_the_marts(tmp_path, monkeypatch):
    """A delivery with too many bad rows fails its blocking pandera check, and nothing downstream of it
    (the union view, dbt, the dashboard) is materialized; the bad rows are kept in raw.rejected_rows."""
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "ingestion.synthetic", "--out", str(data), "--scale", "0.005"],
                   cwd=ROOT, check=True)
    export = sorted((data / "landing" / "pantar").glob("*.csv"))[0]
    lines = export.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("|")
    amount_col = header.index("Bedrag incl btw")
    broken_rows = list(range(1, len(lines), 2))  # half of this file: about 12 % of the anchor's rows
    for i in broken_rows:
        cells = lines[i].split("|")
        cells[amount_col] = "n.v.t."
        lines[i] = "|".join(cells)
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")

    monkeypatch.setenv("CWB_DATA_DIR", str(data))
    monkeypatch.setenv("CWB_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("CWB_OUTPUT_DIR", str(tmp_path / "out"))
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False)

    failed = [(e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations()
              if not e.passed and e.severity == AssetCheckSeverity.ERROR]
    assert failed == [("raw/invoice_lines__pantar", "pandera_invoice_lines")]
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "raw/invoice_lines__olvg" in materialized
    assert not materialized & {"raw/invoice_lines", "staging/stg_anchors__invoice_lines",
                               "marts/fct_spend_by_tier", "dashboards/spend_dashboard"}
    assert not (tmp_path / "out" / "dashboard.html").exists()
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        rejected = con.execute("select source_file, source_row, field, value from raw.rejected_rows "
                               "where anchor_code = 'pantar' order by source_row").fetchall()
    assert rejected == [(f"landing/pantar/{export.name}", i + 1, "amount", "n.v.t.") for i in broken_rows]


def test_supplier_resolution_against_ground_truth(pipeline):
    """Every creditor is resolved once, and auto-accepted matches name the creditor's true establishment.
    The bar (precision >= 0.99) is the issue's target for auto-accepted matches; the figures of the full
    labelled benchmark are in benchmarks/README.md."""
    _, data, warehouse, _ = pipeline
    truth = pd.read_csv(data / "ground_truth" / "creditors.csv", dtype=str, keep_default_na=False)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        matches = con.execute("select anchor_code, supplier_ref, vestigingsnummer, method, status, "
                              "(spend_eur * 100)::bigint as cents from resolution.supplier_matches").df()
        raw_spend = con.execute("select anchor_code, (sum(amount_excl_vat) * 100)::bigint from raw.invoice_lines "
                                "group by 1").fetchall()
        queue = con.execute("select count(*) from marts.fct_supplier_review_queue").fetchone()[0]
    merged = matches.merge(truth[["anchor_code", "supplier_ref", "vestigingsnummer", "country"]],
                           on=["anchor_code", "supplier_ref"], suffixes=("", "_true"), validate="one_to_one")
    # Every creditor with lines is resolved exactly once (at this scale some creditors have no lines).
    assert len(merged) == len(matches) == len(set(zip(matches["anchor_code"], matches["supplier_ref"], strict=True)))
    assert dict(raw_spend) == matches.groupby("anchor_code")["cents"].sum().to_dict()
    dutch = merged[merged["country"] == "NL"]
    accepted = dutch[(dutch["status"] == "auto_accepted") & dutch["vestigingsnummer"].notna()]
    correct = (accepted["vestigingsnummer"] == accepted["vestigingsnummer_true"]).sum()
    assert correct / len(accepted) >= 0.99, accepted[accepted["vestigingsnummer"] != accepted["vestigingsnummer_true"]]
    # Creditors whose export carries the vestigingsnummer are found by it, every one of them.
    by_number = merged[merged["method"] == "vestigingsnummer"]
    assert len(by_number) and (by_number["vestigingsnummer"] == by_number["vestigingsnummer_true"]).all()
    # Foreign creditors are not matched to Dutch establishments.
    foreign = merged[merged["country"] != "NL"]
    assert foreign["vestigingsnummer"].isna().all()
    assert queue == (matches["status"] == "review").sum()


def test_data_completeness_matches_what_the_exports_carry(pipeline):
    """Lines with a KvK number, vestigingsnummer or postcode per anchor-year equal the lines of the
    creditors whose export carries that field, per the generator's ground truth."""
    _, data, warehouse, _ = pipeline
    creditors = pd.read_csv(data / "ground_truth" / "creditors.csv", dtype=str, keep_default_na=False)
    spend = pd.read_csv(data / "ground_truth" / "spend_by_creditor.csv", dtype={"supplier_ref": str})
    lines = spend.merge(creditors[["anchor_code", "supplier_ref", "in_export"]], on=["anchor_code", "supplier_ref"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        got = con.execute("select anchor_code, year::bigint, field, n_lines, n_lines_with "
                          "from marts.fct_data_completeness "
                          "where field in ('kvk_number', 'vestigingsnummer', 'supplier_postcode')").fetchall()
    got = {(a, y, f): (n, w) for a, y, f, n, w in got}
    for (anchor, year), group in lines.groupby(["anchor_code", "year"]):
        fields = group["in_export"].str.split("|")
        for field, marker in (("kvk_number", "kvk_number"), ("vestigingsnummer", "vestigingsnummer"),
                              ("supplier_postcode", "postcode")):
            expected_with = int(group.loc[fields.map(lambda f, m=marker: m in f), "n_lines"].sum())
            assert got[(anchor, year, field)] == (int(group["n_lines"].sum()), expected_with), (anchor, year, field)
