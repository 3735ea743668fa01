"""The line-level models (materialization `line_incremental`, dbt_project/macros/line_incremental.sql)
compute again only the lines that can have changed: lines of new or changed delivery files and lines of
creditors whose supplier match changed. Anything else that changed rebuilds them in full.

Each scenario changes a copy of the end-to-end warehouse (tests/conftest.py) the way a refresh would,
runs the three models through the dbt CLI, and checks
  - what dbt says it did (full build, or an increment with so many files, creditors and lines: the
    expected numbers are counted from the raw tables here, not taken from the materialization), and
  - that every increment gives exactly the rows a full build of the same warehouse gives (EXCEPT ALL
    both ways, on a second copy built with --full-refresh).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from benchmarks.pipeline_benchmark import LINE_MODEL_REPORT
from ingestion.privacy import SALT_ENV, SAMPLE_SALT
from tests.test_dbt_project import dbt_env, dbt_executable

ROOT = Path(__file__).resolve().parent.parent
LINE_MODELS = ("int_invoice_lines_placed", "int_invoice_lines_classified")


def dbt_lines(warehouse: Path, *extra: str) -> dict[str, tuple]:
    """Runs the line models and every model they are built on (the KvK extract and the supplier matches
    are tables); returns per line model 'full' or (files, changed or gone, creditors, lines)."""
    env = {**dbt_env(warehouse), SALT_ENV: SAMPLE_SALT}  # the salt the end-to-end warehouse was built with
    done = subprocess.run(
        [dbt_executable(), "run", "--project-dir", "dbt_project", "--profiles-dir",
         "dbt_project", "--target-path", str(warehouse.parent / "target"), "--select", f"+{LINE_MODELS[-1]}", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:]
    reports = {}
    for m in LINE_MODEL_REPORT.finditer(done.stdout):
        reports[m.group(1)] = "full" if m.group(2) == "full build" else tuple(int(g) for g in m.groups()[2:])
    assert set(reports) == set(LINE_MODELS), done.stdout[-4000:]
    return reports


def full_build_copy(warehouse: Path) -> Path:
    """A copy of the warehouse, to be built in full; the same file name: the views name their catalog."""
    full = warehouse.parent / "full" / warehouse.name
    full.parent.mkdir(exist_ok=True)
    shutil.copy(warehouse, full)
    return full


def assert_same_rows(warehouse: Path, full: Path, models) -> None:
    """The models' tables in the warehouse equal those in the full build, row for row; the copy goes."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{full}' as full_build (read_only)")
        for model in models:
            n = con.execute(f"select count(*) from intermediate.{model}").fetchone()[0]
            assert n > 0
            assert n == con.execute(f"select count(*) from full_build.intermediate.{model}").fetchone()[0]
            for a, b in (("intermediate", "full_build.intermediate"), ("full_build.intermediate", "intermediate")):
                extra = con.execute(f"select count(*) from (select * from {a}.{model} except all "
                                    f"select * from {b}.{model})").fetchone()[0]
                assert extra == 0, f"{model}: {extra} rows of {a} not in {b}"
    full.unlink()


def assert_equals_full_build(warehouse: Path) -> None:
    """The increment's tables equal those of a full build of the same warehouse, row for row."""
    full = full_build_copy(warehouse)
    assert dbt_lines(full, "--full-refresh") == {m: "full" for m in LINE_MODELS}
    assert_same_rows(warehouse, full, LINE_MODELS)


def one(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()


def test_nothing_changed_computes_no_line(warehouse):
    # A warehouse built by an earlier version still holds the table of a removed line model and its state
    # rows: the run drops them (macros/retired_relations.sql) and changes nothing else.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table intermediate.int_invoice_lines_located as "
                    "select * from intermediate.int_invoice_lines_placed limit 5")
        con.execute("insert into intermediate.line_increment_state "
                    "values ('int_invoice_lines_located', 'context', null, null, 'earlier')")
    assert dbt_lines(warehouse) == {m: (0, 0, 0, 0) for m in LINE_MODELS}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert one(con, "select count(*) from information_schema.tables "
                        "where table_name = 'int_invoice_lines_located'")[0] == 0
        assert one(con, "select count(*) from intermediate.line_increment_state "
                        "where model = 'int_invoice_lines_located'")[0] == 0


