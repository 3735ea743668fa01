"""The optional KvK API client against a real local HTTP server answering in the documented shapes."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from ingestion.kvk_api import KVK_COLUMNS, KvkApiClient, KvkApiError, to_extract_rows, write_extract_csv
from ingestion.kvk_extract import read_kvk_extract
from ingestion.schemas import kvk_establishments_schema, validate
from ingestion.warehouse import connect

API_KEY = "test-kvk-key-7f3a9c1e5b"
PEILDATUM = dt.date(2025, 11, 1)

# -- hand-written establishments (fictional) ----------------------------------------------------------
# Bakkerij De Zon B.V.: a head office in Nieuw-West and a branch in West; Klushulp J. de Vries: a sole
# trader whose visiting address is shielded.
PROFILES: dict[str, dict] = {
    "000012345671": {
        "vestigingsnummer": "000012345671",
        "kvkNummer": "12345678",
        "rsin": "001234567",
        "indNonMailing": "Nee",
        "formeleRegistratiedatum": "20100301",
        "materieleRegistratie": {"datumAanvang": "20100301"},
        "statutaireNaam": "Bakkerij De Zon B.V.",
        "eersteHandelsnaam": "Bakkerij De Zon",
        "indHoofdvestiging": "Ja",
        "indCommercieleVestiging": "Ja",
        "voltijdWerkzamePersonen": 18,
        "totaalWerkzamePersonen": 25,
        "deeltijdWerkzamePersonen": 7,
        "handelsnamen": [{"naam": "De Zon Catering", "volgorde": 2}, {"naam": "Bakkerij De Zon", "volgorde": 1}],
        "adressen": [
            {"type": "correspondentieadres", "indAfgeschermd": "Nee", "volledigAdres": "Postbus 9001 1006AA Amsterdam",
             "postbusnummer": 9001, "postcode": "1006AA", "plaats": "Amsterdam", "land": "Nederland"},
            {"type": "bezoekadres", "indAfgeschermd": "Nee", "volledigAdres": "Osdorpplein 100 1068EL Amsterdam",
             "straatnaam": "Osdorpplein", "huisnummer": 100, "postcode": "1068 EL", "plaats": "Amsterdam",
             "land": "Nederland"},
        ],
        "websites": ["www.bakkerijdezon.example"],
        "sbiActiviteiten": [
            {"sbiCode": "56210", "sbiOmschrijving": "Eventcatering", "indHoofdactiviteit": "Nee"},
            {"sbiCode": "10711", "sbiOmschrijving": "Brood- en banketbakkerijen", "indHoofdactiviteit": "Ja"},
            {"sbiCode": "47241", "sbiOmschrijving": "Winkels in brood en banket", "indHoofdactiviteit": "Nee"},
        ],
        "links": [],
    },
    "000012345689": {
        "vestigingsnummer": "000012345689",
        "kvkNummer": "12345678",
        "rsin": "001234567",
        "materieleRegistratie": {"datumAanvang": "20180615"},
        "statutaireNaam": "Bakkerij De Zon B.V.",
        "eersteHandelsnaam": "Bakkerij De Zon West",
        "indHoofdvestiging": "Nee",
        "indCommercieleVestiging": "Ja",
        "totaalWerkzamePersonen": 6,
        "handelsnamen": [{"naam": "Bakkerij De Zon West", "volgorde": 1}],
        "adressen": [
            {"type": "bezoekadres", "indAfgeschermd": "Nee", "straatnaam": "Kinkerstraat", "huisnummer": 12,
             "huisletter": "A", "huisnummerToevoeging": "H", "postcode": "1053DT", "plaats": "Amsterdam",
             "land": "Nederland"},
        ],
        "sbiActiviteiten": [
            {"sbiCode": "47241", "sbiOmschrijving": "Winkels in brood en banket", "indHoofdactiviteit": "Ja"},
        ],
    },
    "000087654321": {
        "vestigingsnummer": "000087654321",
        "kvkNummer": "87654321",
        "materieleRegistratie": {"datumAanvang": "20210104"},
        "eersteHandelsnaam": "Klushulp J. de Vries",
        "indHoofdvestiging": "Ja",
        "indCommercieleVestiging": "Ja",
        "totaalWerkzamePersonen": 1,
        "handelsnamen": [{"naam": "Klushulp J. de Vries", "volgorde": 1}],
        "adressen": [{"type": "bezoekadres", "indAfgeschermd": "Ja", "plaats": "Amsterdam"}],
        "sbiActiviteiten": [
            {"sbiCode": "43320", "sbiOmschrijving": "Timmerwerk", "indHoofdactiviteit": "Ja"},
            {"sbiCode": "43341", "sbiOmschrijving": "Schilderwerk", "indHoofdactiviteit": "Nee"},
        ],
    },
}

EIGENAREN = {
    "12345678": {"rsin": "001234567", "rechtsvorm": "Besloten Vennootschap",
                 "uitgebreideRechtsvorm": "Besloten Vennootschap met gewone structuur"},
    "87654321": {"rechtsvorm": "Eenmanszaak", "uitgebreideRechtsvorm": "Eenmanszaak"},
}


def _search_result(kvk: str, naam: str, typ: str, vestigingsnummer: str | None = None,
                   straatnaam: str = "", plaats: str = "") -> dict:
    result = {"kvkNummer": kvk, "naam": naam,
              "adres": {"binnenlandsAdres": {"type": "bezoekadres", "straatnaam": straatnaam, "plaats": plaats}},
              "type": typ, "links": []}
    if vestigingsnummer:
        result["vestigingsnummer"] = vestigingsnummer
    return result


SEARCH_INDEX = [
    _search_result("12345678", "Bakkerij De Zon B.V.", "rechtspersoon"),
    _search_result("12345678", "Bakkerij De Zon", "hoofdvestiging", "000012345671", "Osdorpplein", "Amsterdam"),
    _search_result("12345678", "Bakkerij De Zon West", "nevenvestiging", "000012345689", "Kinkerstraat",
                   "Amsterdam"),
    _search_result("87654321", "Klushulp J. de Vries", "hoofdvestiging", "000087654321", "", "Amsterdam"),
]

EXPECTED_ROWS = [
    {"kvk_nummer": "12345678", "vestigingsnummer": "000012345671", "rsin": "001234567",
     "statutaire_naam": "Bakkerij De Zon B.V.", "eerste_handelsnaam": "Bakkerij De Zon",
     "handelsnamen": "Bakkerij De Zon|De Zon Catering", "ind_hoofdvestiging": "Ja",
     "rechtsvorm": "Besloten Vennootschap", "straatnaam": "Osdorpplein", "huisnummer": "100", "huisletter": "",
     "huisnummertoevoeging": "", "postcode": "1068EL", "plaats": "Amsterdam", "land": "Nederland",
     "ind_afgeschermd": "Nee", "sbi_hoofdactiviteit": "10711", "sbi_nevenactiviteiten": "56210|47241",
     "totaal_werkzame_personen": "25", "registratie_datum_aanvang": "2010-03-01", "peildatum": "2025-11-01"},
    {"kvk_nummer": "12345678", "vestigingsnummer": "000012345689", "rsin": "001234567",
     "statutaire_naam": "Bakkerij De Zon B.V.", "eerste_handelsnaam": "Bakkerij De Zon West",
     "handelsnamen": "Bakkerij De Zon West", "ind_hoofdvestiging": "Nee",
     "rechtsvorm": "Besloten Vennootschap", "straatnaam": "Kinkerstraat", "huisnummer": "12", "huisletter": "A",
     "huisnummertoevoeging": "H", "postcode": "1053DT", "plaats": "Amsterdam", "land": "Nederland",
     "ind_afgeschermd": "Nee", "sbi_hoofdactiviteit": "47241", "sbi_nevenactiviteiten": "",
     "totaal_werkzame_personen": "6", "registratie_datum_aanvang": "2018-06-15", "peildatum": "2025-11-01"},
    {"kvk_nummer": "87654321", "vestigingsnummer": "000087654321", "rsin": "",
     "statutaire_naam": "", "eerste_handelsnaam": "Klushulp J. de Vries",
     "handelsnamen": "Klushulp J. de Vries", "ind_hoofdvestiging": "Ja",
     "rechtsvorm": "Eenmanszaak", "straatnaam": "", "huisnummer": "", "huisletter": "",
     "huisnummertoevoeging": "", "postcode": "", "plaats": "Amsterdam", "land": "",
     "ind_afgeschermd": "Ja", "sbi_hoofdactiviteit": "43320", "sbi_nevenactiviteiten": "43341",
     "totaal_werkzame_personen": "1", "registratie_datum_aanvang": "2021-01-04", "peildatum": "2025-11-01"},
]


# -- the fake KvK server ------------------------------------------------------------------------------

class FakeKvk:
    """State shared with the request handler: the request log and scripted failures."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.scripted: dict[str, list[int]] = {}  # path -> statuses to answer before the real answer

    def record(self, path: str, query: dict, has_key: bool) -> None:
        with self.lock:
            self.requests.append({"path": path, "query": query, "has_key": has_key, "t": time.monotonic()})

    def count(self, path: str | None = None) -> int:
        return sum(1 for r in self.requests if path is None or r["path"] == path)

    def next_scripted(self, path: str) -> int | None:
        with self.lock:
            queue = self.scripted.get(path)
            return queue.pop(0) if queue else None


