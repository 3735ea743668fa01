"""Read an anchor's purchasing export and map it onto the canonical invoice-line contract.

Every source row ends in exactly one of two places: the accepted lines or the rejected rows, each
rejected row with its file, row number, field and reason. Amounts are handled as integer cents
throughout, so that euros read = euros accepted + euros rejected holds to the cent.

Two kinds of problems are told apart:
- a row whose amount, date or invoice id cannot be used is *rejected* (kept in ``rejected``);
- a row with a malformed identifier (KvK number, vestigingsnummer, postcode) is *accepted* with that
  field emptied, and the problem is recorded in ``field_issues``: its euros still count, it just
  cannot be placed by that field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.config import AnchorConfig

ACCEPTED_COLUMNS = [
    "anchor_code",
    "anchor_name",
    "source_file",
    "source_row",
    "invoice_id",
    "invoice_line",
    "invoice_date",
    "supplier_ref",
    "supplier_name",
    "kvk_number",
    "vestigingsnummer",
    "supplier_street",
    "supplier_house_number",
    "supplier_postcode",
    "supplier_city",
    "supplier_country",
    "amount_excl_vat_cents",
    "vat_amount_cents",
    "ledger_account",
    "cost_centre",
    "category",
    "description",
]
REJECTED_COLUMNS = ["anchor_code", "source_file", "source_row", "field", "value", "reason", "amount_cents"]
ISSUE_COLUMNS = ["anchor_code", "source_file", "source_row", "field", "value", "reason"]

# Dates outside this window are implausible for accounts-payable data.
EARLIEST_DATE = pd.Timestamp("2000-01-01")
LATEST_DATE_AHEAD = pd.Timedelta(days=366)

_NL_POSTCODE = re.compile(r"^([1-9][0-9]{3}) ?([A-Z]{2})$")
_AMOUNT = re.compile(r"^(-?)(\d+)(?:\.(\d{1,2}))?$")
_COUNTRY_NAMES = {
    "NEDERLAND": "NL", "THE NETHERLANDS": "NL", "NETHERLANDS": "NL", "HOLLAND": "NL", "NLD": "NL",
    "DUITSLAND": "DE", "GERMANY": "DE", "DEUTSCHLAND": "DE", "BELGIE": "BE", "BELGIË": "BE",
    "BELGIUM": "BE", "FRANKRIJK": "FR", "FRANCE": "FR", "VERENIGD KONINKRIJK": "GB",
    "UNITED KINGDOM": "GB", "UK": "GB", "IERLAND": "IE", "IRELAND": "IE", "VERENIGDE STATEN": "US",
    "UNITED STATES": "US", "USA": "US", "LUXEMBURG": "LU", "LUXEMBOURG": "LU", "DENEMARKEN": "DK",
    "ZWEDEN": "SE", "SPANJE": "ES", "ITALIE": "IT", "ITALIË": "IT", "POLEN": "PL", "ZWITSERLAND": "CH",
}


class DeliveryError(ValueError):
    """A delivery file cannot be read at all, or lacks required columns."""


@dataclass
class CanonicalResult:
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    field_issues: pd.DataFrame
    rows_read: int
    cents_read: int  # sum over all rows whose amount could be parsed

    @property
    def rows_accepted(self) -> int:
        return len(self.accepted)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def cents_accepted(self) -> int:
        return int(self.accepted["amount_excl_vat_cents"].sum()) if len(self.accepted) else 0

    @property
    def cents_rejected(self) -> int:
        return int(self.rejected["amount_cents"].fillna(0).sum()) if len(self.rejected) else 0


# --------------------------------------------------------------------------------------------------
# Reading


def read_export(path: Path, cfg: AnchorConfig) -> pd.DataFrame:
    """Read one export file as delivered: original headers, cells as text (CSV) or typed cells (XLSX).

    Adds ``__source_row``: the row number as a spreadsheet shows it (the header row is
    ``skip_rows + 1``).
    """
    path = Path(path)
    try:
        if cfg.format == "csv":
            frame = pd.read_csv(
                path,
                sep=cfg.delimiter,
                quotechar=cfg.quotechar,
                encoding=cfg.encoding,
                skiprows=cfg.skip_rows,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                engine="c",
            )
        else:
            frame = pd.read_excel(
                path,
                sheet_name=cfg.sheet if cfg.sheet is not None else 0,
                header=cfg.skip_rows,
                engine="calamine",
                dtype=object,
            )
    except UnicodeDecodeError as exc:
        raise DeliveryError(
            f"{path}: cannot be decoded as {cfg.encoding} (byte {exc.start}): check 'encoding' in "
            f"{cfg.config_file}"
        ) from exc
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise DeliveryError(f"{path}: cannot be read as {cfg.format}: {exc}") from exc

    frame.columns = [str(c).strip() for c in frame.columns]
    frame["__source_row"] = np.arange(len(frame), dtype="int64") + cfg.skip_rows + 2
    if cfg.skip_footer:
        frame = frame.iloc[: max(len(frame) - cfg.skip_footer, 0)]
    # Rows that are entirely empty (spreadsheet padding) carry nothing: drop them.
    data_cols = [c for c in frame.columns if c != "__source_row"]
    as_text = frame[data_cols].astype(str).apply(lambda s: s.str.strip())
    empty = as_text.isin(["", "nan", "None", "NaT"]).all(axis=1)
    return frame.loc[~empty].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Parsing helpers (vectorised; each returns values plus a boolean "invalid" mask)


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped text, with empty/NaN cells as None."""

    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)  # spreadsheet numbers such as creditor numbers: 1234.0 -> "1234"
        s = str(v).strip()
        return s or None

    return series.map(one).astype(object)


