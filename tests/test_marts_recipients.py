"""Who receives the money, leakage and opportunity (issue 5 items 3 and 4), end to end on the 2 %
synthetic sample of the session fixture `pipeline`.

Every figure is recomputed here in pandas from the generator's ground truth (each creditor's true
establishment, its spend per year and its exclusion class: empty = influenceable), the KvK register
file it wrote and the seed CSVs (the configuration: target sector codes, size classes), by the rules
the model docs state. Each creditor's tier and establishment come from `expected_creditor_tiers` of
the pipeline e2e test; no figure is read from the project's SQL. Influenceable figures are the same
sums over the creditors whose true exclusion class is empty.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.privacy import SALT_ENV, SAMPLE_SALT, keyed_key
from tests.test_pipeline_e2e import REF, expected_creditor_tiers, pc4_tier_table

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
TIER_ORDER = ["nieuw_west", "rest_of_amsterdam", "rest_of_mra", "rest_of_netherlands", "abroad", "unknown"]
LEAVING_NW = {"rest_of_amsterdam", "rest_of_mra", "rest_of_netherlands", "abroad"}
LEAVING_AMS = {"rest_of_mra", "rest_of_netherlands", "abroad"}
# KvK legal form labels -> group (shared/docs/DOMAIN.md: sole traders and VOF/maatschap partners are
# natural persons). The sample uses these eight forms (public bodies: tax office, water board, UWV).
LEGAL_FORM_GROUP = {
    "Eenmanszaak": "sole_trader_partnership", "Vennootschap onder firma": "sole_trader_partnership",
    "Besloten Vennootschap": "bv_nv", "Naamloze Vennootschap": "bv_nv", "Coöperatie": "cooperative",
    "Stichting": "foundation", "Vereniging": "association", "Publiekrechtelijke rechtspersoon": "public_body",
}
NATURAL_PERSON_FORMS = {"Eenmanszaak", "Vennootschap onder firma", "Maatschap", "Commanditaire vennootschap"}


def md5_key(*parts: str) -> str:
    """The marts' supplier_key: a keyed hash with the sample's public salt (macro keyed_key)."""
    return keyed_key(*parts, salt=os.environ.get(SALT_ENV) or SAMPLE_SALT)


def size_class(n: int) -> str:
    for upper, label in ((1, "1"), (9, "2-9"), (49, "10-49"), (249, "50-249")):
        if n <= upper:
            return label
    return "250+"


def longest_prefix(code: str, prefixes: dict[str, str], default: str) -> str:
    hits = [p for p in prefixes if code.startswith(p)]
    return prefixes[max(hits, key=len)] if hits else default


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def expected(pipeline):
    """Per anchor x year x creditor: cents, lines, tier and the recipient attributes of its
    establishment's organisation, from ground truth and the register."""
    _, data, warehouse, _ = pipeline
    register = pd.read_csv(data / "landing" / "kvk" / "vestigingen.csv", dtype=str, keep_default_na=False)
    # The sample's extract is after the SBI switch: its codes are SBI 2025, whose division is the
    # first two digits (SBI 2008 would go through the correspondence seed).
    assert (register["peildatum"] >= "2025-09-05").all()
    codes = pd.read_csv(SEEDS / "target_sector_codes.csv", dtype=str, keep_default_na=False)
    sbi25 = {r.code_prefix: r.target_sector for r in codes[codes["code_system"] == "sbi2025"].itertuples()}
    sbi = pd.read_csv(REF / "sbi2025.csv", dtype=str, keep_default_na=False)
    section_of = dict(zip(sbi.loc[sbi["niveau"] == "2", "code"], sbi.loc[sbi["niveau"] == "2", "sectie"], strict=True))

    register["n"] = register["totaal_werkzame_personen"].astype(int)
    org_size = register.groupby("kvk_nummer")["n"].sum().map(size_class)
    register["size_class"] = register["kvk_nummer"].map(org_size)
    register["legal_form_group"] = register["rechtsvorm"].map(LEGAL_FORM_GROUP)
    assert register["legal_form_group"].notna().all()
    register["division"] = register["sbi_hoofdactiviteit"].str[:2]
    register["section"] = register["division"].map(section_of)
    register["target_sector"] = register["sbi_hoofdactiviteit"].map(lambda c: longest_prefix(c, sbi25, "other"))
    est = register.set_index("vestigingsnummer")

    creditors = expected_creditor_tiers(data, warehouse, pc4_tier_table())
    # The supplier is the establishment the line names, else the one supplier resolution found,
    # whether or not its address places the line (int_invoice_lines_placed).
    creditors["est"] = creditors["establishment"]
    has_est = creditors["est"].isin(est.index)
    creditors.loc[~has_est, "est"] = None
    for col in ("kvk_nummer", "legal_form_group", "size_class", "division", "section", "target_sector",
                "rechtsvorm"):
        creditors[col] = creditors["est"].map(est[col])
    creditors["legal_form_group"] = creditors["legal_form_group"].fillna(
        creditors["tier"].map(lambda t: "foreign" if t == "abroad" else "unknown"))
    creditors["size_class"] = creditors["size_class"].fillna("unknown")
    creditors["target_sector"] = creditors["target_sector"].fillna("unknown")  # the sample has no CPV codes
    creditors["division"] = creditors["division"].fillna("unknown")
    creditors["section"] = creditors["section"].fillna("unknown")
    creditors["supplier_key"] = [
        md5_key("organisation", k) if isinstance(k, str) and k else md5_key("creditor", a, r)
        for k, a, r in zip(creditors["kvk_nummer"], creditors["anchor_code"], creditors["supplier_ref"], strict=True)]

    spend = pd.read_csv(data / "ground_truth" / "spend_by_creditor.csv", dtype={"supplier_ref": str, "spend_eur": str})
    spend["cents"] = spend["spend_eur"].map(lambda s: int(Decimal(s) * 100))
    merged = spend.merge(creditors, on=["anchor_code", "supplier_ref"], how="left", validate="many_to_one")
    assert merged["tier"].notna().all()
    # Influenceable: the creditor's true exclusion class is empty (generator's label, not the seed rules).
    merged["infl_cents"] = merged["cents"].where(merged["exclusion_class"] == "", 0)
    merged["infl_n_lines"] = merged["n_lines"].where(merged["exclusion_class"] == "", 0)
    assert (merged["infl_cents"] != merged["cents"]).any()
    return merged, register