def _make_handler(state: FakeKvk):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)

        def _fout(self, status: int, code: str, omschrijving: str, headers: dict | None = None) -> None:
            self._json(status, {"fout": [{"code": code, "omschrijving": omschrijving}]}, headers)

        def do_GET(self):  # noqa: N802 (http.server's naming)
            split = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(split.query)
            path = split.path
            key = self.headers.get("apikey")
            state.record(path, query, key is not None)
            if key != API_KEY:
                return self._fout(401, "401", "Unauthorized: missing or invalid apikey")
            scripted = state.next_scripted(path)
            if scripted is not None:
                return self._fout(scripted, str(scripted), "scripted failure", {"Retry-After": "0"})

            if path == "/api/v2/zoeken":
                return self._zoeken(query)
            if path.startswith("/api/v1/vestigingsprofielen/"):
                nummer = path.rsplit("/", 1)[1]
                if nummer in PROFILES:
                    return self._json(200, PROFILES[nummer])
                return self._fout(404, "IPD0004", "Het vestigingsnummer is niet gevonden")
            if path.startswith("/api/v1/basisprofielen/") and path.endswith("/eigenaar"):
                kvk = path.split("/")[4]
                if kvk in EIGENAREN:
                    return self._json(200, EIGENAREN[kvk])
                return self._fout(404, "IPD0005", "Het KVK-nummer is niet gevonden")
            return self._fout(404, "404", "Unknown path")

        def _zoeken(self, query: dict) -> None:
            def one(name):
                values = query.get(name)
                return values[0] if values else None

            hits = SEARCH_INDEX
            if one("kvkNummer"):
                hits = [h for h in hits if h["kvkNummer"] == one("kvkNummer")]
            if one("naam"):
                hits = [h for h in hits if one("naam").lower() in h["naam"].lower()]
            if one("postcode") and one("huisnummer"):
                wanted = (one("postcode"), one("huisnummer"))
                nrs = {nr for nr, p in PROFILES.items()
                       if (_bezoek(p).get("postcode", "").replace(" ", ""),
                           str(_bezoek(p).get("huisnummer"))) == wanted}
                hits = [h for h in hits if h.get("vestigingsnummer") in nrs]
            if query.get("type"):
                hits = [h for h in hits if h["type"] in query["type"]]
            if not hits:
                return self._fout(404, "IPD5200", "Geen resultaten gevonden")
            pagina = int(one("pagina") or 1)
            per_page = int(one("resultatenPerPagina") or 10)
            page = hits[(pagina - 1) * per_page: pagina * per_page]
            body = {"pagina": pagina, "resultatenPerPagina": per_page, "totaal": len(hits), "resultaten": page,
                    "links": [{"rel": "self", "href": self.path}]}
            if pagina * per_page < len(hits):
                body["volgende"] = f"/api/v2/zoeken?pagina={pagina + 1}"
            return self._json(200, body)

    return Handler


