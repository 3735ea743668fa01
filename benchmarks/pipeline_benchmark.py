"""Benchmark: the whole pipeline at scale, a one-month refresh, and the two comparisons.

    .venv/bin/python benchmarks/pipeline_benchmark.py --lines 1000000 [--work /tmp/cwb-bench]
    .venv/bin/python benchmarks/pipeline_benchmark.py --lines 10000000 --skip-pandas

1. Data: the synthetic generator scaled to about N invoice lines over ten years (2016-2025), with a
   proportional supplier base and KvK register (benchmarks/generate_scaled.py); December 2025 of every
   anchor is a delivery file of its own, held back for step 4. Generated once per size and reused.
2. Loading the Dagster code location (the dbt manifest prepared): median of three fresh interpreters.
3. Full refresh: ``dagster asset materialize --select '*'`` on an empty warehouse, as ``make run`` does.
4. Monthly refresh: the held-back month lands and the same command runs again (what the monthly
   schedule does): only the new files are read; dbt, the dashboard and the exports are rebuilt.
5. (a) the floor: one hand-written DuckDB query computing the headline figure (Nieuw-West share per
   anchor x year) from the same files; (b) the same in plain pandas (benchmarks/headline.py).

Wall time and peak memory are measured per step: the pipeline's steps from Dagster's event log (start
and end of every step) against a 0.2-second sample of the resident memory of the whole process tree
(Dagster and the dbt subprocess); the comparisons each in a process of their own. The figures are
printed, with the ratios the performance issue asks for and what the line-level models and the models built
per group did in each phase (full build, or an increment with the lines or groups computed again: dbt's
log), and written to
<work>/results-<N>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HELD_MONTH = "2025-12"


# --------------------------------------------------------------------------------------------------
# Measuring


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            continue
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_measured(cmd: list[str], env: dict, log: Path) -> dict:
    """Run a command; wall time, and the resident memory of its process tree sampled every 0.2 s."""
    samples: list[tuple[float, int]] = []
    t0 = time.time()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample():
            while not done.is_set():
                samples.append((time.time(), sum(_rss_kib(p) for p in _tree(proc.pid))))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rc = proc.wait()
        done.set()
        sampler.join()
    if rc != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}... failed with exit code {rc}; see {log}")
    return {"wall_s": time.time() - t0, "peak_mib": max((s for _, s in samples), default=0) / 1024,
            "samples": samples, "started": t0}


def step_times(dagster_home: Path) -> list[dict]:
    """(step, start, end) of every step of the last run, from the Dagster event log."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        starts, ends = {}, {}
        for rec in instance.all_logs(run.run_id):
            ev = rec.dagster_event
            if ev is None or not ev.step_key:
                continue
            if ev.event_type == DagsterEventType.STEP_START:
                starts[ev.step_key] = rec.timestamp
            elif ev.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                ends[ev.step_key] = rec.timestamp
    return sorted(({"step": k, "start": starts[k], "end": ends.get(k, starts[k])} for k in starts),
                  key=lambda s: s["start"])


ANCHOR_STEP = "raw__invoice_lines__"  # the Dagster step of each anchor's load
STEP_GROUPS = [  # how the report groups Dagster's steps
    ("ingest anchors", lambda k: k.startswith(ANCHOR_STEP) or k == "raw_all_anchors"),
    ("KvK + reference + programme", lambda k: k.startswith(("raw__kvk", "reference__", "programme"))),
    ("supplier resolution", lambda k: k.startswith("resolution__")),
    ("dbt build (models + tests)", lambda k: "dbt" in k),
    ("dashboard", lambda k: k.startswith("dashboard")),
    ("exports", lambda k: k.startswith("exports")),
]


# What the line-level models did (dbt_project/macros/line_incremental.sql logs one line per model): a full
# build, or an increment with its numbers of new or changed files, changed or gone files, creditors and lines
# (groups 3-6; tests/test_line_incremental.py reads them).
LINE_MODEL_REPORT = re.compile(r"(int_invoice_lines_\w+): (full build|increment, (\d+) new or changed files, "
                               r"(\d+) changed or gone, (\d+) creditors with a changed match: (\d+) lines computed "
                               r"again)")


# What the models built per group did (dbt_project/macros/group_incremental.sql): a full build, or an
# increment with its numbers of groups new or changed, groups in all, groups gone and rows (groups 3-6;
# tests/test_group_incremental.py reads them).
GROUP_MODEL_REPORT = re.compile(r"(\w+): (every group built(?: \(\d+ groups with a NULL key\))?|increment, (\d+) of "
                                r"(\d+) groups new or changed, (\d+) gone: (\d+) rows computed again)")


