"""Tests of the synthetic sample-data generator (ingestion/synthetic.py).

The exports are re-read here with plain pandas, driven by the anchor YAML files but independent of the
ingestion readers, and compared with the generator's own ground truth to the cent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ingestion import synthetic

SCALE = 0.02
SEED = 12345
ANCHOR_DIR = Path(synthetic.__file__).parent / "anchors"
ANCHOR_CODES = [a.code for a in synthetic.ANCHORS]
SHARED_PC4 = {"1043", "1046", "1047", "1057", "1058", "1059", "1061"}
KVK_COLUMNS = [
    "kvk_nummer", "vestigingsnummer", "rsin", "statutaire_naam", "eerste_handelsnaam", "handelsnamen",
    "ind_hoofdvestiging", "rechtsvorm", "straatnaam", "huisnummer", "huisletter", "huisnummertoevoeging",
    "postcode", "plaats", "land", "ind_afgeschermd", "sbi_hoofdactiviteit", "sbi_nevenactiviteiten",
    "totaal_werkzame_personen", "registratie_datum_aanvang", "peildatum",
]
# What each anchor is known to deliver; the YAML files must agree.
KNOWN_LAYOUT = {
    "gemeente_amsterdam": dict(format="csv", encoding="cp1252", delimiter=";"),
    "hva": dict(format="csv", encoding="utf-8", delimiter=","),
    "olvg": dict(format="xlsx", sheet="Facturen", skip_rows=2, skip_footer=1),
    "de_alliantie": dict(format="csv", encoding="utf-8-sig", delimiter=";"),
    "stwt": dict(format="xlsx", sheet="Blad1", skip_rows=0),
    "pantar": dict(format="csv", encoding="utf-8", delimiter="|"),
}


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic_a")
    synthetic.generate(out, scale=SCALE, seed=SEED)
    return out


@pytest.fixture(scope="module")
def manifest(data_dir) -> dict:
    return json.loads((data_dir / "ground_truth" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def creditors(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "ground_truth" / "creditors.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def kvk(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "landing" / "kvk" / "vestigingen.csv", dtype=str, keep_default_na=False)


def _load_yaml(code: str) -> dict:
    return yaml.safe_load((ANCHOR_DIR / f"{code}.yaml").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------------
# An independent, minimal reader of the exports


def _as_text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _cents(v, cfg: dict) -> int:
    if isinstance(v, (int, float)):
        return int(round(v * 100))
    s = str(v).strip()
    if cfg.get("thousands"):
        s = s.replace(cfg["thousands"], "")
    s = s.replace(cfg.get("decimal", "."), ".")
    return int(Decimal(s) * 100)


def _year(v, cfg: dict) -> int:
    if isinstance(v, (dt.date, pd.Timestamp)):
        return v.year
    return dt.datetime.strptime(str(v).strip(), cfg["date_format"]).year


def read_anchor_exports(root: Path, code: str) -> pd.DataFrame:
    """invoice_id, invoice_line, year, supplier_ref, excl_cents for every line of one anchor."""
    cfg = _load_yaml(code)
    cols = cfg["columns"]
    frames = []
    for path in sorted((root / "landing").glob(cfg["files"])):
        if cfg["format"] == "csv":
            df = pd.read_csv(path, sep=cfg["delimiter"], quotechar=cfg["quotechar"], encoding=cfg["encoding"],
                             skiprows=cfg.get("skip_rows", 0), dtype=str, keep_default_na=False)
        else:
            df = pd.read_excel(path, sheet_name=cfg["sheet"], header=cfg.get("skip_rows", 0),
                               engine="calamine")
        if cfg.get("skip_footer"):
            df = df.iloc[: len(df) - cfg["skip_footer"]]
        amount = [_cents(v, cfg) for v in df[cols["amount"]]]
        credit_cfg = cfg["credit_notes"]
        if "indicator_column" in credit_cfg:
            flip = df[credit_cfg["indicator_column"]].isin(credit_cfg["credit_values"]).to_numpy()
        else:
            assert credit_cfg["sign"] == "negative"
            flip = [False] * len(df)
        amount = [-a if f else a for a, f in zip(amount, flip, strict=True)]
        if cfg["amount_basis"] == "incl_vat":
            if cfg["vat"] == "column":
                vat = [_cents(v, cfg) for v in df[cols["vat_amount"]]]
                vat = [-x if f else x for x, f in zip(vat, flip, strict=True)]
                excl = [a - x for a, x in zip(amount, vat, strict=True)]
            else:
                assert cfg["vat"] == "rate"
                excl = [int((Decimal(a) * 100 / (100 + Decimal(str(r)))).quantize(Decimal(1), ROUND_HALF_UP))
                        for a, r in zip(amount, df[cols["vat_rate"]], strict=True)]
        else:
            excl = amount
        frames.append(pd.DataFrame({
            "invoice_id": [_as_text(v) for v in df[cols["invoice_id"]]],
            "invoice_line": [int(float(v)) for v in df[cols["invoice_line"]]],
            "year": [_year(v, cfg) for v in df[cols["invoice_date"]]],
            "supplier_ref": [_as_text(v) for v in df[cols["supplier_ref"]]],
            "excl_cents": excl,
        }))
    assert frames, f"no files for {code}"
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def exports(data_dir) -> dict[str, pd.DataFrame]:
    return {code: read_anchor_exports(data_dir, code) for code in ANCHOR_CODES}


def _spend_cents(text: str) -> int:
    return int(Decimal(text) * 100)


# --------------------------------------------------------------------------------------------------
# Tests


def test_same_seed_gives_identical_files(data_dir, tmp_path):
    again = tmp_path / "again"
    synthetic.generate(again, scale=SCALE, seed=SEED)
    first, second = _hashes(data_dir), _hashes(again)
    assert first.keys() == second.keys()
    assert first == second


def test_other_seed_gives_other_data(data_dir, tmp_path):
    other = tmp_path / "other"
    synthetic.generate(other, scale=SCALE, seed=SEED + 1)
    assert _hashes(data_dir)["landing/kvk/vestigingen.csv"] != _hashes(other)["landing/kvk/vestigingen.csv"]


def test_yaml_files_describe_the_known_layouts():
    assert sorted(p.stem for p in ANCHOR_DIR.glob("*.yaml")) == sorted(ANCHOR_CODES)
    for code, known in KNOWN_LAYOUT.items():
        cfg = _load_yaml(code)
        assert cfg["code"] == code
        for key, value in known.items():
            assert cfg.get(key, 0) == value, (code, key)
    assert _load_yaml("de_alliantie")["credit_notes"] == {"indicator_column": "Soort", "credit_values": ["C"]}
    assert _load_yaml("pantar")["vat"] == "rate"


def test_export_totals_match_manifest_per_anchor_year(exports, manifest):
    assert manifest["seed"] == SEED and manifest["scale"] == SCALE
    for code in ANCHOR_CODES:
        got = exports[code].groupby("year")["excl_cents"].agg(["sum", "size"])
        expected = manifest["anchors"][code]["years"]
        assert sorted(got.index) == [int(y) for y in expected] == list(synthetic.YEARS)
        for year, row in got.iterrows():
            exp = expected[str(year)]
            assert row["size"] == exp["n_lines"] >= 50, (code, year)
            assert row["sum"] == exp["total_excl_vat_cents"], (code, year)
            assert _spend_cents(exp["total_excl_vat_eur"]) == exp["total_excl_vat_cents"]


def test_spend_by_true_tier_matches_exports(data_dir, exports, creditors):
    truth = pd.read_csv(data_dir / "ground_truth" / "spend_by_true_tier.csv", dtype={"spend_eur": str})
    assert set(truth["true_tier"]) <= set(synthetic.TIERS)
    truth["cents"] = truth["spend_eur"].map(_spend_cents)
    for code in ANCHOR_CODES:
        cred = creditors[creditors["anchor_code"] == code]
        assert cred["supplier_ref"].is_unique
        lines = exports[code].merge(cred[["supplier_ref", "true_tier"]], on="supplier_ref", how="left")
        assert lines["true_tier"].notna().all(), f"{code}: line with a creditor not in the ground truth"
        got = lines.groupby(["year", "true_tier"])["excl_cents"].agg(["sum", "size"])
        exp = truth[truth["anchor_code"] == code].set_index(["year", "true_tier"])
        assert sorted(got.index) == sorted(exp.index), code
        for key, row in got.iterrows():
            assert row["sum"] == exp.loc[key, "cents"], (code, key)
            assert row["size"] == exp.loc[key, "n_lines"], (code, key)


def test_nieuw_west_share_differs_per_anchor_and_grows(data_dir):
    truth = pd.read_csv(data_dir / "ground_truth" / "spend_by_true_tier.csv")
    total = truth.groupby(["anchor_code", "year"])["spend_eur"].sum()
    nw = truth[truth["true_tier"] == "nieuw_west"].set_index(["anchor_code", "year"])["spend_eur"]
    share = (nw / total).unstack("year")
    assert set(share.index) == set(ANCHOR_CODES)
    for code, row in share.iterrows():
        values = row.to_numpy()
        assert (values > 0.02).all() and (values < 0.2).all(), code
        assert (values[1:] > values[:-1]).all(), f"{code}: Nieuw-West share does not grow: {values}"
    assert share[2022].max() - share[2022].min() > 0.05


def test_invoice_lines_unique_and_numbered(exports):
    for code, lines in exports.items():
        assert not lines.duplicated(["invoice_id", "invoice_line"]).any(), code
        numbering = lines.groupby("invoice_id")["invoice_line"].agg(["min", "max", "size"])
        assert (numbering["min"] == 1).all() and (numbering["max"] == numbering["size"]).all(), code
        # an invoice belongs to one creditor and one year
        assert (lines.groupby("invoice_id")["supplier_ref"].nunique() == 1).all(), code
        assert (lines.groupby("invoice_id")["year"].nunique() == 1).all(), code


def test_every_anchor_year_has_credit_notes(exports, manifest):
    for code, lines in exports.items():
        negative = lines[lines["excl_cents"] < 0].groupby("year").size()
        assert sorted(negative.index) == list(synthetic.YEARS), code
        for year, n in negative.items():
            assert n == manifest["anchors"][code]["years"][str(year)]["n_credit_note_lines"]


def test_kvk_extract_shape_and_keys(kvk):
    assert list(kvk.columns) == KVK_COLUMNS
    assert kvk["kvk_nummer"].str.fullmatch(r"\d{8}").all()
    assert kvk["vestigingsnummer"].str.fullmatch(r"\d{12}").all()
    assert kvk["vestigingsnummer"].is_unique
    heads = kvk.groupby("kvk_nummer")["ind_hoofdvestiging"].agg(lambda s: (s == "Ja").sum())
    assert (heads == 1).all(), "every KvK number needs exactly one head office"
    assert set(kvk["ind_hoofdvestiging"]) == {"Ja", "Nee"}
    assert (kvk.groupby("kvk_nummer").size() > 1).any(), "no chains with branches"
    rsin = kvk.loc[kvk["rsin"] != "", "rsin"]
    assert rsin.str.fullmatch(r"\d{9}").all()
    assert (kvk.loc[kvk["rechtsvorm"] == "Eenmanszaak", "rsin"] == "").all()
    assert kvk["postcode"].str.fullmatch(r"[1-9]\d{3}[A-Z]{2}").all()
    assert not kvk["postcode"].str[4:].isin(["SA", "SD", "SS"]).any()
    pc4 = kvk["postcode"].str[:4]
    assert not (pc4.str.endswith("0") & (pc4 != "1060")).any(), "PO-box PC4s used"
    assert {"Besloten Vennootschap", "Eenmanszaak", "Vennootschap onder firma", "Coöperatie",
            "Stichting"} <= set(kvk["rechtsvorm"])
    assert (kvk.loc[kvk["ind_afgeschermd"] == "Ja", "rechtsvorm"] == "Eenmanszaak").all()
    assert (kvk["ind_afgeschermd"] == "Ja").any()
    assert (kvk["peildatum"] == "2025-11-01").all()
    assert (kvk["land"] == "Nederland").all()
    assert pd.to_numeric(kvk["huisnummer"]).ge(1).all()
    assert pd.to_numeric(kvk["totaal_werkzame_personen"]).ge(1).all()
    assert (kvk["registratie_datum_aanvang"] <= kvk["peildatum"]).all()


def test_kvk_sbi_codes_are_sbi2025_leaves(kvk):
    sbi = pd.read_csv(synthetic.DEFAULT_REFERENCE_DIR / "sbi2025.csv", dtype=str)
    leaves = set(sbi.loc[sbi["is_blad"] == "1", "code"])
    assert set(kvk["sbi_hoofdactiviteit"]) <= leaves
    side = {c for v in kvk["sbi_nevenactiviteiten"] if v for c in v.split("|")}
    assert side <= leaves


def test_shared_pc4s_are_represented(kvk, creditors):
    in_shared = kvk["postcode"].str[:4].isin(SHARED_PC4)
    assert in_shared.sum() >= 10
    assert kvk.loc[in_shared, "postcode"].str[:4].nunique() >= 4
    dutch = creditors[creditors["country"] == "NL"]
    shared_cred = dutch[dutch["postcode"].str[:4].isin(SHARED_PC4)]
    assert len(shared_cred) >= 5
    # every Dutch creditor is an establishment of the extract, with the same postcode and KvK number
    merged = dutch.merge(kvk, on="vestigingsnummer", how="left")
    assert merged["kvk_nummer"].notna().all()
    assert (merged["kvk_nummer"] == merged["kvk_number"]).all()
    assert (merged["postcode_x"] == merged["postcode_y"]).all()


def test_ground_truth_tiers_follow_the_reference(creditors):
    ref = synthetic.DEFAULT_REFERENCE_DIR
    gem = pd.read_csv(ref / "nl_pc4_gemeente.csv", dtype=str)
    gem = gem[gem["is_hoofdgemeente"] == "1"].set_index("pc4")["gemeente_naam"]
    sd = pd.read_csv(ref / "amsterdam_pc4_stadsdeel.csv", dtype=str)
    sd_pairs = set(zip(sd["postcode"], sd["stadsdeel_code"], strict=True))
    mra = set(synthetic.MRA_GEMEENTEN) | {"Laren (NH.)"}
    for r in creditors.itertuples(index=False):
        if r.country != "NL":
            assert r.true_tier == "abroad" and r.kvk_number == "" and r.true_stadsdeel_code == ""
            continue
        gemeente = gem[r.postcode[:4]]
        if gemeente == "Amsterdam":
            assert (r.postcode[:4], r.true_stadsdeel_code) in sd_pairs
            expected = "nieuw_west" if r.true_stadsdeel_code == "F" else "rest_of_amsterdam"
        else:
            assert r.true_stadsdeel_code == ""
            expected = "rest_of_mra" if gemeente in mra else "rest_of_netherlands"
        assert r.true_tier == expected, r
    assert (creditors["true_tier"] == "abroad").groupby(creditors["anchor_code"]).any().all()


def test_in_export_reflects_each_layout(creditors):
    allowed = {
        "gemeente_amsterdam": {"kvk_number|vestigingsnummer|postcode", "kvk_number|postcode", "postcode"},
        "hva": {"kvk_number|postcode", "postcode"},
        "de_alliantie": {"kvk_number|postcode", "postcode"},
        "olvg": {"postcode", ""},
        "stwt": {"postcode"},
        "pantar": {"postcode", ""},
    }
    for code, values in allowed.items():
        got = set(creditors.loc[creditors["anchor_code"] == code, "in_export"])
        assert got <= values, (code, got - values)
    gem = creditors[(creditors["anchor_code"] == "gemeente_amsterdam") & (creditors["country"] == "NL")]
    assert (gem["in_export"] == "kvk_number|postcode").any()   # vestigingsnummer left out for some


def test_layout_quirks(data_dir):
    landing = data_dir / "landing"
    gem = (landing / "gemeente_amsterdam" / "crediteurenfacturen_2022.csv").read_bytes()
    assert b"\r\n" in gem and not gem.startswith(b"\xef\xbb\xbf")
    header = gem.split(b"\r\n", 1)[0].decode("cp1252")
    assert header.startswith("Factuurnummer;Regelnummer;Factuurdatum")
    text = gem.decode("cp1252")
    assert re.search(r";\d{2}-\d{2}-2022;", text)
    assert re.search(r";\d{4} [A-Z]{2};", text), "Dutch postcodes with a space"
    alliantie = (landing / "de_alliantie" / "exact_crediteurenfacturen_2022.csv").read_bytes()
    assert alliantie.startswith(b"\xef\xbb\xbf")
    pantar = (landing / "pantar" / "pantar_facturen_2022.csv").read_text(encoding="utf-8")
    assert re.search(r"\|[1-9]-[1-9]-2022\|", pantar), "dates without leading zeros"
    olvg = pd.read_excel(landing / "olvg" / "olvg_inkoopfacturen_2022.xlsx", sheet_name="Facturen",
                         header=None, engine="calamine")
    assert str(olvg.iat[0, 0]).startswith("OLVG")
    assert olvg.iloc[1].isna().all()
    assert olvg.iat[2, 0] == "Factuurnummer"
    assert olvg.iat[len(olvg) - 1, 0] == "Totaal"
    stwt = pd.read_excel(landing / "stwt" / "stwt_facturen_2022.xlsx", sheet_name="Blad1", engine="calamine")
    assert pd.api.types.is_datetime64_any_dtype(stwt["Datum"])
    assert pd.api.types.is_float_dtype(stwt["Bedrag excl. btw"])
