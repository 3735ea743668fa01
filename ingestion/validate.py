"""``cwb validate``: check a delivery file against an anchor's configuration, for anchor staff.

Reads the file exactly as the pipeline would, without touching the warehouse, and prints a report in
Dutch (default) or English: rows and euros, periods covered, every problem with its row and column, and
a summary per problem type.

Exit codes (for scripts):
  0  the file is fine: every row would be loaded as it is
  1  the file can be loaded, but rows would be rejected or fields emptied (see the report)
  2  usage error (unknown anchor, file not found, invalid configuration)
  3  the file would be rejected whole (cannot be read, is empty, or lacks a required column)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ingestion.config import ANCHOR_CONFIG_DIR, AnchorConfig, ConfigError, load_anchor_config
from ingestion.exports import CanonicalResult, DeliveryError, canonicalise, check_columns, read_export
from ingestion.messages import FIELD_NL, render

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_FILE_REJECTED = 0, 1, 2, 3

TEXT = {
    "nl": {
        "title": "Controle van levering",
        "anchor": "Ankerorganisatie",
        "config": "Configuratie",
        "verdict_ok": "GOED: alle regels worden zo geladen",
        "verdict_problems": "GELADEN MET PROBLEMEN: zie hieronder",
        "verdict_rejected": "AFGEKEURD: het bestand wordt in zijn geheel geweigerd",
        "rows": "Regels",
        "euros": "Bedrag excl. btw",
        "read": "gelezen",
        "loaded": "geladen",
        "rejected": "afgekeurd",
        "emptied": "velden leeggemaakt",
        "periods": "Periode",
        "months": "maanden",
        "month": "maand",
        "none": "geen",
        "per_year": "Per jaar",
        "summary": "Samenvatting per soort probleem",
        "count": "aantal",
        "column": "kolom",
        "problem": "probleem",
        "details": "Problemen per regel",
        "row": "rij",
        "value": "waarde",
        "more": "en nog {n} problemen (gebruik --all om alles te tonen)",
        "warnings": "Waarschuwingen",
        "took": "Gecontroleerd in {s} s. Er is niets in het datawarehouse veranderd.",
        "row_rejected": "regel afgekeurd",
        "field_emptied": "veld leeggemaakt",
        "to": "t/m",
        "amount_unknown": "bedrag onleesbaar",
    },
    "en": {
        "title": "Delivery check",
        "anchor": "Anchor organisation",
        "config": "Configuration",
        "verdict_ok": "OK: every row would be loaded as it is",
        "verdict_problems": "LOADS WITH PROBLEMS: see below",
        "verdict_rejected": "REJECTED: the file would be refused as a whole",
        "rows": "Rows",
        "euros": "Amount excl. VAT",
        "read": "read",
        "loaded": "loaded",
        "rejected": "rejected",
        "emptied": "fields emptied",
        "periods": "Period",
        "months": "months",
        "month": "month",
        "none": "none",
        "per_year": "Per year",
        "summary": "Summary per problem type",
        "count": "count",
        "column": "column",
        "problem": "problem",
        "details": "Problems per row",
        "row": "row",
        "value": "value",
        "more": "and {n} more problems (use --all to show all)",
        "warnings": "Warnings",
        "took": "Checked in {s} s. Nothing in the warehouse was changed.",
        "row_rejected": "row rejected",
        "field_emptied": "field emptied",
        "to": "to",
        "amount_unknown": "amount unreadable",
    },
}


def euro(cents: int, lang: str) -> str:
    """€ 1.234.567,89 (nl) or EUR 1,234,567.89 (en), exact from cents."""
    sign, mag = ("-" if cents < 0 else ""), abs(int(cents))
    whole = f"{mag // 100:,}"
    if lang == "nl":
        return f"€ {sign}{whole.replace(',', '.')},{mag % 100:02d}"
    return f"EUR {sign}{whole}.{mag % 100:02d}"


def _seconds(s: float, lang: str) -> str:
    text = f"{s:.1f}"
    return text.replace(".", ",") if lang == "nl" else text


def _display_path(path: str) -> str:
    """A configuration file relative to the project (or the working folder) when it lies inside."""
    p = Path(path).resolve()
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if p.is_relative_to(base):
            return str(p.relative_to(base))
    return str(p)


def number(n: int, lang: str) -> str:
    s = f"{n:,}"
    return s.replace(",", ".") if lang == "nl" else s


@dataclass
class Check:
    """What validating one file found."""

    cfg: AnchorConfig
    path: Path
    result: CanonicalResult | None
    error: DeliveryError | None
    warnings: list[str]
    seconds: float

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return EXIT_FILE_REJECTED
        return EXIT_PROBLEMS if len(self.result.problems) else EXIT_OK


def check_file(cfg: AnchorConfig, path: Path) -> Check:
    """Validate one file against the anchor's configuration, without touching the warehouse."""
    started = time.perf_counter()
    try:
        frame = read_export(path, cfg, path.name)
        warnings = check_columns(frame, cfg, path.name)
        result = canonicalise([(path.name, frame)], cfg)
        return Check(cfg, path, result, None, warnings, time.perf_counter() - started)
    except DeliveryError as exc:
        return Check(cfg, path, None, exc, [], time.perf_counter() - started)