def model_reports(log: Path, pattern: re.Pattern = LINE_MODEL_REPORT) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in pattern.finditer(log.read_text(errors="replace"))}


def per_step(measured: dict, steps: list[dict]) -> list[dict]:
    rows = []
    for name, match in STEP_GROUPS:
        mine = [s for s in steps if match(s["step"])]
        if not mine:
            continue
        wall = sum(s["end"] - s["start"] for s in mine)
        peak = max((kib for t, kib in measured["samples"]
                    if any(s["start"] <= t <= s["end"] for s in mine)), default=0) / 1024
        rows.append({"step": name, "wall_s": round(wall, 1), "peak_mib": round(peak)})
    known = sum(r["wall_s"] for r in rows)
    rows.append({"step": "start-up, code location, other", "wall_s": round(measured["wall_s"] - known, 1),
                 "peak_mib": None})
    return rows


def per_anchor(steps: list[dict]) -> dict[str, float]:
    """Wall time of each anchor's load (its Dagster step), in step order."""
    return {s["step"][len(ANCHOR_STEP):]: round(s["end"] - s["start"], 1)
            for s in sorted(steps, key=lambda s: s["start"]) if s["step"].startswith(ANCHOR_STEP)}


# --------------------------------------------------------------------------------------------------
# The run


def prepare_data(work: Path, lines: int, regenerate: bool) -> tuple[Path, Path, dict]:
    data = work / f"data-{lines}"
    held = work / f"held-{lines}"
    manifest_path = data / "ground_truth" / "manifest.json"
    if regenerate or not manifest_path.exists():
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(held, ignore_errors=True)
        t0 = time.time()
        subprocess.run([PY, str(ROOT / "benchmarks" / "generate_scaled.py"), "--lines", str(lines),
                        "--out", str(data)], check=True, cwd=ROOT)
        print(f"generated in {time.time() - t0:.0f} s")
    # The held-back month starts outside the landing folder.
    for f in sorted((data / "landing").rglob(f"*_{HELD_MONTH}.*")):
        target = held / f.relative_to(data / "landing")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(f), str(target))
    return data, held, json.loads(manifest_path.read_text())


def environment(work: Path, data: Path) -> dict:
    home = work / "dagster_home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    for d in ("warehouse", "output"):
        shutil.rmtree(work / d, ignore_errors=True)
    env = dict(os.environ, DAGSTER_HOME=str(home), CWB_DATA_DIR=str(data),
               CWB_WAREHOUSE=str(work / "warehouse" / "cwb.duckdb"), CWB_OUTPUT_DIR=str(work / "output"),
               PATH=f"{Path(PY).parent}:{os.environ.get('PATH', '')}")
    (work / "warehouse").mkdir()
    return env


