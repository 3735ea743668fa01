"""Privacy by design (docs/architecture.md, "Privacy"), on the 2 % sample the pipeline fixture builds.

1. Privacy scan: no name of a natural person and no invoice free text leaves the restricted layers (raw,
   resolution): not in any other relation of the warehouse (staging, intermediate, marts, publication,
   reference, programme), any export file (Excel, Parquet, Koop Lokaal CSV/JSON) or the dashboard.
2. Pseudonyms: the register's sole traders and partnerships and the creditors tied to them carry the keyed
   pseudonym ingestion.privacy.pseudonym computes (the same at every anchor and in the register); a second
   dbt run gives the same pseudonyms, another salt other ones, and the salt is in no dbt artefact or log.
3. Suppression, checked against an independent computation from the line-level mart and the generator's
   ground truth (which creditors are natural persons): every cell that the threshold rule flags for a true
   sole trader is suppressed in the publication views, no published figure equals that sole trader's
   income in such a cell, the hidden remainder behind every published total is itself safe, and the
   dashboard's mapping of flags to figures (dashboards/data.py WITHHELD_BY) matches the publication views.

Names of natural persons: the sole traders and partnerships of the sample's KvK register (rechtsvorm
Eenmanszaak, Vennootschap onder firma, Maatschap, Commanditaire vennootschap: statutaire naam, eerste
handelsnaam and every handelsnaam) plus the anchors' own spellings of those creditors
(raw.invoice_lines.supplier_name of the creditors whose true establishment, per the generator's ground
truth, is one of them). A name that is also part of a legal entity's name in the register (e.g. the
trade name "Kaya Bakkerij" of a sole trader and "Kaya Bakkerij B.V.") is left out: the marts may show
legal entities' names, and the two cannot be told apart as text. The scan is case-insensitive and finds
a name anywhere inside a cell.

Scanned: every text column of every relation outside raw and resolution, every cell (and the name) of
every sheet of the Excel workbook, every column of every Parquet export (read back with DuckDB), the Koop
Lokaal files and the dashboard HTML (also with its HTML and JSON escapes decoded). The same for a sample
of distinctive invoice descriptions
(free text, raw layer only). The scanner itself is shown to find a planted name in each kind of file
(`test_scanner_finds_a_planted_name_in_every_kind_of_file`) and, on the sample, to find the names in
the raw layer where they do belong (`test_privacy_scan_of_the_sample`): a scan that cannot fail would
prove nothing.
"""

from __future__ import annotations

import html
import os
import random
import re
import shutil
import subprocess
import sys
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

from dashboards.data import WITHHELD_BY
from ingestion.privacy import SALT_ENV, SAMPLE_SALT, keyed_key, pseudonym

NATURAL_PERSON_FORMS = ("Eenmanszaak", "Vennootschap onder firma", "Maatschap", "Commanditaire vennootschap")
ROOT = Path(__file__).resolve().parent.parent
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
    directory = sorted((out / "koop_lokaal").glob("leveranciers.*"))
    assert workbook.exists() and dashboard.exists() and len(directory) == 2
    assert len(parquet_files) >= 21
    with duckdb.connect(str(warehouse), read_only=True) as con:
        n_published = con.execute("select count(*) from information_schema.tables "
                                  "where table_schema = 'publication'").fetchone()[0]
        schemas = sorted({s for (s,) in con.execute("select distinct table_schema from information_schema.tables "
                                                    "where table_schema not in ('raw', 'resolution')").fetchall()})
    assert len(parquet_files) == n_published
    assert {"staging", "intermediate", "marts", "publication"} <= set(schemas)

    names = Scanner(scan_input.names)
    texts = Scanner(scan_input.descriptions)
    hits: list[Hit] = []
    for scanner in (names, texts):
        for schema in schemas:  # every relation beyond the restricted layers
            hits += scanner.scan(schema, warehouse_cells(warehouse, schema))
        hits += scanner.scan("excel", excel_cells(workbook))
        hits += scanner.scan("parquet", parquet_cells(parquet_files))
        hits += scanner.scan("koop lokaal", ((f.name, f.read_text(encoding="utf-8")) for f in directory))
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
    assert names.cells_scanned["marts"] > 10_000 and names.cells_scanned["parquet"] > 5_000
    assert names.cells_scanned["staging"] > 10_000 and names.cells_scanned["intermediate"] > 10_000
    assert names.cells_scanned["excel"] > 1_000
    assert len(found_raw) >= 0.9 * len({n.casefold() for n in scan_input.anchor_spellings})
    assert len(found_raw_text) == 20
    assert not hits, "\n".join(f"{h.source}: {h.needle!r} in {h.where}: {h.text!r}" for h in hits[:30])


