"""Rebuild the postcode reference files from CBS's own download (CC BY 4.0).

The postcode files shipped in ``data/reference/`` carry address counts from a CC BY-NC-SA 4.0
derivative of CBS data. CBS publishes the source itself under CC BY 4.0: "Buurt, wijk en gemeente
<year> voor postcode huisnummer", a semicolon CSV ``pc6hnr<yyyymmdd>_gwb.csv`` with one row per
address (``PC6;Huisnummer;Buurt<year>;Wijk<year>;Gemeente<year>``). This module rebuilds, from that file:

- ``nl_pc4_gemeente.csv``: PC4 x gemeente address counts and shares (same columns as shipped);
- ``amsterdam_pc4_stadsdeel.csv``: Amsterdam PC4 x stadsdeel counts and shares (same columns);
- ``amsterdam_pc6_huisnummer_stadsdeel.csv``: for the Amsterdam PC4s that span more than one
  stadsdeel, the stadsdeel of every PC6 + house number: the exact placement the PC4 files cannot give.

Gemeente names and provinces are taken from the shipped ``nl_pc4_gemeente.csv`` (CBS facts), stadsdeel
names from ``amsterdam_gebiedsindeling.csv``; an Amsterdam wijk's stadsdeel is the first letter of its
wijk code (gebiedsindeling 2022).

Usage::

    python -m ingestion.cbs_postcodes --cbs pc6hnr20240801_gwb.csv --out data/reference
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"
AMSTERDAM = "GM0363"


class CbsFileError(ValueError):
    """The CBS file does not look like a postcode-huisnummer-buurt file."""


def _ident(name: str) -> str:
    """A column name as a quoted SQL identifier (a header may hold any character, quotes included)."""
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


def _columns(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    try:
        header = [r[0] for r in con.execute(
            "select column_name from (describe select * from read_csv(?, delim = ';', header = true, "
            "all_varchar = true))", [str(path)]).fetchall()]
    except duckdb.Error as exc:
        raise CbsFileError(f"{path}: cannot be read as a semicolon CSV file: {_first_line(exc)}") from None
    found = {}
    for role, prefix in (("pc6", "PC6"), ("huisnummer", "Huisnummer"), ("wijk", "Wijk"), ("gemeente", "Gemeente")):
        match = [c for c in header if c.lower().startswith(prefix.lower())]
        if not match:
            raise CbsFileError(f"{path}: no column starting with {prefix!r}; the header is {header}")
        found[role] = match[0]
    return found


def rebuild(cbs_file: Path, out_dir: Path, names_dir: Path = REFERENCE_DIR) -> dict[str, int]:
    """Write the three files into ``out_dir``. Returns their row counts."""
    cbs_file, out_dir = Path(cbs_file), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    cols = {role: _ident(name) for role, name in _columns(con, cbs_file).items()}
    try:
        con.execute(f"""
            create table addresses as
            select distinct
                upper(replace(trim({cols['pc6']}), ' ', '')) as pc6,
                trim({cols['huisnummer']}) as huisnummer,
                regexp_replace(trim({cols['wijk']}), '^WK', '') as wijk,
                'GM' || lpad(regexp_replace(trim({cols['gemeente']}), '^GM', ''), 4, '0') as gemeente_code
            from read_csv(?, delim = ';', header = true, all_varchar = true)
            where regexp_matches(upper(replace(trim({cols['pc6']}), ' ', '')), '^[1-9][0-9]{{3}}[A-Z]{{2}}$')
        """, [str(cbs_file)])
    except duckdb.Error as exc:  # a row the CSV reader cannot read (encoding, quoting, ragged line)
        raise CbsFileError(f"{cbs_file}: cannot be read as a semicolon CSV file: {_first_line(exc)}") from None
    n = con.execute("select count(*) from addresses").fetchone()[0]
    if n == 0:
        raise CbsFileError(f"{cbs_file}: no rows with a valid PC6")

    names = pd.read_csv(names_dir / "nl_pc4_gemeente.csv", dtype=str)[
        ["gemeente_code", "gemeente_naam", "provincie"]].drop_duplicates("gemeente_code")
    con.register("gemeente_names", names)
    gebieden = pd.read_csv(names_dir / "amsterdam_gebiedsindeling.csv", dtype=str, keep_default_na=False)
    stadsdelen = gebieden[["stadsdeel_code", "stadsdeel_naam"]].drop_duplicates("stadsdeel_code")
    # Westpoort (B) has no buurten in the gebiedsindeling but does have CBS wijken.
    if "B" not in set(stadsdelen["stadsdeel_code"]):
        stadsdelen = pd.concat([stadsdelen, pd.DataFrame({"stadsdeel_code": ["B"], "stadsdeel_naam": ["Westpoort"]})])
    con.register("stadsdeel_names", stadsdelen)

    gemeente = con.execute("""
        with counts as (
            select left(pc6, 4) as pc4, gemeente_code, count(*) as n_adressen
            from addresses group by all
        ), totals as (
            select *, sum(n_adressen) over (partition by pc4) as n_adressen_pc4,
                   count(*) over (partition by pc4) as n_gemeenten_in_pc4,
                   row_number() over (partition by pc4 order by n_adressen desc, gemeente_code) as rank_in_pc4
            from counts
        )
        select t.pc4, t.gemeente_code, g.gemeente_naam, g.provincie, t.n_adressen, t.n_adressen_pc4,
               round(t.n_adressen / t.n_adressen_pc4, 4) as aandeel,
               (t.rank_in_pc4 = 1)::int as is_hoofdgemeente, t.n_gemeenten_in_pc4
        from totals t left join gemeente_names g using (gemeente_code)
        order by t.pc4, t.n_adressen desc, t.gemeente_code
    """).df()

    con.execute(f"""
        create table amsterdam as
        select a.*, substr(a.wijk, 5, 1) as stadsdeel_code
        from addresses a
        where a.gemeente_code = '{AMSTERDAM}' and left(a.wijk, 4) = '0363'
    """)
    stadsdeel = con.execute("""
        with counts as (
            select left(pc6, 4) as postcode, stadsdeel_code, count(*) as n_adressen from amsterdam group by all
        ), pc4_totals as (
            select left(pc6, 4) as postcode, count(*) as n_adressen_pc4_totaal_nl from addresses group by all
        ), ranked as (
            select c.*, p.n_adressen_pc4_totaal_nl,
                   count(*) over (partition by c.postcode) as n_stadsdelen_in_pc4,
                   row_number() over (partition by c.postcode order by c.n_adressen desc, c.stadsdeel_code)
                       as rank_in_pc4
            from counts c join pc4_totals p using (postcode)
        )
        select r.postcode, r.stadsdeel_code, s.stadsdeel_naam, r.n_adressen, r.n_adressen_pc4_totaal_nl,
               round(r.n_adressen / r.n_adressen_pc4_totaal_nl, 4) as aandeel_van_pc4,
               (r.rank_in_pc4 = 1)::int as is_hoofdstadsdeel, r.n_stadsdelen_in_pc4
        from ranked r left join stadsdeel_names s using (stadsdeel_code)
        order by r.postcode, r.n_adressen desc, r.stadsdeel_code
    """).df()
    exact = con.execute("""
        with shared as (
            select left(pc6, 4) as pc4 from amsterdam group by 1 having count(distinct stadsdeel_code) > 1
        )
        select pc6, huisnummer, min(stadsdeel_code) as stadsdeel_code
        from amsterdam where left(pc6, 4) in (select pc4 from shared)
        group by pc6, huisnummer
        order by pc6, try_cast(huisnummer as integer), huisnummer
    """).df()

    gemeente.to_csv(out_dir / "nl_pc4_gemeente.csv", index=False, lineterminator="\n")
    stadsdeel.to_csv(out_dir / "amsterdam_pc4_stadsdeel.csv", index=False, lineterminator="\n")
    exact.to_csv(out_dir / "amsterdam_pc6_huisnummer_stadsdeel.csv", index=False, lineterminator="\n")
    return {"addresses": n, "nl_pc4_gemeente": len(gemeente), "amsterdam_pc4_stadsdeel": len(stadsdeel),
            "amsterdam_pc6_huisnummer_stadsdeel": len(exact)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cbs", required=True, type=Path, help="pc6hnr<yyyymmdd>_gwb.csv from CBS")
    parser.add_argument("--out", type=Path, default=REFERENCE_DIR)
    args = parser.parse_args(argv)
    try:
        counts = rebuild(args.cbs, args.out)
    except (CbsFileError, duckdb.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(", ".join(f"{k}: {v:,}" for k, v in counts.items()), f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
