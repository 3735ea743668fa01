"""The landing sensor: ingest a delivery as soon as it lands.

Every 30 seconds the sensor lists each anchor's files, the KvK extract and the programme's own inputs
(landing/programme/) in the landing folder and
compares their (path, size, modification time) with what it saw last time (its cursor). When a
source's files are added, changed or deleted, it requests one run of that source's raw asset and
everything downstream of it (staging, marts, dashboard). The first evaluation, with no cursor yet,
requests one run of the whole graph when any source has files, so a fresh `make ui` builds the
warehouse from what is there (a per-source run needs the reference tables to exist already).

The landing folder is the one the assets read: the `paths` resource, which resolves CWB_DATA_DIR at
evaluation time (never at import time).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from ingestion.config import load_anchor_configs
from orchestration.assets.anchors import raw_invoice_key
from orchestration.assets.kvk import KVK_FILE_PATTERN, KVK_RAW_KEY
from orchestration.assets.programme import DESCRIPTIONS as PROGRAMME_TABLES
from orchestration.resources import CwbPaths

KVK_SOURCE = "kvk"
PROGRAMME_SOURCE = "programme"
CURSOR_VERSION = 1
# Dagster shows run tags in one line: long file lists are cut here.
MAX_TAG_CHARS = 1000

# A source's file state: path relative to the data folder -> [size in bytes, mtime in ns].
FileState = dict[str, list[int]]


@dataclass(frozen=True)
class LandingSource:
    """Something that lands in the landing folder: an anchor's exports or the KvK extract."""

    name: str
    raw_key: AssetKey
    list_files: Callable[[Path], list[Path]]
    is_anchor: bool = True
    # further keys the run must include: the other outputs of a multi-asset are built together
    sibling_keys: tuple[AssetKey, ...] = ()


def _kvk_files(landing: Path) -> list[Path]:
    return sorted(p for p in landing.glob(KVK_FILE_PATTERN) if p.is_file())


def _programme_files(landing: Path) -> list[Path]:
    from ingestion.programme import FILES as PROGRAMME_FILES

    return sorted(p for p in (landing / "programme").glob("*") if p.is_file() and p.name in PROGRAMME_FILES)


def landing_sources() -> list[LandingSource]:
    """The anchors (one per configuration in ingestion/anchors/), the KvK extract and the programme's
    inputs."""
    anchors = [LandingSource(cfg.code, raw_invoice_key(cfg.code), cfg.source_files)
               for cfg in load_anchor_configs()]
    programme_keys = tuple(AssetKey(["programme", table]) for table in PROGRAMME_TABLES)
    return [*anchors, LandingSource(KVK_SOURCE, KVK_RAW_KEY, _kvk_files, is_anchor=False),
            LandingSource(PROGRAMME_SOURCE, programme_keys[0], _programme_files, is_anchor=False,
                          sibling_keys=programme_keys[1:])]


def file_state(files: list[Path], root: Path) -> FileState:
    """(size, mtime_ns) per file, keyed by its path relative to ``root`` as ``source_file`` is written
    (docs/architecture.md). A file that disappears while being listed is left out: it counts as
    deleted."""
    state: FileState = {}
    for path in files:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        try:
            name = path.relative_to(root).as_posix()
        except ValueError:
            name = path.as_posix()
        state[name] = [stat.st_size, stat.st_mtime_ns]
    return state


def describe_changes(before: FileState, after: FileState) -> str:
    """``+added ~changed -deleted`` file names, for the run's tags."""
    parts = [f"+{f}" for f in sorted(after.keys() - before.keys())]
    parts += [f"~{f}" for f in sorted(after.keys() & before.keys()) if after[f] != before[f]]
    parts += [f"-{f}" for f in sorted(before.keys() - after.keys())]
    return " ".join(parts)


def run_key_for(source: str, generation: int, state: FileState) -> str:
    """The same source in the same file state at the same change count gives the same key, so a tick
    that is evaluated again (its cursor not yet stored) launches nothing twice. The change count is
    part of the key because a source can return to an earlier state (a file deleted by mistake and
    put back, with its old modification time): that must be ingested again, not skipped as a repeat."""
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
    return f"{source}-{generation}-{digest}"


def load_cursor(cursor: str | None) -> dict[str, dict]:
    """Per source: {"generation": change count, "files": FileState}. An unreadable or older cursor
    counts as none, so every source with files is ingested once more."""
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict) or data.get("version") != CURSOR_VERSION:
        return {}
    return data.get("sources", {})


def _tag_value(text: str) -> str:
    return text if len(text) <= MAX_TAG_CHARS else text[: MAX_TAG_CHARS - 1] + "…"


def _graph(context: SensorEvaluationContext):
    if context.repository_def is None:
        raise RuntimeError("landing_sensor needs its code location's definitions to resolve what lies "
                           "downstream of a raw asset (build_sensor_context(definitions=defs) in tests)")
    return context.repository_def.asset_graph


def _run_selection(source: LandingSource, context: SensorEvaluationContext) -> list[AssetKey]:
    selection = AssetSelection.assets(source.raw_key, *source.sibling_keys).downstream().materializable()
    return sorted(selection.resolve(_graph(context)), key=AssetKey.to_user_string)


def evaluate_landing(context: SensorEvaluationContext, paths: CwbPaths) -> SensorResult:
    data_dir, landing = paths.data_path(), paths.landing_path()
    previous = load_cursor(context.cursor)
    seen: dict[str, Mapping] = {}
    run_requests = []
    for source in landing_sources():
        state = file_state(source.list_files(landing) if landing.is_dir() else [], data_dir)
        before = previous.get(source.name)
        generation = int(before["generation"]) if before else 0
        changed = (state != before["files"]) if before else bool(state)
        if changed:
            generation += 1
            tags = {
                "cwb/source": source.name,
                "cwb/files": _tag_value(" ".join(sorted(state)) or "(none)"),
                "cwb/changed": _tag_value(describe_changes(before["files"] if before else {}, state)),
            }
            if source.is_anchor:
                tags["cwb/anchor"] = source.name
            run_requests.append(RunRequest(
                run_key=run_key_for(source.name, generation, state),
                asset_selection=_run_selection(source, context),
                tags=tags,
            ))
            context.log.info("%s: %s", source.name, tags["cwb/changed"])
        if state or before:
            seen[source.name] = {"generation": generation, "files": state}

    cursor = json.dumps({"version": CURSOR_VERSION, "sources": seen}, sort_keys=True)
    if run_requests and not previous:
        everything = sorted(AssetSelection.all().materializable().resolve(_graph(context)),
                            key=AssetKey.to_user_string)
        run_requests = [RunRequest(
            run_key="initial-" + hashlib.sha256(cursor.encode()).hexdigest()[:16],
            asset_selection=everything,
            tags={"cwb/source": "all", "cwb/changed": "first evaluation: everything in the landing folder"},
        )]
    if not run_requests:
        return SensorResult(skip_reason=SkipReason(f"no new, changed or deleted files under {landing}"),
                            cursor=cursor)
    return SensorResult(run_requests=run_requests, cursor=cursor)


@sensor(
    name="landing_sensor",
    target=AssetSelection.all(),
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts ingestion when a file lands in, changes in or disappears from the landing "
                "folder: one run per anchor (or the KvK extract) whose files changed, of its raw "
                "asset and everything downstream.",
)
def landing_sensor(context: SensorEvaluationContext, paths: CwbPaths) -> SensorResult:
    return evaluate_landing(context, paths)
