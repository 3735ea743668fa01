"""Benchmark: `cwb validate` on a 1,000,000-line delivery.

Builds a Gemeente Amsterdam-layout file (Windows-1252, semicolons, decimal commas) of about a million
lines from the synthetic sample (each copy of the sample gets its own invoice-number prefix, so the
lines stay unique), then runs the validator on it as a subprocess and reports wall time and peak memory.

    .venv/bin/python benchmarks/validate_1m.py [--lines 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def build_file(out: Path, lines: int) -> int:
    sample = ROOT / "data" / "sample"
    if not (sample / "landing" / "gemeente_amsterdam").is_dir():
        subprocess.run([sys.executable, "-m", "ingestion.synthetic", "--out", str(sample)], cwd=ROOT, check=True)
    parts = [pd.read_csv(p, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
             for p in sorted((sample / "landing" / "gemeente_amsterdam").glob("*.csv"))]
    base = pd.concat(parts, ignore_index=True)
    copies, n = [], 0
    while n < lines:
        part = base.head(lines - n).copy()
        part["Factuurnummer"] = f"K{len(copies)}-" + part["Factuurnummer"]
        copies.append(part)
        n += len(part)
    pd.concat(copies, ignore_index=True).to_csv(out, sep=";", encoding="cp1252", index=False, lineterminator="\r\n")
    return n


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crediteurenfacturen_groot.csv"
        n = build_file(path, args.lines)
        size_mb = path.stat().st_size / 1e6
        started = time.perf_counter()
        proc = subprocess.run([str(Path(sys.executable).parent / "cwb"), "validate", "--anchor",
                               "gemeente_amsterdam", str(path), "--english"], capture_output=True, text=True)
        wall = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(proc.stdout[:1500])
        print(f"lines: {n:,}; file: {size_mb:.0f} MB; exit code {proc.returncode}; wall time {wall:.1f} s "
              f"(process start included); peak memory {peak_mb:.0f} MB")
        if args.keep:
            kept = ROOT / "benchmarks" / path.name
            path.replace(kept)
            print(f"kept {kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
