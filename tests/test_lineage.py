"""The audit trail of docs/lineage.md, on the warehouse the end-to-end run builds (tests/conftest.py).

The SQL is read from docs/lineage.md itself (the blocks after ``<!-- lineage-sql: NAME -->``), so the
page and this test cannot drift apart. For several figures of ``fct_spend_by_tier`` and
``fct_local_spend_share`` (every anchor, year, quarter and month grains, both spend scopes, a tier with
no spend) the documented macros list the source rows, and this test checks, with its own arithmetic:
the rows' euros add up to the figure to the cent and their count to ``n_lines``; no row is counted twice;
every row's file is a ``loaded`` delivery whose SHA-256 is that of the file on disk, computed here; and
for the two anchors whose exports carry the amount excluding VAT as text, the amount in that row of the
delivered file, parsed here with the csv module, is the traced amount.
"""

from __future__ import annotations

import csv
import hashlib
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "lineage.md"

# Anchors whose export has the amount excluding VAT as a text column (ingestion/anchors/*.yaml):
# (encoding, delimiter, amount header, decimal separator, thousands separator).
TEXT_AMOUNTS = {
    "gemeente_amsterdam": ("cp1252", ";", "Bedrag excl. btw", ",", "."),
    "hva": ("utf-8", ",", "Net Amount", ".", None),
}


def doc_sql() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    blocks = dict(re.findall(r"<!-- lineage-sql: (\w+) -->\n```sql\n(.*?)```", text, re.S))
    assert {"macros", "rows_spend_by_tier", "check_spend_by_tier", "check_local_spend_share"} <= set(blocks)
    return blocks


@pytest.fixture(scope="module")
def warehouse(pipeline):
    result, data, warehouse_path, _ = pipeline
    assert result.success
    con = duckdb.connect(str(warehouse_path), read_only=True)
    con.execute(doc_sql()["macros"])
    yield con, data
    con.close()


def _euros(text: str, decimal: str, thousands: str | None) -> Decimal:
    text = text.strip()
    if thousands:
        text = text.replace(thousands, "")
    return Decimal(text.replace(decimal, "."))


def check_traced(data: Path, rows: list[tuple], figure_eur: Decimal, figure_lines: int) -> None:
    """``rows``: (anchor_code, source_file, sha256, delivery_status, source_row, amount_excl_vat)."""
    assert sum((r[5] for r in rows), Decimal("0.00")) == figure_eur
    assert len(rows) == figure_lines
    assert len({(r[0], r[1], r[4]) for r in rows}) == len(rows), "a source row counted twice"
    by_file: dict[tuple[str, str], list[tuple]] = {}
    for r in rows:
        by_file.setdefault((r[0], r[1]), []).append(r)
    for (anchor, source_file), file_rows in by_file.items():
        path = data / source_file
        assert {r[3] for r in file_rows} == {"loaded"}
        assert {r[2] for r in file_rows} == {hashlib.sha256(path.read_bytes()).hexdigest()}, source_file
        if anchor in TEXT_AMOUNTS:
            encoding, delimiter, header, decimal, thousands = TEXT_AMOUNTS[anchor]
            with path.open(encoding=encoding, newline="") as fh:
                table = list(csv.reader(fh, delimiter=delimiter))
            column = table[0].index(header)
            for r in file_rows:  # row 1 is the header, so row n is table[n - 1]
                assert _euros(table[r[4] - 1][column], decimal, thousands) == r[5], (source_file, r[4])


def test_spend_by_tier_figures_trace_to_source_rows(warehouse):
    con, data = warehouse
    figures = con.execute("""
        select anchor_code, year, tier, spend_eur, n_lines from (
            select *, row_number() over (partition by anchor_code order by n_lines desc, year, tier) as most,
                      row_number() over (partition by anchor_code order by n_lines, year, tier) as fewest
            from marts.fct_spend_by_tier
        ) where most = 1 or fewest = 1
        order by anchor_code, year, tier
    """).fetchall()
    assert len({f[0] for f in figures}) == 6 and len(figures) >= 10
    for anchor, year, tier, spend_eur, n_lines in figures:
        rows = con.execute("""
            select anchor_code, source_file, sha256, delivery_status, source_row, amount_excl_vat
            from spend_by_tier_lines(?, ?, ?)
        """, [anchor, year, tier]).fetchall()
        check_traced(data, rows, spend_eur, n_lines)


def test_local_spend_share_figures_trace_to_source_rows(warehouse):
    con, data = warehouse
    figures = con.execute("""
        with candidates as (
            select *, row_number() over (partition by spend_scope, period_grain, n_lines = 0
                                         order by n_lines desc, anchor_code, period, tier) as rank_
            from marts.fct_local_spend_share
        )
        select anchor_code, spend_scope, period_grain, period, tier, spend_eur, n_lines
        from candidates where rank_ = 1
        union all  -- Nieuw-West, each anchor's busiest influenceable month
        select anchor_code, spend_scope, period_grain, period, tier, spend_eur, n_lines from (
            select *, row_number() over (partition by anchor_code order by n_lines desc, period) as rank_
            from marts.fct_local_spend_share
            where tier = 'nieuw_west' and spend_scope = 'influenceable' and period_grain = 'month'
        ) where rank_ = 1
    """).fetchall()
    assert {f[2] for f in figures} == {"year", "quarter", "month"}
    assert {f[1] for f in figures} == {"total", "influenceable"}
    assert any(f[6] == 0 for f in figures), "a tier without spend (dense mart) is traced too"
    assert len(figures) >= 12
    for anchor, scope, grain, period, tier, spend_eur, n_lines in figures:
        rows = con.execute("""
            select anchor_code, source_file, sha256, delivery_status, source_row, amount_excl_vat
            from local_spend_share_lines(?, ?, ?, ?, ?)
        """, [anchor, scope, grain, period, tier]).fetchall()
        check_traced(data, rows, spend_eur, n_lines)


def test_the_documented_examples_reconcile(warehouse):
    con, data = warehouse
    blocks = doc_sql()
    rows = con.execute(blocks["rows_spend_by_tier"]).fetchall()
    assert rows, "the example figure (OLVG, 2024, nieuw_west) exists on the sample"
    cursor = con.execute(blocks["check_spend_by_tier"])
    names = [c[0] for c in cursor.description]
    by_file = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    assert by_file and all(f["reconciles"] for f in by_file)
    assert sum(f["n_rows"] for f in by_file) == len(rows)
    assert by_file[0]["traced_eur"] == sum(r[-1] for r in rows) == by_file[0]["figure_eur"]
    (check,) = con.execute(blocks["check_local_spend_share"]).fetchall()
    figure_eur, traced_eur, figure_lines, traced_lines, _files, reconciles = check
    assert reconciles and figure_eur == traced_eur and figure_lines == traced_lines


def test_dbt_tests_the_trace_on_every_build(pipeline):
    """The dbt tests of the trail ran in the pipeline as asset checks, and passed."""
    result = pipeline[0]
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks.get("assert_invoice_lines_trace_to_raw_rows") is True, sorted(checks)
    unique = [name for name in checks if "source_file" in name and "source_row" in name]
    assert unique and all(checks[name] for name in unique), sorted(checks)
