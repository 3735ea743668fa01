"""Supplier resolution: tie each (anchor, creditor number) to a KvK establishment (vestiging).

Plain Python (pandas, numpy, DuckDB, rapidfuzz); no Dagster, no dbt. Entry points:

    reg = prepare_register(kvk_establishments_df)        # once per KvK extract (1M rows: ~20 s on 2 cores)
    out = resolve(suppliers_df, reg, overrides_df)      # one row per input supplier

The cascade (first step that applies wins; every row records ``method`` and ``confidence``):

1. ``override``: an analyst's decision from the overrides file (vestigingsnummer, or empty for "no
   establishment / foreign"). Wins over every automatic method, confidence 1.0.
2. ``vestigingsnummer``: the 12-digit number is in the extract.
3. ``kvk_number_at_address`` / ``kvk_number_head_office``: the 8-digit KvK number is in the extract; the
   establishment is the one at the invoice address (PC6 + house number, PC6, or street + house number in
   the same place/PC4; or the only establishment of the organisation in the invoice's place), else the
   head office. Several establishments of the organisation in the invoice's place and nothing to tell
   them apart -> review.
4. ``vat_number_rsin``: a Dutch btw-id ``NL`` + RSIN + ``B`` + 2 digits; the RSIN is on the extract (legal
   entities only: a sole trader's btw-id is not derivable). Then the establishment as in step 3.
5. ``iban``: an IBAN already carried by a supplier resolved (auto-accepted or overridden) in this batch,
   when all those suppliers belong to one organisation; then the establishment as in step 3.
6. ``foreign``: supplier country not ``NL`` and no Dutch identifier: no establishment (not in the register).
7. ``name_address``: probabilistic matching on name and address (below).
8. ``none``: nothing found.

Identifier steps 2-5 are guarded by the name: if the supplier name has a name score below
``NAME_GUARD`` against every name of the identified establishment, the row goes to review ("identifier
found but the name differs": a stale or mistyped number), not to auto-accept.

Name and address matching
-------------------------
Names are normalised identically on both sides (one DuckDB SQL macro, vectorised and multi-threaded):
lower case, accents stripped, dots and apostrophes dropped (``B.V.``/``b.v.``/``B.V`` -> ``bv``), other
punctuation and ``&`` to spaces, ``van der/den/de`` and ``v.d.`` -> ``vd``, ``gebr`` -> ``gebroeders``;
then legal-form and filler words are removed as whole words: ``bv nv vof cv ua wa ba stichting st stg
cooperatie cooperatieve vereniging holding groep de het en``. Each establishment is compared under all of
its names (statutaire_naam, eerste_handelsnaam, every handelsnaam) and, when a trade name ends in the
establishment's place ("Prisma Bouw Utrecht"), also without that place.

Blocking (never all pairs): candidates are the establishments (a) at the supplier's PC6; (b) in the
supplier's PC4 sharing one of its three rarest name tokens; (c) in the supplier's place sharing one of
its two rarest tokens; (d) anywhere sharing its rarest token when the supplier has neither postcode nor
place. Oversized (token, area) blocks are skipped (``BLOCK_CAP``). Suppliers left without a candidate
of name score >= 80 (typically a typo in the rare token) get a fuzzy scan of their PC4, else their place,
with ``rapidfuzz.process.cdist(score_cutoff=..., workers=-1)``. Candidate pairs are scored with
``rapidfuzz.process.cpdist`` (element-wise, ``workers=-1``): name score = max(ratio, token_sort_ratio) on
the normalised names, best over the establishment's names.

Confidence of a candidate = 0.65 * name_score/100 + 0.35 * address level, where the address level is 1.0
(same PC6 and house number), 0.9 (same street and house number in the same PC4 or place), 0.8 (same
PC6), 0.7 (same PC4 and street), 0.6 (same place and street), 0.5 (same PC4), 0.4 (same place), else 0.

Auto-accept threshold
---------------------
A name/address match is auto-accepted when its confidence >= ``AUTO_ACCEPT`` (0.85), its name score >=
``AUTO_MIN_NAME`` (85) and the next *other* establishment scores at least ``AMBIGUITY_MARGIN`` (0.05)
lower. Below that, a best candidate with confidence >= ``REVIEW_FLOOR`` (0.55) and name score >= 60 goes
to review with its top 3 candidates and why; anything weaker is unresolved (method ``none``). Chain
branches with the same name in one place and no street to tell them apart go to review: with the place
only, confidence is at most 0.65 + 0.35 * 0.4 = 0.79; branches sharing a PC6 without house numbers tie
and fail the margin rule.

Benchmark figures (``benchmarks/resolution_benchmark.py``: 2,400 labelled records against a synthetic
register of ~24k establishments; seed 1 used for the sweep, seed 2 for the reported table). At 0.85 / 85:
overall auto-accepted precision 0.9996, recall 0.978 (seed 1) and 0.9996 / 0.977 (seed 2); name_address
alone precision 1.000, recall 0.965; review share 1.9 %. The sweep over (AUTO_ACCEPT, AUTO_MIN_NAME) on
seed 1: 0.90/85 -> name_address recall 0.960; 0.80/80 -> 0.967; 0.75/80 -> 0.980; 0.70/70 -> 0.986;
0.60/60 -> 0.990, with name_address precision 1.000 at every point. So the synthetic set does not find
the precision edge: it lacks hard negatives (unrelated firms with similar names at one business-centre
address, renamed firms, look-alike sole traders in one street). 0.85 is therefore a deliberately
conservative setting, not a fitted optimum: it costs ~2 points of recall on this set (a ~1 % larger
review queue) and leaves headroom for the harder real data. Re-tune on a labelled sample of real
review decisions once the overrides file has a few hundred entries.

Why rapidfuzz with blocking and not splink
------------------------------------------
* The register is the reference, not another dirty list: this is look-up of a dirty record in a
  clean, authoritative table, not deduplication or linkage of two dirty lists, which is what splink's
  Fellegi-Sunter model (m/u probabilities per field) is built for.
* There is no training data: splink estimates m/u by expectation-maximisation or from labels; our fields
  are few and strongly structured (postcode, house number, name) and the first five steps are exact
  identifier look-ups. A deterministic, documented score is easier to explain to analysts and auditors
  and gives the same answer on every run (no EM convergence, no random sampling for u).
* Speed and footprint on 2 cores: 50,000 suppliers against 1,000,000 establishments resolve in well under
  2 minutes with DuckDB joins for blocking and rapidfuzz's C++ scorers; splink would add a Spark/DuckDB
  model-training pass and its dependencies for no gain in this look-up setting.
* The review queue plus overrides file is the feedback loop: analysts' decisions win over every method.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

OUTPUT_COLUMNS = ["anchor_code", "supplier_ref", "vestigingsnummer", "kvk_number", "method", "confidence", "status",
                  "candidates", "merged_supplier_key"]
SUPPLIER_COLUMNS = ["anchor_code", "supplier_ref", "supplier_name", "kvk_number", "vestigingsnummer", "vat_number",
                    "iban", "supplier_street", "supplier_house_number", "supplier_postcode", "supplier_city",
                    "supplier_country"]

AUTO_ACCEPT = 0.85
AUTO_MIN_NAME = 85.0
AMBIGUITY_MARGIN = 0.05
REVIEW_FLOOR = 0.55
REVIEW_MIN_NAME = 60.0
NAME_GUARD = 50.0
FALLBACK_NAME = 80.0
BLOCK_CAP = 400
GLOBAL_CAP = 200
W_NAME, W_ADDR = 0.65, 0.35

_STOPWORDS = ("bv", "nv", "vof", "cv", "ua", "wa", "ba", "stichting", "st", "stg", "cooperatie", "cooperatieve",
              "vereniging", "holding", "groep", "de", "het", "en")
_NAME_MACRO = r"""
CREATE OR REPLACE MACRO cwb_norm_name(x) AS trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(lower(strip_accents(coalesce(x, ''))), '[.''`´]', '', 'g'),
    '[^a-z0-9]+', ' ', 'g'),
    '\bvan (der|den|de)\b', 'vd', 'g'),
    '\bgebr\b', 'gebroeders', 'g'),
    '\b(STOPWORDS)\b', ' ', 'g'),
    '\s+', ' ', 'g'));