def _periods(result: CanonicalResult) -> pd.DataFrame:
    acc = result.accepted
    if acc.empty:
        return pd.DataFrame(columns=["year", "month", "rows", "cents"])
    months = pd.DataFrame({"m": acc["invoice_date"].dt.to_period("M"), "cents": acc["amount_excl_vat_cents"]})
    per = months.groupby("m").agg(rows=("cents", "size"), cents=("cents", "sum")).reset_index()
    return pd.DataFrame({"year": per["m"].dt.year, "month": per["m"].astype(str), "rows": per["rows"],
                         "cents": per["cents"]})


def render_report(check: Check, lang: str = "nl", show_all: bool = False, limit: int = 50) -> str:
    t = TEXT[lang]
    lines = [f"{t['title']}: {check.path}",
             f"{t['anchor']}: {check.cfg.name} ({check.cfg.code}); "
             f"{t['config']}: {_display_path(check.cfg.config_file)}"]
    took = t["took"].format(s=_seconds(check.seconds, lang))
    if check.error is not None:
        lines += ["", t["verdict_rejected"], f"  {check.error.message(lang)}", "", took]
        return "\n".join(lines) + "\n"
    r = check.result
    problems = r.problems
    emptied = problems[problems["severity"] == "emptied"]
    lines += ["", t["verdict_ok"] if check.exit_code == EXIT_OK else t["verdict_problems"], ""]
    lines.append(f"{t['rows']}: {number(r.rows_read, lang)} {t['read']}, {number(r.rows_accepted, lang)} "
                 f"{t['loaded']}, {number(r.rows_rejected, lang)} {t['rejected']}; "
                 f"{number(len(emptied), lang)} {t['emptied']}")
    lines.append(f"{t['euros']}: {euro(r.cents_read, lang)} {t['read']}, {euro(r.cents_accepted, lang)} "
                 f"{t['loaded']}, {euro(r.cents_rejected, lang)} {t['rejected']}")
    periods = _periods(r)
    if periods.empty:
        lines.append(f"{t['periods']}: {t['none']}")
    else:
        lines.append(f"{t['periods']}: {periods['month'].min()} {t['to']} {periods['month'].max()} "
                     f"({len(periods)} {t['month'] if len(periods) == 1 else t['months']})")
        per_year = periods.groupby("year").agg(rows=("rows", "sum"), cents=("cents", "sum"))
        lines.append(f"{t['per_year']}: " + "; ".join(
            f"{y}: {number(int(v.rows), lang)} / {euro(int(v.cents), lang)}" for y, v in per_year.iterrows()))
    if check.warnings:
        lines += ["", f"{t['warnings']}:"] + [f"  {w}" for w in check.warnings]
    if len(problems):
        summary = (problems.assign(cents=problems["amount_cents"].fillna(0).astype("int64"),
                                   unknown=problems["amount_cents"].isna())
                   .groupby(["severity", "column", "code"], sort=False)
                   .agg(n=("code", "size"), cents=("cents", "sum"), unknown=("unknown", "sum"),
                        params=("params", "first")).reset_index()
                   .sort_values(["severity", "n"], ascending=[False, False], kind="stable"))
        lines += ["", f"{t['summary']}:"]
        for row in summary.itertuples(index=False):
            what = t["row_rejected"] if row.severity == "rejected" else t["field_emptied"]
            money = ""
            if row.severity == "rejected":
                money = f", {euro(int(row.cents), lang)}" if row.unknown < row.n else ""
                money += f", {t['amount_unknown']}" if row.unknown else ""
            lines.append(f"  {number(int(row.n), lang):>9} x  {t['column']} '{row.column}': "
                         f"{render(row.code, lang, summary=True, **(row.params or {}))} ({what}{money})")
        lines += ["", f"{t['details']}:"]
        shown = problems if show_all else problems.head(limit)
        for row in shown.itertuples(index=False):
            value = "" if row.value is None or pd.isna(row.value) else f" ({t['value']}: {row.value!r})"
            field_name = FIELD_NL.get(row.field, row.field) if lang == "nl" else row.field
            lines.append(f"  {t['row']} {row.source_row}, {t['column']} '{row.column}' ({field_name}): "
                         f"{render(row.code, lang, **(row.params or {}))}{value}")
        if not show_all and len(problems) > limit:
            lines.append("  " + t["more"].format(n=number(len(problems) - limit, lang)))
    lines += ["", took]
    return "\n".join(lines) + "\n"