def test_spend_by_recipient_group_equals_ground_truth(pipeline, expected):
    _, _, warehouse, _ = pipeline
    lines, _ = expected
    mart = query(warehouse, "select anchor_code, year::bigint as year, dimension, group_code, "
                            "(spend_eur * 100)::bigint as cents, (spend_nieuw_west_eur * 100)::bigint as nw_cents, "
                            "n_lines, (influenceable_spend_eur * 100)::bigint as infl_cents, "
                            "(influenceable_spend_nieuw_west_eur * 100)::bigint as infl_nw_cents, "
                            "(influenceable_spend_amsterdam_eur * 100)::bigint as infl_ams_cents, "
                            "influenceable_n_lines as infl_n_lines from marts.fct_spend_by_recipient_group")
    amsterdam = lines["tier"].isin(["nieuw_west", "rest_of_amsterdam"])
    lines = lines.assign(nw_cents=lines["cents"].where(lines["tier"] == "nieuw_west", 0),
                         infl_nw_cents=lines["infl_cents"].where(lines["tier"] == "nieuw_west", 0),
                         infl_ams_cents=lines["infl_cents"].where(amsterdam, 0))
    sums = ["cents", "nw_cents", "n_lines", "infl_cents", "infl_nw_cents", "infl_ams_cents", "infl_n_lines"]
    for dimension, column in (("target_sector", "target_sector"), ("legal_form_group", "legal_form_group"),
                              ("size_class", "size_class"), ("sbi_division", "division"),
                              ("sbi_section", "section")):
        want = (lines.groupby(["anchor_code", "year", column], as_index=False)[sums].sum()
                .rename(columns={column: "group_code"}).sort_values(["anchor_code", "year", "group_code"]))
        got = mart[mart["dimension"] == dimension].sort_values(["anchor_code", "year", "group_code"])
        cols = ["anchor_code", "year", "group_code", *sums]
        assert got[cols].values.tolist() == want[cols].values.tolist(), dimension