CREATE OR REPLACE MACRO cwb_norm_text(x) AS
    trim(regexp_replace(lower(strip_accents(coalesce(x, ''))), '[^a-z0-9]+', ' ', 'g'));
""".replace("STOPWORDS", "|".join(_STOPWORDS))

_PC6 = re.compile(r"^([1-9][0-9]{3})\s?([A-Z]{2})$")
_VAT_NL = re.compile(r"^NL([0-9]{9})B[0-9]{2}$")


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(_NAME_MACRO)
    return con


def normalise_names(names: pd.Series | list) -> list[str]:
    """The normalised form of names (the same function the register and the suppliers go through)."""
    con = _connect()
    frame = pd.DataFrame({"i": np.arange(len(names)), "x": pd.Series(list(names), dtype=object)})
    con.register("n_in", frame)
    out = con.execute("SELECT cwb_norm_name(x) FROM n_in ORDER BY i").fetchall()
    return [r[0] for r in out]


@dataclass
class PreparedRegister:
    """The KvK extract, indexed for resolution (build once, resolve many batches against it)."""

    con: duckdb.DuckDBPyConnection
    vest: np.ndarray          # object, per row
    kvk: np.ndarray
    display: np.ndarray       # eerste_handelsnaam (or statutaire_naam)
    postcode: np.ndarray
    pc4: np.ndarray
    city: np.ndarray          # normalised plaats
    street: np.ndarray        # normalised straatnaam
    house: np.ndarray         # int64, -1 if none
    is_head: np.ndarray       # bool
    name_row: np.ndarray      # row of each normalised name, sorted
    name_str: np.ndarray      # normalised names (object)
    name_start: np.ndarray    # offsets into name_row per row (len n_rows + 1)
    vest_index: pd.Index      # unique vestigingsnummers
    vest_rows: np.ndarray     # their rows
    by_kvk: pd.DataFrame      # kvk, row
    by_rsin: pd.DataFrame     # rsin, row

    @property
    def n_rows(self) -> int:
        return len(self.vest)

    def rows_of_vest(self, values) -> np.ndarray:
        """Register row of each vestigingsnummer (-1 if absent; the first row if the extract repeats one)."""
        pos = self.vest_index.get_indexer(np.asarray(values, dtype=object))
        return np.where(pos >= 0, self.vest_rows[np.maximum(pos, 0)], -1) if len(pos) else pos


def _text_col(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series([None] * len(df), index=df.index, dtype=object)
    s = df[col].astype(object).where(df[col].notna(), None)
    s = s.map(lambda v: None if v is None else (str(v).strip() or None))
    return s


def prepare_register(register: pd.DataFrame) -> PreparedRegister:
    """Index a raw.kvk_establishments-shaped DataFrame: normalised names, name tokens, blocking keys."""
    con = _connect()
    n = len(register)
    reg = pd.DataFrame({
        "row_id": np.arange(n, dtype=np.int64),
        "vest": _text_col(register, "vestigingsnummer").to_numpy(),
        "kvk": _text_col(register, "kvk_nummer").to_numpy(),
        "rsin": _text_col(register, "rsin").to_numpy(),
        "stat": _text_col(register, "statutaire_naam").to_numpy(),
        "trade": _text_col(register, "eerste_handelsnaam").to_numpy(),
        "hn": _text_col(register, "handelsnamen").to_numpy(),
        "head": _text_col(register, "ind_hoofdvestiging").to_numpy(),
        "street_raw": _text_col(register, "straatnaam").to_numpy(),
        "house_raw": _text_col(register, "huisnummer").to_numpy(),
        "pc_raw": _text_col(register, "postcode").to_numpy(),
        "city_raw": _text_col(register, "plaats").to_numpy(),
    })
    con.register("reg_in", reg)
    con.execute("""
        CREATE TABLE reg AS SELECT row_id,
            upper(replace(pc_raw, ' ', '')) AS pc6,
            left(upper(replace(pc_raw, ' ', '')), 4) AS pc4,
            nullif(cwb_norm_text(city_raw), '') AS city,
            nullif(cwb_norm_text(street_raw), '') AS street,
            coalesce(try_cast(regexp_extract(house_raw, '^[0-9]+') AS BIGINT), -1) AS house,
            head = 'Ja' AS is_head,
            coalesce(trade, stat) AS display
        FROM reg_in ORDER BY row_id;
        CREATE TABLE names AS
        WITH raw AS (
            SELECT row_id, city_raw, unnest(list_distinct(list_filter(
                list_concat([stat, trade], string_split(coalesce(hn, ''), '|')),
                x -> x IS NOT NULL AND trim(x) <> ''))) AS nm
            FROM reg_in),
        n1 AS (SELECT row_id, cwb_norm_name(nm) AS name, cwb_norm_text(city_raw) AS city FROM raw)
        SELECT DISTINCT row_id, name FROM (
            SELECT row_id, name FROM n1
            UNION ALL
            SELECT row_id, trim(left(name, length(name) - length(city))) FROM n1
            WHERE city <> '' AND length(name) > length(city) + 1 AND ends_with(name, ' ' || city)
        ) WHERE name <> '';
        CREATE TABLE rtok AS
        SELECT DISTINCT token, row_id FROM (SELECT row_id, unnest(string_split(name, ' ')) AS token FROM names)
        WHERE length(token) >= 2;
        CREATE TABLE tokdf AS SELECT token, count(*) AS df FROM rtok GROUP BY token;
        CREATE TABLE rtok_area AS SELECT t.token, t.row_id, r.pc4, r.city FROM rtok t JOIN reg r USING (row_id);
        CREATE TABLE blk_pc4 AS SELECT token, pc4, count(*) AS n FROM rtok_area WHERE pc4 <> '' GROUP BY ALL;
        CREATE TABLE blk_city AS SELECT token, city, count(*) AS n FROM rtok_area WHERE city IS NOT NULL GROUP BY ALL;
    """)
    r = con.execute("SELECT pc6, pc4, city, street, house, is_head, display FROM reg ORDER BY row_id").df()
    nm = con.execute("SELECT row_id, name FROM names ORDER BY row_id, name").df()
    name_row = nm["row_id"].to_numpy(np.int64)
    name_start = np.searchsorted(name_row, np.arange(n + 1))
    kvk = reg["kvk"].to_numpy(object)
    by_kvk = pd.DataFrame({"kvk": kvk, "row": reg["row_id"].to_numpy()}).dropna()
    by_rsin = pd.DataFrame({"rsin": reg["rsin"].to_numpy(object), "row": reg["row_id"].to_numpy()}).dropna()
    con.unregister("reg_in")
    first_vest = ~pd.Index(reg["vest"].to_numpy(object)).duplicated()
    return PreparedRegister(
        con=con, vest=reg["vest"].to_numpy(object), kvk=kvk, display=r["display"].to_numpy(object),
        postcode=r["pc6"].to_numpy(object), pc4=r["pc4"].to_numpy(object),
        city=r["city"].to_numpy(object), street=r["street"].to_numpy(object),
        house=r["house"].to_numpy(np.int64), is_head=r["is_head"].fillna(False).to_numpy(bool),
        name_row=name_row, name_str=nm["name"].to_numpy(object), name_start=name_start,
        vest_index=pd.Index(reg["vest"].to_numpy(object)[first_vest]), vest_rows=np.flatnonzero(first_vest),
        by_kvk=by_kvk, by_rsin=by_rsin,
    )


# --------------------------------------------------------------------------------------------------
# Suppliers
# --------------------------------------------------------------------------------------------------

def _prepare_suppliers(suppliers: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    s = pd.DataFrame({c: _text_col(suppliers, c).to_numpy(object) for c in SUPPLIER_COLUMNS})
    s["sid"] = np.arange(len(s), dtype=np.int64)
    pc = s["supplier_postcode"].map(lambda v: None if v is None else v.upper().replace(" ", ""))
    ok = pc.map(lambda v: v is not None and bool(_PC6.match(v)))
    s["pc6"] = pc.where(ok, None)
    s["pc4"] = s["pc6"].map(lambda v: v[:4] if v else None)
    s["country"] = s["supplier_country"].map(lambda v: (v or "NL").upper())
    s["vest"] = s["vestigingsnummer"].map(lambda v: v if v and re.fullmatch(r"[0-9]{12}", v) else None)
    s["kvk"] = s["kvk_number"].map(lambda v: v if v and re.fullmatch(r"[0-9]{8}", v) else None)
    vat = s["vat_number"].map(lambda v: None if v is None else v.upper().replace(" ", "").replace(".", ""))
    s["rsin"] = vat.map(lambda v: (m.group(1) if (m := _VAT_NL.match(v)) else None) if v else None)
    s["iban_c"] = s["iban"].map(lambda v: None if v is None else v.upper().replace(" ", ""))
    con.register("s_in", s[["sid", "supplier_name", "supplier_city", "supplier_street", "supplier_house_number"]])
    norm = con.execute("""
        SELECT sid, cwb_norm_name(supplier_name) AS name, nullif(cwb_norm_text(supplier_city), '') AS city,
               nullif(cwb_norm_text(supplier_street), '') AS street,
               coalesce(try_cast(regexp_extract(supplier_house_number, '^[0-9]+') AS BIGINT), -1) AS house
        FROM s_in ORDER BY sid""").df()
    con.unregister("s_in")
    for c in ("name", "city", "street", "house"):
        s[c] = norm[c].to_numpy()
    s["name"] = s["name"].fillna("")
    return s


def _addr_level(s: pd.DataFrame, reg: PreparedRegister, sid: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Address agreement of supplier sid with establishment row (see the module docstring)."""
    s_pc6 = s["pc6"].to_numpy(object)[sid]
    s_pc4 = s["pc4"].to_numpy(object)[sid]
    s_city = s["city"].to_numpy(object)[sid]
    s_street = s["street"].to_numpy(object)[sid]
    s_house = s["house"].to_numpy(np.int64)[sid]
    pc6 = (s_pc6 != None) & (s_pc6 == reg.postcode[row])  # noqa: E711  (element-wise on object arrays)
    pc4 = (s_pc4 != None) & (s_pc4 == reg.pc4[row])  # noqa: E711
    city = (s_city != None) & (s_city == reg.city[row])  # noqa: E711
    street = (s_street != None) & (s_street == reg.street[row])  # noqa: E711
    house = (s_house >= 0) & (s_house == reg.house[row])
    lvl = np.zeros(len(sid))
    for cond, v in ((city, 0.4), (pc4, 0.5), (city & street, 0.6), (pc4 & street, 0.7), (pc6, 0.8),
                    ((city | pc4) & street & house, 0.9), (pc6 & house, 1.0)):
        lvl = np.where(cond, np.maximum(lvl, v), lvl)
    return lvl


