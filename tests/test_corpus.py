"""The corpus of deliberately broken delivery files (tests/corpus/): every case has a documented
outcome (tests/corpus/README.md) and this test holds the ingestion code to it.

For each case the case's files are copied into a temporary landing folder, given modification times
in the case's delivery order, and read with ``read_anchor`` under ``tests/corpus/corpus.yaml`` (plus
the case's ``override.yaml``). The expected rows and euros are written out below from the literal
amounts in the case's files, as decimal text, and summed here: nothing is taken from the code under
test. Asserted per case: every delivery's status and message, which (file, row) lines loaded with
which euros, the exact rejected rows (file, row, column, reason_code, euros), the field issues, the
superseded rows and euros, and the reconciliation identity per delivery and for the whole anchor.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
import yaml

from ingestion.config import load_anchor_config
from ingestion.exports import AnchorLoad, read_anchor

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES_DIR = CORPUS / "cases"
PREFIX = "landing/corpus/"
# 2024-02-01 08:00 UTC; the n-th delivered file of a case is modified n hours later.
T0 = int(dt.datetime(2024, 2, 1, 8, 0, tzinfo=dt.UTC).timestamp())

JAN = "crediteurenfacturen_2024-01.csv"
FEB = "crediteurenfacturen_2024-02.csv"
FEB_FIX = "crediteurenfacturen_2024-02_correctie.csv"
MAR = "crediteurenfacturen_2024-03.csv"
JAN_XLSX = "crediteurenfacturen_2024-01.xlsx"
COPY = "kopie van crediteurenfacturen_2024-01.csv"


class Line(NamedTuple):
    """A source row that loads: file, spreadsheet row number, euros excluding VAT as written."""
    file: str
    row: int
    euros: str


class Rej(NamedTuple):
    """A source row that is rejected: the first failing column and reason code; euros as written, or
    None when the amount cannot be parsed; optionally a text the reason must contain."""
    file: str
    row: int
    column: str
    code: str
    euros: str | None
    reason: str | None = None


class Issue(NamedTuple):
    file: str
    row: int
    field: str
    code: str


@dataclass(frozen=True)
class Case:
    name: str
    order: tuple[str, ...]            # the delivered files, in delivery (modification time) order
    status: dict[str, str]
    loaded: tuple[Line, ...] = ()
    rejected: tuple[Rej, ...] = ()
    superseded: dict[str, tuple[str, ...]] = field(default_factory=dict)  # file -> euros of its rows
    issues: tuple[Issue, ...] = ()
    messages: dict[str, str | tuple[str, ...]] = field(default_factory=dict)  # exact text, or parts
    folder: str | None = None         # the case folder, when it is not ``name``
    check: Callable[[AnchorLoad], None] | None = None


def cents(euros: str) -> int:
    """'1234567.89' -> 123456789, exactly."""
    value = Decimal(euros) * 100
    assert value == value.to_integral_value(), euros
    return int(value)


def jan_lines(file: str = JAN) -> tuple[Line, ...]:
    return (Line(file, 2, "1250.00"), Line(file, 3, "3480.25"), Line(file, 4, "-150.00"))


def rows_of(load: AnchorLoad, **where) -> list[dict]:
    acc = load.result.accepted
    for k, v in where.items():
        acc = acc[acc[k] == v]
    return acc.to_dict("records")


def accepted_value(load: AnchorLoad, file: str, row: int, column: str):
    acc = load.result.accepted
    hit = acc[(acc["source_file"] == PREFIX + file) & (acc["source_row"] == row)]
    assert len(hit) == 1, (file, row)
    return hit.iloc[0][column]


# --- extra checks that a case's numbers alone do not show -------------------------------------------


def check_bom(load):
    # The byte-order mark is not part of the first header, and the accents are intact.
    assert accepted_value(load, JAN, 2, "invoice_id") == "F24-0101"
    assert accepted_value(load, JAN, 4, "supplier_name") == "Café De Eenhoorn"


def as_date(value) -> dt.date:
    """The accepted frame may hold dates as date objects or as midnight timestamps."""
    return pd.Timestamp(value).date()


def check_dates(load):
    got = {r: as_date(accepted_value(load, JAN, r, "invoice_date")) for r in (2, 3, 4, 5)}
    assert got == {2: dt.date(2024, 1, 15), 3: dt.date(2024, 1, 16), 4: dt.date(2024, 1, 17),
                   5: dt.date(2024, 1, 3)}


def check_vat_cents(load):
    assert accepted_value(load, JAN, 2, "vat_amount_cents") == cents("259259.26")
    assert accepted_value(load, JAN, 3, "vat_amount_cents") == cents("-525.00")
    assert accepted_value(load, JAN, 4, "vat_amount_cents") == cents("90")


def check_xlsx(load):
    assert as_date(accepted_value(load, JAN_XLSX, 4, "invoice_date")) == dt.date(2024, 1, 22)
    assert accepted_value(load, JAN_XLSX, 4, "kvk_number") == "34123456"  # typed into a number cell
    assert accepted_value(load, JAN_XLSX, 5, "invoice_line") == 1
    assert accepted_value(load, JAN_XLSX, 6, "vat_amount_cents") == cents("-8.40")


def check_identifiers(load):
    # Emptied where invalid, kept where valid, and normalised when written with spaces or dots.
    assert accepted_value(load, JAN, 2, "iban") is None
    assert accepted_value(load, JAN, 2, "vat_number") == "NL805236417B01"
    assert accepted_value(load, JAN, 3, "vat_number") is None
    assert accepted_value(load, JAN, 4, "kvk_number") is None
    row5 = [accepted_value(load, JAN, 5, c) for c in ("iban", "vat_number", "kvk_number")]
    assert row5 == [None, None, None]
    row6 = [accepted_value(load, JAN, 6, c) for c in ("iban", "vat_number", "kvk_number")]
    assert row6 == ["NL36INGB0007654321", "NL123456782B01", "81726354"]


def check_currency(load):
    assert set(load.result.accepted["currency"]) == {"EUR"}


def check_vat_without_prefix(load):
    assert accepted_value(load, JAN, 2, "vat_number") == "NL123456782B01"
    assert accepted_value(load, JAN, 3, "vat_number") is None


# --- the cases ---------------------------------------------------------------------------------------

FEB_ROWS = ("845.00", "2100.00", "-100.00")
FEB_FIX_ROWS = ("854.00", "2100.00", "-100.00", "412.50")
TOTALS_LINES = (Line(JAN, 2, "500.00"), Line(JAN, 3, "1000.00"), Line(JAN, 4, "-75.50"))
FILE_HAS = ("; the file has ['Factuurnummer', 'Regelnummer', 'Factuurdatum', 'Crediteurnummer', "
            "'Naam crediteur', 'KvK-nummer', 'Btw-nummer', 'IBAN', 'Postcode', 'Plaats', 'Btw-bedrag', "
            "'Valuta', 'Omschrijving']")

CASES = [
    Case("wrong_encoding", (JAN,), {JAN: "rejected"},
         messages={JAN: f"{PREFIX}{JAN}: the file cannot be decoded as utf-8 (byte 0xe9 at position 528, "
                        "line 4): check 'encoding' in the anchor's configuration"}),
    Case("utf8_configured_cp1252", (JAN,), {JAN: "rejected"},
         messages={JAN: f"{PREFIX}{JAN}: the file is configured as cp1252 but is UTF-8 encoded: names would be "
                        "garbled (e.g. 'CafÃ©'); set 'encoding: utf-8'"}),
    Case("bom", (JAN,), {JAN: "loaded"}, loaded=jan_lines(), check=check_bom),
    Case("missing_column", (JAN,), {JAN: "rejected"},
         messages={JAN: f"{PREFIX}{JAN}: required column(s) ['Bedrag excl. btw'] not in the file{FILE_HAS}"}),
    Case("renamed_column", (JAN,), {JAN: "rejected"},
         messages={JAN: f"{PREFIX}{JAN}: required column(s) ['Factuurdatum'] not in the file; "
                        "did you mean 'Factuur datum' for 'Factuurdatum'?"}),
    Case("date_formats", (JAN,), {JAN: "loaded"},
         loaded=(Line(JAN, 2, "100.00"), Line(JAN, 3, "200.00"), Line(JAN, 4, "300.00"), Line(JAN, 5, "400.00")),
         check=check_dates),
    Case("text_in_amounts", (JAN,), {JAN: "loaded"},
         loaded=(Line(JAN, 2, "250.00"), Line(JAN, 6, "-19.99")),
         rejected=(Rej(JAN, 3, "Bedrag excl. btw", "amount_invalid", None),
                   Rej(JAN, 4, "Bedrag excl. btw", "amount_invalid", None),
                   Rej(JAN, 5, "Bedrag excl. btw", "amount_empty", None))),
    Case("thousands_separators", (JAN,), {JAN: "loaded"},
         loaded=(Line(JAN, 2, "1234567.89"), Line(JAN, 3, "-2500.00"), Line(JAN, 4, "1000.00"),
                 Line(JAN, 5, "0.05")),
         check=check_vat_cents),
    Case("empty_file", (JAN,), {JAN: "rejected"}, messages={JAN: f"{PREFIX}{JAN}: the file is empty"}),
    Case("headers_only", (JAN,), {JAN: "loaded"}),
    Case("xlsx_merged_title", (JAN_XLSX,), {JAN_XLSX: "loaded"},
         loaded=(Line(JAN_XLSX, 4, "1234.56"), Line(JAN_XLSX, 5, "99.99"), Line(JAN_XLSX, 6, "-40.00")),
         check=check_xlsx),
    Case("totals_skip_footer", (JAN,), {JAN: "loaded"}, loaded=TOTALS_LINES),
    Case("totals_without_skip_footer", (JAN,), {JAN: "loaded"}, loaded=TOTALS_LINES,
         rejected=(Rej(JAN, 5, "Factuurdatum", "invoice_date_invalid", "1424.50"),
                   Rej(JAN, 6, "Bedrag excl. btw", "amount_empty", None))),
    Case("delivered_twice", (JAN, COPY), {JAN: "loaded", COPY: "duplicate"}, loaded=jan_lines(),
         messages={COPY: f"same content as {PREFIX}{JAN}: not counted again"}),
    Case("corrected_redelivery", (FEB, FEB_FIX, MAR), {FEB: "superseded", FEB_FIX: "loaded", MAR: "loaded"},
         loaded=(*(Line(FEB_FIX, r, e) for r, e in zip(range(2, 6), FEB_FIX_ROWS, strict=True)),
                 Line(MAR, 2, "3480.25")),
         superseded={FEB: FEB_ROWS},
         messages={FEB: f"replaced by the later delivery {PREFIX}{FEB_FIX} of period 2024-02"}),
    # The same three files, but the correction arrived first: modification time decides, not the name.
    Case("corrected_redelivery_arrives_first", (FEB_FIX, FEB, MAR),
         {FEB_FIX: "superseded", FEB: "loaded", MAR: "loaded"}, folder="corrected_redelivery",
         loaded=(*(Line(FEB, r, e) for r, e in zip(range(2, 5), FEB_ROWS, strict=True)), Line(MAR, 2, "3480.25")),
         superseded={FEB_FIX: FEB_FIX_ROWS},
         messages={FEB_FIX: f"replaced by the later delivery {PREFIX}{FEB} of period 2024-02"}),
    Case("broken_redelivery", (FEB, FEB_FIX), {FEB: "loaded", FEB_FIX: "rejected"},
         loaded=tuple(Line(FEB, r, e) for r, e in zip(range(2, 5), FEB_ROWS, strict=True)),
         messages={FEB_FIX: f"{PREFIX}{FEB_FIX}: required column(s) ['Bedrag excl. btw'] not in the file{FILE_HAS}"}),
    Case("invalid_identifiers", (JAN,), {JAN: "loaded"},
         loaded=tuple(Line(JAN, r, e) for r, e in
                      zip(range(2, 7), ("100.00", "200.00", "300.00", "400.00", "500.00"), strict=True)),
         issues=(Issue(JAN, 2, "iban", "iban_invalid"), Issue(JAN, 3, "vat_number", "vat_number_invalid"),
                 Issue(JAN, 4, "kvk_number", "kvk_number_invalid"), Issue(JAN, 5, "kvk_number", "kvk_number_invalid"),
                 Issue(JAN, 5, "vat_number", "vat_number_invalid"), Issue(JAN, 5, "iban", "iban_invalid")),
         check=check_identifiers),
    Case("non_eur_currency", (JAN,), {JAN: "loaded"},
         loaded=(Line(JAN, 2, "100.00"), Line(JAN, 4, "200.00"), Line(JAN, 5, "300.00")),
         rejected=(Rej(JAN, 3, "Valuta", "currency_unsupported", None,
                       "currency USD is not EUR and no exchange rate is configured"),),
         check=check_currency),
    Case("duplicate_lines_in_file", (JAN,), {JAN: "loaded"},
         loaded=(Line(JAN, 2, "100.00"), Line(JAN, 3, "50.00"), Line(JAN, 5, "75.00")),
         rejected=(Rej(JAN, 4, "Factuurnummer", "duplicate_line", "100.00",
                       f"duplicate invoice line: already delivered in {PREFIX}{JAN} row 2"),)),
    Case("duplicate_lines_across_files", (JAN, FEB), {JAN: "loaded", FEB: "loaded"},
         loaded=(*jan_lines(), Line(FEB, 2, "845.00"), Line(FEB, 4, "2100.00"), Line(FEB, 5, "-100.00")),
         rejected=(Rej(FEB, 3, "Factuurnummer", "duplicate_line", "3480.25",
                       f"duplicate invoice line: already delivered in {PREFIX}{JAN} row 3"),)),
    Case("ragged_row", (JAN,), {JAN: "rejected"},
         messages={JAN: f"{PREFIX}{JAN}: the file cannot be read as csv: Error tokenizing data. "
                        "C error: Expected 14 fields in line 3, saw 15"}),
]

# Cases that once showed bugs in ingestion/exports.py (found with this corpus, since fixed).
CASES += [
    Case("blank_line_in_csv", (JAN,), {JAN: "loaded"},
         loaded=(Line(JAN, 2, "1250.00"), Line(JAN, 4, "3480.25"), Line(JAN, 5, "-150.00"))),
    Case("decimal_point_amount", (JAN,), {JAN: "loaded"}, loaded=(Line(JAN, 4, "1234.56"),),
         rejected=(Rej(JAN, 2, "Bedrag excl. btw", "amount_invalid", None),
                   Rej(JAN, 3, "Bedrag excl. btw", "amount_invalid", None))),
    Case("totals_then_empty_row", (JAN,), {JAN: "loaded"}, loaded=TOTALS_LINES),
    Case("vat_number_without_prefix", (JAN,), {JAN: "loaded"},
         loaded=(Line(JAN, 2, "845.00"), Line(JAN, 3, "2100.00")),
         issues=(Issue(JAN, 3, "vat_number", "vat_number_invalid"),), check=check_vat_without_prefix),
]


def _params():
    for case in CASES:
        yield pytest.param(case, id=case.name)


# --- running a case ----------------------------------------------------------------------------------


def case_config(case: Case, tmp_path: Path):
    raw = yaml.safe_load((CORPUS / "corpus.yaml").read_text(encoding="utf-8"))
    override = CASES_DIR / (case.folder or case.name) / "override.yaml"
    if override.exists():
        raw.update(yaml.safe_load(override.read_text(encoding="utf-8")))
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    path = config_dir / "corpus.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_anchor_config(path)


def deliver(case: Case, tmp_path: Path) -> Path:
    """Copy the case's files into tmp_path/landing/corpus/ with modification times in delivery order."""
    folder = CASES_DIR / (case.folder or case.name)
    delivered = sorted(p.name for p in folder.iterdir() if p.name != "override.yaml")
    assert sorted(case.order) == delivered, "the case must name every file in its folder"
    target = tmp_path / "landing" / "corpus"
    target.mkdir(parents=True)
    for i, name in enumerate(case.order):
        shutil.copyfile(folder / name, target / name)
        os.utime(target / name, (T0 + 3600 * i, T0 + 3600 * i))
    return tmp_path / "landing"


