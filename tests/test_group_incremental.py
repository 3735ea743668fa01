"""Models built per group (materialization `group_incremental`, dbt_project/macros/group_incremental.sql)
compute again only the groups whose input rows changed: int_suppliers_by_anchor_year per anchor x year,
int_disclosure_contributions per anchor x year x supplier, and the dbt Python model int_disclosure_decisions
per anchor x year. Anything else that changed rebuilds them in full.

Each scenario changes a copy of the end-to-end warehouse (tests/conftest.py) the way a refresh would, runs
the models through the dbt CLI, and checks
  - what dbt says it did (full build, or an increment with so many groups new or changed and gone; the
    expected groups are counted from the raw tables and the line-level table here, not taken from the
    materialization), and
  - that every increment gives exactly the rows a full build of the same warehouse gives (EXCEPT ALL both
    ways, on a second copy built with --full-refresh).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb

from benchmarks.pipeline_benchmark import GROUP_MODEL_REPORT
from ingestion.privacy import SALT_ENV, SAMPLE_SALT
from tests.test_dbt_project import dbt_env, dbt_executable
from tests.test_line_incremental import assert_same_rows, full_build_copy, one

ROOT = Path(__file__).resolve().parent.parent
GROUP_MODELS = ("int_suppliers_by_anchor_year", "int_disclosure_contributions", "int_disclosure_decisions")
SUPPLIERS, CONTRIBUTIONS, DECISIONS = GROUP_MODELS
FULL = "every group built"  # dbt's log for a full build


def dbt_groups(warehouse: Path, *extra: str, select: str = f"+{DECISIONS}") -> dict[str, object]:
    """Runs the selected models; returns per group model FULL (and why, when a key was NULL) or (new or
    changed, of, gone, rows)."""
    env = {**dbt_env(warehouse), SALT_ENV: SAMPLE_SALT}  # the salt the end-to-end warehouse was built with
    done = subprocess.run(
        [dbt_executable(), "run", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", str(warehouse.parent / "target"), "--select", select, *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:]
    return {m.group(1): FULL + m.group(2)[len(FULL):] if m.group(2).startswith(FULL)
            else tuple(int(g) for g in m.groups()[2:])
            for m in GROUP_MODEL_REPORT.finditer(done.stdout) if m.group(1) in GROUP_MODELS}


def assert_equals_full_build(warehouse: Path) -> None:
    """The increment's tables equal those of a full build of the same warehouse, row for row."""
    full = full_build_copy(warehouse)
    assert dbt_groups(full, "--full-refresh") == {m: FULL for m in GROUP_MODELS}
    assert_same_rows(warehouse, full, GROUP_MODELS)


def n_groups(con) -> dict[str, int]:
    """The groups each model is built from, counted from its inputs."""
    return {
        SUPPLIERS: one(con, "select count(distinct (anchor_code, invoice_year)) "
                            "from intermediate.int_invoice_lines_classified")[0],
        CONTRIBUTIONS: one(con, """
            select count(*) from (
                select anchor_code, invoice_year, supplier_key from intermediate.int_invoice_lines_classified
                union
                select anchor_code, invoice_year, supplier_key from intermediate.int_disclosure_suppliers)""")[0],
        DECISIONS: one(con, """
            select count(*) from (
                select anchor_code, invoice_year from intermediate.int_disclosure_contributions
                union
                select anchor_code, invoice_year from intermediate.int_disclosure_relations)""")[0],
    }


