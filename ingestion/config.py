"""Per-anchor delivery configuration: one YAML file per anchor in ``ingestion/anchors/``.

Adding an anchor is adding a YAML file; the orchestration layer builds one asset per file found.
Every problem in a configuration file is reported with the file and the key that is wrong.
"""

from __future__ import annotations

import codecs
import datetime as dt
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


_SCALAR = (str, int, float)


def _text(path: Path, raw: dict, key: str, default: str | None = None, *, empty_ok: bool = False) -> str | None:
    """A key whose value must be one scalar (text or a number written as text); None stays None."""
    value = raw.get(key, default)
    if value is None and default is not None:  # `key: null` where the key has a default
        raise _fail(path, key, "is empty; leave the key out for the default")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, _SCALAR):
        raise _fail(path, key, f"{value!r} must be a single text value")
    text = str(value)
    if not text.strip() and not empty_ok:
        raise _fail(path, key, "is empty")
    return text


def _char(path: Path, raw: dict, key: str, default: str | None) -> str | None:
    """A one-character setting (delimiter, quote character, decimal or thousands separator); only one
    without a default (thousands) may be null."""
    value = _text(path, raw, key, default, empty_ok=True)
    if value is None and default is not None:
        raise _fail(path, key, "must be one character, not empty")
    if value is not None and (len(value) != 1 or value in "\r\n"):
        raise _fail(path, key, f"{value!r} must be exactly one character (not a line break)")
    return value


def _count(path: Path, raw: dict, key: str) -> int:
    """A non-negative whole number (rows to skip)."""
    value = raw.get(key, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, _SCALAR):
        raise _fail(path, key, f"{value!r} must be a whole number >= 0")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise _fail(path, key, f"{value!r} must be a whole number >= 0") from None
    if not number.is_integer() or not 0 <= number <= 10**6:
        raise _fail(path, key, f"{value!r} must be a whole number from 0 to 1,000,000")
    return int(number)


def _list_of_text(path: Path, raw: dict, key: str, default: list[str]) -> tuple[str, ...]:
    """A text or a list of texts."""
    value = raw.get(key, default)
    values = value if isinstance(value, list) else [value]
    if not values or any(v is None or isinstance(v, bool) or not isinstance(v, _SCALAR) for v in values):
        raise _fail(path, key, f"{value!r} must be a text or a list of texts")
    return tuple(str(v) for v in values)


def _date_format(path: Path, fmt: str) -> str:
    """A strptime format that writes and reads back a whole date (day, month and year)."""
    probe = dt.datetime(2024, 11, 28)
    try:
        ok = dt.datetime.strptime(probe.strftime(fmt), fmt).date() == probe.date()
    except ValueError:
        ok = False
    if "%" not in fmt or not ok:
        raise _fail(path, "date_format", f"{fmt!r} is not a strptime format of a whole date such as %d-%m-%Y")
    return fmt


