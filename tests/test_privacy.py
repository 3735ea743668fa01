"""Privacy scan: no name of a natural person and no invoice free text leaves the raw layer.

Names of natural persons: the sole traders and partnerships of the sample's KvK register (rechtsvorm
Eenmanszaak, Vennootschap onder firma, Maatschap, Commanditaire vennootschap: statutaire naam, eerste
handelsnaam and every handelsnaam) plus the anchors' own spellings of those creditors
(raw.invoice_lines.supplier_name of the creditors whose true establishment, per the generator's ground
truth, is one of them). A name that is also part of a legal entity's name in the register (e.g. the
trade name "Kaya Bakkerij" of a sole trader and "Kaya Bakkerij B.V.") is left out: the marts may show
legal entities' names, and the two cannot be told apart as text. The scan is case-insensitive and finds
a name anywhere inside a cell.

Scanned: every text column of every mart, every cell (and the name) of every sheet of the Excel
workbook, every column of every Parquet export (read back with DuckDB) and the dashboard HTML (also
with its HTML and JSON escapes decoded). The same for a sample of distinctive invoice descriptions
(free text, raw layer only). The scanner itself is shown to find a planted name in each kind of file
(`test_scanner_finds_a_planted_name_in_every_kind_of_file`) and, on the sample, to find the names in
the raw layer where they do belong (`test_privacy_scan_of_the_sample`): a scan that cannot fail would
prove nothing.
"""

from __future__ import annotations

import html
import random
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

NATURAL_PERSON_FORMS = ("Eenmanszaak", "Vennootschap onder firma", "Maatschap", "Commanditaire vennootschap")
N_DESCRIPTIONS = 400
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")

Cell = tuple[str, str]  # (where, text)


@dataclass(frozen=True)
class Hit:
    needle: str
    source: str
    where: str
    text: str


class Scanner:
    """Finds any of a set of strings (case-insensitive, anywhere in a cell) in many cells at once."""

    def __init__(self, needles: Iterable[str]):
        self.needles = sorted({n.strip().casefold() for n in needles if n and n.strip()})
        self.cells_scanned: dict[str, int] = {}
        self.chars_scanned: dict[str, int] = {}

    def scan(self, source: str, cells: Iterable[Cell]) -> list[Hit]:
        wheres: list[str] = []
        texts: list[str] = []
        for where, text in cells:
            wheres.append(where)
            texts.append(text)
        self.cells_scanned[source] = self.cells_scanned.get(source, 0) + len(texts)
        self.chars_scanned[source] = self.chars_scanned.get(source, 0) + sum(map(len, texts))
        folded = [t.casefold() for t in texts]
        blob = "\0".join(folded)  # no name contains NUL: a match stays within one cell
        starts: list[int] | None = None
        hits = []
        for needle in self.needles:
            i = blob.find(needle)
            if i >= 0:
                if starts is None:  # where each cell starts in the blob, computed once when needed
                    starts = list(accumulate((len(t) + 1 for t in folded[:-1]), initial=0))
                cell = bisect_right(starts, i) - 1
                hits.append(Hit(needle, source, wheres[cell], texts[cell][:200]))
        return hits


# --------------------------------------------------------------------------------------------------
# Readers: every text cell of each kind of output
# --------------------------------------------------------------------------------------------------