def _bezoek(profile: dict) -> dict:
    return next((a for a in profile["adressen"] if a["type"] == "bezoekadres"), {})


@pytest.fixture
def kvk_server():
    state = FakeKvk()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("KVK_API_KEY", raising=False)


def _client(server: FakeKvk, **kwargs) -> KvkApiClient:
    kwargs.setdefault("api_key", API_KEY)
    kwargs.setdefault("min_interval_s", 0.0)
    kwargs.setdefault("backoff_s", 0.01)
    return KvkApiClient(server.base_url, **kwargs)


# -- tests --------------------------------------------------------------------------------------------

def test_columns_match_the_extract_contract():
    from ingestion.synthetic import KVK_COLUMNS as SYNTHETIC_COLUMNS

    assert KVK_COLUMNS == SYNTHETIC_COLUMNS
    assert all(tuple(row) == KVK_COLUMNS for row in EXPECTED_ROWS)


def test_fetch_establishments_produces_the_expected_rows(kvk_server, tmp_path):
    client = _client(kvk_server, cache_dir=tmp_path / "cache")
    rows = client.fetch_establishments(["12345678", "87654321"], PEILDATUM)
    assert rows == EXPECTED_ROWS
    # every request carried the key; the search asked only for establishments
    assert all(r["has_key"] for r in kvk_server.requests)
    searches = [r for r in kvk_server.requests if r["path"] == "/api/v2/zoeken"]
    assert all(sorted(r["query"]["type"]) == ["hoofdvestiging", "nevenvestiging"] for r in searches)