# --------------------------------------------------------------------------------------------------
# Pseudonyms
# --------------------------------------------------------------------------------------------------

# The salt the pipeline used: the public sample salt, unless the developer's environment sets one.
SALT = os.environ.get(SALT_ENV) or SAMPLE_SALT
LABELS = {"Eenmanszaak": "Eenmanszaak", "Vennootschap onder firma": "VOF", "Maatschap": "Maatschap",
          "Commanditaire vennootschap": "CV"}


def _pseudonyms(warehouse: Path) -> tuple[dict[str, tuple[str, str, str]], dict[tuple[str, str], str]]:
    """vestigingsnummer -> (legal_name, trade_name, trade_names) of the register's natural persons in
    staging, and (anchor, creditor) -> supplier_name of the creditors staging treats as natural persons."""
    forms = ", ".join(f"'{f}'" for f in NATURAL_PERSON_FORMS)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        register = {v: (a, b, c) for v, a, b, c in con.execute(f"""
            select s.vestigingsnummer, s.legal_name, s.trade_name, s.trade_names
            from staging.stg_kvk__establishments s join raw.kvk_establishments r using (vestigingsnummer)
            where r.rechtsvorm in ({forms})""").fetchall()}
        creditors = {(a, r): n for a, r, n in con.execute(
            "select anchor_code, supplier_ref, supplier_name from staging.stg_resolution__supplier_matches "
            "where is_natural_person").fetchall()}
    return register, creditors


def test_natural_persons_carry_their_keyed_pseudonym(pipeline):
    _, data, warehouse, _ = pipeline
    register = pd.read_csv(data / "landing" / "kvk" / "vestigingen.csv", dtype=str, keep_default_na=False)
    persons = register[register["rechtsvorm"].isin(NATURAL_PERSON_FORMS)]
    staged, creditors = _pseudonyms(warehouse)
    assert len(staged) == len(persons) > 20
    for r in persons.itertuples():
        want = pseudonym(LABELS[r.rechtsvorm], f"kvk:{r.kvk_nummer}", SALT)
        # every name the register holds becomes the pseudonym (a sole trader often has no statutaire naam)
        assert staged[r.vestigingsnummer] == tuple(want if n else None for n in (
            r.statutaire_naam, r.eerste_handelsnaam, r.handelsnamen)), r.vestigingsnummer
    # the creditors the anchors pay for those establishments: the same pseudonym, at every anchor
    with duckdb.connect(str(warehouse), read_only=True) as con:
        resolved = con.execute("""
            select m.anchor_code, m.supplier_ref, m.kvk_number, s.supplier_name, r.rechtsvorm
            from resolution.supplier_matches m
            join staging.stg_resolution__supplier_matches s using (anchor_code, supplier_ref)
            join raw.kvk_establishments r on r.vestigingsnummer = m.vestigingsnummer
            where m.status = 'auto_accepted'""").df()
    natural = resolved[resolved["rechtsvorm"].isin(NATURAL_PERSON_FORMS)]
    assert len(natural) > 10
    for r in natural.itertuples():
        assert r.supplier_name == pseudonym(LABELS[r.rechtsvorm], f"kvk:{r.kvk_number}", SALT)
    in_two = natural.groupby("kvk_number").filter(lambda g: g["anchor_code"].nunique() >= 2)
    assert in_two["kvk_number"].nunique() >= 1, "the sample has sole traders paid by two anchors"
    assert (in_two.groupby("kvk_number")["supplier_name"].nunique() == 1).all()
    # creditors without an establishment are pseudonymised per anchor and creditor number
    unresolved = {k: v for k, v in creditors.items() if v and v.startswith("Leverancier ")}
    for (anchor, ref), name in unresolved.items():
        assert name == pseudonym("Leverancier", f"crediteur:{anchor}|{ref}", SALT)


