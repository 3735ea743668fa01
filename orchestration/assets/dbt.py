"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as asset checks."""


import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec, Config
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from pydantic import Field

from orchestration.project import DBT_PROJECT_DIR, DUCKDB_POOL, dbt_project
from orchestration.resources import CwbPaths

LAYERS = ("staging", "intermediate", "marts", "publication", "restricted")
DBT_TARGET_DIR = DBT_PROJECT_DIR / "target"
KEEP_DBT_RUN_FOLDERS = 3


def asset_key_for(resource_type: str, path_parts: list[str], name: str, source_name: str | None) -> AssetKey:
    """Asset keys read like the layers: sources -> [source, table], seeds -> [reference, seed],
    models -> [layer folder, model]. Pure function, unit-tested on its own."""
    if resource_type == "source":
        return AssetKey([source_name or "source", name])
    if resource_type == "seed":
        return AssetKey(["reference", name])
    layer = path_parts[0] if path_parts and path_parts[0] in LAYERS else "models"
    return AssetKey([layer, name])


class CwbDbtTranslator(DagsterDbtTranslator):
    """Keys and groups come from the dbt folder path, never from hard-coded model names."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> AssetSpec:
        # Memoised like the base class's: dagster-dbt asks again for every dependency and every test
        # (about 2,200 calls for 680 nodes), and each replace_attributes builds a new spec.
        memo = self.__dict__.setdefault("_cwb_specs", {})
        memo_id = (id(manifest), unique_id, id(project))
        if memo_id not in memo:
            memo[memo_id] = self._cwb_spec(manifest, unique_id, project)
        return memo[memo_id]

    def _cwb_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        resource_type = props["resource_type"]
        path = props.get("original_file_path") or props.get("path") or ""
        parts = [p for p in path.split("/") if p]
        if parts and parts[0] in ("models", "seeds"):
            parts = parts[1:]
        key = asset_key_for(resource_type, parts, props["name"], props.get("source_name"))
        group = key.path[0] if resource_type != "source" else spec.group_name
        return spec.replace_attributes(key=key, group_name=group)


def dbt_build_args(full_refresh: bool = False) -> list[str]:
    """dbt command-line arguments for a build. Pure function, unit-tested on its own.

    dbt's unit tests check the models' logic on fixed inputs, not the data: they run in CI
    (tests/test_dbt_project.py) and are left out of the pipeline's builds, where they would cost about as
    much as building the marts of the sample."""
    args = ["build", "--exclude", "resource_type:unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    return args


PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def keep_partial_parse(run_target: Path, project_target: Path) -> bool:
    """Make dbt's parse of a run (``<run target>/partial_parse.msgpack``) the one the next run starts from.

    dagster-dbt copies ``<project target>/partial_parse.msgpack`` into each run's own target folder, so that
    dbt parses only what changed. dbt throws it away when the profile differs from the one it was made with,
    and the profile holds the warehouse's path (CWB_WAREHOUSE): the file ``make setup`` prepares (default
    path) never matched a run's warehouse, and every run parsed the whole project again (6.5-7.7 instead of
    2.7-3.0 s for ``dbt parse``). Kept after each successful build, it matches the next run on the same
    warehouse; dbt still re-parses whatever files, vars or environment changed. Replaced atomically (a
    reader never sees half a file). Returns whether there was one to keep."""
    from ingestion.publish import replace_atomically, temp_path_for

    source = Path(run_target) / PARTIAL_PARSE_FILE
    if not source.is_file():
        return False
    tmp = temp_path_for(Path(project_target) / PARTIAL_PARSE_FILE)
    shutil.copyfile(source, tmp)
    replace_atomically(tmp, Path(project_target) / PARTIAL_PARSE_FILE)
    return True


class DbtBuildConfig(Config):
    """Run config of the dbt step (Launchpad: ops -> cwb_dbt_models -> config)."""

    full_refresh: bool = Field(
        default=False,
        description="Build the line-level models from all lines (dbt --full-refresh) instead of computing "
        "again only the lines of new or changed files and creditors (docs/architecture.md, \"Line-level models\").",
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=CwbDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool=DUCKDB_POOL,
)
def cwb_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, paths: CwbPaths, config: DbtBuildConfig):
    # dbt reads the warehouse path from CWB_WAREHOUSE (profiles.yml): make it the one this run uses.
    os.environ["CWB_WAREHOUSE"] = str(paths.warehouse_path())
    invocation = dbt.cli(dbt_build_args(full_refresh=config.full_refresh), context=context)
    yield from invocation.stream()
    if keep_partial_parse(Path(invocation.target_path), DBT_TARGET_DIR):
        context.log.debug("dbt's parse of this run kept for the next run (partial parsing)")
    # dagster-dbt gives every invocation a target folder of its own (manifest, run results, compiled SQL):
    # keep the last few for debugging, so disk use does not grow with every monthly run.
    from ingestion.publish import prune_run_folders

    gone = prune_run_folders(DBT_TARGET_DIR, f"{context.op_def.name}-*", keep=KEEP_DBT_RUN_FOLDERS)
    if gone:
        context.log.info("removed %d old dbt run folder(s) from %s", len(gone), DBT_TARGET_DIR)