def test_api_key_from_environment(kvk_server, monkeypatch):
    monkeypatch.setenv("KVK_API_KEY", API_KEY)
    client = KvkApiClient(kvk_server.base_url, min_interval_s=0)
    assert client.vestigingsprofiel("000087654321")["kvkNummer"] == "87654321"


def test_search_pages_through_results(kvk_server):
    client = _client(kvk_server)
    results = list(client.search(kvk_nummer="12345678", resultaten_per_pagina=2))
    assert [r["type"] for r in results] == ["rechtspersoon", "hoofdvestiging", "nevenvestiging"]
    pages = [r["query"]["pagina"] for r in kvk_server.requests if r["path"] == "/api/v2/zoeken"]
    assert pages == [["1"], ["2"]]
    # pages limits the number of pages requested
    assert len(list(client.search(kvk_nummer="12345678", resultaten_per_pagina=2, pages=1))) == 2
    # by name, by postcode + house number; "no results" (404 IPD5200) is an empty search
    assert [r["vestigingsnummer"] for r in client.search(naam="klushulp")] == ["000087654321"]
    assert [r["vestigingsnummer"] for r in client.search(postcode="1053 dt", huisnummer=12)] == ["000012345689"]
    assert list(client.search(naam="bestaat niet")) == []


def test_cache_prevents_a_second_request(kvk_server, tmp_path):
    path = "/api/v1/vestigingsprofielen/000012345671"
    client = _client(kvk_server, cache_dir=tmp_path / "cache")
    first = client.vestigingsprofiel("000012345671")
    second = client.vestigingsprofiel("000012345671")
    assert first == second == PROFILES["000012345671"]
    assert kvk_server.count(path) == 1
    # the cache is on disk: a new client reuses it
    again = _client(kvk_server, cache_dir=tmp_path / "cache")
    assert again.vestigingsprofiel("12345671") == first  # leading zeros added
    assert kvk_server.count(path) == 1
    assert again.n_requests == 0 and again.n_cache_hits == 1


def test_rate_limit_spaces_requests(kvk_server):
    interval = 0.2
    client = _client(kvk_server, min_interval_s=interval)
    for nummer in ["000012345671", "000012345689", "000087654321", "000012345671"]:
        client.vestigingsprofiel(nummer)
    times = [r["t"] for r in kvk_server.requests]
    assert len(times) == 4
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= interval - 0.03, gaps


def test_429_then_200_is_retried(kvk_server):
    path = "/api/v1/vestigingsprofielen/000012345689"
    kvk_server.scripted[path] = [429]
    client = _client(kvk_server)
    assert client.vestigingsprofiel("000012345689")["vestigingsnummer"] == "000012345689"
    assert kvk_server.count(path) == 2


def test_5xx_retries_are_bounded(kvk_server):
    path = "/api/v1/vestigingsprofielen/000012345689"
    kvk_server.scripted[path] = [503, 503, 503]
    client = _client(kvk_server, max_retries=2)
    with pytest.raises(KvkApiError) as info:
        client.vestigingsprofiel("000012345689")
    assert info.value.status == 503
    assert kvk_server.count(path) == 3


def test_404_raises_naming_the_path(kvk_server):
    client = _client(kvk_server)
    with pytest.raises(KvkApiError) as info:
        client.vestigingsprofiel("000099999999")
    assert info.value.status == 404
    assert info.value.path == "/api/v1/vestigingsprofielen/000099999999"
    assert "/api/v1/vestigingsprofielen/000099999999" in str(info.value)
    assert "404" in str(info.value)


def test_missing_key_is_refused_with_401(kvk_server):
    client = _client(kvk_server, api_key="")
    with pytest.raises(KvkApiError) as info:
        client.vestigingsprofiel("000012345671")
    assert info.value.status == 401
    assert "KVK_API_KEY" in str(info.value)
    assert kvk_server.requests[-1]["has_key"] is False


