"""The headline figure (Nieuw-West share of spend per anchor x year) straight from the delivered files,
twice: as one hand-written DuckDB query (the practical floor: no validation, no quarantine, no supplier
resolution, no marts) and as the plain pandas script an analyst would otherwise write.

Both use the same simplified placement, so their figures agree with each other to the cent:
the supplier's postcode on the invoice line, else the postcode of the KvK establishment (by
vestigingsnummer) or of the organisation's main establishment (by KvK number); a postcode is in
Nieuw-West when its PC4's largest share of addresses lies in stadsdeel F (the reference table the
pipeline also uses). Lines without any of these count as elsewhere. The pipeline places more (supplier
resolution by name and address, the shared-PC4 ranges), so its shares differ a little; the benchmark
prints the difference.

Only the anchors' own dialects are taken from their configurations (ingestion/anchors/*.yaml): file
pattern, delimiter, encoding, decimal and thousands separators, VAT basis and credit-note marking.
DuckDB cannot read XLSX on this machine (no excel extension can be downloaded), so both versions read
the OLVG and STWT workbooks with python-calamine, the reader the pipeline uses too.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
from python_calamine import CalamineWorkbook

from ingestion.config import AnchorConfig, load_anchor_configs

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = ROOT / "data" / "reference"
NIEUW_WEST = "F"
RESULT_COLUMNS = ["anchor_code", "year", "nw_cents", "total_cents"]

# DuckDB's CSV reader knows utf-8, utf-16 and latin-1 without extensions; the fields used here (amounts,
# dates, postcodes, numbers) are ASCII, where cp1252 and latin-1 agree.
_DUCKDB_ENCODING = {"cp1252": "latin-1", "utf-8-sig": "utf-8", "utf-8": "utf-8", "latin-1": "latin-1"}


def _xlsx_rows(path: Path, cfg: AnchorConfig) -> pd.DataFrame:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(cfg.sheet)
    rows = sheet.to_python(skip_empty_area=False)[cfg.skip_rows:]
    header, body = [str(h).strip() for h in rows[0]], rows[1:]
    if cfg.skip_footer:
        body = body[: len(body) - cfg.skip_footer]
    return pd.DataFrame(body, columns=header)


def _xlsx_lines(cfg: AnchorConfig, landing: Path) -> pd.DataFrame:
    """An XLSX anchor's lines as anchor, year, cents, postcode, KvK and vestigingsnummer."""
    col = cfg.columns
    parts = []
    for path in cfg.source_files(landing):
        raw = _xlsx_rows(path, cfg)
        amount = pd.to_numeric(raw[col["amount"]], errors="coerce")
        if cfg.amount_basis == "incl_vat" and cfg.vat == "column":
            amount = amount - pd.to_numeric(raw[col["vat_amount"]], errors="coerce").fillna(0)
        dates = raw[col["invoice_date"]]
        year = pd.to_datetime(dates, errors="coerce", format="mixed", dayfirst=True).dt.year
        parts.append(pd.DataFrame({
            "anchor_code": cfg.code,
            "year": year,
            "cents": (amount * 100).round(),
            "postcode": raw[col["supplier_postcode"]].astype(str) if "supplier_postcode" in col else None,
            "kvk": raw[col["kvk_number"]].astype(str) if "kvk_number" in col else None,
            "vestnr": raw[col["vestigingsnummer"]].astype(str) if "vestigingsnummer" in col else None,
        }))
    out = pd.concat(parts, ignore_index=True)
    return out.dropna(subset=["year", "cents"]).astype({"year": "int64", "cents": "int64"})


# --------------------------------------------------------------------------------------------------
# (a) One DuckDB query over the files


def _amount_sql(expr: str, cfg: AnchorConfig) -> str:
    text = f"replace(trim({expr}), ' ', '')"
    if cfg.thousands:
        text = f"replace({text}, '{cfg.thousands}', '')"
    if cfg.decimal != ".":
        text = f"replace({text}, '{cfg.decimal}', '.')"
    return f"try_cast({text} as decimal(18,2))"