def load_anchor_config(path: str | os.PathLike) -> AnchorConfig:
    """Read and check one anchor's YAML file; every problem raises ConfigError naming the file and key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position "
                          f"{exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")

    for key in ("code", "name", "files", "format", "columns"):
        if raw.get(key) is None:
            raise _fail(path, key, "is required")
    code = _text(path, raw, "code")
    if not _CODE_RE.fullmatch(code):
        raise _fail(path, "code", f"{code!r} must be lower-case letters, digits and underscores")
    if path.stem != code:
        raise _fail(path, "code", f"{code!r} must equal the file name {path.stem!r}")
    name = _text(path, raw, "name")
    files = _text(path, raw, "files")
    if files.startswith(("/", "\\")) or ".." in Path(files).parts or "\x00" in files:
        raise _fail(path, "files", f"{files!r} must be a pattern relative to the landing folder, such as "
                                   f"'{code}/*.csv'")
    fmt = _text(path, raw, "format").lower()
    if fmt not in ("csv", "xlsx", "parquet"):
        raise _fail(path, "format", f"{fmt!r} is not one of csv, xlsx, parquet")

    columns = raw["columns"]
    if not isinstance(columns, dict):
        raise _fail(path, "columns", "must map canonical fields to export headers")
    unknown = sorted(map(str, set(columns) - set(CANONICAL_FIELDS)))
    if unknown:
        raise _fail(path, "columns", f"unknown canonical field(s) {unknown}; known: {list(CANONICAL_FIELDS)}")
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if "supplier_ref" not in columns and "supplier_name" not in columns:
        missing.append("supplier_ref or supplier_name")
    if missing:
        raise _fail(path, "columns", f"required field(s) not mapped: {missing}")
    headers = {}
    for f in columns:
        header = _text(path, columns, f)
        if header is None:
            raise _fail(path, f"columns.{f}", "names no header")
        headers[f] = header.replace("\ufeff", "").strip()  # as the reader sees the file's headers
    if "__source_row" in headers.values():
        raise _fail(path, "columns", "the header '__source_row' is reserved for the reader's row numbers")

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
    if not isinstance(credit, dict):
        raise _fail(path, "credit_notes", "give either sign: negative or indicator_column + credit_values")
    credit_sign = credit.get("sign")
    indicator = _text(path, credit, "indicator_column")
    credit_values = ()
    if credit.get("credit_values") is not None:
        credit_values = _list_of_text(path, credit, "credit_values", [])
    if indicator and not credit_values:
        raise _fail(path, "credit_notes.credit_values", "is required with indicator_column")
    if not indicator and credit_sign != "negative":
        raise _fail(path, "credit_notes", "give either sign: negative or indicator_column + credit_values")

    date_formats = tuple(_date_format(path, f) for f in _list_of_text(path, raw, "date_format", ["%Y-%m-%d"]))
    identity = _list_of_text(path, raw, "line_identity", ["invoice_id", "invoice_line"])
    unmapped = [f for f in identity if f not in columns and f != "invoice_line"]
    if unmapped:
        raise _fail(path, "line_identity", f"field(s) {unmapped} are not mapped in 'columns'")
    period_pattern = _text(path, raw, "period_pattern")
    if period_pattern is not None:
        try:
            compiled = re.compile(period_pattern)
        except re.error as exc:
            raise _fail(path, "period_pattern", f"not a valid regular expression: {exc}") from exc
        if "year" not in compiled.groupindex:
            raise _fail(path, "period_pattern", "needs a named group (?P<year>...) and optionally (?P<month>...)")

    encoding = _text(path, raw, "encoding", "utf-8")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise _fail(path, "encoding", f"{encoding!r} is not an encoding Python knows (e.g. utf-8, cp1252)") from None
    delimiter = _char(path, raw, "delimiter", ",")
    quotechar = _char(path, raw, "quotechar", '"')
    decimal = _char(path, raw, "decimal", ".")
    thousands = _char(path, raw, "thousands", None)
    if quotechar == delimiter:
        raise _fail(path, "quotechar", "must differ from the delimiter")
    if decimal.isdigit() or decimal.isspace():
        raise _fail(path, "decimal", f"{decimal!r} cannot separate decimals")
    if thousands is not None and (thousands == decimal or thousands.isdigit() or thousands in "-+"):
        raise _fail(path, "thousands", f"{thousands!r} must differ from the decimal separator, digits and signs")
    sheet = raw.get("sheet")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))
                              or (isinstance(sheet, int) and sheet < 0)):
        raise _fail(path, "sheet", f"{sheet!r} must be a sheet name or a sheet number from 0")
    default_country = _text(path, raw, "default_country", "NL").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", default_country):
        raise _fail(path, "default_country", f"{default_country!r} must be a two-letter country code such as NL")
    currency = _text(path, raw, "currency", "EUR").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise _fail(path, "currency", f"{currency!r} must be a three-letter currency code such as EUR")

    known = {
        "code", "name", "files", "format", "columns", "encoding", "delimiter", "quotechar", "sheet",
        "skip_rows", "skip_footer", "decimal", "thousands", "date_format", "amount_basis", "vat",
        "credit_notes", "default_country", "currency", "line_identity", "period_pattern",
    }
    extra = sorted(str(k) for k in raw if k not in known)
    if extra:
        raise _fail(path, extra[0], "unknown key")

    return AnchorConfig(
        code=code,
        name=name,
        files=files,
        format=fmt,
        columns=headers,
        encoding=encoding,
        delimiter=delimiter,
        quotechar=quotechar,
        sheet=sheet,
        skip_rows=_count(path, raw, "skip_rows"),
        skip_footer=_count(path, raw, "skip_footer"),
        decimal=decimal,
        thousands=thousands,
        date_formats=date_formats,
        currency=currency,
        line_identity=identity,
        period_pattern=period_pattern,
        amount_basis=amount_basis,
        vat=vat,
        credit_sign=None if indicator else "negative",
        credit_indicator_column=indicator,
        credit_values=credit_values,
        default_country=default_country,
        config_file=str(path),
    )


def load_anchor_configs(config_dir: str | os.PathLike = ANCHOR_CONFIG_DIR) -> list[AnchorConfig]:
    """All anchor configurations, sorted by code."""
    configs = [load_anchor_config(p) for p in sorted(Path(config_dir).glob("*.yaml"))]
    return sorted(configs, key=lambda c: c.code)
