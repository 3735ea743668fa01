"""The KvK API key stays secret: it is read from the environment, sent only in the ``apikey`` header to the
configured host, and never appears in logs, exception texts (with their tracebacks and causes), reprs,
cache files, the extract written, another host's requests, or a Dagster run's event log and storage.

Everything runs for real: the client (``ingestion/kvk_api.py``) against a local HTTP server in a thread
that answers in the KvK API's shapes (tests/test_kvk_api.py) and misbehaves on purpose: it echoes the key
in error bodies (JSON, and plain text where the echo straddles the 200-character cut of the message), in
a successful body, and redirects to a second local server that records what it receives. The key is a
recognisable fake.

Nothing in the pipeline calls the client (docs/kvk_api.md): the Dagster part runs the client with the key
from ``KVK_API_KEY``, writes the extract, and materialises the real ``raw/kvk_establishments`` asset with
the key still in the environment into a temporary DagsterInstance, then searches every event, the run
record and every file of the instance for the key, after checking that the same search finds a value
that is there (the extract's file name).
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dagster import DagsterInstance, materialize, serialize_value

from ingestion.kvk_api import KvkApiClient, KvkApiError, write_extract_csv
from orchestration.assets.kvk import kvk_establishments, kvk_landing_spec
from orchestration.resources import CwbPaths
from tests.test_kvk_api import API_KEY, PEILDATUM, FakeKvk, _make_handler

# Paths on which the fake server misbehaves (every other path answers as the KvK API does).
REDIRECT = "/api/v1/vestigingsprofielen/000000000302"
PLAIN_ECHO = "/api/v1/vestigingsprofielen/000000000500"
JSON_ECHO = "/api/v1/vestigingsprofielen/000000000400"
OK_ECHO = "/api/v1/vestigingsprofielen/000000000200"


class _Recorder(BaseHTTPRequestHandler):
    """The other host a redirect points to: records every request line and header it receives."""

    received: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        type(self).received.append(self.requestline + "\n" + str(self.headers))
        payload = b"{}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _serve(handler) -> tuple[ThreadingHTTPServer, threading.Thread]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def servers():
    """(base URL of the misbehaving KvK server, the other host's received requests)."""
    _Recorder.received = []
    other, other_thread = _serve(_Recorder)
    state = FakeKvk()
    base = _make_handler(state)

    class Misbehaving(base):
        def do_GET(self):  # noqa: N802
            key = self.headers.get("apikey") or ""
            if self.path == REDIRECT:
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{other.server_address[1]}/collect?from=kvk")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == PLAIN_ECHO:  # the key starts 190 characters in: across the 200-character cut
                payload = ("x" * 190 + key + " was not accepted by the gateway").encode("utf-8")
                self.send_response(500)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            elif self.path == JSON_ECHO:
                self._fout(400, "IPD1999", f"invalid request with apikey {key}")
            elif self.path == OK_ECHO:
                self._json(200, {"vestigingsnummer": "000000000200", "debug": {"apikey": key}})
            else:
                super().do_GET()

    server, thread = _serve(Misbehaving)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.received
    finally:
        for s, t in ((server, thread), (other, other_thread)):
            s.shutdown()
            s.server_close()
            t.join(timeout=5)


def _exception_texts(exc: BaseException) -> str:
    """Everything an exception can show: message, repr, attributes, the whole traceback with causes."""
    return "\n".join([str(exc), repr(exc), repr(vars(exc)), "".join(traceback.format_exception(exc))])


def test_key_never_leaks_from_the_client(servers, tmp_path, caplog, monkeypatch):
    base_url, other_host_received = servers
    caplog.set_level(logging.DEBUG)  # every logger, every level
    # A key pasted with a line break from a .env file still works, and is still never shown.
    monkeypatch.setenv("KVK_API_KEY", API_KEY + "\r\n")
    cache = tmp_path / "cache"
    client = KvkApiClient(base_url, cache_dir=cache, min_interval_s=0, backoff_s=0.01, max_retries=1)
    shown = [repr(client), str(client), repr(vars(client))]

    rows = client.fetch_establishments(["12345678", "87654321"], PEILDATUM)
    assert len(rows) == 3
    extract = write_extract_csv(rows, tmp_path / "landing", PEILDATUM)
    assert client.vestigingsprofiel("000000000200")["debug"]["apikey"] == API_KEY  # what the server echoed

    errors = {}
    for name, call in {
        "redirect": lambda: client.vestigingsprofiel("000000000302"),
        "plain_echo": lambda: client.vestigingsprofiel("000000000500"),
        "json_echo": lambda: client.vestigingsprofiel("000000000400"),
        "not_found": lambda: client.vestigingsprofiel("000099999999"),
        "wrong_key": lambda: KvkApiClient(base_url, api_key=API_KEY + "x", min_interval_s=0)
        .vestigingsprofiel("000012345671"),
        "key_as_parameter": lambda: list(client.search(naam="bestaat niet", apikey=API_KEY, pages=1)),
        "no_server": lambda: KvkApiClient("http://127.0.0.1:9", api_key=API_KEY, timeout_s=1, max_retries=0)
        .vestigingsprofiel("000012345671"),
    }.items():
        try:
            call()
        except KvkApiError as exc:
            errors[name] = exc
    assert set(errors) == {"redirect", "plain_echo", "json_echo", "not_found", "wrong_key", "no_server"}
    assert errors["redirect"].status == 302 and errors["plain_echo"].status == 500
    assert errors["json_echo"].status == 400 and "IPD1999" in str(errors["json_echo"])
    assert "***" in str(errors["plain_echo"]) and "***" in str(errors["json_echo"])  # the echo, masked
    with pytest.raises(ValueError) as bad_key:  # a key with a line break inside cannot be a header value
        KvkApiClient(base_url, api_key="abc\r\nX-Injected: 1" + API_KEY)

    assert other_host_received == [], "a redirect carried a request to another host"
    texts = {"log": caplog.text, "bad key": _exception_texts(bad_key.value), "client": "\n".join(shown),
             "extract": extract.read_text(encoding="utf-8")}
    texts.update({f"error {name}": _exception_texts(exc) for name, exc in errors.items()})
    for path in cache.rglob("*"):
        texts[f"cache {path.name}"] = path.name + (path.read_text(encoding="utf-8") if path.is_file() else "")
    assert any(name.startswith("cache ") for name in texts), "the cache was written"
    assert "KvK API GET" in caplog.text  # the log is captured, so its check below can fail
    for name, text in texts.items():
        assert API_KEY not in text, f"the API key leaked into {name}"
        assert API_KEY[:12] not in text, f"part of the API key leaked into {name}"


def test_key_in_the_environment_stays_out_of_a_dagster_materialisation(servers, tmp_path, monkeypatch):
    base_url, _ = servers
    monkeypatch.setenv("KVK_API_KEY", API_KEY)
    data = tmp_path / "data"
    client = KvkApiClient(base_url, min_interval_s=0)  # the key from the environment
    extract = write_extract_csv(client.fetch_establishments(["12345678", "87654321"], PEILDATUM),
                                data / "landing", PEILDATUM)

    home = tmp_path / "dagster_home"
    home.mkdir()
    with DagsterInstance.local_temp(str(home)) as instance:
        result = materialize([kvk_landing_spec, kvk_establishments], instance=instance,
                             resources={"paths": CwbPaths(data_dir=str(data),
                                                          warehouse=str(tmp_path / "warehouse" / "cwb.duckdb"))})
        assert result.success
        (materialization,) = result.asset_materializations_for_node("raw__kvk_establishments")
        assert materialization.metadata["dagster/row_count"].value == 3
        run = instance.get_run_by_id(result.run_id)
        events = [serialize_value(entry) for entry in instance.all_logs(result.run_id)]
        texts = {"run config": json.dumps(run.run_config, default=str), "tags": json.dumps(run.tags),
                 "events": "\n".join(events)}
    files = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
    assert files, "the instance wrote its storage"
    # the search finds what is there: the extract's name is in the events and in the instance's files
    assert extract.name in texts["events"]
    assert any(extract.name.encode() in body for body in files.values())
    for name, text in texts.items():
        assert API_KEY not in text, f"the API key leaked into the Dagster {name}"
    for path, body in files.items():
        assert API_KEY.encode() not in body, f"the API key leaked into {path.relative_to(home)}"