def test_pseudonyms_are_stable_keyed_and_the_salt_is_never_written(pipeline, tmp_path):
    """A second dbt run of the staging models gives the same pseudonyms; another salt gives other ones
    (a legal entity's name stays); no dbt artefact or log holds the salt."""
    _, data, warehouse, _ = pipeline
    copy = tmp_path / "warehouse" / "cwb.duckdb"
    copy.parent.mkdir()
    shutil.copy(warehouse, copy)
    before_register, before_creditors = _pseudonyms(copy)
    dbt = Path(sys.executable).parent / "dbt"
    secret = "a-secret-salt-that-must-never-be-written-9f3c"

    def run(tag: str, extra_env: dict[str, str]) -> None:
        env = {**os.environ, "CWB_WAREHOUSE": str(copy), "CWB_DATA_DIR": str(data),
               "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra_env}
        proc = subprocess.run(
            [str(dbt), "run", "--select", "stg_kvk__establishments", "stg_resolution__supplier_matches",
             "--project-dir", "dbt_project", "--profiles-dir", "dbt_project", "--target-path",
             str(tmp_path / f"target_{tag}"), "--log-path", str(tmp_path / f"logs_{tag}"), "--log-level", "debug"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        assert secret not in proc.stdout + proc.stderr

    run("again", {})
    assert _pseudonyms(copy) == (before_register, before_creditors)

    run("secret", {"CWB_PSEUDONYM_SALT": secret})
    after_register, after_creditors = _pseudonyms(copy)
    assert after_register.keys() == before_register.keys()
    for v, names in before_register.items():
        shown = [(a, b) for a, b in zip(after_register[v], names, strict=True) if b is not None]
        assert shown and all(a != b and a.split(" ")[0] == b.split(" ")[0] for a, b in shown), v
    assert all(after_creditors[k] != n for k, n in before_creditors.items() if n)
    with duckdb.connect(str(copy), read_only=True) as con:
        legal = con.execute("select count(*) from staging.stg_kvk__establishments s "
                            "join raw.kvk_establishments r using (vestigingsnummer) "
                            "where not s.is_natural_person and s.legal_name = r.statutaire_naam").fetchone()[0]
    assert legal > 100
    written = [f for d in ("target_secret", "logs_secret") for f in (tmp_path / d).rglob("*") if f.is_file()]
    assert written and not [f for f in written if secret in f.read_text(encoding="utf-8", errors="replace")]


# --------------------------------------------------------------------------------------------------
# Suppression, against an independent computation
# --------------------------------------------------------------------------------------------------

@dataclass
class Truth:
    lines: pd.DataFrame  # anchor_code, year, supplier_ref, tier, is_influenceable, legal_form_group, cents, natural
    natural_creditors: set[tuple[str, str]]


@pytest.fixture(scope="module")
def truth(pipeline) -> Truth:
    """The lines (placement from the line-level mart) with who is truly a natural person, from the
    generator's ground truth (the creditor's true establishment) and the register's legal form."""
    _, data, warehouse, _ = pipeline
    register = pd.read_csv(data / "landing" / "kvk" / "vestigingen.csv", dtype=str, keep_default_na=False)
    creditors = pd.read_csv(data / "ground_truth" / "creditors.csv", dtype=str, keep_default_na=False)
    persons = set(register.loc[register["rechtsvorm"].isin(NATURAL_PERSON_FORMS), "vestigingsnummer"])
    natural = {(a, r) for a, r, v in creditors[["anchor_code", "supplier_ref", "vestigingsnummer"]].itertuples(
        index=False) if v in persons}
    groups = pd.read_csv(ROOT / "dbt_project" / "seeds" / "legal_form_groups.csv", dtype=str)
    group_of = dict(zip(groups["legal_form"].str.lower(), groups["legal_form_group"], strict=True))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lines = con.execute("""
            select anchor_code, year, supplier_ref, tier, is_influenceable, legal_form,
                   (amount_excl_vat * 100)::bigint as cents
            from marts.fct_invoice_lines""").df()
    lines["legal_form_group"] = [
        group_of.get(str(f).lower(), "unknown") if isinstance(f, str) else ("foreign" if t == "abroad" else "unknown")
        for f, t in zip(lines["legal_form"], lines["tier"], strict=True)]
    lines["natural"] = [(a, r) in natural for a, r in zip(lines["anchor_code"], lines["supplier_ref"], strict=True)]
    assert lines["natural"].any() and len(natural) > 10
    return Truth(lines, natural)


def must_suppress(cell: pd.DataFrame) -> bool:
    """The threshold rule, from the lines alone: a true natural person contributes (net amount not 0) and
    fewer than 3 creditors contribute at all. The platform's rule is stricter (it does not count suppliers
    whose amounts are published one by one, merges creditors of one organisation, treats unknown legal
    forms as natural persons and adds the p% rule), so every such cell must be suppressed."""
    net = cell.groupby("supplier_ref").agg(cents=("cents", "sum"), natural=("natural", "any"))
    net = net[net["cents"] != 0]
    return bool(net["natural"].any()) and len(net) < 3


def _income_cents(cell: pd.DataFrame) -> set[int]:
    net = cell[cell["natural"]].groupby("supplier_ref")["cents"].sum()
    return {int(abs(c)) for c in net if c != 0}


def test_cells_the_rule_flags_are_suppressed(pipeline, truth):
    """Tier cells per anchor x year x scope and the legal-form rows of the recipient mart: each cell the
    threshold rule flags for a true sole trader is NULL in the publication views and the Parquet exports,
    and no published amount of that table and anchor-year equals that sole trader's income."""
    _, _, warehouse, out = pipeline
    lines = truth.lines
    parquet = out / "exports" / "parquet"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tiers = con.execute(f"""
            select anchor_code, year, spend_scope, tier, (spend_eur * 100)::bigint as cents, is_suppressed
            from read_parquet('{parquet / "fct_local_spend_share.parquet"}') where period_grain = 'year'""").df()
        groups = con.execute(f"""
            select anchor_code, year, group_code, (spend_eur * 100)::bigint as cents,
                   (influenceable_spend_eur * 100)::bigint as infl_cents, is_suppressed
            from read_parquet('{parquet / "fct_spend_by_recipient_group.parquet"}')
            where dimension = 'legal_form_group'""").df()
        published = {}
        for table in ("fct_local_spend_share", "fct_spend_by_tier", "fct_spend_by_recipient_group",
                      "fct_sector_leakage", "fct_nieuw_west_progress"):
            f = parquet / f"{table}.parquet"
            cols = [c for (c, t, *_) in con.execute(f"describe select * from read_parquet('{f}')").fetchall()
                    if c.endswith("_eur") and t.startswith("DECIMAL")]
            for col in cols:
                for a, y, v in con.execute(f"select anchor_code, year, ({col} * 100)::bigint from read_parquet('{f}') "
                                           f"where {col} is not null").fetchall():
                    published.setdefault((a, int(y)), set()).add(abs(int(v)))
    tiers = tiers.set_index(["anchor_code", "year", "spend_scope", "tier"])
    groups = groups.set_index(["anchor_code", "year", "group_code"])
    flagged = 0
    for (a, y, tier), cell in lines.groupby(["anchor_code", "year", "tier"]):
        for scope, part in (("total", cell), ("influenceable", cell[cell["is_influenceable"]])):
            if must_suppress(part):
                flagged += 1
                row = tiers.loc[(a, y, scope, tier)]
                assert row["is_suppressed"] and pd.isna(row["cents"]), (a, y, scope, tier)
                assert not _income_cents(part) & published.get((a, y), set()), (a, y, scope, tier)
    for (a, y, group), cell in lines.groupby(["anchor_code", "year", "legal_form_group"]):
        if must_suppress(cell):
            flagged += 1
            row = groups.loc[(a, y, group)]
            assert row["is_suppressed"] and pd.isna(row["cents"]) and pd.isna(row["infl_cents"]), (a, y, group)
            assert not _income_cents(cell) & published.get((a, y), set()), (a, y, group)
    print(f"\nsuppression: {flagged} cells flagged by the independent threshold rule, all suppressed")
    assert flagged > 0  # the 2 % sample has such cells: the check can fail


def test_a_published_total_never_isolates_a_sole_trader(pipeline, truth):
    """Where a total is published (the anchor-year) and some of its parts are suppressed, the total minus
    the published parts is the hidden parts' sum: it must not be one sole trader's (or two creditors')
    money. Checked for the tiers of each anchor-year and for every dimension of the recipient mart."""
    _, _, warehouse, _ = pipeline
    lines = truth.lines
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tiers = con.execute("""select anchor_code, year, tier, is_suppressed, is_period_total_suppressed
            from publication.fct_local_spend_share where period_grain = 'year' and spend_scope = 'total'""").df()
        groups = con.execute("""select anchor_code, year, dimension, group_code, is_suppressed
            from publication.fct_spend_by_recipient_group""").df()
        classified = con.execute("""select anchor_code, invoice_year as year, supplier_ref,
                coalesce(sbi_section_code, 'unknown') as sbi_section, coalesce(sbi_division_code, 'unknown')
                as sbi_division, target_sector, legal_form_group, size_class, (amount_excl_vat * 100)::bigint as cents
            from intermediate.int_invoice_lines_classified""").df()
    classified["natural"] = [(a, r) in truth.natural_creditors
                             for a, r in zip(classified["anchor_code"], classified["supplier_ref"], strict=True)]
    checked = 0
    for (a, y), part in tiers.groupby(["anchor_code", "year"]):
        if part["is_period_total_suppressed"].any():
            continue
        hidden = set(part.loc[part["is_suppressed"], "tier"])
        cell = lines[(lines["anchor_code"] == a) & (lines["year"] == y) & lines["tier"].isin(hidden)]
        if hidden:
            checked += 1
            assert not must_suppress(cell), (a, y, hidden)
    for (a, y, dim), part in groups.groupby(["anchor_code", "year", "dimension"]):
        hidden = set(part.loc[part["is_suppressed"], "group_code"])
        if hidden:
            checked += 1
            cell = classified[(classified["anchor_code"] == a) & (classified["year"] == y)
                              & classified[dim].isin(hidden)]
            assert not must_suppress(cell), (a, y, dim, hidden)
    assert checked > 0


def test_the_dashboard_knows_which_flag_withholds_which_figure(pipeline):
    """dashboards/data.py WITHHELD_BY mirrors the publication views: a figure is NULL in publication but
    not in the mart exactly when one of its flags is TRUE (and the mart's figure is not NULL)."""
    _, _, warehouse, _ = pipeline
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for mart, columns in WITHHELD_BY.items():
            keys = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position", [mart]).fetchall()]
            assert keys, mart
            for column, flags in columns.items():
                flag_expr = " or ".join(f"m.{f}" for f in flags)
                rank = "m.supplier_rank" if mart == "fct_top_non_local_suppliers" else None
                join = " and ".join(f"m.{k} is not distinct from p.{k}" for k in keys
                                    if k not in columns and k != rank and not k.startswith("is_")
                                    and k not in ("supplier_rank",))
                bad = con.execute(f"""
                    select count(*) from marts.{mart} m join publication.{mart} p on {join}
                    where (p.{column} is null and m.{column} is not null) <> coalesce({flag_expr}, false)
                      and m.{column} is not null""").fetchone()[0]
                assert bad == 0, (mart, column)


def test_rows_of_one_natural_person_are_withheld_in_the_exports(pipeline, truth):
    """Every exported row that is one true sole trader's or partnership's money (by the ground truth: its
    organisation's KvK number, or the anchor's creditor number) has its amounts NULL, and its rank is not
    published; the top list's published ranks run 1, 2, 3, ... without gaps."""
    _, data, _, out = pipeline
    register = pd.read_csv(data / "landing" / "kvk" / "vestigingen.csv", dtype=str, keep_default_na=False)
    person_kvks = set(register.loc[register["rechtsvorm"].isin(NATURAL_PERSON_FORMS), "kvk_nummer"])
    keys = {keyed_key("organisation", k, salt=SALT) for k in person_kvks}
    parquet = out / "exports" / "parquet"
    checked: dict[str, int] = {}
    with duckdb.connect() as con:
        con.register("person_keys", pd.DataFrame({"supplier_key": sorted(keys)}))
        con.register("person_creditors", pd.DataFrame(sorted(truth.natural_creditors),
                                                      columns=["anchor_code", "supplier_ref"]))
        by_key = {"fct_top_non_local_suppliers": ["spend_eur", "influenceable_spend_eur", "supplier_rank"],
                  "fct_shared_suppliers": ["spend_eur", "influenceable_spend_eur"],
                  "fct_nieuw_west_establishments_by_sector": ["spend_all_anchors_eur",
                                                              "influenceable_spend_all_anchors_eur"]}
        by_creditor = {"fct_unresolved_suppliers": ["spend_eur", "rank_in_anchor"],
                       "fct_supplier_review_queue": ["spend_eur", "priority"],
                       "fct_credit_notes": ["amount_excl_vat"]}
        for table, columns in {**by_key, **by_creditor}.items():
            f = parquet / f"{table}.parquet"
            join = "using (supplier_key)" if table in by_key else "using (anchor_code, supplier_ref)"
            who = "person_keys" if table in by_key else "person_creditors"
            n, shown = con.execute(f"""
                select count(*), count(*) filter (where {" or ".join(f"{c} is not null" for c in columns)})
                from read_parquet('{f}') join {who} {join}""").fetchone()
            assert shown == 0, (table, shown)
            checked[table] = n
        ranks = con.execute(f"""select anchor_code, year, list(supplier_rank order by supplier_rank)
            from read_parquet('{parquet / "fct_top_non_local_suppliers.parquet"}') where supplier_rank is not null
            group by all""").fetchall()
    assert all(r == list(range(1, len(r) + 1)) for _, _, r in ranks)
    print(f"\nrows of one natural person, all withheld: {checked}")
    assert checked["fct_top_non_local_suppliers"] > 0 and checked["fct_nieuw_west_establishments_by_sector"] > 0