def parse_cents(series: pd.Series, decimal: str, thousands: str | None) -> tuple[pd.Series, pd.Series]:
    """Amounts to integer cents. Returns (cents as nullable Int64, invalid mask).

    Numbers from spreadsheet cells are rounded to the cent; text is parsed with the configured
    decimal and thousands separators and must have at most two decimals.
    """
    cents = pd.Series(pd.NA, index=series.index, dtype="Int64")
    invalid = pd.Series(False, index=series.index)
    is_num = series.map(lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
    nums = pd.to_numeric(series[is_num], errors="coerce").astype(float)
    finite = np.isfinite(nums)
    cents.loc[nums.index[finite]] = np.rint(nums[finite] * 100).astype("int64")
    invalid.loc[nums.index[~finite]] = True

    text = series[~is_num].map(lambda v: None if v is None else str(v).strip())
    present = text.notna() & (text != "")
    norm = text[present].str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    norm = norm.str.replace("\u2212", "-", regex=False)
    # Trailing minus ("123,45-") as some ERPs write credits.
    trailing = norm.str.endswith("-") & ~norm.str.startswith("-")
    norm = norm.where(~trailing, "-" + norm.str[:-1])
    norm = norm.str.replace("€", "", regex=False).str.replace("EUR", "", regex=False)
    if thousands:
        norm = norm.str.replace(thousands, "", regex=False)
    if decimal != ".":
        norm = norm.str.replace(decimal, ".", regex=False)
    parts = norm.str.extract(_AMOUNT)
    ok = parts[1].notna()
    whole = parts.loc[ok, 1].astype("int64")
    frac = parts.loc[ok, 2].fillna("0").str.ljust(2, "0").astype("int64")
    sign = np.where(parts.loc[ok, 0] == "-", -1, 1)
    cents.loc[whole.index] = (sign * (whole * 100 + frac)).astype("int64")
    invalid.loc[ok.index[~ok]] = True
    return cents, invalid


def parse_dates(series: pd.Series, date_format: str) -> tuple[pd.Series, pd.Series]:
    """Dates from date cells or text in ``date_format``. Returns (datetime64, invalid mask)."""
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    is_date = series.map(lambda v: isinstance(v, (dt.date, pd.Timestamp)) and v is not pd.NaT)
    if is_date.any():
        out.loc[is_date] = pd.to_datetime(series[is_date]).dt.normalize()
    text = series[~is_date].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                else str(v).strip() or None)
    # %d and %m accept values without leading zeros, so "3-1-2024" parses with "%d-%m-%Y".
    parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    out.loc[parsed.index] = parsed
    invalid = out.isna()
    return out, invalid


