"""The landing sensor on a landing folder under tmp_path: it requests one run per anchor (or the KvK
extract) whose files were added, changed or deleted, of that source's raw asset and everything
downstream, and nothing when nothing changed.

Ticks are evaluated the way the daemon does (``evaluate_tick``: sensor tags added, cursor and skip
reason taken from the SensorResult)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, DefaultSensorStatus, build_sensor_context

from ingestion.config import load_anchor_configs
from orchestration.assets.anchors import raw_invoice_key
from orchestration.assets.kvk import KVK_RAW_KEY
from orchestration.definitions import defs
from orchestration.sensors import describe_changes, landing_sensor, run_key_for

CONFIGS = {c.code: c for c in load_anchor_configs()}
SPEND_BY_TIER = "marts/fct_spend_by_tier"


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    # Set after orchestration.definitions was imported: the sensor must read it at evaluation time.
    data = tmp_path / "data"
    (data / "landing").mkdir(parents=True)
    monkeypatch.setenv("CWB_DATA_DIR", str(data))
    return data


@pytest.fixture(scope="module")
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def deliver(data: Path, anchor: str, period: str = "2024", content: str = "a;b\n1;2\n") -> Path:
    """Write a file that the anchor's configuration picks up (its `files` pattern)."""
    path = data / "landing" / CONFIGS[anchor].files.replace("*", period)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def deliver_kvk(data: Path) -> Path:
    path = data / "landing" / "kvk" / "vestigingen_2025-06-01.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("kvk_nummer\n12345678\n", encoding="utf-8")
    return path


def tick(instance, cursor: str | None = None):
    # The daemon hands the sensor the code location's resources; build_sensor_context does not take
    # them from `definitions`, so they are passed as well.
    context = build_sensor_context(cursor=cursor, instance=instance, definitions=defs, resources=defs.resources)
    return landing_sensor.evaluate_tick(context)


def selection(run_request) -> set[str]:
    return {k.to_user_string() for k in run_request.asset_selection}


def by_source(result) -> dict[str, object]:
    return {r.tags["cwb/source"]: r for r in result.run_requests}


def test_sensor_is_registered_running_every_30_seconds():
    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 30


def test_first_tick_requests_one_run_of_the_whole_graph(data_dir, instance):
    deliver(data_dir, "hva")
    deliver(data_dir, "olvg")
    deliver_kvk(data_dir)
    result = tick(instance)
    (run,) = result.run_requests
    assert run.tags["cwb/source"] == "all"
    graph = defs.resolve_asset_graph()
    everything = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    # A per-source run on a warehouse never built would miss the reference tables: build it all once.
    assert selection(run) == everything
    assert {"reference/nl_pc4_gemeente", "raw/invoice_lines__hva", SPEND_BY_TIER} <= selection(run)
    # The daemon launches each request as a subset of the sensor's target job: it must lie inside it.
    target_job = defs.get_repository_def().get_job(landing_sensor.job_name)
    targeted = {k.to_user_string() for k in target_job.asset_layer.selected_asset_keys}
    assert all(selection(r) <= targeted for r in result.run_requests)


def test_later_ticks_request_a_run_per_source_that_changed(data_dir, instance):
    deliver(data_dir, "hva")
    cursor = tick(instance).cursor
    deliver(data_dir, "olvg")
    deliver_kvk(data_dir)
    runs = by_source(tick(instance, cursor))
    assert set(runs) == {"olvg", "kvk"}
    assert runs["olvg"].tags["cwb/anchor"] == "olvg"
    assert runs["olvg"].tags["cwb/files"] == f"landing/{CONFIGS['olvg'].files.replace('*', '2024')}"
    assert "cwb/anchor" not in runs["kvk"].tags
    assert KVK_RAW_KEY in runs["kvk"].asset_selection
    assert SPEND_BY_TIER in selection(runs["kvk"])


def test_changed_programme_inputs_rebuild_the_programme_marts(data_dir, instance):
    deliver(data_dir, "hva")
    cursor = tick(instance).cursor
    folder = data_dir / "landing" / "programme"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tenders.csv").write_text("anchor_code,tender_id\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not an input\n", encoding="utf-8")
    runs = by_source(tick(instance, cursor))
    assert set(runs) == {"programme"}
    assert runs["programme"].tags["cwb/files"] == "landing/programme/tenders.csv"
    chosen = selection(runs["programme"])
    # every output of the programme multi-asset, and what depends on them
    assert {f"programme/{t}" for t in ("initiatives", "initiative_phases", "targets", "tenders", "tender_lots",
                                        "fund_transactions")} <= chosen
    assert {"marts/fct_tender_opportunities", "marts/fct_programme_targets", "dashboards/spend_dashboard"} <= chosen
    assert "raw/invoice_lines__hva" not in chosen


