"""The programme's own inputs (landing/programme/): co-operative register, tender calendar, fund ledger."""


from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from ingestion.config import load_anchor_configs
from orchestration.project import DUCKDB_POOL
from orchestration.resources import CwbPaths

PROGRAMME_LANDING_KEY = AssetKey(["landing", "programme"])
DESCRIPTIONS = {
    "initiatives": "Co-operative pipeline register: one row per initiative (sector, phase 1-7, jobs, revenue, "
                   "KvK number once registered). From cooperatives.yaml.",
    "initiative_phases": "When each initiative entered each phase. From cooperatives.yaml.",
    "targets": "Programme targets (worker co-operatives, Koop Lokaal, investment capacity). From cooperatives.yaml.",
    "tenders": "The anchors' tender calendar (action 1a.2): one row per upcoming tender. From tenders.csv.",
    "tender_lots": "Lots of each tender. From tenders.csv.",
    "fund_transactions": "Investment instrument ledger (action 3.3): commitments and investments. From fund.csv.",
}

programme_landing_spec = AssetSpec(
    PROGRAMME_LANDING_KEY, group_name="landing", kinds={"file"},
    description="The programme's own inputs as its analysts keep them: landing/programme/cooperatives.yaml, "
                "tenders.csv and fund.csv.",
)


@multi_asset(
    specs=[AssetSpec(AssetKey(["programme", name]), deps=[PROGRAMME_LANDING_KEY], group_name="programme",
                     kinds={"duckdb", "python"}, description=text) for name, text in DESCRIPTIONS.items()],
    check_specs=[AssetCheckSpec(f"pandera_{name}", asset=AssetKey(["programme", name]), blocking=True,
                                description=f"programme.{name} satisfies its pandera schema.")
                 for name in DESCRIPTIONS],
    pool=DUCKDB_POOL,
    name="programme_inputs",
)
def programme_inputs(context: AssetExecutionContext, paths: CwbPaths):
    from ingestion.programme import TABLE_TYPES, read_programme, write_programme
    from ingestion.schemas import programme_schemas, validate
    from ingestion.warehouse import connect

    folder = paths.landing_path() / "programme"
    inputs = read_programme(folder, {cfg.code for cfg in load_anchor_configs()})
    schemas = programme_schemas()
    with connect(paths.warehouse_path()) as con:
        counts = write_programme(con, inputs)
        stored = {name: con.execute(f"select * from programme.{name}").df() for name in TABLE_TYPES}
    for name in DESCRIPTIONS:
        df = stored[name]
        for column, sql_type in TABLE_TYPES[name].items():   # DECIMAL comes back as object: check as numbers
            if sql_type.startswith("decimal") and len(df):
                df[column] = df[column].astype(float)
        passed, failures = validate(df, schemas[name])
        for failure in failures[:10]:
            context.log.error("programme.%s failed the gate: %s", name, failure)
        yield MaterializeResult(asset_key=AssetKey(["programme", name]),
                                metadata={"dagster/row_count": counts[name], "source_folder": str(folder)})
        yield AssetCheckResult(asset_key=AssetKey(["programme", name]), check_name=f"pandera_{name}",
                               passed=passed, severity=AssetCheckSeverity.ERROR,
                               metadata={"failures": MetadataValue.json(failures)})