def _csv_select(cfg: AnchorConfig, landing: Path) -> str:
    col = cfg.columns
    q = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
    files = [str(p) for p in cfg.source_files(landing)]
    amount = _amount_sql(q(col["amount"]), cfg)
    if cfg.credit_indicator_column:
        marks = ", ".join(f"'{v.upper()}'" for v in cfg.credit_values)
        mark = f"upper(trim({q(cfg.credit_indicator_column)}))"
        amount = f"case when {mark} in ({marks}) then -{amount} else {amount} end"
    if cfg.amount_basis == "incl_vat" and cfg.vat == "column":
        amount = f"({amount} - coalesce({_amount_sql(q(col['vat_amount']), cfg)}, 0))"
    elif cfg.amount_basis == "incl_vat" and cfg.vat == "rate":
        rate = f"try_cast(replace(replace({q(col['vat_rate'])}, '%', ''), ',', '.') as decimal(9,4))"
        amount = f"round({amount} / (1 + {rate} / 100), 2)"
    opt = lambda f: q(col[f]) if f in col else "null"  # noqa: E731
    return f"""
        select '{cfg.code}' as anchor_code,
               year(strptime(trim({q(col['invoice_date'])}), '{cfg.date_formats[0]}')) as year,
               ({amount} * 100)::bigint as cents,
               {opt('supplier_postcode')} as postcode, {opt('kvk_number')} as kvk,
               {opt('vestigingsnummer')} as vestnr
        from read_csv({files!r}, delim = '{cfg.delimiter}', quote = '{cfg.quotechar}', header = true,
                      all_varchar = true, skip = {cfg.skip_rows},
                      encoding = '{_DUCKDB_ENCODING.get(cfg.encoding.lower(), cfg.encoding)}')
    """


_PLACE_SQL = """
with register as (
    select lpad(vestigingsnummer, 12, '0') as vestnr, lpad(kvk_nummer, 8, '0') as kvk,
           ind_hoofdvestiging = 'Ja' as hoofd, upper(replace(postcode, ' ', '')) as postcode
    from read_csv($kvk, header = true, all_varchar = true)
), by_vestiging as (
    select vestnr, any_value(postcode) as postcode from register group by 1
), by_kvk as (
    select kvk, any_value(postcode) as postcode from register where hoofd group by 1
), nieuw_west as (
    select postcode as pc4 from read_csv($pc4, header = true, all_varchar = true)
    where stadsdeel_code = $nw and is_hoofdstadsdeel = '1'
), placed as (
    select l.anchor_code, l.year, l.cents,
           coalesce(nullif(upper(replace(l.postcode, ' ', '')), ''), v.postcode, k.postcode) as postcode
    from lines l
    left join by_vestiging v on v.vestnr = lpad(nullif(trim(l.vestnr), ''), 12, '0')
    left join by_kvk k on k.kvk = lpad(nullif(trim(l.kvk), ''), 8, '0')
    where l.cents is not null and l.year is not null
)
select anchor_code, year,
       coalesce(sum(cents) filter (where left(postcode, 4) in (select pc4 from nieuw_west)), 0)::bigint as nw_cents,
       sum(cents)::bigint as total_cents
from placed
group by all
order by all
"""


