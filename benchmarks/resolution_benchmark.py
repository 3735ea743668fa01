"""Benchmark: the supplier-resolution cascade (ingestion/resolution.py). Run on demand; prints figures.

(a) Quality: a labelled set of supplier records drawn from a synthetic KvK register (ingestion.synthetic's
    ``build_establishments``), each with its known true vestigingsnummer (None for foreign suppliers), and
    realistic noise: typos, legal-form suffix variants, missing postcodes and streets, trade instead of
    statutory names, abbreviations (St., Gebr., v.d., &/en), upper case, chains with many branches, the
    same name in different places, sole traders, foreign suppliers, duplicate creditor numbers, some
    records with KvK number / vestigingsnummer / btw-id / IBAN and many without, and a few stale
    identifiers (a vestigingsnummer of another establishment). Reports precision and recall per method
    and overall for auto-accepted decisions, the share sent to review and unresolved, and how often the
    truth is among the review candidates.
(b) Speed: 50,000 supplier records against a register of 1,000,000 establishments (the synthetic register
    replicated with new identifiers, postcodes, places and name words), wall time and peak memory.

    .venv/bin/python benchmarks/resolution_benchmark.py [--seed 2] [--records 2400] [--big 1000000]
        [--big-suppliers 50000] [--skip-speed]
"""

from __future__ import annotations

import argparse
import resource
import string
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingestion import synthetic as syn  # noqa: E402
from ingestion.resolution import prepare_register, resolve  # noqa: E402

REGISTER_COLUMNS = list(syn.KVK_COLUMNS)
ANCHORS = ("gemeente_amsterdam", "hva", "olvg", "de_alliantie", "stwt", "pantar")
SYLLABLES = ("ka", "lo", "ver", "mi", "dan", "to", "ber", "ge", "no", "sta", "ri", "vel", "mar", "quin", "zo",
             "ten", "bra", "ho", "lin", "ex", "ul", "pe", "dor", "wis", "fa", "ne", "gri", "tus", "ja", "kor")


# --------------------------------------------------------------------------------------------------
# Identifiers
# --------------------------------------------------------------------------------------------------

def _iban(rng: np.random.Generator) -> str:
    bank = ("ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB")[rng.integers(6)]
    acct = "".join(str(d) for d in rng.integers(0, 10, 10))
    digits = "".join(str(ord(c) - 55) for c in bank) + acct + "232100"   # N=23, L=21, "00"
    check = 98 - int(digits) % 97
    return f"NL{check:02d}{bank}{acct}"


def org_ibans(reg: pd.DataFrame, rng: np.random.Generator) -> dict:
    return {k: _iban(rng) for k in reg["kvk_nummer"].unique()}


# --------------------------------------------------------------------------------------------------
# Noise
# --------------------------------------------------------------------------------------------------

def _typo(name: str, rng: np.random.Generator) -> str:
    words = name.split(" ")
    cand = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not cand:
        return name
    i = cand[rng.integers(len(cand))]
    w = words[i]
    j = int(rng.integers(1, len(w) - 1))
    kind = rng.integers(4)
    if kind == 0:
        w = w[:j] + w[j + 1:]                                   # deletion
    elif kind == 1:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]                 # transposition
    elif kind == 2:
        w = w[:j] + string.ascii_lowercase[rng.integers(26)] + w[j + 1:]   # substitution
    else:
        w = w[:j] + w[j] + w[j:]                                # doubling
    words[i] = w
    return " ".join(words)


def _suffix_variant(name: str, rng: np.random.Generator) -> str:
    for long in (" B.V.", " B.V", " b.v.", " BV", " N.V.", " NV", " U.A.", " V.O.F."):
        if name.endswith(long):
            short = {" N.V.": (" NV", " N.V", ""), " NV": (" N.V.", "")}.get(
                long, (" BV", " B.V.", " b.v.", " Bv", "") if "V." in long.upper() or long == " BV" else ("",))
            return name[: -len(long)] + short[rng.integers(len(short))]
    if rng.random() < 0.3:
        return name + (" B.V.", " BV")[rng.integers(2)]   # a suffix the register does not show
    return name


def _abbreviate(name: str, rng: np.random.Generator) -> str:
    for long, shorts in (("Stichting ", ("St. ", "Stg. ", "")), ("Gebr. ", ("Gebroeders ",)),
                         ("Van der ", ("V.d. ", "v.d. ")), ("van der ", ("v.d. ",)), (" & ", (" en ", " + ")),
                         (" en ", (" & ",)), ("Coöperatie ", ("Cooperatie ", "Coop. ", ""))):
        if long in name:
            return name.replace(long, shorts[rng.integers(len(shorts))], 1)
    return name


