"""The synthetic sample scaled to about N invoice lines over ten years, for the benchmarks.

    .venv/bin/python benchmarks/generate_scaled.py --lines 10000000 --out /tmp/cwb-bench/data-10000000

The generator's scale factor grows the anchors' creditors, the KvK register and the foreign suppliers
with the lines (a proportional supplier base); ten years (2016-2025) instead of the sample's four. The
last month (December 2025) is written as a delivery of its own (``..._2025-12.csv``), for the monthly
refresh benchmark. Everything else, including the ground truth, is what ``ingestion.synthetic`` writes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingestion.synthetic import generate  # noqa: E402

YEARS = tuple(range(2016, 2026))
# Lines over ten years at scale 1 (measured: 94,161 lines at scale 0.05; the count is linear in the scale
# apart from a few fixed minimums that matter only for tiny samples).
LINES_PER_SCALE = 1_883_220


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, required=True, help="about this many invoice lines")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args(argv)
    scale = args.lines / LINES_PER_SCALE
    t0 = time.perf_counter()
    manifest = generate(args.out, scale=scale, seed=args.seed, years=YEARS, split_last_month=True)
    n = sum(a["n_lines"] for a in manifest["anchors"].values())
    print(f"scale {scale:.3f}: {n:,} invoice lines, {manifest['kvk']['n_establishments']:,} KvK establishments "
          f"in {time.perf_counter() - t0:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