def floor_duckdb(data_dir: Path, reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    landing = Path(data_dir) / "landing"
    configs = load_anchor_configs()
    with duckdb.connect() as con:
        selects = []
        for cfg in configs:
            if cfg.format == "xlsx":
                con.register(f"xlsx_{cfg.code}", _xlsx_lines(cfg, landing))
                selects.append(f"select anchor_code, year, cents, postcode, kvk, vestnr from xlsx_{cfg.code}")
            else:
                selects.append(_csv_select(cfg, landing))
        con.execute("create temp view lines as " + "\nunion all\n".join(selects))
        return con.execute(_PLACE_SQL, {
            "kvk": str(landing / "kvk" / "vestigingen.csv"),
            "pc4": str(Path(reference_dir) / "amsterdam_pc4_stadsdeel.csv"),
            "nw": NIEUW_WEST,
        }).df()[RESULT_COLUMNS]


# --------------------------------------------------------------------------------------------------
# (b) Plain pandas


def _pandas_amount(text: pd.Series, cfg: AnchorConfig) -> pd.Series:
    text = text.str.strip().str.replace(" ", "", regex=False)
    if cfg.thousands:
        text = text.str.replace(cfg.thousands, "", regex=False)
    if cfg.decimal != ".":
        text = text.str.replace(cfg.decimal, ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def _pandas_csv_lines(cfg: AnchorConfig, landing: Path) -> pd.DataFrame:
    col = cfg.columns
    parts = []
    for path in cfg.source_files(landing):
        df = pd.read_csv(path, sep=cfg.delimiter, quotechar=cfg.quotechar, encoding=cfg.encoding, dtype=str,
                         keep_default_na=False, skiprows=cfg.skip_rows)
        df.columns = [c.replace("\ufeff", "").strip() for c in df.columns]
        amount = _pandas_amount(df[col["amount"]], cfg)
        if cfg.credit_indicator_column:
            marks = [v.upper() for v in cfg.credit_values]
            credit = df[cfg.credit_indicator_column].str.strip().str.upper().isin(marks)
            amount = amount.where(~credit, -amount)
        if cfg.amount_basis == "incl_vat" and cfg.vat == "column":
            amount = amount - _pandas_amount(df[col["vat_amount"]], cfg).fillna(0)
        elif cfg.amount_basis == "incl_vat" and cfg.vat == "rate":
            rate = pd.to_numeric(df[col["vat_rate"]].str.replace("%", "").str.replace(",", "."), errors="coerce")
            amount = (amount / (1 + rate / 100)).round(2)
        fmt = cfg.date_formats[0]
        parts.append(pd.DataFrame({
            "anchor_code": cfg.code,
            "year": pd.to_datetime(df[col["invoice_date"]].str.strip(), format=fmt, errors="coerce").dt.year,
            "cents": (amount * 100).round(),
            "postcode": df[col["supplier_postcode"]] if "supplier_postcode" in col else None,
            "kvk": df[col["kvk_number"]] if "kvk_number" in col else None,
            "vestnr": df[col["vestigingsnummer"]] if "vestigingsnummer" in col else None,
        }))
    return pd.concat(parts, ignore_index=True).dropna(subset=["year", "cents"])


def plain_pandas(data_dir: Path, reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    landing = Path(data_dir) / "landing"
    lines = pd.concat([_xlsx_lines(c, landing) if c.format == "xlsx" else _pandas_csv_lines(c, landing)
                       for c in load_anchor_configs()], ignore_index=True)
    register = pd.read_csv(landing / "kvk" / "vestigingen.csv", dtype=str, keep_default_na=False)
    register["postcode"] = register["postcode"].str.replace(" ", "").str.upper()
    by_vestiging = (register.assign(vestnr=register["vestigingsnummer"].str.zfill(12))
                    .groupby("vestnr")["postcode"].first())
    by_kvk = (register[register["ind_hoofdvestiging"] == "Ja"].assign(kvk=register["kvk_nummer"].str.zfill(8))
              .groupby("kvk")["postcode"].first())
    pc4 = pd.read_csv(Path(reference_dir) / "amsterdam_pc4_stadsdeel.csv", dtype=str)
    nieuw_west = set(pc4.loc[(pc4["stadsdeel_code"] == NIEUW_WEST) & (pc4["is_hoofdstadsdeel"] == "1"), "postcode"])

    def clean(s: pd.Series, width: int) -> pd.Series:
        s = s.astype("string").str.strip()
        return s.where(s != "").str.zfill(width)

    own = lines["postcode"].astype("string").str.replace(" ", "").str.upper()
    own = own.where(own != "")
    postcode = own.fillna(clean(lines["vestnr"], 12).map(by_vestiging)).fillna(clean(lines["kvk"], 8).map(by_kvk))
    lines["nw_cents"] = lines["cents"].where(postcode.str[:4].isin(nieuw_west).fillna(False).astype(bool), 0)
    out = (lines.groupby(["anchor_code", "year"], as_index=False)
           .agg(nw_cents=("nw_cents", "sum"), total_cents=("cents", "sum")))
    return out.astype({"year": "int64", "nw_cents": "int64", "total_cents": "int64"})[RESULT_COLUMNS]