def warehouse_cells(warehouse: Path, schema: str) -> Iterator[Cell]:
    """Every non-NULL value of every text column of every table and view in the schema."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = ? and data_type = 'VARCHAR' order by table_name, ordinal_position",
            [schema]).fetchall()
        assert columns, f"no text columns in schema {schema}"
        for table, column in columns:
            for (value,) in con.execute(
                    f'select "{column}" from {schema}."{table}" where "{column}" is not null').fetchall():
                yield f"{schema}.{table}.{column}", value


def excel_cells(path: Path) -> Iterator[Cell]:
    """Every sheet name and every non-empty cell, as text, of every sheet."""
    wb = CalamineWorkbook.from_path(str(path))
    for sheet in wb.sheet_names:
        yield f"{path.name}:sheet name", sheet
        for r, row in enumerate(wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)):
            for c, value in enumerate(row):
                if value not in ("", None):
                    yield f"{path.name}:{sheet}!R{r + 1}C{c + 1}", str(value)


def parquet_cells(paths: Iterable[Path]) -> Iterator[Cell]:
    """Every non-NULL value of every column (cast to text) and the key-value metadata of each file."""
    with duckdb.connect() as con:
        for path in paths:
            f = str(path).replace("'", "''")
            columns = [r[0] for r in con.execute(f"describe select * from read_parquet('{f}')").fetchall()]
            for column in columns:
                for (value,) in con.execute(f"""select "{column}"::varchar from read_parquet('{f}')
                                                where "{column}" is not null""").fetchall():
                    yield f"{path.name}:{column}", value
            for key, value in con.execute(f"select key::varchar, value::varchar from parquet_kv_metadata('{f}')"
                                          ).fetchall():
                yield f"{path.name}:kv {key}", value


def html_cells(path: Path) -> Iterator[Cell]:
    """The HTML as written, and with HTML entities and JSON \\uXXXX escapes decoded."""
    raw = path.read_text(encoding="utf-8")
    yield f"{path.name} (as written)", raw
    decoded = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), html.unescape(raw)).replace("\\/", "/")
    yield f"{path.name} (decoded)", decoded


# --------------------------------------------------------------------------------------------------
# The scanner can fail
# --------------------------------------------------------------------------------------------------

PLANTED = "Bakkerij J. de Vries-Öztürk & Zn"


def test_scanner_finds_a_planted_name_in_every_kind_of_file(tmp_path):
    scanner = Scanner([PLANTED, "   ", ""])
    assert scanner.needles == [PLANTED.casefold()]
    shouting = f"FACTUUR VAN {PLANTED.upper()} (NW)"

    wh = tmp_path / "wh.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_clean as select 'Stichting Buurtwerk' as organisation_name, 1 as n")
        con.execute("create table marts.fct_leaky as select * from (values (1, NULL), (2, ?)) t(n, supplier)",
                    [shouting])
        con.execute(f"copy marts.fct_leaky to '{tmp_path / 'leaky.parquet'}' (format parquet)")
        con.execute(f"copy marts.fct_clean to '{tmp_path / 'clean.parquet'}' (format parquet)")
    wb = xlsxwriter.Workbook(str(tmp_path / "leaky.xlsx"))
    wb.add_worksheet("Schoon").write_row(0, 0, ["Organisatie", "Stichting Buurtwerk"])
    wb.add_worksheet("Lek").write(3, 2, shouting.lower())
    wb.close()
    (tmp_path / "leaky.html").write_text(
        '<script>var d = {"name": "' + PLANTED.replace("&", "\\u0026") + '"};</script>', encoding="utf-8")
    (tmp_path / "entity.html").write_text(f"<td>{html.escape(PLANTED)}</td>", encoding="utf-8")
    (tmp_path / "clean.html").write_text("<td>Bakkerij J. de Vries B.V.</td>", encoding="utf-8")

    hits = scanner.scan("marts", warehouse_cells(wh, "marts"))
    assert [(h.where, h.text) for h in hits] == [("marts.fct_leaky.supplier", shouting)]
    hits = scanner.scan("parquet", parquet_cells([tmp_path / "clean.parquet", tmp_path / "leaky.parquet"]))
    assert [h.where for h in hits] == ["leaky.parquet:supplier"]
    hits = scanner.scan("excel", excel_cells(tmp_path / "leaky.xlsx"))
    assert [h.where for h in hits] == ["leaky.xlsx:Lek!R4C3"]
    assert [h.where for h in scanner.scan("html", html_cells(tmp_path / "leaky.html"))] == ["leaky.html (decoded)"]
    assert [h.where for h in scanner.scan("html", html_cells(tmp_path / "entity.html"))] == ["entity.html (decoded)"]
    assert scanner.scan("html", html_cells(tmp_path / "clean.html")) == []
    assert scanner.scan("parquet", parquet_cells([tmp_path / "clean.parquet"])) == []
    assert scanner.cells_scanned["marts"] == 2  # text columns only, NULLs skipped


# --------------------------------------------------------------------------------------------------
# The sample
# --------------------------------------------------------------------------------------------------

def _names(frame: pd.DataFrame) -> set[str]:
    names = {n for col in ("statutaire_naam", "eerste_handelsnaam") for n in frame[col] if n}
    return names | {n for h in frame["handelsnamen"] for n in h.split("|") if n}


@dataclass
class ScanInput:
    register_names: set[str]
    anchor_spellings: set[str]
    names: set[str]  # what is scanned for
    left_out: set[str]  # also part of a legal entity's name
    descriptions: list[str]


@pytest.fixture(scope="module")
def scan_input(pipeline) -> ScanInput:
    _, data, warehouse, _ = pipeline
    register = pd.read_csv(data / "landing" / "kvk" / "vestigingen.csv", dtype=str, keep_default_na=False)
    persons = register[register["rechtsvorm"].isin(NATURAL_PERSON_FORMS)]
    legal = register[~register["rechtsvorm"].isin(NATURAL_PERSON_FORMS)]
    assert len(persons) > 0 and len(legal) > 0
    register_names = _names(persons)

    creditors = pd.read_csv(data / "ground_truth" / "creditors.csv", dtype=str, keep_default_na=False)
    person_creditors = creditors[creditors["vestigingsnummer"].isin(set(persons["vestigingsnummer"]))]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.register("person_creditors", person_creditors[["anchor_code", "supplier_ref"]])
        spellings = {n for (n,) in con.execute(
            "select distinct l.supplier_name from raw.invoice_lines l join person_creditors p "
            "using (anchor_code, supplier_ref) where l.supplier_name is not null").fetchall()}
        descriptions = sorted(d for (d,) in con.execute(
            "select distinct description from raw.invoice_lines where description is not null").fetchall())
    assert spellings, "the anchors pay sole traders and partnerships in the sample"

    legal_blob = "\0".join(n.casefold() for n in _names(legal))
    candidates = register_names | spellings
    left_out = {n for n in candidates if n.strip().casefold() in legal_blob}
    # Distinctive free text: the descriptions with an order, project or file number (not a year), and
    # some of the rest; a fixed sample so a failure reproduces.
    numbered = [d for d in descriptions
                if any(not 2000 <= int(n) <= 2035 for n in re.findall(r"\b\d{4,5}\b", d))]
    numbered_set = set(numbered)
    others = [d for d in descriptions if d not in numbered_set and len(d) >= 12]
    rng = random.Random(6)
    sample = (rng.sample(numbered, min(len(numbered), N_DESCRIPTIONS * 3 // 4))
              + rng.sample(others, min(len(others), N_DESCRIPTIONS // 4)))
    assert len(sample) >= 200
    return ScanInput(register_names, spellings, candidates - left_out, left_out, sample)


def test_privacy_scan_of_the_sample(pipeline, scan_input):
    _, _, warehouse, out = pipeline
    exports = out / "exports"
    workbook = exports / "cwb_marts.xlsx"
    parquet_files = sorted((exports / "parquet").glob("*.parquet"))
    dashboard = out / "dashboard.html"
    assert workbook.exists() and dashboard.exists()
    assert len(parquet_files) >= 21
    with duckdb.connect(str(warehouse), read_only=True) as con:
        n_marts = con.execute("select count(*) from information_schema.tables where table_schema = 'marts'"
                              ).fetchone()[0]
    assert len(parquet_files) == n_marts

    names = Scanner(scan_input.names)
    texts = Scanner(scan_input.descriptions)
    hits: list[Hit] = []
    for scanner in (names, texts):
        hits += scanner.scan("marts", warehouse_cells(warehouse, "marts"))
        hits += scanner.scan("excel", excel_cells(workbook))
        hits += scanner.scan("parquet", parquet_cells(parquet_files))
        hits += scanner.scan("dashboard", html_cells(dashboard))

    # The control: the same readers and scanner do find the names and the free text where they belong.
    found_raw = {h.needle for h in Scanner(scan_input.anchor_spellings).scan(
        "raw", warehouse_cells(warehouse, "raw"))}
    found_raw_text = Scanner(scan_input.descriptions[:20]).scan("raw", warehouse_cells(warehouse, "raw"))

    print(f"\nprivacy scan: {len(scan_input.names)} names of natural persons "
          f"({len(scan_input.register_names)} from the KvK register, {len(scan_input.anchor_spellings)} "
          f"anchor spellings; {len(scan_input.left_out)} left out as part of a legal entity's name) and "
          f"{len(scan_input.descriptions)} invoice descriptions; cells scanned: "
          + ", ".join(f"{src} {n:,} ({names.chars_scanned[src]:,} characters)"
                      for src, n in names.cells_scanned.items())
          + f"; {len(hits)} hits")
    assert len(scan_input.names) >= 20  # 58 on the 2 % sample, 1,300 on the full one
    assert len(scan_input.left_out) <= 0.05 * (len(scan_input.register_names) + len(scan_input.anchor_spellings))
    assert names.cells_scanned["marts"] > 10_000 and names.cells_scanned["parquet"] > 10_000
    assert names.cells_scanned["excel"] > 1_000
    assert len(found_raw) >= 0.9 * len({n.casefold() for n in scan_input.anchor_spellings})
    assert len(found_raw_text) == 20
    assert not hits, "\n".join(f"{h.source}: {h.needle!r} in {h.where}: {h.text!r}" for h in hits[:30])
