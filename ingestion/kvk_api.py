"""Optional client for the KvK (Kamer van Koophandel) Handelsregister APIs.

For organisations that query the KvK APIs instead of receiving a Handelsregister extract. The client
looks establishments up (Zoeken, free), fetches their Vestigingsprofiel (paid per request) and maps
the profiles onto exactly the columns of ``raw.kvk_establishments``, so the result can be written as
``landing/kvk/vestigingen_api_<peildatum>.csv`` which the pipeline reads like any other extract.

Plain Python (standard library only), no Dagster. See ``docs/kvk_api.md`` for the documented shapes
this relies on and what could not be verified.

The API key is read from ``KVK_API_KEY`` when not given, is sent only in the ``apikey`` HTTP header
to the configured host (redirects are not followed, so no other host ever receives it) and never
appears in logs, exceptions, reprs or cache files (tests/test_secrets.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import http.client
import json
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

API_KEY_ENV = "KVK_API_KEY"
DEFAULT_BASE_URL = "https://api.kvk.nl"
ZOEKEN_PATH = "/api/v2/zoeken"
VESTIGINGSPROFIEL_PATH = "/api/v1/vestigingsprofielen/{vestigingsnummer}"
EIGENAAR_PATH = "/api/v1/basisprofielen/{kvk_nummer}/eigenaar"
MAX_RESULTS_PER_PAGE = 100  # documented maximum of resultatenPerPagina
MAX_PAGE = 100  # documented maximum of pagina

# Columns of raw.kvk_establishments, in the extract's order (docs/architecture.md).
KVK_COLUMNS: tuple[str, ...] = (
    "kvk_nummer", "vestigingsnummer", "rsin", "statutaire_naam", "eerste_handelsnaam", "handelsnamen",
    "ind_hoofdvestiging", "rechtsvorm", "straatnaam", "huisnummer", "huisletter", "huisnummertoevoeging",
    "postcode", "plaats", "land", "ind_afgeschermd", "sbi_hoofdactiviteit", "sbi_nevenactiviteiten",
    "totaal_werkzame_personen", "registratie_datum_aanvang", "peildatum",
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_VESTIGING_RE = re.compile(r"^\d{12}$")
_KVK_RE = re.compile(r"^\d{8}$")


class KvkApiError(RuntimeError):
    """An HTTP or transport error from the KvK API. Names the path and status, never the API key."""

    def __init__(self, message: str, *, path: str, status: int | None = None):
        super().__init__(message)
        self.path = path
        self.status = status


class _Secret:
    """Holds the API key; its repr and str never show it.

    Surrounding whitespace is dropped (a key pasted from a file often ends in a line break); a key that
    still holds a character an HTTP header cannot carry is refused with a message that does not show it,
    instead of http.client's ``Invalid header value b'<the key>'``."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None):
        value = (value or "").strip() or None
        if value is not None and (re.search(r"[\x00-\x1f\x7f]", value) or not value.isascii()):
            raise ValueError(f"the KvK API key ({API_KEY_ENV} or api_key) holds a control or non-ASCII character; "
                             f"check how it was copied")
        self._value = value

    def __bool__(self) -> bool:
        return self._value is not None

    def reveal(self) -> str | None:
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with the key, also URL-encoded, replaced by ``***``."""
        if not self._value:
            return text
        for form in {self._value, urllib.parse.quote(self._value, safe=""), urllib.parse.quote_plus(self._value)}:
            text = text.replace(form, "***")
        return text

    def __repr__(self) -> str:
        return "<secret set>" if self._value else "<secret not set>"

    __str__ = __repr__

    def __reduce__(self):  # never pickle the key along with a client
        raise TypeError("the KvK API key cannot be pickled")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would resend the ``apikey`` header to wherever the Location
    points, another host included. A 3xx comes back as an HTTP error (see ``KvkApiClient._send``)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _yes_no(value: Any) -> str:
    """The APIs document "ja"/"nee" (examples show "Ja"/"Nee"); the extract stores Ja/Nee."""
    if isinstance(value, bool):
        return "Ja" if value else "Nee"
    text = str(value or "").strip().lower()
    if text in ("ja", "j", "true", "yes"):
        return "Ja"
    if text in ("nee", "n", "false", "no"):
        return "Nee"
    return ""


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _postcode(value: Any) -> str:
    return re.sub(r"\s+", "", _text(value)).upper()


def _date(value: Any) -> str:
    """KvK dates as ISO ``YYYY-MM-DD``; accepts ``YYYYMMDD`` and ISO; incomplete dates (``00``) -> ''."""
    text = _text(value)
    if not text:
        return ""
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date().isoformat()
        except ValueError:
            continue
    return ""


def _int_text(value: Any) -> str:
    text = _text(value)
    return text if text.isdigit() else ""


def _handelsnamen(profile: Mapping[str, Any]) -> list[str]:
    names = profile.get("handelsnamen") or []
    items: list[tuple[int, int, str]] = []
    for i, item in enumerate(names):
        if isinstance(item, Mapping):
            naam, volgorde = _text(item.get("naam")), item.get("volgorde")
        else:
            naam, volgorde = _text(item), None
        if naam:
            items.append((int(volgorde) if str(volgorde or "").isdigit() else 10**6, i, naam))
    return [naam for _, _, naam in sorted(items)]


def _bezoekadres(profile: Mapping[str, Any]) -> Mapping[str, Any]:
    for adres in profile.get("adressen") or []:
        if _text(adres.get("type")).lower() == "bezoekadres":
            return adres
    return {}


def _afgeschermd(adres: Mapping[str, Any]) -> str:
    # The documentation's address table spells it "IndAfgeschermd"; the examples "indAfgeschermd".
    value = adres.get("indAfgeschermd", adres.get("IndAfgeschermd"))
    return _yes_no(value) if value is not None else ""


def _rechtsvorm_label(eigenaar: Mapping[str, Any]) -> str:
    return _text(eigenaar.get("rechtsvorm")) or _text(eigenaar.get("uitgebreideRechtsvorm"))


def profile_to_row(profile: Mapping[str, Any], peildatum: dt.date | str,
                   rechtsvorm: str | None = None) -> dict[str, str]:
    """One Vestigingsprofiel as one ``raw.kvk_establishments`` row (all text, '' for missing)."""
    adres = _bezoekadres(profile)
    activiteiten = profile.get("sbiActiviteiten") or []
    hoofd = [a for a in activiteiten if _yes_no(a.get("indHoofdactiviteit")) == "Ja"]
    neven = [a for a in activiteiten if _yes_no(a.get("indHoofdactiviteit")) != "Ja"]
    handelsnamen = _handelsnamen(profile)
    peil = peildatum.isoformat() if isinstance(peildatum, dt.date) else _date(peildatum)
    row = {
        "kvk_nummer": _text(profile.get("kvkNummer")),
        "vestigingsnummer": _text(profile.get("vestigingsnummer")),
        "rsin": _text(profile.get("rsin")),
        "statutaire_naam": _text(profile.get("statutaireNaam")),
        "eerste_handelsnaam": _text(profile.get("eersteHandelsnaam")) or (handelsnamen[0] if handelsnamen else ""),
        "handelsnamen": "|".join(handelsnamen),
        "ind_hoofdvestiging": _yes_no(profile.get("indHoofdvestiging")) or "Nee",
        "rechtsvorm": _text(profile.get("rechtsvorm")) or _text(rechtsvorm),
        "straatnaam": _text(adres.get("straatnaam")),
        "huisnummer": _int_text(adres.get("huisnummer")),
        "huisletter": _text(adres.get("huisletter")),
        "huisnummertoevoeging": _text(adres.get("huisnummerToevoeging")),
        "postcode": _postcode(adres.get("postcode")),
        "plaats": _text(adres.get("plaats")),
        "land": _text(adres.get("land")),
        "ind_afgeschermd": _afgeschermd(adres),
        "sbi_hoofdactiviteit": _text(hoofd[0].get("sbiCode")) if hoofd else "",
        "sbi_nevenactiviteiten": "|".join(
            _text(a.get("sbiCode")) for a in hoofd[1:] + neven if _text(a.get("sbiCode"))),
        "totaal_werkzame_personen": _int_text(profile.get("totaalWerkzamePersonen")),
        "registratie_datum_aanvang": _date((profile.get("materieleRegistratie") or {}).get("datumAanvang")),
        "peildatum": peil,
    }
    return {col: row[col] for col in KVK_COLUMNS}


def to_extract_rows(profiles: Iterable[Mapping[str, Any]], peildatum: dt.date | str,
                    rechtsvormen: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """Map Vestigingsprofielen onto exactly the ``raw.kvk_establishments`` columns.

    ``rechtsvormen`` (KvK number -> legal-form label) fills ``rechtsvorm`` when a profile does not carry
    one (the Vestigingsprofiel does not document it); otherwise it stays empty.
    """
    rechtsvormen = rechtsvormen or {}
    return [profile_to_row(p, peildatum, rechtsvormen.get(_text(p.get("kvkNummer")))) for p in profiles]


def write_extract_csv(rows: Iterable[Mapping[str, str]], landing_dir: Path | str,
                      peildatum: dt.date | str) -> Path:
    """Write rows as ``<landing_dir>/kvk/vestigingen_api_<peildatum>.csv`` (the pipeline's file pattern)."""
    peil = peildatum.isoformat() if isinstance(peildatum, dt.date) else _date(peildatum)
    out = Path(landing_dir) / "kvk" / f"vestigingen_api_{peil}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(KVK_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({col: row.get(col, "") for col in KVK_COLUMNS})
    return out


class KvkApiClient:
    """Client for KvK Zoeken (v2), Vestigingsprofiel (v1) and Basisprofiel eigenaar (v1).

    * ``api_key``: defaults to the environment variable ``KVK_API_KEY``; sent only as header ``apikey``.
    * ``cache_dir``: successful JSON responses are stored as ``<sha256 of path + query>.json`` and reused.
    * ``min_interval_s``: at least this long (monotonic clock) between two requests to the server.
    * 429 and 5xx are retried ``max_retries`` times with exponential backoff (``Retry-After`` honoured,
      capped at ``max_backoff_s``); other 4xx/5xx raise :class:`KvkApiError`.
    """

    def __init__(self, base_url: str = DEFAULT_BASE_URL, api_key: str | None = None,
                 cache_dir: Path | str | None = None, min_interval_s: float = 0.2, timeout_s: float = 10,
                 max_retries: int = 3, backoff_s: float = 1.0, max_backoff_s: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self._key = _Secret(api_key if api_key is not None else os.environ.get(API_KEY_ENV))
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.min_interval_s = float(min_interval_s)
        self.timeout_s = float(timeout_s)
        self.max_retries = int(max_retries)
        self.backoff_s = float(backoff_s)
        self.max_backoff_s = float(max_backoff_s)
        self._lock = threading.Lock()
        self._last_request: float | None = None
        self.n_requests = 0  # requests sent to the server (cache hits not counted)
        self.n_cache_hits = 0
        if not self._key:
            log.warning("no KvK API key given and %s is not set: requests are sent without one", API_KEY_ENV)

    def __repr__(self) -> str:
        return (f"KvkApiClient(base_url={self.base_url!r}, api_key={'<set>' if self._key else '<not set>'}, "
                f"cache_dir={str(self.cache_dir) if self.cache_dir else None!r}, "
                f"min_interval_s={self.min_interval_s}, timeout_s={self.timeout_s})")

    def __reduce__(self):
        raise TypeError("KvkApiClient cannot be pickled (it holds an API key)")

    # -- transport ---------------------------------------------------------------------------------

    @staticmethod
    def _path_query(path: str, params: Iterable[tuple[str, Any]] | None) -> str:
        """Path plus a canonical (sorted) query string, used for requests, logs, errors and cache keys."""
        pairs = sorted((str(k), str(v)) for k, v in (params or []) if v is not None and v != "")
        query = urllib.parse.urlencode(pairs)
        return f"{path}?{query}" if query else path

    def _cache_file(self, path_query: str) -> Path | None:
        if self.cache_dir is None:
            return None
        base_path = urllib.parse.urlsplit(self.base_url).path
        digest = hashlib.sha256((base_path + path_query).encode("utf-8")).hexdigest()
        return self.cache_dir / f"{digest}.json"

    def _wait_for_slot(self) -> None:
        """Sleep until ``min_interval_s`` has passed since the previous request (monotonic clock)."""
        if self._last_request is not None:
            wait = self._last_request + self.min_interval_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self._last_request = time.monotonic()

    def _send(self, path_query: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.base_url + path_query, method="GET",
                                         headers={"Accept": "application/json"})
        if self._key:
            # Unredirected: never copied onto a follow-up request (and _OPENER follows no redirect anyway).
            request.add_unredirected_header("Apikey", self._key.reveal())
        with self._lock:
            self._wait_for_slot()
            self.n_requests += 1
        shown = self._key.redact(path_query)
        try:
            with _OPENER.open(request, timeout=self.timeout_s) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read() if exc.fp is not None else b""
            return exc.code, dict(exc.headers.items()) if exc.headers else {}, body
        except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise KvkApiError(self._key.redact(f"KvK API request to {shown} failed: {reason}"),
                              path=shown) from None

    def _backoff(self, attempt: int, headers: Mapping[str, str]) -> float:
        retry_after = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after), self.max_backoff_s)
        return min(self.backoff_s * (2 ** attempt), self.max_backoff_s)

    def get_json(self, path: str, params: Iterable[tuple[str, Any]] | None = None) -> Any:
        """GET ``path`` with ``params`` and return the decoded JSON, from the cache when present."""
        path_query = self._path_query(path, params)
        shown = self._key.redact(path_query)  # for logs and errors: a key passed as a parameter is masked
        cache_file = self._cache_file(path_query)
        if cache_file is not None and cache_file.exists():
            self.n_cache_hits += 1
            log.debug("KvK API cache hit for %s", shown)
            return json.loads(cache_file.read_text(encoding="utf-8"))

        for attempt in range(self.max_retries + 1):
            status, headers, body = self._send(path_query)
            log.info("KvK API GET %s -> %s", shown, status)
            if status in RETRY_STATUSES and attempt < self.max_retries:
                delay = self._backoff(attempt, headers)
                log.warning("KvK API %s answered %s; retry %d/%d in %.2fs",
                            shown, status, attempt + 1, self.max_retries, delay)
                time.sleep(delay)
                continue
            break
        if status >= 300:  # 3xx included: redirects are not followed (the key would travel along)
            raise KvkApiError(self._error_message(shown, status, body), path=shown, status=status)
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise KvkApiError(f"KvK API {shown} answered {status} with a body that is not JSON",
                              path=shown, status=status) from None
        text = json.dumps(data, ensure_ascii=False)
        if cache_file is not None and self._key.redact(text) == text:  # never a cache file holding the key
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(cache_file)
        elif cache_file is not None:
            log.warning("KvK API %s answered with the API key in its body: not cached", shown)
        return data

    def _error_message(self, path_query: str, status: int, body: bytes) -> str:
        detail = ""
        try:
            fouten = json.loads(body.decode("utf-8")).get("fout") or []
            detail = "; ".join(f"{_text(f.get('code'))} {_text(f.get('omschrijving'))}".strip() for f in fouten)
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, TypeError):
            # Masked before it is cut short: a key echoed across the cut would otherwise leave a prefix.
            detail = self._key.redact(body.decode("utf-8", errors="replace"))[:200].strip()
        hint = ""
        if status in (401, 403):
            hint = f" (check the API key: argument api_key or environment variable {API_KEY_ENV})"
        elif 300 <= status < 400:
            hint = " (redirects are not followed, so the API key is sent to the configured host only)"
        message = f"KvK API GET {path_query} failed with HTTP {status}{hint}" + (f": {detail}" if detail else "")
        return self._key.redact(message)

    # -- endpoints ---------------------------------------------------------------------------------

    def search(self, kvk_nummer: str | None = None, naam: str | None = None, postcode: str | None = None,
               huisnummer: int | str | None = None, pages: int | None = None,
               types: Iterable[str] | None = None, resultaten_per_pagina: int = MAX_RESULTS_PER_PAGE,
               **extra: Any) -> Iterator[dict]:
        """Zoeken v2 (``GET /api/v2/zoeken``): yield the ``resultaten`` across pages.

        ``pages``: at most this many pages (None: all pages, up to the documented maximum). ``types``:
        ``hoofdvestiging`` / ``nevenvestiging`` / ``rechtspersoon``. A 404 (which KvK may return for
        "no results") ends the search without results.
        """
        params: list[tuple[str, Any]] = [("kvkNummer", kvk_nummer), ("naam", naam),
                                         ("postcode", _postcode(postcode) or None), ("huisnummer", huisnummer)]
        params += [(k, v) for k, v in extra.items()]
        params += [("type", t) for t in (types or [])]
        per_page = max(1, min(int(resultaten_per_pagina), MAX_RESULTS_PER_PAGE))
        last_page = min(pages, MAX_PAGE) if pages is not None else MAX_PAGE
        pagina = 1
        while pagina <= last_page:
            try:
                data = self.get_json(ZOEKEN_PATH, params + [("pagina", pagina), ("resultatenPerPagina", per_page)])
            except KvkApiError as exc:
                if exc.status == 404:
                    return
                raise
            resultaten = data.get("resultaten") or []
            yield from resultaten
            totaal = int(data.get("totaal") or 0)
            if not resultaten or pagina * per_page >= totaal:
                return
            pagina += 1

    def vestigingsprofiel(self, vestigingsnummer: str) -> dict:
        """Vestigingsprofiel v1 (``GET /api/v1/vestigingsprofielen/{vestigingsnummer}``)."""
        nummer = _text(vestigingsnummer).zfill(12)
        if not _VESTIGING_RE.match(nummer):
            raise ValueError(f"not a 12-digit vestigingsnummer: {vestigingsnummer!r}")
        return self.get_json(VESTIGINGSPROFIEL_PATH.format(vestigingsnummer=nummer))

    def eigenaar(self, kvk_nummer: str) -> dict:
        """Basisprofiel eigenaar v1 (``GET /api/v1/basisprofielen/{kvkNummer}/eigenaar``): carries the
        legal form (``rechtsvorm`` / ``uitgebreideRechtsvorm``), which the Vestigingsprofiel does not."""
        nummer = _text(kvk_nummer).zfill(8)
        if not _KVK_RE.match(nummer):
            raise ValueError(f"not an 8-digit KvK number: {kvk_nummer!r}")
        return self.get_json(EIGENAAR_PATH.format(kvk_nummer=nummer))

    to_extract_rows = staticmethod(to_extract_rows)

    def fetch_establishments(self, kvk_numbers: Iterable[str], peildatum: dt.date | str,
                             include_rechtsvorm: bool = True) -> list[dict[str, str]]:
        """For each KvK number: find its establishments (Zoeken, types hoofd- and nevenvestiging), fetch
        each Vestigingsprofiel and, with ``include_rechtsvorm``, the owner's legal form (Basisprofiel
        eigenaar, one request per KvK number); return extract rows. Establishments are deduplicated."""
        profiles: list[dict] = []
        rechtsvormen: dict[str, str] = {}
        seen: set[str] = set()
        for kvk in dict.fromkeys(_text(k).zfill(8) for k in kvk_numbers if _text(k)):
            for result in self.search(kvk_nummer=kvk, types=("hoofdvestiging", "nevenvestiging")):
                nummer = _text(result.get("vestigingsnummer"))
                if not nummer or nummer in seen:
                    continue
                seen.add(nummer)
                profiles.append(self.vestigingsprofiel(nummer))
            if include_rechtsvorm:
                try:
                    rechtsvormen[kvk] = _rechtsvorm_label(self.eigenaar(kvk))
                except KvkApiError as exc:
                    if exc.status != 404:
                        raise
                    log.warning("no Basisprofiel eigenaar for KvK number %s: rechtsvorm left empty", kvk)
        return to_extract_rows(profiles, peildatum, rechtsvormen)
