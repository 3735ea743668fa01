"""Per-anchor delivery configuration: one YAML file per anchor in ``ingestion/anchors/``.

Adding an anchor is adding a YAML file; the orchestration layer builds one asset per file found.
Every problem in a configuration file is reported with the file and the key that is wrong.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ANCHOR_CONFIG_DIR = Path(__file__).parent / "anchors"

# Canonical fields an export can map a header to (see docs/architecture.md).
CANONICAL_FIELDS = (
    "invoice_id",
    "invoice_line",
    "invoice_date",
    "booking_period",
    "supplier_ref",
    "supplier_name",
    "kvk_number",
    "vestigingsnummer",
    "vat_number",
    "iban",
    "supplier_street",
    "supplier_house_number",
    "supplier_postcode",
    "supplier_city",
    "supplier_country",
    "amount",
    "vat_amount",
    "vat_rate",
    "currency",
    "ledger_account",
    "cost_centre",
    "category",
    "cpv_code",
    "description",
)
REQUIRED_FIELDS = ("invoice_id", "invoice_date", "amount")
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class ConfigError(ValueError):
    """A delivery configuration file is invalid."""


@dataclass(frozen=True)
class AnchorConfig:
    code: str
    name: str
    files: str
    format: str
    columns: dict[str, str]
    encoding: str = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    sheet: str | int | None = None
    skip_rows: int = 0
    skip_footer: int = 0
    decimal: str = "."
    thousands: str | None = None
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    currency: str = "EUR"
    line_identity: tuple[str, ...] = ("invoice_id", "invoice_line")
    period_pattern: str | None = None
    amount_basis: str = "excl_vat"
    vat: str = "none"
    credit_sign: str | None = "negative"
    credit_indicator_column: str | None = None
    credit_values: tuple[str, ...] = ()
    default_country: str = "NL"
    config_file: str = ""
    extra: dict = field(default_factory=dict)

    def source_files(self, landing_dir: Path) -> list[Path]:
        """Files of this anchor in the landing folder, in a stable order."""
        return sorted(p for p in Path(landing_dir).glob(self.files) if p.is_file())

    def declared_period(self, file_name: str) -> str | None:
        """The period a file name declares (``2024`` or ``2024-03``), by ``period_pattern``; else None."""
        if not self.period_pattern:
            return None
        match = re.search(self.period_pattern, file_name)
        if not match:
            return None
        year = match.group("year")
        month = match.groupdict().get("month")
        return f"{year}-{int(month):02d}" if month else year


def invoice_table(anchor_code: str) -> str:
    """The warehouse table of an anchor's accepted invoice lines."""
    return f"raw.invoice_lines__{anchor_code}"


def _fail(path: Path, key: str, message: str) -> ConfigError:
    return ConfigError(f"{path}: '{key}': {message}")