def make_suppliers(reg: pd.DataFrame, rng: np.random.Generator, n: int, ibans: dict,
                   foreign: pd.DataFrame | None = None) -> pd.DataFrame:
    """Labelled supplier records: `true_vest` is the establishment each record truly is (None = foreign)."""
    n_foreign = int(round(n * 0.04)) if foreign is not None else 0
    n_dup = int(round(n * 0.06))
    n_nl = n - n_foreign - n_dup
    pick = rng.choice(len(reg), size=n_nl, replace=False)
    pick = np.concatenate([pick, rng.choice(pick, size=n_dup)])
    src = reg.iloc[pick].reset_index(drop=True)
    m = len(src)
    u = rng.random((m, 16))
    rows = []
    other_vest = reg["vestigingsnummer"].to_numpy()
    for i, r in enumerate(src.itertuples(index=False)):
        noise = []
        stat, trade = r.statutaire_naam or "", r.eerste_handelsnaam or ""
        hn = [h for h in str(r.handelsnamen or "").split("|") if h and h != trade]
        if stat and u[i, 0] < 0.5:
            name = stat
        elif hn and u[i, 0] < 0.6:
            name, _ = hn[0], noise.append("trade_name")
        else:
            name = trade
            if stat and trade != stat:
                noise.append("trade_name")
        if u[i, 1] < 0.35:
            new = _suffix_variant(name, rng)
            if new != name:
                name, _ = new, noise.append("suffix")
        if u[i, 2] < 0.30:
            new = _abbreviate(name, rng)
            if new != name:
                name, _ = new, noise.append("abbreviation")
        if u[i, 3] < 0.15:
            name, _ = _typo(name, rng), noise.append("typo")
        if u[i, 4] < 0.15:
            name = name.upper()
        if u[i, 14] < 0.05:
            name = name[:30].rstrip()    # a 30/40-character field in the anchor's system
        pc = r.postcode if u[i, 5] >= 0.15 else None
        if pc is None:
            noise.append("no_postcode")
        street = r.straatnaam if u[i, 6] >= 0.10 else None
        house = (f"{r.huisnummer}{r.huisletter or ''}" if street else None)
        if street is None:
            noise.append("no_street")
        city = r.plaats if u[i, 7] >= 0.03 else None
        vest = r.vestigingsnummer if u[i, 8] < 0.25 else None
        if vest and u[i, 15] < 0.04:
            vest = other_vest[rng.integers(len(other_vest))]   # stale / mistyped: another establishment
            noise.append("wrong_vestigingsnummer")
        kvk = r.kvk_nummer if u[i, 9] < 0.30 else None
        if r.rsin:
            vat = f"NL{r.rsin}B01" if u[i, 10] < 0.25 else None
        else:   # sole trader: own btw-id, not derivable from anything on the register
            vat = f"NL{''.join(str(d) for d in rng.integers(0, 10, 9))}B02" if u[i, 10] < 0.25 else None
        iban = ibans[r.kvk_nummer] if u[i, 11] < 0.6 else None
        if r.rechtsvorm == "Eenmanszaak":
            noise.append("sole_trader")
        if r.ind_hoofdvestiging == "Nee":
            noise.append("branch")
        if not (vest or kvk or vat):
            noise.append("no_identifier")
        rows.append((ANCHORS[rng.integers(len(ANCHORS))], name, kvk, vest, vat, iban, street, house, pc, city, "NL",
                     r.vestigingsnummer, ",".join(noise)))
    if n_foreign:
        f = foreign.iloc[rng.integers(0, len(foreign), n_foreign)]
        for r in f.itertuples(index=False):
            country = r._5 if rng.random() >= 0.1 else "NL"   # export without a country: defaults to NL
            rows.append((ANCHORS[rng.integers(len(ANCHORS))], r.eerste_handelsnaam, None, None, None, None,
                         r.straatnaam, r.huisnummer, None, r.plaats, country, None, "foreign"))
    out = pd.DataFrame(rows, columns=["anchor_code", "supplier_name", "kvk_number", "vestigingsnummer", "vat_number",
                                      "iban", "supplier_street", "supplier_house_number", "supplier_postcode",
                                      "supplier_city", "supplier_country", "true_vest", "noise"])
    out = out.iloc[rng.permutation(len(out))].reset_index(drop=True)
    out["supplier_ref"] = [f"CR{k:07d}" for k in range(len(out))]
    return out


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------