def _addr_why(level: float) -> str:
    return {1.0: "same PC6 and house number", 0.9: "same street and house number", 0.8: "same PC6",
            0.7: "same PC4 and street", 0.6: "same place and street", 0.5: "same PC4", 0.4: "same place"
            }.get(round(float(level), 1), "address differs or unknown")


def _name_scores(reg: PreparedRegister, s_names: np.ndarray, sid: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Best name score of supplier sid against all names of establishment row (element-wise pairs)."""
    if len(sid) == 0:
        return np.zeros(0)
    starts, ends = reg.name_start[row], reg.name_start[row + 1]
    counts = ends - starts
    pair = np.repeat(np.arange(len(sid)), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    nidx = np.repeat(starts, counts) + offs
    q = s_names[sid[pair]]
    c = reg.name_str[nidx]
    sc = np.maximum(process.cpdist(q, c, scorer=fuzz.ratio, workers=-1),
                    process.cpdist(q, c, scorer=fuzz.token_sort_ratio, workers=-1))
    best = np.zeros(len(sid))
    np.maximum.at(best, pair, sc)
    return best


# --------------------------------------------------------------------------------------------------
# The cascade
# --------------------------------------------------------------------------------------------------

class _State:
    def __init__(self, n: int):
        self.row = np.full(n, -1, dtype=np.int64)
        self.vest = np.full(n, None, dtype=object)
        self.method = np.full(n, None, dtype=object)
        self.conf = np.zeros(n)
        self.status = np.full(n, None, dtype=object)
        self.cand = np.full(n, None, dtype=object)
        self.conflict: dict[int, tuple[int, str, str]] = {}

    @property
    def pending(self) -> np.ndarray:
        return self.method == None  # noqa: E711

    def set(self, idx, row, method, conf, status, cand=None):
        idx = np.asarray(idx, dtype=np.int64)
        self.row[idx] = row
        self.method[idx] = method
        self.conf[idx] = conf
        self.status[idx] = status
        if cand is not None:
            self.cand[idx] = cand


def _cand_json(reg: PreparedRegister, rows, scores, whys) -> str:
    return json.dumps([{"vestigingsnummer": reg.vest[r], "name": reg.display[r], "postcode": reg.postcode[r],
                        "score": round(float(sc), 3), "why": w} for r, sc, w in zip(rows, scores, whys, strict=True)],
                      ensure_ascii=False)


def _choose_within(s: pd.DataFrame, reg: PreparedRegister, st: _State, sids: np.ndarray, rows: np.ndarray,
                   method: str, base_conf: float) -> None:
    """Pick, per supplier, the establishment among its organisation's rows (at the address, else head office)."""
    if len(sids) == 0:
        return
    lvl = _addr_level(s, reg, sids, rows)
    d = pd.DataFrame({"sid": sids, "row": rows, "lvl": lvl, "head": reg.is_head[rows]})
    d["n_org"] = d.groupby("sid")["row"].transform("size")
    d["max_lvl"] = d.groupby("sid")["lvl"].transform("max")
    top = d[d["lvl"] == d["max_lvl"]]
    head_row = d[d["head"]].groupby("sid")["row"].first().to_dict()
    first_row = d.groupby("sid")["row"].first().to_dict()
    has_addr = (s["pc6"].notna() | s["city"].notna() | s["street"].notna()).to_numpy()
    at_addr = f"{method}_at_address" if method == "kvk_number" else method
    at_head = f"{method}_head_office" if method == "kvk_number" else method
    for sid_, g in top.groupby("sid", sort=False):
        lv = g["lvl"].iloc[0]
        n_org = g["n_org"].iloc[0]
        rr = g["row"].to_numpy()
        if lv >= 0.4 and len(rr) == 1:
            st.set([sid_], rr[0], at_addr, round(base_conf if lv >= 0.8 else base_conf - 0.04, 3), "auto_accepted")
            continue
        if lv >= 0.4:
            heads = rr[reg.is_head[rr]]
            if lv >= 0.8 and len(heads) == 1:
                st.set([sid_], heads[0], at_addr, round(base_conf - 0.04, 3), "auto_accepted")
                continue
            k = min(3, len(rr))
            why = [f"{method.replace('_', ' ')}: one of {len(rr)} establishments of the organisation at the "
                   f"supplier's address ({_addr_why(lv)}), nothing to tell them apart"] * k
            st.set([sid_], rr[0], at_addr, 0.6, "review", _cand_json(reg, rr[:k], [0.6] * k, why))
            continue
        r = head_row.get(sid_, first_row[sid_])
        conf = base_conf - (0.02 if n_org == 1 else (0.1 if has_addr[sid_] else 0.08))
        st.set([sid_], r, at_head, round(conf, 3), "auto_accepted")


def _guard_names(s: pd.DataFrame, reg: PreparedRegister, st: _State, idx: np.ndarray) -> None:
    """Identifier found but the supplier's name is far from every name of the establishment.

    The row is put back in the cascade (later steps and name matching still run) and ends in review, with
    the identifier's establishment among the candidates (see `_finish_conflicts`)."""
    idx = idx[(st.status[idx] == "auto_accepted") & (s["name"].to_numpy(object)[idx] != "")]
    if len(idx) == 0:
        return
    sc = _name_scores(reg, s["name"].to_numpy(object), idx, st.row[idx])
    for i, b in zip(idx[sc < NAME_GUARD], sc[sc < NAME_GUARD], strict=True):
        why = f"{st.method[i]} points here but the name differs (name score {b:.0f})"
        st.conflict[int(i)] = (int(st.row[i]), st.method[i], why)
        st.row[i], st.method[i], st.conf[i], st.status[i] = -1, None, 0.0, None


def _finish_conflicts(reg: PreparedRegister, st: _State) -> None:
    for i, (row, method, why) in st.conflict.items():
        cands = json.loads(st.cand[i]) if st.cand[i] else []
        if st.row[i] >= 0 and not cands:
            cands = [{"vestigingsnummer": reg.vest[st.row[i]], "name": reg.display[st.row[i]],
                      "postcode": reg.postcode[st.row[i]], "score": round(float(st.conf[i]), 3),
                      "why": f"{st.method[i]}; contradicts the {method}"}]
        cands = [c for c in cands if c["vestigingsnummer"] != reg.vest[row]][:2]
        cands.append({"vestigingsnummer": reg.vest[row], "name": reg.display[row], "postcode": reg.postcode[row],
                      "score": 0.5, "why": why})
        st.set([i], -1, method, 0.5, "review", json.dumps(cands, ensure_ascii=False))


def _candidate_pairs(s: pd.DataFrame, reg: PreparedRegister, todo: np.ndarray) -> pd.DataFrame:
    con = reg.con
    sub = s.loc[todo, ["sid", "name", "pc6", "pc4", "city"]]
    con.register("sup", sub)
    pairs = con.execute(f"""
        WITH stok AS (
            SELECT sid, token, df, row_number() OVER (PARTITION BY sid ORDER BY df, token) AS rk FROM (
                SELECT DISTINCT sid, unnest(string_split(name, ' ')) AS token FROM sup WHERE name <> ''
            ) JOIN tokdf USING (token) WHERE length(token) >= 2),
        st AS (SELECT stok.*, sup.pc4, sup.city FROM stok JOIN sup USING (sid))
        SELECT DISTINCT sid, row_id FROM (
            SELECT s.sid, r.row_id FROM sup s JOIN reg r ON s.pc6 = r.pc6
            UNION ALL
            SELECT st.sid, a.row_id FROM st JOIN blk_pc4 b ON b.token = st.token AND b.pc4 = st.pc4
                AND b.n <= {BLOCK_CAP}
                JOIN rtok_area a ON a.token = st.token AND a.pc4 = st.pc4 WHERE st.rk <= 3
            UNION ALL
            SELECT st.sid, a.row_id FROM st JOIN blk_city b ON b.token = st.token AND b.city = st.city
                AND b.n <= {BLOCK_CAP}
                JOIN rtok_area a ON a.token = st.token AND a.city = st.city WHERE st.rk <= 2
            UNION ALL
            SELECT st.sid, a.row_id FROM st JOIN rtok a ON a.token = st.token
            WHERE st.rk = 1 AND st.pc4 IS NULL AND st.city IS NULL AND st.df <= {GLOBAL_CAP}
        )""").df()
    con.unregister("sup")
    return pairs


def _fallback_pairs(s: pd.DataFrame, reg: PreparedRegister, sids: np.ndarray) -> pd.DataFrame:
    """Fuzzy scan of the supplier's PC4 (else place) for suppliers whose blocks found no good name."""
    out = []
    sub = s.loc[sids]
    names_city = reg.city[reg.name_row]
    names_pc4 = reg.pc4[reg.name_row]
    for key_col, arr in (("pc4", names_pc4), ("city", names_city)):
        part = sub[sub[key_col].notna()] if key_col == "pc4" else sub[sub["pc4"].isna() & sub["city"].notna()]
        if part.empty:
            continue
        order = np.argsort(arr.astype(str), kind="stable")
        keys_sorted = arr[order].astype(str)
        for key, g in part.groupby(key_col, sort=False):
            lo, hi = np.searchsorted(keys_sorted, key, "left"), np.searchsorted(keys_sorted, key, "right")
            if hi == lo:
                continue
            nidx = order[lo:hi]
            choices = reg.name_str[nidx]
            m = process.cdist(g["name"].tolist(), choices, scorer=fuzz.ratio, score_cutoff=FALLBACK_NAME - 5,
                              workers=-1, dtype=np.uint8)
            qi, ci = np.nonzero(m)
            if len(qi):
                out.append(pd.DataFrame({"sid": g["sid"].to_numpy()[qi], "row_id": reg.name_row[nidx[ci]]}))
    if not out:
        return pd.DataFrame({"sid": np.zeros(0, np.int64), "row_id": np.zeros(0, np.int64)})
    return pd.concat(out, ignore_index=True).drop_duplicates()


def _score_pairs(s: pd.DataFrame, reg: PreparedRegister, pairs: pd.DataFrame) -> pd.DataFrame:
    sid = pairs["sid"].to_numpy(np.int64)
    row = pairs["row_id"].to_numpy(np.int64)
    name = _name_scores(reg, s["name"].to_numpy(object), sid, row)
    lvl = _addr_level(s, reg, sid, row)
    return pd.DataFrame({"sid": sid, "row": row, "name": name, "lvl": lvl, "conf": W_NAME * name / 100 + W_ADDR * lvl})


def _name_address(s: pd.DataFrame, reg: PreparedRegister, st: _State, todo: np.ndarray) -> None:
    if len(todo) == 0:
        return
    scored = _score_pairs(s, reg, _candidate_pairs(s, reg, todo))
    best_name = scored.groupby("sid")["name"].max()
    need = np.setdiff1d(todo, best_name.index[best_name >= FALLBACK_NAME].to_numpy())
    need = need[s["name"].to_numpy(object)[need] != ""]
    if len(need):
        extra = _fallback_pairs(s, reg, need)
        if len(extra):
            scored = pd.concat([scored, _score_pairs(s, reg, extra)]).drop_duplicates(["sid", "row"])
    scored = scored.sort_values(["sid", "conf", "name"], ascending=[True, False, False], kind="stable")
    scored["rank"] = scored.groupby("sid").cumcount()
    top = scored[scored["rank"] < 3]
    first = top[top["rank"] == 0].set_index("sid")
    second = top[top["rank"] == 1].set_index("sid")["conf"]
    first["second"] = second.reindex(first.index).fillna(0.0)
    auto = ((first["conf"] >= AUTO_ACCEPT) & (first["name"] >= AUTO_MIN_NAME)
            & (first["conf"] - first["second"] >= AMBIGUITY_MARGIN))
    review = ~auto & (first["conf"] >= REVIEW_FLOOR) & (first["name"] >= REVIEW_MIN_NAME)
    a = first[auto]
    st.set(a.index.to_numpy(), a["row"].to_numpy(), "name_address", a["conf"].round(3).to_numpy(), "auto_accepted")
    rv = first[review]
    if len(rv):
        tr = top[top["sid"].isin(rv.index)]
        cj = {}
        for sid_, g in tr.groupby("sid", sort=False):
            sec = rv.at[sid_, "second"]
            whys = []
            for nm, lv, cf in zip(g["name"], g["lvl"], g["conf"], strict=True):
                w = f"name {nm:.0f}; {_addr_why(lv)}"
                if cf - sec < AMBIGUITY_MARGIN and len(g) > 1:
                    w += "; ambiguous: another establishment scores within the margin"
                elif cf < AUTO_ACCEPT or nm < AUTO_MIN_NAME:
                    w += "; below the auto-accept threshold"
                whys.append(w)
            cj[sid_] = _cand_json(reg, g["row"].to_numpy(), g["conf"].to_numpy(), whys)
        st.set(rv.index.to_numpy(), rv["row"].to_numpy(), "name_address", rv["conf"].round(3).to_numpy(), "review",
               np.array([cj[i] for i in rv.index], dtype=object))


def resolve(suppliers: pd.DataFrame, register: pd.DataFrame | PreparedRegister,
            overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """Resolve supplier records to establishments; one output row per input row, in input order."""
    reg = register if isinstance(register, PreparedRegister) else prepare_register(register)
    s = _prepare_suppliers(suppliers, reg.con)
    n = len(s)
    st = _State(n)

    # 1. overrides
    if overrides is not None and len(overrides):
        ov = pd.DataFrame({"anchor_code": _text_col(overrides, "anchor_code"),
                           "supplier_ref": _text_col(overrides, "supplier_ref"),
                           "ov_vest": _text_col(overrides, "vestigingsnummer")})
        ov = ov.drop_duplicates(["anchor_code", "supplier_ref"], keep="last")
        m = s[["sid", "anchor_code", "supplier_ref"]].merge(ov, on=["anchor_code", "supplier_ref"])
        for sid_, v in zip(m["sid"], m["ov_vest"], strict=True):
            r = reg.rows_of_vest([v])[0] if v else -1
            st.set([sid_], r, "override", 1.0, "auto_accepted")
            st.vest[sid_] = v
    # 2. vestigingsnummer
    idx = np.flatnonzero(st.pending & s["vest"].notna().to_numpy())
    rows = reg.rows_of_vest(s["vest"].to_numpy(object)[idx])
    ok = rows >= 0
    st.set(idx[ok], rows[ok], "vestigingsnummer", 1.0, "auto_accepted")
    _guard_names(s, reg, st, idx[ok])
    # 3. KvK number, 4. VAT number via RSIN
    for col, key, table, method, conf in (("kvk", "kvk", reg.by_kvk, "kvk_number", 0.99),
                                          ("rsin", "rsin", reg.by_rsin, "vat_number_rsin", 0.97)):
        p = s.loc[st.pending & s[col].notna().to_numpy(), ["sid", col]].rename(columns={col: key})
        pairs = p.merge(table, on=key)
        _choose_within(s, reg, st, pairs["sid"].to_numpy(np.int64), pairs["row"].to_numpy(np.int64), method, conf)
        _guard_names(s, reg, st, pairs["sid"].unique())
    # 5. IBAN seen on a resolved supplier (all of one organisation)
    done = (st.status == "auto_accepted") & (st.row >= 0) & s["iban_c"].notna().to_numpy()
    if done.any():
        seen = pd.DataFrame({"iban_c": s["iban_c"].to_numpy(object)[done], "kvk": reg.kvk[st.row[done]]})
        seen = seen.groupby("iban_c")["kvk"].agg(lambda k: k.iloc[0] if k.nunique() == 1 else None).dropna()
        p = s.loc[st.pending & s["iban_c"].isin(seen.index).to_numpy(), ["sid", "iban_c"]]
        p["kvk"] = p["iban_c"].map(seen)
        pairs = p.merge(reg.by_kvk, on="kvk")
        _choose_within(s, reg, st, pairs["sid"].to_numpy(np.int64), pairs["row"].to_numpy(np.int64), "iban", 0.95)
        _guard_names(s, reg, st, pairs["sid"].unique())
    # 6. foreign
    dutch_id = (s["vest"].notna() | s["kvk"].notna() | s["rsin"].notna()).to_numpy()
    idx = np.flatnonzero(st.pending & (s["country"] != "NL").to_numpy() & ~dutch_id)
    st.set(idx, -1, "foreign", 0.95, "auto_accepted")
    # 7. name and address
    _name_address(s, reg, st, np.flatnonzero(st.pending))
    # 8. nothing
    idx = np.flatnonzero(st.pending)
    st.set(idx, -1, "none", 0.0, "unresolved")
    _finish_conflicts(reg, st)

    has_row = st.row >= 0
    vest = np.where(has_row, reg.vest[np.where(has_row, st.row, 0)] if reg.n_rows else None, st.vest)
    kvk = np.where(has_row, reg.kvk[np.where(has_row, st.row, 0)] if reg.n_rows else None, None)
    out = pd.DataFrame({
        "anchor_code": s["anchor_code"], "supplier_ref": s["supplier_ref"],
        "vestigingsnummer": vest, "kvk_number": kvk, "method": st.method,
        "confidence": st.conf.round(3), "status": st.status, "candidates": st.cand,
    })
    out.loc[out["status"] == "unresolved", ["vestigingsnummer", "kvk_number"]] = None
    out.loc[out["method"] == "foreign", ["vestigingsnummer", "kvk_number"]] = None
    # review rows carry their best candidate only in `candidates`
    out.loc[out["status"] == "review", ["vestigingsnummer", "kvk_number"]] = None
    merged = (out["status"] == "auto_accepted") & out["vestigingsnummer"].notna()
    out["merged_supplier_key"] = np.where(merged, out["anchor_code"] + ":" + out["vestigingsnummer"].fillna(""),
                                          out["anchor_code"] + ":ref:" + out["supplier_ref"].fillna(""))
    out = out.astype({"confidence": float})
    return out[OUTPUT_COLUMNS]
