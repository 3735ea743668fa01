"""`cwb validate` for anchor staff: the real command, its report, its exit codes, and the README's
example kept true."""

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CWB = Path(sys.executable).parent / "cwb"
EXAMPLE = "docs/examples/crediteurenfacturen_2024_fouten.csv"


def cwb(*args, env=None):
    return subprocess.run([str(CWB), *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def without_timing(text: str) -> str:
    return re.sub(r"(Gecontroleerd in|Checked in) [0-9.,]+ s", r"\1 N s", text)


def test_readme_shows_the_real_report_of_the_broken_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- validate-example:start -->\n```text\n\$ (.*?)\n(.*?)```\n<!-- validate-example:end -->",
                      readme, re.S)
    assert block, "README lacks the validate example block"
    command, shown = block.group(1), block.group(2)
    assert command == f"cwb validate --anchor gemeente_amsterdam {EXAMPLE}"
    proc = cwb("validate", "--anchor", "gemeente_amsterdam", EXAMPLE)
    assert proc.returncode == 1
    assert without_timing(proc.stdout) == without_timing(shown)


def test_json_figures_match_the_file(tmp_path):
    # Independent truth: the example's amounts as written (rows 2-9), and which rows are bad.
    amounts = {2: "12450.00", 3: "-1250.00", 4: None, 5: "8900.00", 6: "3480.25", 7: "2100.00", 8: "-1250.00",
               9: "15000.00"}
    rejected_rows = {4, 5, 8}  # text in amount, 31 February, duplicate of row 3
    env = {**os.environ, "CWB_WAREHOUSE": str(tmp_path / "must_not_exist.duckdb")}
    proc = cwb("validate", "--anchor", "gemeente_amsterdam", EXAMPLE, "--json", env=env)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    loaded = sum(Decimal(a) for r, a in amounts.items() if r not in rejected_rows)
    rejected = sum(Decimal(a) for r, a in amounts.items() if r in rejected_rows and a)
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (8, 5, 3)
    assert Decimal(str(report["euros_loaded"])) == loaded
    assert Decimal(str(report["euros_rejected"])) == rejected
    assert Decimal(str(report["euros_read"])) == loaded + rejected
    problems = {(p["row"], p["column"], p["code"]) for p in report["problems"]}
    assert problems == {
        (4, "Bedrag excl. btw", "amount_invalid"),
        (5, "Factuurdatum", "invoice_date_invalid"),
        (6, "KvK-nummer", "kvk_number_invalid"),
        (7, "Postcode", "postcode_invalid"),
        (8, "Factuurnummer", "duplicate_line"),
    }
    assert not (tmp_path / "must_not_exist.duckdb").exists()


def test_english_report():
    proc = cwb("validate", "--anchor", "gemeente_amsterdam", EXAMPLE, "--english")
    assert proc.returncode == 1
    assert "LOADS WITH PROBLEMS" in proc.stdout
    assert "row 5, column 'Factuurdatum' (invoice_date): invoice date is empty or not a date in format %d-%m-%Y" \
        in proc.stdout
    assert "Amount excl. VAT: EUR 39,430.25 read, EUR 31,780.25 loaded, EUR 7,650.00 rejected" in proc.stdout


def test_exit_codes(tmp_path):
    clean = tmp_path / "crediteurenfacturen_2024.csv"
    lines = (ROOT / EXAMPLE).read_bytes().split(b"\r\n")
    clean.write_bytes(b"\r\n".join([lines[0], lines[1], lines[2]]) + b"\r\n")
    proc = cwb("validate", "--anchor", "gemeente_amsterdam", str(clean))
    assert proc.returncode == 0, proc.stdout
    assert "GOED: alle regels worden zo geladen" in proc.stdout

    empty = tmp_path / "leeg.csv"
    empty.write_bytes(b"")
    proc = cwb("validate", "--anchor", "gemeente_amsterdam", str(empty))
    assert proc.returncode == 3
    assert "AFGEKEURD" in proc.stdout and "leeg.csv: het bestand is leeg" in proc.stdout

    proc = cwb("validate", "--anchor", "onbekend", str(clean))
    assert proc.returncode == 2
    assert "unknown anchor 'onbekend'" in proc.stderr and "gemeente_amsterdam" in proc.stderr
    assert cwb("validate", "--anchor", "gemeente_amsterdam", str(tmp_path / "nope.csv")).returncode == 2