def score(sup: pd.DataFrame, res: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    d = sup[["true_vest", "noise"]].join(res)
    truth = d["true_vest"].fillna("")
    got = d["vestigingsnummer"].fillna("")
    auto = d["status"] == "auto_accepted"
    d["correct"] = auto & (truth == got)
    rows = []
    # cascade recall: records that reached the step and carry what the step needs
    reach = pd.Series(True, index=d.index)
    eligible = {
        "vestigingsnummer": sup["vestigingsnummer"].notna(),
        "kvk_number_at_address": sup["kvk_number"].notna(),
        "kvk_number_head_office": sup["kvk_number"].notna(),
        "vat_number_rsin": sup["vat_number"].notna(),
        "iban": sup["iban"].notna(),
        "foreign": sup["supplier_country"] != "NL",
        "name_address": pd.Series(True, index=d.index),
    }
    for m in ("vestigingsnummer", "kvk_number_at_address", "kvk_number_head_office", "vat_number_rsin", "iban",
              "foreign", "name_address"):
        am = auto & (d["method"] == m)
        elig = reach & eligible[m] & ~(d["method"].isin(["override"]))
        rows.append({"method": m, "auto_accepted": int(am.sum()),
                     "precision": d.loc[am, "correct"].mean() if am.any() else float("nan"),
                     "recall": (d["correct"] & am).sum() / max(1, (elig & ~d["method"].isin(_before(m))).sum()),
                     "review": int(((d["status"] == "review") & (d["method"] == m)).sum())})
    n = len(d)
    in_cands = d.loc[d["status"] == "review"].apply(
        lambda r: r["true_vest"] is not None and isinstance(r["candidates"], str) and r["true_vest"] in r["candidates"],
        axis=1)
    overall = {
        "records": n, "auto_accepted": int(auto.sum()),
        "precision": d.loc[auto, "correct"].mean(),
        "recall": d["correct"].sum() / n,
        "review_share": (d["status"] == "review").mean(),
        "unresolved_share": (d["status"] == "unresolved").mean(),
        "truth_in_review_candidates": in_cands.mean() if len(in_cands) else float("nan"),
    }
    return pd.DataFrame(rows), overall | {"detail": d}


def _before(m: str) -> list[str]:
    order = ["override", "vestigingsnummer", "kvk_number_at_address", "kvk_number_head_office", "vat_number_rsin",
             "iban", "foreign", "name_address"]
    cut = order.index(m)
    if m == "kvk_number_head_office":
        cut = order.index("kvk_number_at_address")
    return order[:cut]


def by_noise(d: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for tag in ("trade_name", "suffix", "abbreviation", "typo", "no_postcode", "no_street", "sole_trader", "branch",
                "no_identifier", "wrong_vestigingsnummer", "foreign"):
        m = d["noise"].str.contains(tag, regex=False)
        if not m.any():
            continue
        auto = m & (d["status"] == "auto_accepted")
        rows.append({"noise": tag, "records": int(m.sum()),
                     "precision": d.loc[auto, "correct"].mean() if auto.any() else float("nan"),
                     "recall": d.loc[m, "correct"].mean(), "review": (d.loc[m, "status"] == "review").mean()})
    return pd.DataFrame(rows)


def md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in df.itertuples(index=False):
        cells = []
        for v in r:
            cells.append(f"{v:.3f}" if isinstance(v, float) else str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# The big register
# --------------------------------------------------------------------------------------------------

def big_register(base: pd.DataFrame, ref: syn.Reference, n_total: int, rng: np.random.Generator) -> pd.DataFrame:
    """Replicate the synthetic register with new identifiers, postcodes, places and a name word per organisation."""
    parts = [base]
    n = len(base)
    copy = 0
    pool = ref.pc4
    w = (pool["weight"] / pool["weight"].sum()).to_numpy()
    plaats_of = np.array([syn.PLAATS_FOR_GEMEENTE.get(g, g) for g in pool["gemeente"]], dtype=object)
    org_codes, org_first = np.unique(base["kvk_nummer"].to_numpy(), return_inverse=True)
    total = n
    used_kvk = set(base["kvk_nummer"])
    while total < n_total:
        copy += 1
        k = min(n, n_total - total)
        p = base.iloc[:k].copy()
        n_org = len(org_codes)
        # new KvK numbers, RSINs and vestigingsnummers
        new_kvk = syn._unique_ints(rng, 10_000_000, 99_999_999, n_org * 2)
        new_kvk = np.array([str(x) for x in new_kvk if str(x) not in used_kvk][:n_org], dtype=object)
        used_kvk.update(new_kvk)
        p["kvk_nummer"] = new_kvk[org_first[:k]]
        rs = syn._rsin(rng, n_org)
        p["rsin"] = np.where(p["rsin"] != "", rs[org_first[:k]], "")
        p["vestigingsnummer"] = [f"{copy:03d}{v:09d}" for v in syn._unique_ints(rng, 0, 1_000_000_000, k).tolist()]
        # new postcodes/places
        pick = rng.choice(len(pool), size=k, p=w)
        letters = np.array(list("ABCDEGHJKLMNPRTVWXZ"))
        p["postcode"] = (pool["pc4"].to_numpy()[pick].astype(str) + letters[rng.integers(0, len(letters), k)]
                         + letters[rng.integers(0, len(letters), k)])
        p["plaats"] = plaats_of[pick]
        p["huisnummer"] = rng.integers(1, 300, k)
        # a pseudo-word per organisation in every name, so names stay varied
        words = np.array(["".join(SYLLABLES[j] for j in rng.integers(0, len(SYLLABLES), 3)).capitalize()
                          for _ in range(n_org)], dtype=object)
        wd = words[org_first[:k]]
        for col in ("statutaire_naam", "eerste_handelsnaam"):
            v = p[col].to_numpy(object)
            p[col] = np.where(v != "", wd + " " + v, v)
        p["handelsnamen"] = [("|".join(f"{x} {h}" for h in hs.split("|")) if hs else hs)
                             for x, hs in zip(wd, p["handelsnamen"], strict=True)]
        parts.append(p)
        total += k
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------------

def run_quality(seed: int, records: int, scale: float) -> None:
    ref = syn.load_reference(syn.DEFAULT_REFERENCE_DIR)
    rng = np.random.default_rng(seed)
    est = syn.build_establishments(rng, ref, scale)
    foreign = syn.build_foreign(rng, 1.0)
    reg = est[REGISTER_COLUMNS].copy()
    sup = make_suppliers(reg, rng, records, org_ibans(reg, rng), foreign)
    t = time.perf_counter()
    res = resolve(sup, reg)
    wall = time.perf_counter() - t
    per_method, overall = score(sup, res)
    d = overall.pop("detail")
    print(f"\n## Quality (seed {seed}; register {len(reg):,} establishments of {reg['kvk_nummer'].nunique():,} "
          f"organisations, {(reg['rechtsvorm'] == 'Eenmanszaak').sum():,} of sole traders; "
          f"{len(sup):,} labelled records; resolved in {wall:.1f} s)\n")
    print(md_table(per_method))
    print()
    print(md_table(pd.DataFrame([{k: v for k, v in overall.items()}])))
    print("\nBy noise type (a record can carry several):\n")
    print(md_table(by_noise(d)))
    wrong = d[(d["status"] == "auto_accepted") & ~d["correct"]]
    if len(wrong):
        print(f"\nWrong auto-accepted ({len(wrong)}):")
        cols = ["supplier_ref", "method", "confidence", "true_vest", "vestigingsnummer", "noise"]
        print(wrong[cols].join(sup[["supplier_name", "supplier_postcode", "supplier_city"]]).head(20).to_string())


def run_speed(seed: int, n_register: int, n_suppliers: int) -> None:
    ref = syn.load_reference(syn.DEFAULT_REFERENCE_DIR)
    rng = np.random.default_rng(seed)
    est = syn.build_establishments(rng, ref, 20.0)
    base = est[REGISTER_COLUMNS].copy()
    t0 = time.perf_counter()
    reg = big_register(base, ref, n_register, rng)
    t_build = time.perf_counter() - t0
    pick_idx = rng.choice(len(reg), size=n_suppliers * 2, replace=False)
    sample = reg.iloc[pick_idx]
    ibans = org_ibans(sample, rng)
    sup = make_suppliers(sample.reset_index(drop=True), rng, n_suppliers, ibans, syn.build_foreign(rng, 2.0))
    print(f"\n## Speed: {len(sup):,} suppliers x {len(reg):,} establishments "
          f"({reg['kvk_nummer'].nunique():,} organisations); big register built in {t_build:.0f} s (not timed)\n")
    t1 = time.perf_counter()
    prepared = prepare_register(reg)
    t2 = time.perf_counter()
    res = resolve(sup, prepared)
    t3 = time.perf_counter()
    per_method, overall = score(sup, res)
    overall.pop("detail")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(md_table(pd.DataFrame([{
        "suppliers": len(sup), "register": len(reg), "prepare_register_s": round(t2 - t1, 1),
        "resolve_s": round(t3 - t2, 1), "total_s": round(t3 - t1, 1), "peak_memory_mb": round(peak_mb),
        "auto_precision": overall["precision"], "auto_recall": overall["recall"],
        "review_share": overall["review_share"]}])))
    print()
    print(md_table(per_method))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--records", type=int, default=2400)
    parser.add_argument("--scale", type=float, default=4.0, help="synthetic register scale for (a)")
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--big-suppliers", type=int, default=50_000)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    if not args.skip_quality:
        run_quality(args.seed, args.records, args.scale)
    if not args.skip_speed:
        run_speed(args.seed, args.big, args.big_suppliers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