def test_a_delivery_gone_and_back_and_a_changed_match_and_file(warehouse):
    con = duckdb.connect(str(warehouse))
    # (raw.invoice_lines is a view over one table per anchor.)
    # A month's file of one anchor leaves (its delivery withdrawn) ...
    gone_file, gone_lines = one(con, """
        select source_file, count(*) from raw.invoice_lines where anchor_code = 'olvg'
        group by source_file order by count(*) desc, source_file limit 1""")
    con.execute("create table raw.held_lines as select * from raw.invoice_lines__olvg where source_file = ?",
                [gone_file])
    con.execute("create table raw.held_delivery as select * from raw.deliveries where source_file = ?", [gone_file])
    con.execute("delete from raw.invoice_lines__olvg where source_file = ?", [gone_file])
    con.execute("delete from raw.deliveries where source_file = ?", [gone_file])
    con.close()
    assert dbt_lines(warehouse) == {m: (0, 1, 0, 0) for m in LINE_MODELS}
    assert_equals_full_build(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert one(con, "select count(*) from intermediate.int_invoice_lines_classified "
                        "where invoice_line_key in (select invoice_line_key from intermediate.int_invoice_lines_placed "
                        "where source_file = ?)", gone_file)[0] == 0

    con = duckdb.connect(str(warehouse))
    # ... and comes back, while one creditor of another anchor loses its match and every creditor's
    # n_lines and spend (columns no line model reads) change, and a third file is delivered again
    # under the same name with other amounts (another sha256).
    con.execute("insert into raw.invoice_lines__olvg select * from raw.held_lines")
    con.execute("insert into raw.deliveries select * from raw.held_delivery")
    anchor, ref, creditor_lines = one(con, """
        select m.anchor_code, m.supplier_ref, count(*) from resolution.supplier_matches as m
        inner join raw.invoice_lines as l on l.anchor_code = m.anchor_code and l.supplier_ref = m.supplier_ref
        where m.status = 'auto_accepted' and m.vestigingsnummer is not null and m.anchor_code = 'gemeente_amsterdam'
        group by all order by count(*) desc, m.supplier_ref limit 1""")
    con.execute("update resolution.supplier_matches set vestigingsnummer = null, kvk_number = null, "
                "status = 'unresolved' where anchor_code = ? and supplier_ref = ?", [anchor, ref])
    con.execute("update resolution.supplier_matches set n_lines = n_lines + 1, spend_eur = spend_eur + 1")
    changed_file, = one(con, """
        select source_file from raw.invoice_lines where anchor_code = 'hva'
        group by source_file order by count(*) desc, source_file limit 1""")
    changed_lines, overlap = one(con, """
        select count(*), count(*) filter (where anchor_code = ? and supplier_ref = ?)
        from raw.invoice_lines where source_file = ?""", anchor, ref, changed_file)
    con.execute("update raw.invoice_lines__hva set amount_excl_vat = amount_excl_vat + 1 where source_file = ?",
                [changed_file])
    con.execute("update raw.deliveries set sha256 = md5(sha256) where source_file = ?", [changed_file])
    # A fourth file, its delivery unchanged, gains a line (as when the loader keeps the first of two
    # duplicates and the file that held the other one is gone).
    grown_file, grown_lines = one(con, """
        select source_file, count(*) from raw.invoice_lines__stwt
        group by source_file order by count(*) desc, source_file limit 1""")
    con.execute("""insert into raw.invoice_lines__stwt select * replace (invoice_line + 100000 as invoice_line)
                   from raw.invoice_lines__stwt where source_file = ? order by source_row limit 1""", [grown_file])
    con.close()
    assert overlap == 0
    recomputed = gone_lines + changed_lines + grown_lines + 1
    assert dbt_lines(warehouse) == {
        "int_invoice_lines_placed": (3, 2, 1, recomputed + creditor_lines),
        "int_invoice_lines_classified": (3, 2, 1, recomputed + creditor_lines),
    }
    assert_equals_full_build(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert one(con, "select count(*) from intermediate.int_invoice_lines_placed where anchor_code = ? "
                        "and supplier_ref = ? and placement_method like 'resolved%'", anchor, ref)[0] == 0


def test_a_changed_register_or_setting_rebuilds_in_full(warehouse):
    con = duckdb.connect(str(warehouse))
    con.execute("update raw.kvk_establishments set postcode = '1068AB' "
                "where vestigingsnummer = (select min(vestigingsnummer) from raw.kvk_establishments)")
    con.close()
    assert dbt_lines(warehouse) == {m: "full" for m in LINE_MODELS}
    # A var in placed's SQL: placed and, because its driver changed, classified are built in full.
    reports = dbt_lines(warehouse, "--vars", "{placement_basis: establishment}")
    assert reports == {"int_invoice_lines_placed": "full", "int_invoice_lines_classified": "full"}


def test_the_dagster_dbt_step_builds_in_full_only_when_asked(pipeline, warehouse, tmp_path):
    """The dbt step's run config `full_refresh` (Dagster's Launchpad) passes --full-refresh. A comment put
    on the tables shows what happened: an increment keeps the table (and the comment), a full build creates
    it again (without)."""
    from dagster import AssetKey, DagsterInstance

    _, data, _, _ = pipeline

    def mark_and_run(full_refresh: bool) -> dict[str, str | None]:
        with duckdb.connect(str(warehouse)) as con:
            for model in LINE_MODELS:
                con.execute(f"comment on table intermediate.{model} is 'before the run'")
        mp = pytest.MonkeyPatch()
        for name, value in (("CWB_DATA_DIR", data), ("CWB_WAREHOUSE", warehouse), ("CWB_OUTPUT_DIR", tmp_path)):
            mp.setenv(name, str(value))
        try:
            from orchestration.definitions import defs

            result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
                instance=DagsterInstance.ephemeral(),
                asset_selection=[AssetKey(["intermediate", m]) for m in LINE_MODELS],
                run_config={"ops": {"cwb_dbt_models": {"config": {"full_refresh": full_refresh}}}})
        finally:
            mp.undo()
        assert result.success
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return dict(con.execute("select table_name, comment from duckdb_tables() "
                                    "where schema_name = 'intermediate' and table_name like 'int_invoice_lines_%'")
                        .fetchall())

    assert mark_and_run(full_refresh=False) == {m: "before the run" for m in LINE_MODELS}
    assert mark_and_run(full_refresh=True) == {m: None for m in LINE_MODELS}