def expected_delivery(case: Case, file: str) -> dict:
    status = case.status[file]
    if status in ("duplicate", "rejected"):
        return dict(status=status, rows_read=None, rows_loaded=None, rows_rejected=None, rows_superseded=None,
                    cents_read=None, cents_loaded=None, cents_rejected=None, cents_superseded=None)
    loaded = [cents(x.euros) for x in case.loaded if x.file == file]
    rejected = [x for x in case.rejected if x.file == file]
    rejected_cents = [cents(x.euros) for x in rejected if x.euros is not None]
    superseded = [cents(e) for e in case.superseded.get(file, ())]
    return dict(
        status=status,
        rows_read=len(loaded) + len(rejected) + len(superseded),
        rows_loaded=len(loaded), rows_rejected=len(rejected), rows_superseded=len(superseded),
        cents_read=sum(loaded) + sum(rejected_cents) + sum(superseded),
        cents_loaded=sum(loaded), cents_rejected=sum(rejected_cents), cents_superseded=sum(superseded),
    )


@pytest.mark.parametrize("case", list(_params()))
def test_corpus_case(case: Case, tmp_path):
    cfg = case_config(case, tmp_path)
    load = read_anchor(cfg, deliver(case, tmp_path))
    result = load.result

    # The delivery log: every file, in delivery order, with its status, counts and euros.
    assert [d.source_file for d in load.deliveries] == [PREFIX + f for f in case.order]
    for d in load.deliveries:
        file = d.source_file.removeprefix(PREFIX)
        got = {k: getattr(d, k) for k in expected_delivery(case, file)}
        assert got == expected_delivery(case, file), file
        assert d.reconciles(), file
        if d.rows_read is not None:
            assert d.rows_read == d.rows_loaded + d.rows_rejected + d.rows_superseded
            assert d.cents_read == d.cents_loaded + d.cents_rejected + d.cents_superseded
        expected_message = case.messages.get(file)
        if expected_message is None:
            assert d.reason is None if d.status == "loaded" else d.reason, file
        elif isinstance(expected_message, str):
            assert d.reason == expected_message
        else:
            for part in expected_message:
                assert part in d.reason, (part, d.reason)
        if d.status == "duplicate":
            assert d.duplicate_of and d.duplicate_of in d.reason
        if d.status == "superseded":
            assert d.superseded_by and d.superseded_by in d.reason
            assert d.declared_period is not None

    # The lines that loaded, and their euros, row by row.
    acc = result.accepted
    got_lines = sorted(zip(acc["source_file"], acc["source_row"], acc["amount_excl_vat_cents"], strict=True))
    assert got_lines == sorted((PREFIX + x.file, x.row, cents(x.euros)) for x in case.loaded)

    # The exact rejected rows.
    rej = result.rejected
    got_rej = sorted(zip(rej["source_file"], rej["source_row"], rej["column"], rej["reason_code"],
                         [None if pd.isna(v) else int(v) for v in rej["amount_cents"]], strict=True))
    want_rej = sorted((PREFIX + x.file, x.row, x.column, x.code, None if x.euros is None else cents(x.euros))
                      for x in case.rejected)
    assert got_rej == want_rej
    for x in case.rejected:
        if x.reason:
            reason = rej[(rej["source_file"] == PREFIX + x.file) & (rej["source_row"] == x.row)]["reason"].iloc[0]
            assert x.reason in reason

    # Field issues: the row loads, the field is emptied and the problem recorded.
    iss = result.field_issues
    got_issues = sorted(zip(iss["source_file"], iss["source_row"], iss["field"], iss["reason_code"], strict=True))
    assert got_issues == sorted((PREFIX + x.file, x.row, x.field, x.code) for x in case.issues)

    # The whole anchor: read = loaded + rejected over the active files, and every file's rows and
    # euros end in exactly one place (loaded, rejected or superseded).
    loaded_cents = sum(cents(x.euros) for x in case.loaded)
    rejected_cents = sum(cents(x.euros) for x in case.rejected if x.euros is not None)
    superseded_cents = sum(cents(e) for rows in case.superseded.values() for e in rows)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (
        len(case.loaded) + len(case.rejected), len(case.loaded), len(case.rejected))
    assert (result.cents_read, result.cents_accepted, result.cents_rejected) == (
        loaded_cents + rejected_cents, loaded_cents, rejected_cents)
    assert result.rows_read == result.rows_accepted + result.rows_rejected
    assert result.cents_read == result.cents_accepted + result.cents_rejected
    counted = [d for d in load.deliveries if d.rows_read is not None]
    assert sum(d.rows_read for d in counted) == result.rows_read + sum(len(r) for r in case.superseded.values())
    assert sum(d.cents_read for d in counted) == result.cents_read + superseded_cents
    assert sum(d.rows_superseded for d in counted) == sum(len(r) for r in case.superseded.values())
    assert sum(d.cents_superseded for d in counted) == superseded_cents

    if case.check:
        case.check(load)


# --- the corpus itself -------------------------------------------------------------------------------


def test_every_case_folder_is_tested_and_documented():
    folders = {p.name for p in CASES_DIR.iterdir() if p.is_dir()}
    assert folders == {c.folder or c.name for c in CASES}
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", readme, flags=re.MULTILINE))
    assert documented == {c.name for c in CASES}


def test_committed_corpus_is_what_make_corpus_writes(tmp_path):
    """The committed files are exactly the generator's output (so they can be regenerated)."""
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "cases"
    module.write_corpus(out)
    fresh = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    committed = {p.relative_to(CASES_DIR): p.read_bytes() for p in CASES_DIR.rglob("*") if p.is_file()}
    assert sorted(fresh) == sorted(committed)
    changed = [str(k) for k in fresh if fresh[k] != committed[k]]
    assert not changed, f"regenerate with: python tests/corpus/make_corpus.py ({changed})"