def _digits(series: pd.Series, length: int) -> tuple[pd.Series, pd.Series]:
    """Identifier of ``length`` digits. Spaces and dots are removed; a number that lost its leading
    zeros in a spreadsheet is padded back. Returns (value or None, invalid mask)."""
    text = _text(series)
    cleaned = text.str.replace(r"[\s.]", "", regex=True)
    cleaned = cleaned.where(~(cleaned.str.fullmatch(r"\d+") & (cleaned.str.len() < length)),
                            cleaned.str.zfill(length))
    valid = cleaned.str.fullmatch(rf"\d{{{length}}}").astype("boolean").fillna(False).astype(bool)
    invalid = text.notna() & ~valid
    return cleaned.where(valid, None).astype(object), invalid


def normalise_country(series: pd.Series, default: str) -> pd.Series:
    text = _text(series).str.upper()
    mapped = text.map(lambda v: None if v is None else _COUNTRY_NAMES.get(v, v))
    return mapped.fillna(default).astype(object)


def normalise_postcode(postcodes: pd.Series, countries: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dutch postcodes to ``1068AB``; foreign postcodes as delivered. Returns (value, invalid NL mask)."""
    text = _text(postcodes)
    upper = text.str.upper().str.replace(r"\s+", " ", regex=True)
    parts = upper.str.extract(_NL_POSTCODE)
    nl_form = (parts[0] + parts[1]).where(parts[0].notna())
    is_nl = countries == "NL"
    invalid = is_nl & text.notna() & nl_form.isna()
    value = text.where(~is_nl, nl_form)
    return value.astype(object), invalid


# --------------------------------------------------------------------------------------------------
# Canonicalisation


def canonicalise(frames: list[tuple[str, pd.DataFrame]], cfg: AnchorConfig) -> CanonicalResult:
    """Map the anchor's files (``(source_file, frame)`` pairs as read) onto the canonical contract."""
    parts = []
    for source_file, frame in frames:
        missing = sorted({header for field, header in cfg.columns.items()} - set(frame.columns))
        if cfg.credit_indicator_column and cfg.credit_indicator_column not in frame.columns:
            missing.append(cfg.credit_indicator_column)
        if missing:
            raise DeliveryError(
                f"{source_file}: column(s) {missing} named in {cfg.config_file} are not in the file; "
                f"the file has {[c for c in frame.columns if c != '__source_row']}"
            )
        sel = pd.DataFrame({field: frame[header] for field, header in cfg.columns.items()})
        if cfg.credit_indicator_column:
            sel["__credit_indicator"] = frame[cfg.credit_indicator_column]
        sel["source_file"] = source_file
        sel["source_row"] = frame["__source_row"].astype("int64")
        parts.append(sel)
    if not parts:
        empty = pd.DataFrame(columns=ACCEPTED_COLUMNS)
        return CanonicalResult(empty, pd.DataFrame(columns=REJECTED_COLUMNS),
                               pd.DataFrame(columns=ISSUE_COLUMNS), 0, 0)
    src = pd.concat(parts, ignore_index=True)
    n = len(src)

    out = pd.DataFrame(index=src.index)
    out["anchor_code"] = cfg.code
    out["anchor_name"] = cfg.name
    out["source_file"] = src["source_file"]
    out["source_row"] = src["source_row"]

    reasons: list[tuple[str, pd.Series, pd.Series, str]] = []  # (field, mask, values, reason)
    issues: list[tuple[str, pd.Series, pd.Series, str]] = []

    def col(field: str) -> pd.Series:
        return src[field] if field in src.columns else pd.Series([None] * n, index=src.index, dtype=object)

    # Amount, VAT and credit notes -> net amount in cents.
    amount, bad_amount = parse_cents(col("amount"), cfg.decimal, cfg.thousands)
    missing_amount = amount.isna() & ~bad_amount
    reasons.append(("amount", bad_amount, col("amount"), "amount: not a number with at most two decimals"))
    reasons.append(("amount", missing_amount, col("amount"), "amount: empty"))
    if cfg.credit_indicator_column:
        indicator = _text(src["__credit_indicator"]).str.upper()
        is_credit = indicator.isin([v.upper() for v in cfg.credit_values])
        amount = amount.where(~is_credit, -amount)

    vat = pd.Series(pd.NA, index=src.index, dtype="Int64")
    net = amount.copy()
    if cfg.vat == "column":
        vat, bad_vat = parse_cents(col("vat_amount"), cfg.decimal, cfg.thousands)
        if cfg.credit_indicator_column:
            vat = vat.where(~is_credit, -vat)
        reasons.append(("vat_amount", bad_vat, col("vat_amount"), "vat_amount: not a number"))
        if cfg.amount_basis == "incl_vat":
            reasons.append(("vat_amount", vat.isna() & ~bad_vat & amount.notna(), col("vat_amount"),
                            "vat_amount: empty, so the amount excluding VAT is unknown"))
            net = amount - vat
    elif cfg.vat == "rate":
        rate_text = _text(col("vat_rate")).str.replace("%", "", regex=False).str.replace(",", ".", regex=False)
        rate = pd.to_numeric(rate_text, errors="coerce")
        bad_rate = rate.isna() | (rate < 0) | (rate > 100)
        reasons.append(("vat_rate", bad_rate, col("vat_rate"), "vat_rate: not a percentage between 0 and 100"))
        if cfg.amount_basis == "incl_vat":
            # net = gross / (1 + rate), rounded half away from zero, in integer arithmetic on
            # hundredths of a percent so that no float rounding can move a cent.
            rate_bp = np.rint(rate.fillna(0).to_numpy(dtype=float) * 100).astype("int64")
            denom = 10_000 + rate_bp
            gross = amount.fillna(0).astype("int64").to_numpy()
            mag = (2 * np.abs(gross) * 10_000 + denom) // (2 * denom)
            net = pd.Series(np.sign(gross) * mag, index=src.index, dtype="Int64").where(amount.notna())
            vat = (amount - net).astype("Int64")
        else:
            rate_bp = np.rint(rate.fillna(0).to_numpy(dtype=float) * 100).astype("int64")
            base = amount.fillna(0).astype("int64").to_numpy()
            mag = (2 * np.abs(base) * rate_bp + 10_000) // 20_000
            vat = pd.Series(np.sign(base) * mag, index=src.index, dtype="Int64").where(amount.notna())
    out["amount_excl_vat_cents"] = net
    out["vat_amount_cents"] = vat

    # Invoice identity and date.
    out["invoice_id"] = _text(col("invoice_id"))
    reasons.append(("invoice_id", out["invoice_id"].isna(), col("invoice_id"), "invoice_id: empty"))
    if "invoice_line" in src.columns:
        line_text = _text(src["invoice_line"])
        line_no = pd.to_numeric(line_text, errors="coerce")
        bad_line = line_text.notna() & (line_no.isna() | (line_no % 1 != 0) | (line_no < 0))
        reasons.append(("invoice_line", bad_line, src["invoice_line"], "invoice_line: not a whole number"))
        out["invoice_line"] = line_no.where(~bad_line).astype("Int64")
    else:
        out["invoice_line"] = pd.Series(pd.NA, index=src.index, dtype="Int64")
    no_line = out["invoice_line"].isna()
    if no_line.any():
        # Number lines within an invoice in file order when the export has no line number.
        seq = out.loc[no_line].groupby("invoice_id", dropna=False).cumcount() + 1
        out.loc[no_line, "invoice_line"] = seq.astype("Int64")

    dates, bad_date = parse_dates(col("invoice_date"), cfg.date_format)
    today = pd.Timestamp(dt.date.today())
    implausible = ~bad_date & ((dates < EARLIEST_DATE) | (dates > today + LATEST_DATE_AHEAD))
    reasons.append(("invoice_date", bad_date, col("invoice_date"),
                    f"invoice_date: empty or not a date in format {cfg.date_format}"))
    reasons.append(("invoice_date", implausible, col("invoice_date"),
                    f"invoice_date: implausible (before {EARLIEST_DATE.date()} or more than a year ahead)"))
    out["invoice_date"] = dates.dt.date

    # Supplier.
    out["supplier_ref"] = _text(col("supplier_ref"))
    out["supplier_name"] = _text(col("supplier_name"))
    reasons.append(("supplier_ref", out["supplier_ref"].isna() & out["supplier_name"].isna(), col("supplier_ref"),
                    "supplier_ref and supplier_name: both empty, the supplier is unknown"))
    out["supplier_country"] = normalise_country(col("supplier_country"), cfg.default_country)
    for field, length in (("kvk_number", 8), ("vestigingsnummer", 12)):
        value, invalid = _digits(col(field), length)
        out[field] = value
        issues.append((field, invalid, col(field), f"{field}: not {length} digits; emptied"))
    postcode, bad_pc = normalise_postcode(col("supplier_postcode"), out["supplier_country"])
    out["supplier_postcode"] = postcode
    issues.append(("supplier_postcode", bad_pc, col("supplier_postcode"),
                   "supplier_postcode: not a Dutch postcode (1234 AB); emptied"))
    for field in ("supplier_street", "supplier_house_number", "supplier_city", "ledger_account",
                  "cost_centre", "category", "description"):
        out[field] = _text(col(field))

    # Duplicate invoice lines within or across this anchor's files: the first occurrence wins.
    dup = out.duplicated(subset=["invoice_id", "invoice_line"], keep="first") & out["invoice_id"].notna()
    if dup.any():
        first = (out.reset_index().groupby(["invoice_id", "invoice_line"])
                 .agg(first_file=("source_file", "first"), first_row=("source_row", "first")))
        keys = pd.MultiIndex.from_frame(out.loc[dup, ["invoice_id", "invoice_line"]])
        where = first.reindex(keys)
        dup_reason = pd.Series(
            [f"duplicate invoice line: invoice {i} line {ln} already delivered in {f} row {r}"
             for (i, ln), f, r in zip(keys, where["first_file"], where["first_row"], strict=True)],
            index=out.index[dup],
        )
    reject_mask = pd.Series(False, index=src.index)
    first_field = pd.Series(None, index=src.index, dtype=object)
    first_value = pd.Series(None, index=src.index, dtype=object)
    reason_text = pd.Series("", index=src.index, dtype=object)
    for field, mask, values, reason in reasons:
        mask = mask.fillna(False).astype(bool)
        new = mask & ~reject_mask
        first_field[new] = field
        first_value[new] = _text(values)[new]
        reason_text[mask] = reason_text[mask].where(reason_text[mask] == "", reason_text[mask] + "; ") + reason
        reject_mask |= mask
    if dup.any():
        dup_only = dup & ~reject_mask
        first_field[dup_only] = "invoice_id"
        first_value[dup_only] = out.loc[dup_only, "invoice_id"]
        reason_text[dup_only] = dup_reason[dup_only]
        reject_mask |= dup

    rejected = pd.DataFrame({
        "anchor_code": cfg.code,
        "source_file": out.loc[reject_mask, "source_file"],
        "source_row": out.loc[reject_mask, "source_row"],
        "field": first_field[reject_mask],
        "value": first_value[reject_mask],
        "reason": reason_text[reject_mask],
        "amount_cents": out.loc[reject_mask, "amount_excl_vat_cents"],
    }).reset_index(drop=True)

    issue_parts = []
    for field, mask, values, reason in issues:
        mask = mask.fillna(False).astype(bool) & ~reject_mask
        if mask.any():
            issue_parts.append(pd.DataFrame({
                "anchor_code": cfg.code,
                "source_file": out.loc[mask, "source_file"],
                "source_row": out.loc[mask, "source_row"],
                "field": field,
                "value": _text(values)[mask],
                "reason": reason,
            }))
    field_issues = (pd.concat(issue_parts, ignore_index=True) if issue_parts
                    else pd.DataFrame(columns=ISSUE_COLUMNS))

    accepted = out.loc[~reject_mask, ACCEPTED_COLUMNS].reset_index(drop=True)
    accepted["amount_excl_vat_cents"] = accepted["amount_excl_vat_cents"].astype("int64")
    accepted["invoice_line"] = accepted["invoice_line"].astype("int64")
    cents_read = int(out["amount_excl_vat_cents"].dropna().sum())
    return CanonicalResult(accepted, rejected, field_issues, rows_read=n, cents_read=cents_read)


def read_anchor(cfg: AnchorConfig, landing_dir: Path) -> tuple[CanonicalResult, list[str]]:
    """Read every file of one anchor from the landing folder. Returns the result and the file names."""
    landing_dir = Path(landing_dir)
    files = cfg.source_files(landing_dir)
    if not files:
        raise DeliveryError(
            f"no files match '{cfg.files}' under {landing_dir} (anchor {cfg.code}, {cfg.config_file})"
        )
    root = landing_dir.parent
    frames = [(str(p.relative_to(root)), read_export(p, cfg)) for p in files]
    return canonicalise(frames, cfg), [name for name, _ in frames]