def test_sector_leakage_and_nieuw_west_establishments(pipeline, expected):
    _, _, warehouse, _ = pipeline
    lines, register = expected
    codes = pd.read_csv(SEEDS / "target_sector_codes.csv", dtype=str, keep_default_na=False)
    sbi25 = {r.code_prefix: r.target_sector for r in codes[codes["code_system"] == "sbi2025"].itertuples()}

    # Nieuw-West establishments (own address) per target sector, by main or side activity.
    tiers = pc4_tier_table()
    nw = register[register["postcode"].str[:4].map(tiers) == "nieuw_west"]
    per_sector: dict[str, set[str]] = {}
    for row in nw.itertuples():
        activities = [row.sbi_hoofdactiviteit, *[c for c in row.sbi_nevenactiviteiten.split("|") if c]]
        for sector in {longest_prefix(c, sbi25, "other") for c in activities} - {"other"}:
            per_sector.setdefault(sector, set()).add(row.vestigingsnummer)
    listing = query(warehouse, "select sector_code, count(*) as n from marts.fct_nieuw_west_establishments_by_sector "
                               "where sector_scheme = 'target_sector' group by 1")
    assert dict(zip(listing["sector_code"], listing["n"], strict=True)) == {s: len(v) for s, v in per_sector.items()}

    measures = {}
    for prefix, cents in (("", "cents"), ("infl_", "infl_cents")):
        measures.update({
            f"{prefix}nw": lines[cents].where(lines["tier"] == "nieuw_west", 0),
            f"{prefix}leaving_nw": lines[cents].where(lines["tier"].isin(LEAVING_NW), 0),
            f"{prefix}leaving_ams": lines[cents].where(lines["tier"].isin(LEAVING_AMS), 0),
            f"{prefix}unknown": lines[cents].where(lines["tier"] == "unknown", 0)})
    lines = lines.assign(**measures)
    want = lines.groupby(["anchor_code", "year", "target_sector"], as_index=False)[
        ["cents", "infl_cents", *measures]].sum()
    want["n_nw"] = want["target_sector"].map(lambda s: len(per_sector.get(s, ())) if s not in ("other", "unknown")
                                             else None)
    has_alternative = want["n_nw"].fillna(0) > 0
    want["opportunity"] = want["leaving_nw"].where(has_alternative, 0)
    want["infl_opportunity"] = want["infl_leaving_nw"].where(has_alternative, 0)
    got = query(warehouse, """
        select anchor_code, year::bigint as year, sector_code as target_sector, (spend_eur * 100)::bigint as cents,
               (spend_nieuw_west_eur * 100)::bigint as nw,
               (spend_leaving_nieuw_west_eur * 100)::bigint as leaving_nw,
               (spend_leaving_amsterdam_eur * 100)::bigint as leaving_ams,
               (spend_unknown_place_eur * 100)::bigint as unknown, n_nieuw_west_establishments as n_nw,
               (leakage_with_local_alternative_eur * 100)::bigint as opportunity,
               (influenceable_spend_eur * 100)::bigint as infl_cents,
               (influenceable_spend_nieuw_west_eur * 100)::bigint as infl_nw,
               (influenceable_spend_leaving_nieuw_west_eur * 100)::bigint as infl_leaving_nw,
               (influenceable_spend_leaving_amsterdam_eur * 100)::bigint as infl_leaving_ams,
               (influenceable_spend_unknown_place_eur * 100)::bigint as infl_unknown,
               (influenceable_leakage_with_local_alternative_eur * 100)::bigint as infl_opportunity
        from marts.fct_sector_leakage where sector_scheme = 'target_sector'""")
    key = ["anchor_code", "year", "target_sector"]
    got, want = got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
    cols = [*key, "cents", "nw", "leaving_nw", "leaving_ams", "unknown", "opportunity", "infl_cents", "infl_nw",
            "infl_leaving_nw", "infl_leaving_ams", "infl_unknown", "infl_opportunity"]
    assert got[cols].values.tolist() == want[cols].values.tolist()
    assert got["n_nw"].astype("Int64").tolist() == want["n_nw"].astype("Int64").tolist()
    # The small sample has local alternatives in some sectors only: both cases are exercised.
    assert (want["opportunity"] > 0).any()
    assert ((want["opportunity"] == 0) & (want["leaving_nw"] != 0)).any()
    # Excluded spend leaks too: the influenceable leakage really differs from the total one.
    assert (want["infl_leaving_nw"] != want["leaving_nw"]).any()

    # What the anchors buy from each listed Nieuw-West organisation, all anchors and years.
    org_spend = lines[lines["kvk_nummer"].notna()].groupby("kvk_nummer")[["cents", "infl_cents"]].sum()
    listed = query(warehouse, "select distinct supplier_key, (spend_all_anchors_eur * 100)::bigint as cents, "
                              "(influenceable_spend_all_anchors_eur * 100)::bigint as infl_cents "
                              "from marts.fct_nieuw_west_establishments_by_sector")
    want_org = {md5_key("organisation", k): (int(r.cents), int(r.infl_cents)) for k, r in org_spend.iterrows()}
    got_org = {r.supplier_key: (r.cents, r.infl_cents) for r in listed.itertuples()}
    assert len(listed) == len(got_org)
    assert got_org == {key: want_org.get(key, (0, 0)) for key in got_org}
    assert any(c > 0 for c, _ in got_org.values())