def test_key_never_leaks(kvk_server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="ingestion.kvk_api")
    cache = tmp_path / "cache"
    client = _client(kvk_server, cache_dir=cache)
    assert API_KEY not in repr(client) and API_KEY not in str(client)
    client.fetch_establishments(["12345678", "87654321"], PEILDATUM)
    client.fetch_establishments(["12345678"], PEILDATUM)  # from the cache

    errors = []
    for call in (lambda: client.vestigingsprofiel("000099999999"),
                 lambda: _client(kvk_server, api_key=API_KEY + "-wrong").vestigingsprofiel("000012345671"),
                 lambda: KvkApiClient("http://127.0.0.1:9", api_key=API_KEY, timeout_s=1,
                                      max_retries=0).vestigingsprofiel("000012345671")):
        with pytest.raises(KvkApiError) as info:
            call()
        errors.append(info.value)
    for exc in errors:
        assert API_KEY not in str(exc) and API_KEY not in repr(exc)
        assert API_KEY not in repr(vars(exc))
    assert errors[1].status == 401

    files = list(cache.rglob("*"))
    assert files, "the cache was written"
    for f in files:
        assert API_KEY not in f.name
        if f.is_file():
            assert API_KEY.encode() not in f.read_bytes()
    assert API_KEY not in caplog.text
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(client)


def test_to_extract_rows_without_rechtsvorm_leaves_it_empty():
    rows = to_extract_rows([PROFILES["000087654321"]], "2025-11-01")
    assert rows[0]["rechtsvorm"] == ""
    with_form = to_extract_rows([{**PROFILES["000087654321"], "rechtsvorm": "Eenmanszaak"}], PEILDATUM)
    assert with_form[0]["rechtsvorm"] == "Eenmanszaak"


def test_rows_load_into_the_warehouse_and_pass_the_gate(kvk_server, tmp_path):
    client = _client(kvk_server)
    rows = client.fetch_establishments(["12345678", "87654321"], PEILDATUM)
    csv_path = write_extract_csv(rows, tmp_path / "landing", PEILDATUM)
    assert csv_path == tmp_path / "landing" / "kvk" / "vestigingen_api_2025-11-01.csv"
    # the pipeline picks the last file matching kvk/vestigingen*.csv: the API file sorts after an extract
    (csv_path.parent / "vestigingen.csv").write_text(",".join(KVK_COLUMNS) + "\n", encoding="utf-8")
    assert sorted(Path(csv_path.parent).glob("vestigingen*.csv"))[-1] == csv_path

    with connect(tmp_path / "warehouse" / "cwb.duckdb") as con:
        assert read_kvk_extract(con, csv_path) == 3
        stored = con.execute("select * from raw.kvk_establishments order by vestigingsnummer").df()
        types = dict(con.execute("""select column_name, data_type from information_schema.columns
                                   where table_schema = 'raw' and table_name = 'kvk_establishments'""").fetchall())
    assert tuple(stored.columns) == KVK_COLUMNS
    assert types["huisnummer"] == "INTEGER" and types["peildatum"] == "DATE"
    assert list(stored["vestigingsnummer"]) == ["000012345671", "000012345689", "000087654321"]
    passed, failures = validate(stored, kvk_establishments_schema())
    assert passed, failures


def test_the_gate_refuses_a_second_head_office_of_one_kvk_number():
    def register(rows):
        return pd.DataFrame([{**{c: None for c in KVK_COLUMNS}, "kvk_nummer": k, "vestigingsnummer": v,
                              "ind_hoofdvestiging": h, "rechtsvorm": "Besloten Vennootschap"}
                             for k, v, h in rows])

    one_each = [("12345678", "000012345671", "Ja"), ("12345678", "000012345689", "Nee"),
                ("87654321", "000087654321", "Ja"), ("11111111", "000011111111", "Nee")]
    passed, failures = validate(register(one_each), kvk_establishments_schema())
    assert passed, failures
    # a second head office of 12345678 fails the check on both of its rows (a case per column), no other row
    two = [*one_each[:1], ("12345678", "000012345689", "Ja"), *one_each[2:]]
    passed, failures = validate(register(two), kvk_establishments_schema())
    assert not passed
    head = [f for f in failures if "more than one head office" in (f.get("check") or "")]
    assert {int(f["index"]) for f in head} == {0, 1}
    assert {f["failure_case"] for f in head if f["column"] == "vestigingsnummer"} == {"000012345671",
                                                                                     "000012345689"}
