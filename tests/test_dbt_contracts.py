"""Every mart carries an enforced dbt model contract.

The marts are the platform's interface (docs/architecture.md, "Marts"): the dashboard, the tests and
analysts read them. With `contract: enforced: true` dbt refuses to build a mart whose columns or
types differ from its YAML, so a change in a mart's shape is a deliberate change of its YAML. These
tests read dbt's manifest (dbt_project/target/manifest.json, written by `make dbt-manifest`) and fail
for any model in models/marts without an enforced contract or with a column without a data_type, so
a new mart cannot be added without one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"
MANIFEST = DBT_PROJECT / "target" / "manifest.json"
MARTS_DIR = DBT_PROJECT / "models" / "marts"


@pytest.fixture(scope="module")
def mart_nodes() -> dict[str, dict]:
    if not MANIFEST.is_file():
        pytest.fail(f"{MANIFEST} not found: run `make dbt-manifest` first")
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    nodes = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")
    }
    # A stale manifest would miss a mart added since: every SQL file in the folder must be in it.
    on_disk = {path.stem for path in MARTS_DIR.glob("*.sql")}
    missing = sorted(on_disk - set(nodes))
    assert not missing, f"marts not in the manifest (stale? run `make dbt-manifest`): {missing}"
    return nodes


def test_marts_are_found(mart_nodes):
    assert {"fct_spend_by_tier", "fct_invoice_lines", "fct_local_spend_share"} <= set(mart_nodes)


def test_every_mart_has_an_enforced_contract(mart_nodes):
    without = sorted(name for name, node in mart_nodes.items()
                     if not node["config"].get("contract", {}).get("enforced"))
    assert not without, f"marts without `config: contract: enforced: true`: {without}"


def test_every_mart_column_has_a_data_type(mart_nodes):
    problems = []
    for name, node in sorted(mart_nodes.items()):
        if not node["columns"]:
            problems.append(f"{name}: no columns listed")
        for column, spec in node["columns"].items():
            if not (spec.get("data_type") or "").strip():
                problems.append(f"{name}.{column}: no data_type")
    assert not problems, "\n".join(problems)


def test_mart_money_columns_are_exact_decimals(mart_nodes):
    """Euro amounts are DECIMAL(18,2) in every mart (docs/architecture.md): a DOUBLE sum loses cents."""
    wrong = sorted(
        f"{name}.{column}: {spec['data_type']}"
        for name, node in mart_nodes.items()
        for column, spec in node["columns"].items()
        if column.endswith("_eur") and (spec.get("data_type") or "").replace(" ", "").lower() != "decimal(18,2)"
    )
    assert not wrong, wrong
