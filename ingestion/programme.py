"""The programme's own inputs, kept by its analysts in ``landing/programme/``:

- ``cooperatives.yaml``: the co-operative pipeline register (action line 2): programme targets and each
  initiative with sector, phase 1-7 and the date each phase started, jobs (FTE, of which at a living
  wage), revenue, and its KvK number once registered;
- ``tenders.csv``: the anchors' tender calendar (action 1a.2): anchor, tender id, title, expected
  publication, estimated value, CPV code, lots ("|"-separated);
- ``fund.csv``: the investment instrument's ledger (action 3.3): date, party, kind (commitment or
  investment), initiative (for investments), amount.

Each file is read whole or not at all: these are small hand-kept files, so an error stops the load
with a message naming the file, the row (or entry) and the field, and nothing half-loaded reaches the
warehouse.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import yaml

TARGET_SECTORS = ("food", "energy_insulation", "care_welfare", "green_maintenance", "construction_maintenance",
                  "logistics")
TARGET_KEYS = ("worker_cooperatives", "large_cooperative_employees", "koop_lokaal_findable", "koop_lokaal_active",
               "investment_capacity_eur")
CPV_RE = re.compile(r"^[0-9]{8}-[0-9]$")
KVK_RE = re.compile(r"^[0-9]{8}$")
FILES = ("cooperatives.yaml", "tenders.csv", "fund.csv")


class ProgrammeInputError(ValueError):
    """A programme input that cannot be loaded; the message names file, row or entry, and field."""


@dataclass
class ProgrammeInputs:
    targets: pd.DataFrame
    initiatives: pd.DataFrame
    initiative_phases: pd.DataFrame
    tenders: pd.DataFrame
    tender_lots: pd.DataFrame
    fund_transactions: pd.DataFrame

    @classmethod
    def empty(cls) -> ProgrammeInputs:
        """No programme inputs (yet): every table present and empty."""
        return cls(*(pd.DataFrame(columns=list(TABLE_TYPES[name])) for name in (
            "targets", "initiatives", "initiative_phases", "tenders", "tender_lots", "fund_transactions")))

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"targets": self.targets, "initiatives": self.initiatives,
                "initiative_phases": self.initiative_phases, "tenders": self.tenders,
                "tender_lots": self.tender_lots, "fund_transactions": self.fund_transactions}


def _date(value, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ProgrammeInputError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


# The warehouse stores amounts as DECIMAL(18,2) and counts as INTEGER: larger values are typing errors.
MAX_NUMBER = 1e15
MAX_INTEGER = 2**31 - 1


def _number(value, where: str, minimum: float = 0.0, integer: bool = False,
            maximum: float | None = None) -> float | int:
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        raise ProgrammeInputError(f"{where}: {value!r} is not a number")
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ProgrammeInputError(f"{where}: {value!r} is not a number") from None
    maximum = maximum if maximum is not None else (MAX_INTEGER if integer else MAX_NUMBER)
    if number != number or number < minimum or number > maximum:  # NaN, too small, too large or infinite
        raise ProgrammeInputError(f"{where}: {value!r} must be a number from {minimum:g} to {maximum:g}")
    if integer:
        if number % 1:
            raise ProgrammeInputError(f"{where}: {value!r} must be a whole number")
        return int(number)
    return number


def _text(value, where: str) -> str | None:
    """A text field (a number written without quotes is text too); None when empty."""
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        raise ProgrammeInputError(f"{where}: {value!r} must be a text")
    return str(value).strip() or None


def _yes_no(value, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in ("", "false", "no", "nee", "n", "0"):
        return False
    if text in ("true", "yes", "ja", "j", "y", "1"):
        return True
    raise ProgrammeInputError(f"{where}: {value!r} is not yes or no (true/false, ja/nee)")


def read_register(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(targets, initiatives, initiative_phases) from the co-operative register."""
    name = path.name
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        raise ProgrammeInputError(f"{name}: not valid YAML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ProgrammeInputError(f"{name}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position "
                                  f"{exc.start})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("initiatives"), list):
        raise ProgrammeInputError(f"{name}: needs a list `initiatives` (and a mapping `targets`)")
    if not isinstance(doc.get("targets") or {}, dict):
        raise ProgrammeInputError(f"{name}: targets: must be a mapping of target names to `target` and `deadline`")
    targets = []
    for key, spec in (doc.get("targets") or {}).items():
        where = f"{name}: targets.{key}"
        if key not in TARGET_KEYS:
            raise ProgrammeInputError(f"{where}: unknown target (known: {', '.join(TARGET_KEYS)})")
        if not isinstance(spec, dict) or "target" not in spec:
            raise ProgrammeInputError(f"{where}: field `target` is missing")
        targets.append({"target_key": key, "target": _number(spec["target"], f"{where}.target"),
                        "deadline": _date(spec.get("deadline"), f"{where}.deadline"),
                        "note": _text(spec.get("note"), f"{where}.note")})
    initiatives, phases, seen = [], [], set()
    for n, entry in enumerate(doc["initiatives"], 1):
        if not isinstance(entry, dict):
            raise ProgrammeInputError(f"{name}: initiative {n}: must be a mapping of fields")
        key = str(entry.get("key") or "").strip()
        where = f"{name}: initiative {n} ({key or 'no key'})"
        if not re.fullmatch(r"[a-z0-9_]+", key):
            raise ProgrammeInputError(f"{where}, field key: lower-case letters, digits and _ only")
        if key in seen:
            raise ProgrammeInputError(f"{where}, field key: {key!r} appears twice")
        seen.add(key)
        if not _text(entry.get("name"), f"{where}, field name"):
            raise ProgrammeInputError(f"{where}, field name: empty")
        if entry.get("sector") not in TARGET_SECTORS:
            raise ProgrammeInputError(f"{where}, field sector: {entry.get('sector')!r} is not one of "
                                      f"{', '.join(TARGET_SECTORS)}")
        phase = _number(entry.get("phase"), f"{where}, field phase", 1, integer=True)
        if phase > 7:
            raise ProgrammeInputError(f"{where}, field phase: {phase} is not a phase 1-7")
        kvk = _text(entry.get("kvk_number"), f"{where}, field kvk_number")
        if kvk is not None and not KVK_RE.match(kvk):
            raise ProgrammeInputError(f"{where}, field kvk_number: {kvk!r} is not 8 digits")
        fte = _number(entry.get("fte", 0) or 0, f"{where}, field fte")
        fte_living = _number(entry.get("fte_living_wage", 0) or 0, f"{where}, field fte_living_wage")
        if fte_living > fte:
            raise ProgrammeInputError(f"{where}, field fte_living_wage: {fte_living:g} exceeds fte {fte:g}")
        potential = entry.get("potential_employees")
        initiatives.append({
            "initiative_key": key, "name": str(entry["name"]).strip(), "sector": entry["sector"], "phase": phase,
            "worker_cooperative": _yes_no(entry.get("worker_cooperative", False),
                                          f"{where}, field worker_cooperative"),
            "potential_employees": None if potential in (None, "") else _number(
                potential, f"{where}, field potential_employees", integer=True),
            "fte": fte, "fte_living_wage": fte_living,
            "revenue_eur": _number(entry.get("revenue_eur", 0) or 0, f"{where}, field revenue_eur"),
            "revenue_year": None if entry.get("revenue_year") in (None, "") else _number(
                entry["revenue_year"], f"{where}, field revenue_year", 2000, integer=True, maximum=2100),
            "kvk_number": kvk,
        })
        last = 0
        if not isinstance(entry.get("phases") or [], list):
            raise ProgrammeInputError(f"{where}, field phases: must be a list of `phase` and `started`")
        for m, ph in enumerate(entry.get("phases") or [], 1):
            pwhere = f"{where}, phases[{m}]"
            if not isinstance(ph, dict):
                raise ProgrammeInputError(f"{pwhere}: needs `phase` and `started`")
            number = _number(ph.get("phase"), f"{pwhere}, field phase", 1, integer=True)
            if number <= last or number > phase:
                raise ProgrammeInputError(f"{pwhere}, field phase: {number} must follow {last} and not exceed "
                                          f"the current phase {phase}")
            last = number
            phases.append({"initiative_key": key, "phase": number,
                           "started": _date(ph.get("started"), f"{pwhere}, field started")})
    return (pd.DataFrame(targets, columns=["target_key", "target", "deadline", "note"]),
            pd.DataFrame(initiatives, columns=list(TABLE_TYPES["initiatives"])),
            pd.DataFrame(phases, columns=["initiative_key", "phase", "started"]))


def _read_csv(path: Path, required: list[str]) -> pd.DataFrame:
    """The CSV as text cells (a missing cell is empty), with ``__row``: the row number a spreadsheet shows
    (header = row 1). Blank lines are dropped but keep their number. UTF-8, with or without a BOM."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
                         skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise ProgrammeInputError(f"{path.name}: the file is empty (it needs a header row)") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ProgrammeInputError(f"{path.name}: cannot be read as UTF-8 CSV ({detail})") from None
    if not isinstance(df.index, pd.RangeIndex):  # a first row longer than the header shifts every column
        raise ProgrammeInputError(f"{path.name}: cannot be read as UTF-8 CSV (row 2 has more fields than the "
                                  f"header)")
    df.columns = [str(c).strip() for c in df.columns]
    twice = sorted({c for c in df.columns if list(df.columns).count(c) > 1} & set(required))
    if twice:
        raise ProgrammeInputError(f"{path.name}: column(s) {', '.join(twice)} appear more than once")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ProgrammeInputError(f"{path.name}: missing column(s) {', '.join(missing)}")
    df["__row"] = range(2, len(df) + 2)
    return df[(df[required].apply(lambda c: c.str.strip()) != "").any(axis=1)]


def read_tenders(path: Path, anchor_codes: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    df = _read_csv(path, ["anchor_code", "tender_id", "title", "expected_publication", "estimated_value_eur",
                          "cpv_code", "lots"])
    rows, lots, seen = [], [], set()
    for r in df.to_dict("records"):
        where = f"{path.name}: row {r['__row']}"
        if r["anchor_code"] not in anchor_codes:
            raise ProgrammeInputError(f"{where}, field anchor_code: {r['anchor_code']!r} is not a configured anchor")
        tid = r["tender_id"].strip()
        if not tid or tid in seen:
            raise ProgrammeInputError(f"{where}, field tender_id: {'empty' if not tid else tid + ' appears twice'}")
        seen.add(tid)
        if not r["title"].strip():
            raise ProgrammeInputError(f"{where}, field title: empty")
        cpv = r["cpv_code"].strip()
        if not CPV_RE.match(cpv):
            raise ProgrammeInputError(f"{where}, field cpv_code: {cpv!r} is not a CPV code like 77310000-6")
        rows.append({"anchor_code": r["anchor_code"], "tender_id": tid, "title": r["title"].strip(),
                     "expected_publication": _date(r["expected_publication"], f"{where}, field expected_publication"),
                     "estimated_value_eur": _number(r["estimated_value_eur"], f"{where}, field estimated_value_eur"),
                     "cpv_code": cpv})
        for n, lot in enumerate([x.strip() for x in r["lots"].split("|") if x.strip()], 1):
            lots.append({"tender_id": tid, "lot_number": n, "lot_title": lot})
    return pd.DataFrame(rows), pd.DataFrame(lots, columns=["tender_id", "lot_number", "lot_title"])


def read_fund(path: Path, initiative_keys: set[str]) -> pd.DataFrame:
    df = _read_csv(path, ["date", "party", "kind", "initiative", "amount_eur"])
    rows = []
    for r in df.to_dict("records"):
        where = f"{path.name}: row {r['__row']}"
        if r["kind"] not in ("commitment", "investment"):
            raise ProgrammeInputError(f"{where}, field kind: {r['kind']!r} is not commitment or investment")
        initiative = r["initiative"].strip() or None
        if r["kind"] == "investment" and initiative not in initiative_keys:
            raise ProgrammeInputError(f"{where}, field initiative: an investment names an initiative of "
                                      f"cooperatives.yaml, not {initiative!r}")
        if not r["party"].strip():
            raise ProgrammeInputError(f"{where}, field party: empty")
        amount = _number(r["amount_eur"], f"{where}, field amount_eur")
        if amount <= 0:
            raise ProgrammeInputError(f"{where}, field amount_eur: must be more than 0")
        rows.append({"transaction_date": _date(r["date"], f"{where}, field date"), "party": r["party"].strip(),
                     "kind": r["kind"], "initiative_key": initiative, "amount_eur": amount})
    return pd.DataFrame(rows, columns=["transaction_date", "party", "kind", "initiative_key", "amount_eur"])


def read_programme(folder: Path, anchor_codes: set[str]) -> ProgrammeInputs:
    missing = [f for f in FILES if not (folder / f).is_file()]
    if missing:
        raise ProgrammeInputError(f"{folder}: missing {', '.join(missing)}")
    targets, initiatives, phases = read_register(folder / "cooperatives.yaml")
    tenders, lots = read_tenders(folder / "tenders.csv", anchor_codes)
    fund = read_fund(folder / "fund.csv", set(initiatives["initiative_key"]))
    return ProgrammeInputs(targets, initiatives, phases, tenders, lots, fund)


# The warehouse's programme tables (docs/architecture.md), typed here so that an empty input still
# gives a table of the right shape.
TABLE_TYPES = {
    "targets": {"target_key": "varchar", "target": "double", "deadline": "date", "note": "varchar"},
    "initiatives": {"initiative_key": "varchar", "name": "varchar", "sector": "varchar", "phase": "integer",
                    "worker_cooperative": "boolean", "potential_employees": "integer", "fte": "double",
                    "fte_living_wage": "double", "revenue_eur": "decimal(18,2)", "revenue_year": "integer",
                    "kvk_number": "varchar"},
    "initiative_phases": {"initiative_key": "varchar", "phase": "integer", "started": "date"},
    "tenders": {"anchor_code": "varchar", "tender_id": "varchar", "title": "varchar",
                "expected_publication": "date", "estimated_value_eur": "decimal(18,2)", "cpv_code": "varchar"},
    "tender_lots": {"tender_id": "varchar", "lot_number": "integer", "lot_title": "varchar"},
    "fund_transactions": {"transaction_date": "date", "party": "varchar", "kind": "varchar",
                          "initiative_key": "varchar", "amount_eur": "decimal(18,2)"},
}


def write_programme(con: duckdb.DuckDBPyConnection, inputs: ProgrammeInputs) -> dict[str, int]:
    """Replace the warehouse's programme tables in one transaction. Returns rows per table."""
    con.execute("create schema if not exists programme")
    counts = {}
    con.execute("begin transaction")
    try:
        for name, df in inputs.tables().items():
            types = TABLE_TYPES[name]
            columns = ", ".join(f"{c} {t}" for c, t in types.items())
            con.execute(f"create or replace table programme.{name} ({columns})")
            if len(df):
                df = df.astype(object).where(df.notna(), None)
                con.register("programme_df", df)
                select = ", ".join(f"cast({c} as {t}) as {c}" for c, t in types.items())
                con.execute(f"insert into programme.{name} by name select {select} from programme_df")
                con.unregister("programme_df")
            counts[name] = len(df)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return counts