def test_nothing_landed_requests_nothing(data_dir, instance):
    result = tick(instance)
    assert not result.run_requests
    assert "no new, changed or deleted files" in result.skip_message
    # A landing folder that does not exist (yet) is no error either.
    os.rmdir(data_dir / "landing")
    assert not tick(instance, result.cursor).run_requests


def test_second_tick_with_the_cursor_requests_nothing(data_dir, instance):
    deliver(data_dir, "hva")
    deliver(data_dir, "pantar")
    first = tick(instance)
    assert len(first.run_requests) == 1
    second = tick(instance, first.cursor)
    assert not second.run_requests
    assert second.cursor == first.cursor


def test_a_new_file_for_one_anchor_requests_exactly_that_anchors_run(data_dir, instance):
    deliver(data_dir, "hva")
    deliver(data_dir, "olvg")
    cursor = tick(instance).cursor
    deliver(data_dir, "hva", period="2025")
    result = tick(instance, cursor)
    assert len(result.run_requests) == 1
    run = result.run_requests[0]
    assert run.tags["cwb/anchor"] == "hva"
    assert run.tags["cwb/changed"] == f"+landing/{CONFIGS['hva'].files.replace('*', '2025')}"
    selected = selection(run)
    assert raw_invoice_key("hva").to_user_string() in selected
    assert {"raw/invoice_lines", "staging/stg_anchors__invoice_lines", SPEND_BY_TIER,
            "dashboards/spend_dashboard"} <= selected
    # Only what lies downstream of this anchor: no other anchor, no KvK or reference reload.
    assert raw_invoice_key("olvg").to_user_string() not in selected
    assert KVK_RAW_KEY.to_user_string() not in selected
    assert not {k for k in selected if k.startswith(("landing/", "reference/"))}


def test_changing_a_files_content_requests_a_run(data_dir, instance):
    path = deliver(data_dir, "olvg")
    cursor = tick(instance).cursor
    path.write_text("a;b\n1;2\n3;4\n", encoding="utf-8")  # other size
    result = tick(instance, cursor)
    assert [r.tags["cwb/anchor"] for r in result.run_requests] == ["olvg"]
    assert result.run_requests[0].tags["cwb/changed"].startswith("~landing/olvg/")

    # The same size, only a new modification time, is a change too.
    cursor = result.cursor
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert [r.tags["cwb/anchor"] for r in tick(instance, cursor).run_requests] == ["olvg"]


def test_deleting_a_file_requests_a_run(data_dir, instance):
    deliver(data_dir, "stwt", period="2023")
    gone = deliver(data_dir, "stwt", period="2024")
    deliver(data_dir, "hva")
    cursor = tick(instance).cursor
    gone.unlink()
    result = tick(instance, cursor)
    assert [r.tags["cwb/anchor"] for r in result.run_requests] == ["stwt"]
    assert result.run_requests[0].tags["cwb/changed"] == "-landing/" + CONFIGS["stwt"].files.replace("*", "2024")

    # Deleting an anchor's last file as well: its run ingests the now empty delivery.
    next(data_dir.glob("landing/stwt/*")).unlink()
    result = tick(instance, result.cursor)
    assert [r.tags["cwb/anchor"] for r in result.run_requests] == ["stwt"]
    assert result.run_requests[0].tags["cwb/files"] == "(none)"


def test_run_keys_follow_the_file_state(data_dir, instance):
    path = deliver(data_dir, "hva")
    first = tick(instance)
    # Evaluating the same tick again (its cursor not stored) gives the same run key: no second run.
    assert [r.run_key for r in tick(instance).run_requests] == [r.run_key for r in first.run_requests]

    # A file deleted by mistake and put back with its old modification time is the earlier state
    # again, but it must be ingested again: its run key differs from the first one.
    stat = path.stat()
    content = path.read_bytes()
    path.unlink()
    deleted = tick(instance, first.cursor)
    path.write_bytes(content)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    restored = tick(instance, deleted.cursor)
    keys = [first.run_requests[0].run_key, deleted.run_requests[0].run_key, restored.run_requests[0].run_key]
    assert len(set(keys)) == 3
    assert json.loads(restored.cursor)["sources"]["hva"]["generation"] == 3


def test_an_unreadable_cursor_counts_as_none(data_dir, instance):
    deliver(data_dir, "hva")
    assert [r.tags["cwb/source"] for r in tick(instance, "not json").run_requests] == ["all"]


def test_helpers():
    before = {"landing/a.csv": [1, 1], "landing/b.csv": [2, 2]}
    after = {"landing/b.csv": [3, 2], "landing/c.csv": [1, 1]}
    assert describe_changes(before, after) == "+landing/c.csv ~landing/b.csv -landing/a.csv"
    assert run_key_for("hva", 1, after) == run_key_for("hva", 1, dict(reversed(after.items())))
    assert run_key_for("hva", 1, after) != run_key_for("hva", 2, after)
    assert run_key_for("hva", 1, after) != run_key_for("olvg", 1, after)
    assert AssetKey(["raw", "invoice_lines__hva"]) == raw_invoice_key("hva")