def test_nothing_changed_computes_no_group(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        groups = n_groups(con)
        # the end-to-end run built both models, and stored what it saw
        stored = dict(con.execute("select model, count(*) from intermediate.group_increment_state "
                                  "where kind = 'group' group by model").fetchall())
    assert stored == groups
    assert dbt_groups(warehouse) == {m: (0, groups[m], 0, 0) for m in GROUP_MODELS}


def test_a_delivery_withdrawn_and_a_changed_file_recompute_their_groups_only(warehouse):
    con = duckdb.connect(str(warehouse))
    before = n_groups(con)
    # A month's file of one anchor leaves (its delivery withdrawn), and a file of another anchor is delivered
    # again under the same name with other amounts (another sha256). (raw.invoice_lines is a view over one
    # table per anchor.)
    gone_file, = one(con, """select source_file from raw.invoice_lines where anchor_code = 'olvg'
                             group by source_file order by count(*) desc, source_file limit 1""")
    changed_file, = one(con, """select source_file from raw.invoice_lines where anchor_code = 'hva'
                                group by source_file order by count(*) desc, source_file limit 1""")
    files = [gone_file, changed_file]
    # What those files' lines touch, counted before the change: their anchor-years, and their suppliers
    # in those anchor-years (the supplier a line is placed with, from the line-level table).
    touched = set(con.execute("""select distinct anchor_code, year(invoice_date) from raw.invoice_lines
                                 where source_file in (?, ?)""", files).fetchall())
    years_before = set(con.execute("select distinct anchor_code, year(invoice_date) from raw.invoice_lines").fetchall())
    suppliers, = one(con, """
        select count(distinct (c.anchor_code, c.invoice_year, c.supplier_key))
        from intermediate.int_invoice_lines_classified as c
        inner join intermediate.int_invoice_lines_placed as p on p.invoice_line_key = c.invoice_line_key
        where p.source_file in (?, ?)""", *files)
    con.execute("delete from raw.invoice_lines__olvg where source_file = ?", [gone_file])
    con.execute("delete from raw.deliveries where source_file = ?", [gone_file])
    con.execute("update raw.invoice_lines__hva set amount_excl_vat = amount_excl_vat + 1 where source_file = ?",
                [changed_file])
    con.execute("update raw.deliveries set sha256 = md5(sha256) where source_file = ?", [changed_file])
    con.close()

    reports = dbt_groups(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = n_groups(con)
        years_after = set(con.execute("select distinct anchor_code, year(invoice_date) from raw.invoice_lines")
                          .fetchall())
        # int_suppliers_by_anchor_year has a row per supplier of an anchor-year
        rows_of_touched = sum(one(con, """select count(distinct supplier_key)
                                          from intermediate.int_invoice_lines_classified
                                          where anchor_code = ? and invoice_year = ?""", *ay)[0] for ay in touched)
    # The anchor-years of the two files are computed again, but one that only the withdrawn file held is gone.
    gone_years = years_before - years_after
    assert reports[SUPPLIERS] == (len(touched - gone_years), after[SUPPLIERS], len(gone_years), rows_of_touched)
    assert after[SUPPLIERS] == before[SUPPLIERS] - len(gone_years)
    assert touched - gone_years  # the scenario computes something again
    # Every supplier-year of the files' lines is computed again (a supplier whose only lines of the year were
    # in the withdrawn file is gone); other suppliers of those anchor-years may be too (a rank, a flag), and
    # none of the other anchor-years.
    changed, of, gone, rows = reports[CONTRIBUTIONS]
    assert of == after[CONTRIBUTIONS]
    assert changed + gone >= suppliers
    assert gone == before[CONTRIBUTIONS] - after[CONTRIBUTIONS]
    assert 0 < changed < of and rows > 0
    # The decisions of the files' anchor-years are taken again (of others too when a supplier's flags,
    # which count all anchors of a year, changed there); the anchor-year only the withdrawn file held is gone.
    changed, of, gone, rows = reports[DECISIONS]
    assert (of, gone) == (after[DECISIONS], len(gone_years))
    assert len(touched - gone_years) <= changed < of and rows > 0
    assert_equals_full_build(warehouse)


def test_a_changed_reference_table_or_a_null_key_rebuilds_in_full(warehouse):
    # geography_tiers (a seed, read whole by int_suppliers_by_anchor_year) changes: that model is built in full.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update reference.geography_tiers set tier_order = tier_order + 10 where tier = 'abroad'")
    assert dbt_groups(warehouse, select=SUPPLIERS) == {SUPPLIERS: FULL}
    # A group key that is NULL cannot be compared: a full build.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("""update intermediate.int_invoice_lines_classified set supplier_key = null
                       where invoice_line_key = (select min(invoice_line_key)
                                                 from intermediate.int_invoice_lines_classified)""")
    assert dbt_groups(warehouse, select=CONTRIBUTIONS) == {CONTRIBUTIONS: f"{FULL} (1 groups with a NULL key)"}
    # --full-refresh
    assert dbt_groups(warehouse, "--full-refresh", select=SUPPLIERS) == {SUPPLIERS: FULL}


def test_the_python_models_code_and_settings_rebuild_it_in_full(warehouse):
    """int_disclosure_decisions is built in full when a var it reads changes (its compiled code) or when the
    code of the ingestion package it imports changes (ingestion/dbt_plugin.py), and not otherwise."""
    def decisions(*extra: str):
        return dbt_groups(warehouse, *extra, select=DECISIONS)[DECISIONS]

    assert decisions()[0] == 0
    assert decisions("--vars", "{disclosure_p_percent: 11}") == FULL
    assert decisions("--vars", "{disclosure_p_percent: 11}")[0] == 0
    assert decisions() == FULL  # back to the project's value
    marker = ROOT / "ingestion" / "_test_code_change.py"  # any module of the package counts
    marker.write_text("# written by tests/test_group_incremental.py\n")
    try:
        assert decisions() == FULL
        assert decisions()[0] == 0
    finally:
        marker.unlink()
    assert decisions() == FULL
