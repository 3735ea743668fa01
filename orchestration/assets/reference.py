"""Reference data shipped in ``data/reference`` (provenance and licences in its SOURCES.md)."""


from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.project import DUCKDB_POOL
from orchestration.resources import CwbPaths

DESCRIPTIONS = {
    "nl_pc4_gemeente": "PC4 x gemeente with address counts (CBS, 1 Aug 2024; gemeentelijke indeling 2024).",
    "amsterdam_pc4_stadsdeel": "Amsterdam PC4 x stadsdeel with address counts and shares (CBS + Gemeente "
                               "Amsterdam, 2024): decides shared PC4s by the stadsdeel with most addresses.",
    "sbi2008": "SBI 2008 hierarchy (CBS, versie 2018): sector codes before KvK's switch of September 2025.",
    "sbi2025": "SBI 2025 hierarchy (CBS): sector codes from September 2025 on.",
    "amsterdam_postcode_areas": "Amsterdam PC4 x wijk and gebied with address counts (CBS + Gemeente Amsterdam, "
                                "2024): the neighbourhood of a local supplier in the Koop Lokaal directory.",
}


def build_reference_asset(name: str):
    key = AssetKey(["reference", name])
    check_name = f"pandera_{name}"

    @asset(
        key=key,
        group_name="reference",
        pool=DUCKDB_POOL,
        kinds={"duckdb", "csv"},
        description=DESCRIPTIONS[name] + " Loaded from data/reference/" + name + ".csv.",
        check_specs=[AssetCheckSpec(check_name, asset=key, blocking=True,
                                    description=f"reference.{name} satisfies its pandera schema.")],
    )
    def _reference(paths: CwbPaths) -> MaterializeResult:
        from ingestion.schemas import REFERENCE_SCHEMAS, validate
        from ingestion.warehouse import REFERENCE_DIR, connect, load_reference_table

        with connect(paths.warehouse_path()) as con:
            n = load_reference_table(con, name, REFERENCE_DIR / f"{name}.csv")
            stored = con.execute(f"select * from reference.{name}").df()
        passed, failures = validate(stored, REFERENCE_SCHEMAS[name]())
        return MaterializeResult(
            metadata={"dagster/row_count": n, "source": f"data/reference/{name}.csv"},
            check_results=[AssetCheckResult(check_name=check_name, passed=passed,
                                            severity=AssetCheckSeverity.ERROR,
                                            metadata={"failures": MetadataValue.json(failures)})],
        )

    return _reference


reference_assets = [build_reference_asset(name) for name in DESCRIPTIONS]
