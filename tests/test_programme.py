"""Programme monitoring: the co-operative register, tender calendar matching, the Koop Lokaal directory
and the investment fund. Readers are tested on small files; the marts on the session pipeline (2 %
sample), against figures computed here from the input files, the KvK register and the generator's
ground truth."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from ingestion.privacy import SALT_ENV, SAMPLE_SALT, keyed_key
from ingestion.programme import ProgrammeInputError, read_programme
from tests.test_pipeline_e2e import pc4_tier_table

ANCHORS = {"gemeente_amsterdam", "hva", "olvg", "de_alliantie", "stwt", "pantar"}
NATURAL_PERSON_FORMS = {"Eenmanszaak", "Maatschap", "Vennootschap onder firma", "Commanditaire vennootschap"}


def md5(text: str) -> str:
    """The marts' keys of a vestigingsnummer: a keyed hash with the sample's public salt (macro keyed_key)."""
    return keyed_key(text, salt=os.environ.get(SALT_ENV) or SAMPLE_SALT)


@pytest.fixture
def programme_dir(pipeline, tmp_path) -> Path:
    """A copy of the sample's programme inputs to break."""
    _, data, _, _ = pipeline
    folder = tmp_path / "programme"
    shutil.copytree(data / "landing" / "programme", folder)
    return folder


@pytest.mark.parametrize("file, change, message", [
    ("tenders.csv", ("77310000-6", "7731"), "tenders.csv: row 2, field cpv_code"),
    ("tenders.csv", ("gemeente_amsterdam,GA-2026-014", "gemeente,GA-2026-014"),
     "tenders.csv: row 2, field anchor_code"),
    ("fund.csv", ("groen_nieuw_west", "groen"), "fund.csv: row 5, field initiative"),
    ("fund.csv", ("400000", "-1"), "fund.csv: row 2, field amount_eur"),
    ("cooperatives.yaml", ("phase: 5\n  phases", "phase: 9\n  phases"), "initiative 1 (groen_nieuw_west), field phase"),
    ("cooperatives.yaml", ("sector: food", "sector: bakery"), "initiative 3 (catering_cooperatie), field sector"),
])
def test_bad_programme_inputs_name_file_row_and_field(programme_dir, file, change, message):
    path = programme_dir / file
    text = path.read_text(encoding="utf-8")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(ProgrammeInputError) as exc:
        read_programme(programme_dir, ANCHORS)
    assert message in str(exc.value)


def test_register_reads_the_report_initiatives(programme_dir):
    inputs = read_programme(programme_dir, ANCHORS)
    phases = dict(zip(inputs.initiatives["initiative_key"], inputs.initiatives["phase"], strict=True))
    # The autumn-2024 progress report's initiatives and phases (shared/docs/DOMAIN.md).
    assert phases == {"groen_nieuw_west": 5, "circulair_wildeman": 4, "catering_cooperatie": 3,
                      "kantine_moeders": 6, "osdorperweg_937": 6}
    assert inputs.targets.set_index("target_key")["target"].to_dict()["worker_cooperatives"] == 4


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


def register_with_tiers(data: Path) -> pd.DataFrame:
    register = pd.read_csv(data / "landing" / "kvk" / "vestigingen.csv", dtype=str, keep_default_na=False)
    register["tier"] = register["postcode"].str[:4].map(pc4_tier_table())
    return register


def test_green_maintenance_tender_lists_the_green_cooperative_and_local_gardeners_first(pipeline):
    _, data, warehouse, _ = pipeline
    got = query(warehouse, "select * from marts.fct_tender_opportunities where tender_id = 'GA-2026-014' "
                           "order by candidate_rank")
    assert got.loc[0, "candidate_type"] == "initiative"
    assert got.loc[0, "candidate_key"] == "groen_nieuw_west"
    assert got.loc[0, "target_sector"] == "green_maintenance"
    # Independently: Nieuw-West establishments with landscape care (813..) or plant propagation (0130) as main
    # or side activity, the registered green co-operative itself excluded (it is listed as the initiative).
    register = register_with_tiers(data)
    coop = yaml.safe_load((data / "landing" / "programme" / "cooperatives.yaml").read_text(encoding="utf-8"))
    initiative_kvk = {i["kvk_number"] for i in coop["initiatives"] if i["kvk_number"]}
    local = register[(register["tier"] == "nieuw_west") & ~register["kvk_nummer"].isin(initiative_kvk)]
    green = ("813", "0130")
    main = local["sbi_hoofdactiviteit"].str.startswith(green)
    side = local["sbi_nevenactiviteiten"].map(lambda codes: any(c.startswith(green) for c in codes.split("|") if c))
    gardeners = local[main | side]
    assert len(gardeners) > 0
    establishments = got[got["candidate_type"] == "establishment"]
    # every establishment candidate does the work; co-operatives, then main activities come first
    assert establishments["sbi_code"].str.startswith(green).all()
    assert establishments["match_rank"].is_monotonic_increasing
    expected_keys = {md5(v) for v in gardeners["vestigingsnummer"]}
    assert set(establishments["candidate_key"]) == expected_keys if len(expected_keys) <= 24 else \
        set(establishments["candidate_key"]) <= expected_keys
    main_keys = {md5(v) for v in local.loc[main, "vestigingsnummer"]}
    assert set(establishments.loc[establishments["match_basis"] == "main_activity", "candidate_key"]) <= main_keys
    # no sole trader's name: names only for legal entities
    natural = set(register.loc[register["rechtsvorm"].isin(NATURAL_PERSON_FORMS), "eerste_handelsnaam"])
    assert not set(got["candidate_name"].dropna()) & natural