def supplier_profiles(lines: pd.DataFrame) -> pd.DataFrame:
    """Per anchor x year x supplier: cents, lines and the tier carrying most of its spend."""
    by_tier = lines.groupby(["anchor_code", "year", "supplier_key", "tier"], as_index=False)["cents"].sum()
    by_tier["order"] = by_tier["tier"].map(TIER_ORDER.index)
    top_tier = (by_tier.sort_values(["cents", "order"], ascending=[False, True])
                .drop_duplicates(["anchor_code", "year", "supplier_key"]))
    totals = lines.assign(infl_nw_cents=lines["infl_cents"].where(lines["tier"] == "nieuw_west", 0)).groupby(
        ["anchor_code", "year", "supplier_key"], as_index=False).agg(
        cents=("cents", "sum"), n_lines=("n_lines", "sum"), infl_cents=("infl_cents", "sum"),
        infl_nw_cents=("infl_nw_cents", "sum"), infl_n_lines=("infl_n_lines", "sum"),
        kvk=("kvk_nummer", "first"), rechtsvorm=("rechtsvorm", "first"))
    return totals.merge(top_tier[["anchor_code", "year", "supplier_key", "tier"]], validate="one_to_one")


def rank_non_local(suppliers: pd.DataFrame, measure: str) -> pd.DataFrame:
    ranked = suppliers[(suppliers["tier"] != "nieuw_west") & (suppliers[measure] > 0)].sort_values(
        ["anchor_code", "year", measure, "supplier_key"], ascending=[True, True, False, True])
    ranked["rank"] = ranked.groupby(["anchor_code", "year"]).cumcount() + 1
    return ranked[ranked["rank"] <= 300]