def report_json(check: Check) -> dict:
    out = {"file": str(check.path), "anchor": check.cfg.code, "exit_code": check.exit_code,
           "seconds": round(check.seconds, 3)}
    if check.error is not None:
        out["file_rejected"] = {"code": check.error.code, "message": check.error.message("en")}
        return out
    r = check.result
    out.update({
        "rows_read": r.rows_read, "rows_loaded": r.rows_accepted, "rows_rejected": r.rows_rejected,
        "euros_read": r.cents_read / 100, "euros_loaded": r.cents_accepted / 100,
        "euros_rejected": r.cents_rejected / 100, "warnings": check.warnings,
        "periods": _periods(r).assign(euros=lambda d: d["cents"] / 100).drop(columns="cents")
        .to_dict("records"),
        "problems": [
            {"row": int(p.source_row), "column": p.column, "field": p.field, "code": p.code,
             "severity": p.severity, "value": None if p.value is None or pd.isna(p.value) else str(p.value),
             "message": render(p.code, "en", **(p.params or {}))}
            for p in r.problems.itertuples(index=False)
        ],
    })
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cwb", description="Community Wealth Building platform tools for anchor staff and engineers.")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check a delivery file against an anchor's configuration",
                       description=__doc__.split("\n\n")[0] + " " + __doc__.split("\n\n")[2].replace("\n", " "))
    v.add_argument("--anchor", required=True, help="anchor code, e.g. olvg (see ingestion/anchors/)")
    v.add_argument("file", type=Path, help="the delivery file to check")
    v.add_argument("--config-dir", type=Path, default=ANCHOR_CONFIG_DIR, help="folder with <anchor>.yaml files")
    v.add_argument("--lang", choices=["nl", "en"], default="nl", help="report language (default: nl)")
    v.add_argument("--english", action="store_const", const="en", dest="lang", help="same as --lang en")
    v.add_argument("--all", action="store_true", help="show every problem, not only the first 50")
    v.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)

    config_path = args.config_dir / f"{args.anchor}.yaml"
    if not config_path.exists():
        known = sorted(p.stem for p in args.config_dir.glob("*.yaml"))
        print(f"error: unknown anchor {args.anchor!r}; known anchors: {', '.join(known)}", file=sys.stderr)
        return EXIT_USAGE
    if not args.file.is_file():
        print(f"error: file not found: {args.file}", file=sys.stderr)
        return EXIT_USAGE
    try:
        cfg = load_anchor_config(config_path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    check = check_file(cfg, args.file)
    if args.json:
        print(json.dumps(report_json(check), ensure_ascii=False, indent=2, default=str))
    else:
        sys.stdout.write(render_report(check, args.lang, show_all=args.all))
    return check.exit_code


if __name__ == "__main__":
    sys.exit(main())