def test_every_tender_ranks_its_candidates_one_to_n(pipeline):
    _, _, warehouse, _ = pipeline
    got = query(warehouse, "select tender_id, candidate_rank from marts.fct_tender_opportunities")
    tenders = pd.read_csv(pipeline[1] / "landing" / "programme" / "tenders.csv")
    assert set(got["tender_id"]) <= set(tenders["tender_id"])
    for _, ranks in got.groupby("tender_id")["candidate_rank"]:
        assert sorted(ranks) == list(range(1, len(ranks) + 1)) and len(ranks) <= 25
    # the calendar keeps every tender, also one without candidates, and counts them
    calendar = query(warehouse, "select tender_id, n_candidates from marts.fct_tender_calendar")
    assert sorted(calendar["tender_id"]) == sorted(tenders["tender_id"])
    counts = got.groupby("tender_id").size()
    assert calendar.set_index("tender_id")["n_candidates"].to_dict() == {
        t: int(counts.get(t, 0)) for t in tenders["tender_id"]}


def test_cooperative_income_equals_ground_truth(pipeline):
    _, data, warehouse, _ = pipeline
    coop = yaml.safe_load((data / "landing" / "programme" / "cooperatives.yaml").read_text(encoding="utf-8"))
    kvk_of = {i["kvk_number"]: i["key"] for i in coop["initiatives"] if i["kvk_number"]}
    creditors = pd.read_csv(data / "ground_truth" / "creditors.csv", dtype=str, keep_default_na=False)
    spend = pd.read_csv(data / "ground_truth" / "spend_by_creditor.csv", dtype={"supplier_ref": str, "spend_eur": str})
    spend = spend.merge(creditors[["anchor_code", "supplier_ref", "kvk_number"]], on=["anchor_code", "supplier_ref"])
    spend = spend[spend["kvk_number"].isin(kvk_of)]
    spend["initiative_key"] = spend["kvk_number"].map(kvk_of)
    spend["cents"] = spend["spend_eur"].map(lambda s: int(Decimal(s) * 100))
    want = spend.groupby(["initiative_key", "anchor_code", "year"])["cents"].sum().sort_index()
    got = query(warehouse, "select initiative_key, anchor_code, year::bigint as year, (spend_eur * 100)::bigint "
                           "as cents from marts.fct_cooperative_income")
    got = got.set_index(["initiative_key", "anchor_code", "year"])["cents"].sort_index()
    assert len(want) > 0
    assert got.to_dict() == want.to_dict()
    pipeline_mart = query(warehouse, "select * from marts.fct_cooperative_pipeline").set_index("initiative_key")
    assert pipeline_mart.loc["groen_nieuw_west", "income_from_anchors_eur"] == pytest.approx(
        want.loc["groen_nieuw_west"].sum() / 100, abs=0.001)
    assert pd.isna(pipeline_mart.loc["catering_cooperatie", "income_from_anchors_eur"])  # not registered


def test_directory_fund_and_targets(pipeline):
    _, data, warehouse, out = pipeline
    register = register_with_tiers(data)
    findable = register[(register["tier"] == "nieuw_west") & ~register["rechtsvorm"].isin(NATURAL_PERSON_FORMS)]
    targets = query(warehouse, "select * from marts.fct_programme_targets").set_index("target_key")
    assert targets.loc["koop_lokaal_findable", "actual_value"] == len(findable)
    fund = pd.read_csv(data / "landing" / "programme" / "fund.csv")
    committed = fund.loc[fund["kind"] == "commitment", "amount_eur"].sum()
    assert targets.loc["investment_capacity_eur", "actual_value"] == committed
    assert targets.loc["investment_capacity_eur", "progress_share"] == pytest.approx(committed / 1_000_000)
    coop = yaml.safe_load((data / "landing" / "programme" / "cooperatives.yaml").read_text(encoding="utf-8"))
    registered_worker = [i for i in coop["initiatives"] if i["worker_cooperative"] and i["kvk_number"]]
    assert targets.loc["worker_cooperatives", "actual_value"] == len(registered_worker)
    # The published directory files: the same suppliers, and no sole trader among them.
    directory = pd.read_csv(out / "koop_lokaal" / "leveranciers.csv", dtype=str, keep_default_na=False)
    assert len(directory) == len(findable)
    natural = set(register.loc[register["rechtsvorm"].isin(NATURAL_PERSON_FORMS), "eerste_handelsnaam"])
    assert not set(directory["naam"]) & natural
    ledger = query(warehouse, "select * from marts.fct_investment_fund order by transaction_date")
    assert ledger["committed_to_date_eur"].iloc[-1] == Decimal(int(committed))


def test_programme_page_lists_every_tender(pipeline):
    """The dashboard's programme page shows every tender of the calendar: its best candidates, or that
    none was found in Nieuw-West."""
    from dashboards.programme import load_programme, programme_html

    _, data, warehouse, _ = pipeline
    with duckdb.connect(str(warehouse), read_only=True) as con:
        page = programme_html(load_programme(con), {})
        calendar = con.execute("select tender_id, n_candidates from marts.fct_tender_calendar").fetchall()
    for tender_id, n in calendar:
        start = page.index(f"data-testid='aanbesteding-{tender_id}'")
        end = page.find("data-testid='aanbesteding-", start + 1)
        block = page[start:end if end > 0 else len(page)]
        assert ("geen kandidaten in Nieuw-West gevonden" in block) == (n == 0), tender_id
