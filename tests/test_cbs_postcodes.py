"""Rebuilding the postcode reference from a file in CBS's postcode-huisnummer-buurt layout."""

import pandas as pd
import pytest

from ingestion.cbs_postcodes import CbsFileError, main, rebuild

ROWS = [
    "PC6;Huisnummer;Buurt2024;Wijk2024;Gemeente2024",
    "1061AA;1;0363EA01;0363EA;363",  # West
    "1061AA;2;0363EA01;0363EA;363",
    "1061AA;3;0363EA01;0363EA;363",
    "1061AB;1;0363FB02;0363FB;363",  # Nieuw-West part of the same PC4
    "1061AB;2;0363FB02;0363FB;363",
    "1061AB;2;0363FB02;0363FB;363",  # the same address twice counts once
    "1068AB;10;0363FC01;0363FC;363",
    "1181AA;1;03620101;036201;362",  # Amstelveen
    "1181AA;2;03620101;036201;362",
    "4062AA;1;02810101;028101;281",  # Tiel
    "4062AB;1;19600101;196001;1960",  # West Betuwe
    "4062AB;2;19600101;196001;1960",
    "XXXX;1;0;0;0",  # not a postcode: skipped
]


@pytest.fixture
def cbs_file(tmp_path):
    path = tmp_path / "pc6hnr20240801_gwb.csv"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def test_rebuild_counts_shares_and_exact_addresses(cbs_file, tmp_path):
    counts = rebuild(cbs_file, tmp_path / "out")
    assert counts["addresses"] == 11
    gem = pd.read_csv(tmp_path / "out" / "nl_pc4_gemeente.csv", dtype={"pc4": str})
    assert gem[["pc4", "gemeente_code", "gemeente_naam", "n_adressen", "n_adressen_pc4", "is_hoofdgemeente"]
               ].values.tolist() == [
        ["1061", "GM0363", "Amsterdam", 5, 5, 1],
        ["1068", "GM0363", "Amsterdam", 1, 1, 1],
        ["1181", "GM0362", "Amstelveen", 2, 2, 1],
        ["4062", "GM1960", "West Betuwe", 2, 3, 1],
        ["4062", "GM0281", "Tiel", 1, 3, 0],
    ]
    assert gem.loc[gem["gemeente_code"] == "GM0281", "aandeel"].item() == pytest.approx(0.3333)

    sd = pd.read_csv(tmp_path / "out" / "amsterdam_pc4_stadsdeel.csv", dtype={"postcode": str})
    assert sd[["postcode", "stadsdeel_code", "stadsdeel_naam", "n_adressen", "aandeel_van_pc4",
               "is_hoofdstadsdeel", "n_stadsdelen_in_pc4"]].values.tolist() == [
        ["1061", "E", "West", 3, 0.6, 1, 2],
        ["1061", "F", "Nieuw-West", 2, 0.4, 0, 2],
        ["1068", "F", "Nieuw-West", 1, 1.0, 1, 1],
    ]
    exact = pd.read_csv(tmp_path / "out" / "amsterdam_pc6_huisnummer_stadsdeel.csv", dtype=str)
    # Only the shared PC4 needs address precision: the Nieuw-West addresses of 1061 are found exactly.
    assert exact.values.tolist() == [["1061AA", "1", "E"], ["1061AA", "2", "E"], ["1061AA", "3", "E"],
                                     ["1061AB", "1", "F"], ["1061AB", "2", "F"]]


def test_wrong_file_is_named(tmp_path):
    bad = tmp_path / "other.csv"
    bad.write_text("postcode;x\n1061AA;1\n", encoding="utf-8")
    with pytest.raises(CbsFileError, match=r"other.csv: no column starting with 'PC6'"):
        rebuild(bad, tmp_path / "out")
    assert main(["--cbs", str(bad), "--out", str(tmp_path / "out")]) == 1


def test_rebuilt_files_have_the_shipped_columns(cbs_file, tmp_path):
    from ingestion.cbs_postcodes import REFERENCE_DIR

    rebuild(cbs_file, tmp_path / "out")
    for name in ("nl_pc4_gemeente.csv", "amsterdam_pc4_stadsdeel.csv"):
        shipped = pd.read_csv(REFERENCE_DIR / name, nrows=0).columns.tolist()
        assert pd.read_csv(tmp_path / "out" / name, nrows=0).columns.tolist() == shipped