def load_anchor_config(path: str | os.PathLike) -> AnchorConfig:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")

    for key in ("code", "name", "files", "format", "columns"):
        if key not in raw:
            raise _fail(path, key, "is required")
    code = str(raw["code"])
    if not _CODE_RE.match(code):
        raise _fail(path, "code", f"{code!r} must be lower-case letters, digits and underscores")
    if path.stem != code:
        raise _fail(path, "code", f"{code!r} must equal the file name {path.stem!r}")
    fmt = str(raw["format"]).lower()
    if fmt not in ("csv", "xlsx", "parquet"):
        raise _fail(path, "format", f"{fmt!r} is not one of csv, xlsx, parquet")

    columns = raw["columns"]
    if not isinstance(columns, dict):
        raise _fail(path, "columns", "must map canonical fields to export headers")
    unknown = sorted(set(columns) - set(CANONICAL_FIELDS))
    if unknown:
        raise _fail(path, "columns", f"unknown canonical field(s) {unknown}; known: {list(CANONICAL_FIELDS)}")
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if "supplier_ref" not in columns and "supplier_name" not in columns:
        missing.append("supplier_ref or supplier_name")
    if missing:
        raise _fail(path, "columns", f"required field(s) not mapped: {missing}")

    amount_basis = raw.get("amount_basis", "excl_vat")
    if amount_basis not in ("excl_vat", "incl_vat"):
        raise _fail(path, "amount_basis", f"{amount_basis!r} is not one of excl_vat, incl_vat")
    vat = raw.get("vat", "none")
    if vat not in ("column", "rate", "none"):
        raise _fail(path, "vat", f"{vat!r} is not one of column, rate, none")
    if vat == "column" and "vat_amount" not in columns:
        raise _fail(path, "vat", "is 'column' but no vat_amount column is mapped")
    if vat == "rate" and "vat_rate" not in columns:
        raise _fail(path, "vat", "is 'rate' but no vat_rate column is mapped")
    if amount_basis == "incl_vat" and vat == "none":
        raise _fail(path, "vat", "amounts including VAT need a VAT column or rate to compute the net amount")

    credit = raw.get("credit_notes") or {"sign": "negative"}
    credit_sign = credit.get("sign")
    indicator = credit.get("indicator_column")
    credit_values = tuple(str(v) for v in credit.get("credit_values", []) or [])
    if indicator and not credit_values:
        raise _fail(path, "credit_notes.credit_values", "is required with indicator_column")
    if not indicator and credit_sign != "negative":
        raise _fail(path, "credit_notes", "give either sign: negative or indicator_column + credit_values")

    date_formats = raw.get("date_format", "%Y-%m-%d")
    date_formats = tuple(date_formats) if isinstance(date_formats, list) else (str(date_formats),)
    for f in date_formats:
        if "%" not in f:
            raise _fail(path, "date_format", f"{f!r} is not a strptime format such as %d-%m-%Y")
    identity = tuple(raw.get("line_identity", ["invoice_id", "invoice_line"]))
    unmapped = [f for f in identity if f not in columns and f != "invoice_line"]
    if unmapped:
        raise _fail(path, "line_identity", f"field(s) {unmapped} are not mapped in 'columns'")
    period_pattern = raw.get("period_pattern")
    if period_pattern is not None:
        try:
            compiled = re.compile(period_pattern)
        except re.error as exc:
            raise _fail(path, "period_pattern", f"not a valid regular expression: {exc}") from exc
        if "year" not in compiled.groupindex:
            raise _fail(path, "period_pattern", "needs a named group (?P<year>...) and optionally (?P<month>...)")

    known = {
        "code", "name", "files", "format", "columns", "encoding", "delimiter", "quotechar", "sheet",
        "skip_rows", "skip_footer", "decimal", "thousands", "date_format", "amount_basis", "vat",
        "credit_notes", "default_country", "currency", "line_identity", "period_pattern",
    }
    extra = {k: v for k, v in raw.items() if k not in known}
    if extra:
        raise _fail(path, sorted(extra)[0], "unknown key")

    return AnchorConfig(
        code=code,
        name=str(raw["name"]),
        files=str(raw["files"]),
        format=fmt,
        columns={str(k): str(v) for k, v in columns.items()},
        encoding=str(raw.get("encoding", "utf-8")),
        delimiter=str(raw.get("delimiter", ",")),
        quotechar=str(raw.get("quotechar", '"')),
        sheet=raw.get("sheet"),
        skip_rows=int(raw.get("skip_rows", 0) or 0),
        skip_footer=int(raw.get("skip_footer", 0) or 0),
        decimal=str(raw.get("decimal", ".")),
        thousands=raw.get("thousands"),
        date_formats=date_formats,
        currency=str(raw.get("currency", "EUR")).upper(),
        line_identity=identity,
        period_pattern=period_pattern,
        amount_basis=amount_basis,
        vat=vat,
        credit_sign=None if indicator else "negative",
        credit_indicator_column=indicator,
        credit_values=credit_values,
        default_country=str(raw.get("default_country", "NL")),
        config_file=str(path),
    )


def load_anchor_configs(config_dir: str | os.PathLike = ANCHOR_CONFIG_DIR) -> list[AnchorConfig]:
    """All anchor configurations, sorted by code."""
    configs = [load_anchor_config(p) for p in sorted(Path(config_dir).glob("*.yaml"))]
    return sorted(configs, key=lambda c: c.code)