def code_location_load(env: dict) -> float:
    code = ("import time; t = time.perf_counter(); from orchestration.definitions import defs; "
            "defs.get_repository_def(); print(time.perf_counter() - t)")
    times = [float(subprocess.run([PY, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True,
                                  text=True).stdout.split()[-1]) for _ in range(3)]
    return statistics.median(times)


def comparison(kind: str, data: Path, work: Path, env: dict) -> tuple[dict, list]:
    out = work / f"{kind}.json"
    code = (f"from benchmarks.headline import {kind}; import sys; "
            f"{kind}(sys.argv[1]).to_json(sys.argv[2], orient='records')")
    measured = run_measured([PY, "-c", code, str(data), str(out)], env, work / f"{kind}.log")
    return measured, json.loads(out.read_text())


def pipeline_shares(warehouse: Path) -> dict:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            select anchor_code, year, share from marts.fct_local_spend_share
            where period_grain = 'year' and spend_scope = 'total' and tier = 'nieuw_west'
        """).fetchall()
    return {(a, int(y)): float(s) for a, y, s in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/cwb-bench"))
    parser.add_argument("--regenerate", action="store_true", help="generate the data again")
    parser.add_argument("--skip-pandas", action="store_true", help="leave out the plain-pandas comparison")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)

    data, held, manifest = prepare_data(work, args.lines, args.regenerate)
    n_lines = sum(a["n_lines"] for a in manifest["anchors"].values())
    env = environment(work, data)
    result: dict = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                    f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
                    "invoice_lines": n_lines, "establishments": manifest["kvk"]["n_establishments"],
                    "landing_mib": round(sum(f.stat().st_size for f in (data / "landing").rglob("*")
                                             if f.is_file()) / 2**20)}
    print(f"{n_lines:,} invoice lines (December 2025 held back), {result['establishments']:,} establishments, "
          f"{result['landing_mib']} MiB of files")

    result["code_location_load_s"] = round(code_location_load(env), 2)
    print(f"code location load: {result['code_location_load_s']} s")

    # ``python -m dagster``, as Dagster's own run launcher starts a run: the loader's worker processes
    # (spawned) then do not import the ``dagster`` script's module again (ingestion/loader.py).
    materialize = [PY, "-m", "dagster", "asset", "materialize", "--select", "*", "-m", "orchestration.definitions"]
    for phase in ("full", "monthly"):
        if phase == "monthly":
            for f in sorted(held.rglob("*")):
                if f.is_file():
                    # a new delivery: copied now, so it is also the newest file by modification time
                    shutil.copy(f, data / "landing" / f.relative_to(held))
        measured = run_measured(materialize, env, work / f"{phase}.log")
        dagster_steps = step_times(Path(env["DAGSTER_HOME"]))
        steps = per_step(measured, dagster_steps)
        anchors = per_anchor(dagster_steps)
        result[phase] = {"wall_s": round(measured["wall_s"], 1), "peak_mib": round(measured["peak_mib"]),
                         "steps": steps, "anchors_s": anchors, "line_models": model_reports(work / f"{phase}.log"),
                         "group_models": model_reports(work / f"{phase}.log", GROUP_MODEL_REPORT)}
        print(f"\n{phase} refresh: {measured['wall_s']:.1f} s, peak {measured['peak_mib']:.0f} MiB")
        for s in steps:
            peak = "" if s["peak_mib"] is None else f"{s['peak_mib']:>7} MiB"
            print(f"  {s['step']:<34}{s['wall_s']:>8.1f} s {peak}")
        print("  per anchor: " + ", ".join(f"{a} {t:.1f} s" for a, t in anchors.items()))
        for model, report in {**result[phase]["line_models"], **result[phase]["group_models"]}.items():
            print(f"  {model}: {report}")
    # Back to the held-back state, so the next run of the benchmark starts the same way.
    for f in sorted(held.rglob("*")):
        if f.is_file():
            (data / "landing" / f.relative_to(held)).unlink(missing_ok=True)

    floor_m, floor = comparison("floor_duckdb", data, work, env)
    result["floor_duckdb"] = {"wall_s": round(floor_m["wall_s"], 1), "peak_mib": round(floor_m["peak_mib"])}
    print(f"\n(a) DuckDB floor query: {floor_m['wall_s']:.1f} s, peak {floor_m['peak_mib']:.0f} MiB")
    if not args.skip_pandas:
        pandas_m, plain = comparison("plain_pandas", data, work, env)
        result["plain_pandas"] = {"wall_s": round(pandas_m["wall_s"], 1), "peak_mib": round(pandas_m["peak_mib"])}
        print(f"(b) plain pandas: {pandas_m['wall_s']:.1f} s, peak {pandas_m['peak_mib']:.0f} MiB")
        same = {(r["anchor_code"], r["year"]): (r["nw_cents"], r["total_cents"]) for r in plain} == {
            (r["anchor_code"], r["year"]): (r["nw_cents"], r["total_cents"]) for r in floor}
        result["floor_equals_pandas"] = same
        print(f"    floor and pandas figures equal to the cent: {same}")

    # The floor counts every line of the files (the pipeline quarantines a few) and places fewer.
    mart = pipeline_shares(work / "warehouse" / "cwb.duckdb")
    diffs = [abs(mart[(r["anchor_code"], r["year"])] - r["nw_cents"] / r["total_cents"]) * 100
             for r in floor if (r["anchor_code"], r["year"]) in mart and r["total_cents"]]
    result["max_share_difference_pp"] = round(max(diffs), 2)
    print(f"    Nieuw-West share, pipeline vs floor: largest difference {max(diffs):.2f} percentage points "
          f"over {len(diffs)} anchor-years")

    full, monthly = result["full"]["wall_s"], result["monthly"]["wall_s"]
    result["ratios"] = {
        "full_vs_floor": round(full / result["floor_duckdb"]["wall_s"], 2),
        "monthly_vs_full": round(monthly / full, 3),
    }
    if "plain_pandas" in result:
        result["ratios"]["pandas_vs_full"] = round(result["plain_pandas"]["wall_s"] / full, 2)
    print("\nratios (targets: full within 3x of the floor, at least 5x faster than pandas, month <= 10 % of full):")
    for k, v in result["ratios"].items():
        print(f"  {k}: {v}")
    print(f"  peak memory, full refresh: {result['full']['peak_mib'] / 1024:.2f} GiB (target <= 3 GiB)")
    print(f"  code location load: {result['code_location_load_s']} s (target < 5 s)")
    out = work / f"results-{args.lines}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
