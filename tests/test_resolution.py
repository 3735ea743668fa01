"""The supplier-resolution cascade on a small hand-made register (expected results written by hand)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ingestion.resolution import OUTPUT_COLUMNS, normalise_names, prepare_register, resolve

REG_COLUMNS = ["vestigingsnummer", "kvk_nummer", "rsin", "statutaire_naam", "eerste_handelsnaam", "handelsnamen",
               "ind_hoofdvestiging", "rechtsvorm", "straatnaam", "huisnummer", "postcode", "plaats"]
# A..J: Prisma Bouw has a head office in Utrecht and two branches in Amsterdam; two sole traders share a name
# in different places; Noorderlicht Catering has a branch in Haarlem.
REGISTER = [
    ("000000000001", "11111111", "800000001", "Prisma Bouw B.V.", "Prisma Bouw B.V.", "Prisma Bouw B.V.", "Ja",
     "Besloten Vennootschap", "Hoofdweg", 10, "3511AA", "Utrecht"),
    ("000000000002", "11111111", "800000001", "Prisma Bouw B.V.", "Prisma Bouw Amsterdam", "Prisma Bouw Amsterdam",
     "Nee", "Besloten Vennootschap", "Osdorpplein", 5, "1068AB", "Amsterdam"),
    ("000000000003", "11111111", "800000001", "Prisma Bouw B.V.", "Prisma Bouw Amsterdam", "Prisma Bouw Amsterdam",
     "Nee", "Besloten Vennootschap", "Pieter Calandlaan", 20, "1065KL", "Amsterdam"),
    ("000000000004", "22222222", "800000002", "Van der Heijden Bakkerij Holding B.V.", "Van der Heijden Bakkerij",
     "Van der Heijden Bakkerij", "Ja", "Besloten Vennootschap", "Slotermeerlaan", 7, "1064HA", "Amsterdam"),
    ("000000000005", "33333333", "", "", "Schildersbedrijf J. de Vries", "Schildersbedrijf J. de Vries", "Ja",
     "Eenmanszaak", "Kerkstraat", 3, "1017GA", "Amsterdam"),
    ("000000000006", "44444444", "", "", "Schildersbedrijf J. de Vries", "Schildersbedrijf J. de Vries", "Ja",
     "Eenmanszaak", "Kerkstraat", 3, "2011AB", "Haarlem"),
    ("000000000007", "55555555", "800000005", "Stichting Kompas Zorg", "Kompas Zorg", "Kompas Zorg", "Ja",
     "Stichting", "Lelylaan", 1, "1062AA", "Amsterdam"),
    ("000000000008", "66666666", "800000006", "Horizon ICT Solutions B.V.", "Horizon ICT Solutions B.V.",
     "Horizon ICT Solutions B.V.", "Ja", "Besloten Vennootschap", "Industrieweg", 2, "1043AB", "Amsterdam"),
    ("000000000009", "77777777", "800000007", "Noorderlicht Catering N.V.", "Noorderlicht Catering N.V.",
     "Noorderlicht Catering N.V.", "Ja", "Naamloze Vennootschap", "Havenweg", 9, "1013AB", "Amsterdam"),
    ("000000000010", "77777777", "800000007", "Noorderlicht Catering N.V.", "Noorderlicht Catering N.V.",
     "Noorderlicht Catering N.V.", "Nee", "Naamloze Vennootschap", "Stationsweg", 4, "2011CD", "Haarlem"),
]
SUP_COLUMNS = ["anchor_code", "supplier_ref", "supplier_name", "kvk_number", "vestigingsnummer", "vat_number", "iban",
               "supplier_street", "supplier_house_number", "supplier_postcode", "supplier_city", "supplier_country"]
IBAN = "NL91ABNA0417164300"
SUPPLIERS = [
    ("hva", "1001", "VAN DER HEIJDEN BAKKERIJ", None, "000000000004", None, None, None, None, None, None, "NL"),
    ("hva", "1002", "Prisma Bouw BV", "11111111", None, None, None, "Osdorpplein", "5", "1068AB", "Amsterdam", "NL"),
    ("hva", "1003", "Prisma Bouw", "11111111", None, None, None, None, None, None, None, "NL"),
    ("olvg", "2001", "Kompas Zorg", None, None, "NL800000005B01", None, "Lelylaan", "1", "1062AA", "Amsterdam", "NL"),
    ("olvg", "2002", "Horizon ICT", None, None, None, IBAN, None, None, None, "Amsterdam", "NL"),
    ("olvg", "2003", "Horizon ICT Solutions BV", "66666666", None, None, IBAN, "Industrieweg", "2", "1043AB",
     "Amsterdam", "NL"),
    # suffix variant (BV for B.V.) of the statutory name, and the same supplier under a second creditor number
    ("gemeente_amsterdam", "3001", "Van der Heijden Bakkerij Holding BV", None, None, None, None, "Slotermeerlaan",
     "7", "1064HA", "Amsterdam", "NL"),
    ("gemeente_amsterdam", "3002", "V.d. Heijden Bakkerij", None, None, None, None, "Slotermeerlaan", "7", None,
     "Amsterdam", "NL"),
    # same name in two places: the place decides
    ("gemeente_amsterdam", "3003", "Schildersbedrijf J. de Vries", None, None, None, None, "Kerkstraat", "3", None,
     "Haarlem", "NL"),
    ("stwt", "4001", "St. Kompas Zorg", None, None, None, None, "Lelylaan", "1", "1062AA", "Amsterdam", "NL"),
    ("pantar", "5001", "Noorderligt Catering NV", None, None, None, None, "Havenweg", "9", "1013AB", "Amsterdam", "NL"),
    ("pantar", "5002", "Müller Software GmbH", None, None, None, None, "Hauptstraße", "1", "10115", "Berlin", "DE"),
    ("pantar", "5003", "Totally Unknown Company", None, None, None, None, "Nergensweg", "1", "9999ZZ", "Nergens",
     "NL"),
    # a chain with two branches in one place and nothing to tell them apart
    ("de_alliantie", "6001", "Prisma Bouw Amsterdam", None, None, None, None, None, None, None, "Amsterdam", "NL"),
    # overrides win: a branch instead of the head office, and "no establishment"
    ("hva", "1004", "Prisma Bouw", "11111111", None, None, None, None, None, None, None, "NL"),
    ("hva", "1005", "J. Jansen", None, None, None, None, None, None, None, "Amsterdam", "NL"),
    # a vestigingsnummer of another organisation: the name contradicts it
    ("hva", "1006", "Kompas Zorg", None, "000000000008", None, None, None, None, None, "Amsterdam", "NL"),
]
OVERRIDES = pd.DataFrame([
    ("hva", "1004", "000000000003", "analyst a", "invoices come from the Pieter Calandlaan branch"),
    ("hva", "1005", "", "analyst b", "private person"),
], columns=["anchor_code", "supplier_ref", "vestigingsnummer", "decided_by", "note"])

EXPECTED = {  # supplier_ref: (vestigingsnummer, kvk_number, method, status)
    "1001": ("000000000004", "22222222", "vestigingsnummer", "auto_accepted"),
    "1002": ("000000000002", "11111111", "kvk_number_at_address", "auto_accepted"),
    "1003": ("000000000001", "11111111", "kvk_number_head_office", "auto_accepted"),
    "2001": ("000000000007", "55555555", "vat_number_rsin", "auto_accepted"),
    "2002": ("000000000008", "66666666", "iban", "auto_accepted"),
    "2003": ("000000000008", "66666666", "kvk_number_at_address", "auto_accepted"),
    "3001": ("000000000004", "22222222", "name_address", "auto_accepted"),
    "3002": ("000000000004", "22222222", "name_address", "auto_accepted"),
    "3003": ("000000000006", "44444444", "name_address", "auto_accepted"),
    "4001": ("000000000007", "55555555", "name_address", "auto_accepted"),
    "5001": ("000000000009", "77777777", "name_address", "auto_accepted"),
    "5002": (None, None, "foreign", "auto_accepted"),
    "5003": (None, None, "none", "unresolved"),
    "6001": (None, None, "name_address", "review"),
    "1004": ("000000000003", "11111111", "override", "auto_accepted"),
    "1005": (None, None, "override", "auto_accepted"),
    "1006": (None, None, "vestigingsnummer", "review"),
}


@pytest.fixture(scope="module")
def result() -> pd.DataFrame:
    reg = pd.DataFrame(REGISTER, columns=REG_COLUMNS)
    sup = pd.DataFrame(SUPPLIERS, columns=SUP_COLUMNS)
    return resolve(sup, prepare_register(reg), OVERRIDES).set_index("supplier_ref", drop=False)


def test_normalisation_of_suffixes_and_abbreviations():
    a, b, c, d, e, f = normalise_names(["Prisma Bouw B.V.", "PRISMA BOUW BV", "prisma bouw b.v", "V.d. Heijden & Zn",
                                        "Van der Heijden en Zn", "Stichting Kompas Zorg"])
    assert a == b == c == "prisma bouw"
    assert d == e == "vd heijden zn"
    assert f == "kompas zorg"


def test_every_supplier_as_expected(result):
    assert list(result.columns) == OUTPUT_COLUMNS
    assert len(result) == len(SUPPLIERS)
    got = {r.supplier_ref: (r.vestigingsnummer, r.kvk_number, r.method, r.status) for r in result.itertuples()}
    got = {k: tuple(None if pd.isna(x) else x for x in v) for k, v in got.items()}
    assert got == EXPECTED


def test_confidences(result):
    assert result.loc["1004", "confidence"] == 1.0 and result.loc["1001", "confidence"] == 1.0
    auto = result[result["status"] == "auto_accepted"]
    assert (auto["confidence"] >= 0.85).all()
    assert result.loc["5003", "confidence"] == 0.0
    assert ((result["confidence"] >= 0) & (result["confidence"] <= 1)).all()


def test_chain_branches_in_one_place_go_to_review(result):
    cands = json.loads(result.loc["6001", "candidates"])
    assert {c["vestigingsnummer"] for c in cands[:2]} == {"000000000002", "000000000003"}
    assert "ambiguous" in cands[0]["why"]
    assert set(cands[0]) == {"vestigingsnummer", "name", "postcode", "score", "why"}


def test_contradicting_identifier_goes_to_review_with_both(result):
    cands = {c["vestigingsnummer"]: c["why"] for c in json.loads(result.loc["1006", "candidates"])}
    assert "000000000007" in cands                       # what the name says
    assert "name differs" in cands["000000000008"]       # what the vestigingsnummer says


def test_merge_of_creditor_numbers(result):
    assert result.loc["3001", "merged_supplier_key"] == result.loc["3002", "merged_supplier_key"] \
        == "gemeente_amsterdam:000000000004"
    # another anchor's record of the same establishment is not merged across anchors
    assert result.loc["1001", "merged_supplier_key"] == "hva:000000000004"
    assert result.loc["6001", "merged_supplier_key"] == "de_alliantie:ref:6001"
    # the IBAN-resolved creditor and the KvK-resolved creditor of olvg are one establishment as well
    assert result.loc["2002", "merged_supplier_key"] == result.loc["2003", "merged_supplier_key"] \
        == "olvg:000000000008"
    assert result["merged_supplier_key"].nunique() == len(result) - 2


def test_override_wins_even_over_an_identifier():
    reg = pd.DataFrame(REGISTER, columns=REG_COLUMNS)
    sup = pd.DataFrame([SUPPLIERS[0]], columns=SUP_COLUMNS)
    ov = pd.DataFrame([("hva", "1001", "000000000009", "analyst", "")],
                      columns=["anchor_code", "supplier_ref", "vestigingsnummer", "decided_by", "note"])
    out = resolve(sup, reg, ov).iloc[0]
    assert (out["vestigingsnummer"], out["method"], out["confidence"]) == ("000000000009", "override", 1.0)
