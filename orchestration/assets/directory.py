"""The Koop Lokaal supplier directory (action 3.2) as files the platform's website can publish."""


import json
import time

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.assets.publish import PUBLISHED_KEY
from orchestration.resources import CwbPaths

DIRECTORY_KEY = AssetKey(["exports", "koop_lokaal_directory"])
# Published column (Dutch, for the directory's readers) <- mart column.
COLUMNS = {
    "naam": "establishment_name",
    "rechtsvorm": "legal_form_group",
    "doelsector": "target_sector",
    "sbi_sectie": "sbi_section_name",
    "sbi_afdeling": "sbi_division_name",
    "postcode_gebied": "pc4",
    "wijk": "wijk_naam",
    "gebied": "gebied_naam",
    "grootte": "size_class",
    "cooperatie": "is_cooperative",
    "actief_bij_ankerorganisaties": "is_active",
}


@asset(
    key=DIRECTORY_KEY,
    deps=[AssetKey(["publication", "pub_fct_koop_lokaal_directory"]), PUBLISHED_KEY],
    group_name="exports",
    kinds={"csv", "json"},
    description="Koop Lokaal directory of local suppliers in Nieuw-West by sector and neighbourhood (CSV and "
                "JSON, Dutch field names), from publication.fct_koop_lokaal_directory: legal entities only, so no "
                "sole trader's name is published.",
)
def koop_lokaal_directory(context: AssetExecutionContext, paths: CwbPaths) -> MaterializeResult:
    from ingestion.publish import replace_atomically, temp_path_for
    from ingestion.warehouse import connect

    started = time.perf_counter()
    select = ", ".join(f"{src} as {dst}" for dst, src in COLUMNS.items())
    with connect(paths.published_path(), read_only=True) as con:
        df = con.execute(f"select {select} from publication.fct_koop_lokaal_directory "
                         "order by doelsector nulls last, gebied nulls last, naam nulls last").df()
    folder = paths.output_path() / "koop_lokaal"
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = folder / "leveranciers.csv", folder / "leveranciers.json"
    tmp_csv, tmp_json = temp_path_for(csv_path), temp_path_for(json_path)
    df.to_csv(tmp_csv, index=False, encoding="utf-8", lineterminator="\n")
    records = json.loads(df.to_json(orient="records", force_ascii=False))
    tmp_json.write_text(json.dumps({"leveranciers": records, "aantal": len(records)}, ensure_ascii=False, indent=1)
                        + "\n", encoding="utf-8")
    replace_atomically(tmp_csv, csv_path)
    replace_atomically(tmp_json, json_path)
    context.log.info("Koop Lokaal directory: %d suppliers written to %s", len(df), folder)
    return MaterializeResult(metadata={
        "csv": MetadataValue.path(str(csv_path)), "json": MetadataValue.path(str(json_path)),
        "dagster/row_count": len(df), "active": int(df["actief_bij_ankerorganisaties"].sum()),
        "seconds": round(time.perf_counter() - started, 2),
    })