def test_top_non_local_suppliers(pipeline, expected):
    """Ranked by influenceable spend, total spend kept as a column; pension funds and the tax office
    (whose spend is all excluded) would top a ranking by total spend but are not ranked at all."""
    _, _, warehouse, _ = pipeline
    suppliers = supplier_profiles(expected[0])
    want = rank_non_local(suppliers, "infl_cents")
    got = query(warehouse, "select anchor_code, year::bigint as year, supplier_rank::bigint as rank, supplier_key, "
                           "(influenceable_spend_eur * 100)::bigint as infl_cents, (spend_eur * 100)::bigint as cents, "
                           "influenceable_n_lines as infl_n_lines, n_lines, tier, influenceable_share, share "
                           "from marts.fct_top_non_local_suppliers order by anchor_code, year, supplier_rank")
    cols = ["anchor_code", "year", "rank", "supplier_key", "infl_cents", "cents", "infl_n_lines", "n_lines", "tier"]
    assert got[cols].values.tolist() == want[cols].values.tolist()
    totals = suppliers.groupby(["anchor_code", "year"])[["cents", "infl_cents"]].sum()
    idx = pd.MultiIndex.from_frame(want[["anchor_code", "year"]])
    assert got["influenceable_share"].tolist() == pytest.approx(
        (want["infl_cents"].to_numpy() / totals["infl_cents"].reindex(idx).to_numpy()).tolist(), abs=1e-12)
    assert got["share"].tolist() == pytest.approx(
        (want["cents"].to_numpy() / totals["cents"].reindex(idx).to_numpy()).tolist(), abs=1e-12)

    # By total spend, wholly excluded suppliers (pension funds, Belastingdienst) would be near the top.
    by_total = rank_non_local(suppliers, "cents")
    excluded = set(suppliers.loc[(suppliers["cents"] > 0) & (suppliers["infl_cents"] == 0), "supplier_key"])
    assert (by_total["supplier_key"].isin(excluded) & (by_total["rank"] <= 5)).any()
    assert not got["supplier_key"].isin(excluded).any()
    names = set(query(warehouse, "select distinct organisation_name from marts.fct_top_non_local_suppliers "
                                 "where organisation_name is not null")["organisation_name"])
    assert not {n for n in names if "Pensioenfonds" in n or n == "Belastingdienst"}


def test_shared_suppliers(pipeline, expected):
    _, _, warehouse, _ = pipeline
    suppliers = supplier_profiles(expected[0])
    orgs = suppliers[suppliers["kvk"].notna()]
    shared = orgs.groupby(["year", "supplier_key"], as_index=False).agg(
        n_anchors=("anchor_code", "nunique"), cents=("cents", "sum"), infl_cents=("infl_cents", "sum"),
        infl_nw_cents=("infl_nw_cents", "sum"), anchor_codes=("anchor_code", lambda a: ",".join(sorted(a))))
    want = shared[shared["n_anchors"] >= 2].sort_values(["year", "supplier_key"])
    got = query(warehouse, "select year::bigint as year, supplier_key, n_anchors::bigint as n_anchors, "
                           "(spend_eur * 100)::bigint as cents, (influenceable_spend_eur * 100)::bigint as infl_cents, "
                           "(influenceable_spend_nieuw_west_eur * 100)::bigint as infl_nw_cents, anchor_codes "
                           "from marts.fct_shared_suppliers order by year, supplier_key")
    cols = ["year", "supplier_key", "n_anchors", "cents", "infl_cents", "infl_nw_cents", "anchor_codes"]
    assert len(want) > 0
    assert got[cols].values.tolist() == want[cols].values.tolist()


def test_no_name_of_a_natural_person_in_any_mart(pipeline, expected):
    """Privacy rule: no name of a sole trader or VOF appears in any recipient mart, and each name shown
    belongs to an organisation that is not a natural person."""
    _, _, warehouse, _ = pipeline
    _, register = expected
    persons = register[register["rechtsvorm"].isin(NATURAL_PERSON_FORMS)]
    person_names = {n for col in ("statutaire_naam", "eerste_handelsnaam") for n in persons[col] if n}
    legal_names = {n for col in ("statutaire_naam", "eerste_handelsnaam")
                   for n in register.loc[~register["rechtsvorm"].isin(NATURAL_PERSON_FORMS), col] if n}
    assert person_names
    shown: set[str] = set()
    for table, columns in (("fct_top_non_local_suppliers", ["organisation_name"]),
                           ("fct_shared_suppliers", ["organisation_name"]),
                           ("fct_spend_with_social_enterprises", ["organisation_name"]),
                           ("fct_nieuw_west_establishments_by_sector", ["organisation_name", "establishment_name"])):
        for column in columns:
            shown |= set(query(warehouse, f"select distinct {column} from marts.{table} "
                                          f"where {column} is not null")[column])
    assert shown, "names of legal entities are shown"
    assert not shown & (person_names - legal_names)
    assert shown <= legal_names
