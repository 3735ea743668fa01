"""Smoke test of the performance benchmark's parts (the benchmark itself runs on demand: benchmarks/).

The scaled generator writes ten years with December 2025 as deliveries of their own; the two comparison
implementations (the DuckDB floor query and plain pandas) must agree to the cent, and their totals must be
the generator's own totals per anchor and year (ground truth), so the benchmark compares the pipeline
with programs that compute the right figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.headline import floor_duckdb, plain_pandas

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scaled(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scaled") / "data"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate_scaled.py"), "--lines", "40000",
                    "--out", str(out)], check=True, cwd=ROOT, capture_output=True)
    return out


def test_scaled_sample_has_ten_years_and_a_month_of_its_own(scaled):
    manifest = json.loads((scaled / "ground_truth" / "manifest.json").read_text())
    assert manifest["years"] == list(range(2016, 2026))
    n = sum(a["n_lines"] for a in manifest["anchors"].values())
    assert 30_000 < n < 50_000
    for code, anchor in manifest["anchors"].items():
        assert sorted(anchor["years"]) == [str(y) for y in range(2016, 2026)]
        month_files = [f for f in anchor["files"] if "_2025-12." in f]
        assert len(month_files) == 1, code
        assert (scaled / "landing" / month_files[0]).is_file()


def test_floor_and_pandas_agree_with_each_other_and_the_ground_truth(scaled):
    floor = floor_duckdb(scaled)
    plain = plain_pandas(scaled)
    key = ["anchor_code", "year"]
    assert floor.sort_values(key).reset_index(drop=True).equals(plain.sort_values(key).reset_index(drop=True))
    manifest = json.loads((scaled / "ground_truth" / "manifest.json").read_text())
    truth = {(code, int(year)): y["total_excl_vat_cents"]
             for code, a in manifest["anchors"].items() for year, y in a["years"].items()}
    got = {(r.anchor_code, int(r.year)): int(r.total_cents) for r in floor.itertuples()}
    assert got == truth
    assert floor["nw_cents"].sum() > 0 and (floor["nw_cents"] < floor["total_cents"]).all()
