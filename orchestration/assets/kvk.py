"""The KvK (Chamber of Commerce) establishment extract."""


from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.project import DUCKDB_POOL
from orchestration.resources import CwbPaths

KVK_LANDING_KEY = AssetKey(["landing", "kvk"])
KVK_RAW_KEY = AssetKey(["raw", "kvk_establishments"])
KVK_FILE_PATTERN = "kvk/vestigingen*.csv"

kvk_landing_spec = AssetSpec(
    KVK_LANDING_KEY,
    group_name="landing",
    kinds={"file"},
    description=f"KvK Handelsregister establishment extract as delivered (`{KVK_FILE_PATTERN}`).",
)


@asset(
    key=KVK_RAW_KEY,
    deps=[KVK_LANDING_KEY],
    group_name="raw",
    pool=DUCKDB_POOL,
    kinds={"duckdb", "python"},
    description="One row per KvK establishment (vestiging): identifiers, names, legal form, visiting "
                "address, SBI activities, employees. The newest extract in the landing folder.",
    check_specs=[AssetCheckSpec("pandera_kvk_establishments", asset=KVK_RAW_KEY, blocking=True,
                                description="KvK numbers 8 digits, vestigingsnummers 12 digits and unique, "
                                            "postcodes 1234AB, one head office per KvK number.")],
)
def kvk_establishments(context: AssetExecutionContext, paths: CwbPaths) -> MaterializeResult:
    from ingestion.kvk_extract import read_kvk_extract
    from ingestion.schemas import kvk_establishments_schema, validate
    from ingestion.warehouse import connect

    files = sorted(paths.landing_path().glob(KVK_FILE_PATTERN))
    if not files:
        raise FileNotFoundError(f"no KvK extract matches {KVK_FILE_PATTERN} under {paths.landing_path()}")
    extract = files[-1]
    with connect(paths.warehouse_path()) as con:
        n = read_kvk_extract(con, extract)  # KvkExtractError names the file and what is wrong
        stored = con.execute("select * from raw.kvk_establishments").df()
    passed, failures = validate(stored, kvk_establishments_schema())
    for failure in failures[:10]:
        context.log.error("raw.kvk_establishments failed the gate: %s", failure)
    return MaterializeResult(
        metadata={"source_file": str(extract.name), "dagster/row_count": n,
                  "kvk_numbers": int(stored["kvk_nummer"].nunique())},
        check_results=[AssetCheckResult(
            check_name="pandera_kvk_establishments", passed=passed, severity=AssetCheckSeverity.ERROR,
            metadata={"failures": MetadataValue.json(failures)},
        )],
    )
