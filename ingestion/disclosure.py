"""Statistical disclosure control for the published figures: which cells must be suppressed so that no
published figure reveals what one sole trader or partnership earns from an anchor.

Plain Python (no dbt, no Dagster); the dbt Python model ``int_disclosure_decisions`` calls ``decide`` on
the contributions and relations that the SQL models ``int_disclosure_contributions`` and
``int_disclosure_relations`` build, and the marts join its decisions. The rule and its sources are in
docs/architecture.md ("Privacy"); in short:

Units, components, levels
    A *unit* is one published row of figures (e.g. one anchor x year x SBI section of
    fct_spend_by_recipient_group). Its *components* are the disjoint parts of its money that its published
    figures let a reader compute: for a recipient row, the place (Nieuw-West, rest of Amsterdam, outside
    Amsterdam, unknown) x influenceable or not; for a tier row, influenceable or not. Each component has a
    *coarse* component it belongs to (for a recipient row: influenceable or not, the figures that remain
    when the place split is withheld). A unit is published at one of three levels: ``full`` (every
    figure), ``totals`` (the coarse figures only: place split withheld) or ``none`` (no amount).

Contributors
    The money of a component is the sum of its suppliers' contributions (their net amounts). A supplier is
    *protected* when it is, or may be, a natural person; it is *published* when it is a legal entity whose
    amount the outputs show one by one (the CLES top list, shared suppliers, social enterprises,
    co-operatives): an attacker subtracts those, so they protect nobody.

Primary rule (sensitive component), on the contributors that are not published and net at least a cent:
    only when one of them is protected, the component is sensitive when
    - threshold rule: fewer than ``min_contributors`` (3) such contributors; or
    - p% rule: the remaining contributors, without the largest protected one and the largest other one
      (the attacker, who knows their own amount), add up to less than ``p_percent`` (10) % of the largest
      protected one: the attacker would estimate it to within p %.
    Contributions are taken in absolute value (credit notes). A unit's level is ``full`` when none of its
    components is sensitive, else ``totals`` when none of its coarse components is (and the family has
    coarse components), else ``none``.

Secondary suppression (so that no total minus the published parts reveals a suppressed part)
    A *relation* says that a total unit's components are the sums of its member units' components (the
    groups of a dimension add up to the anchor-year; an SBI section is the sum of its divisions; the tiers
    add up to the period; months to quarters to years). For each relation and component, the hidden members
    are those whose level withholds that component. If the total's component is published, the sum of the
    hidden members' contributions is published implicitly and must itself pass the primary rule; if not,
    the cheapest further member (the smallest absolute amount that adds money to the component) is hidden
    too. If the total's component is withheld, at least one member's must be withheld too, or the members
    would add up to it. Repeated over all relations until nothing changes (cells are only ever hidden, so
    it ends). This is the greedy heuristic of statistical offices' cell suppression (the groups of a
    dimension and the SBI hierarchy are linked tables), not an optimal solution: it may hide more than
    needed, never less than the relations it is given require.

Arithmetic and speed
    The rules compare amounts in whole cents (integers), so that a tie at the p% boundary is decided the
    same way whatever the order in which amounts are added. ``decide`` applies the primary rule to every
    cell at once, on column arrays (numpy), and builds a unit's per-supplier contributions only when
    secondary suppression looks at them (at ten million lines, 6.7 million contributions, most of which
    no relation ever needs one by one). ``primary_level`` and ``sensitivity`` are the same rules on one
    unit's contributions; tests/test_disclosure.py holds ``decide`` to them.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

LEVELS = ("full", "totals", "none")  # most to least detailed
_RANK = {level: i for i, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class Rule:
    min_contributors: int = 3
    p_percent: float = 10.0


@dataclass(slots=True)  # millions of them at scale: no __dict__ each
class Contribution:
    amount: float
    protected: bool
    published: bool


def _cents(amount: float) -> int:
    """An amount in whole cents, in absolute value: a net amount below half a cent is 0."""
    return round(abs(amount) * 100)


@dataclass
class _Rows:
    """A unit's contributions not yet built: the rows of each component in the column arrays, and which
    (component, coarse) cells hold money of a supplier that is not published (computed on the arrays)."""

    table: _Columns
    rows: dict[str, np.ndarray]
    unpublished: set[tuple[str, bool]]


@dataclass
class Unit:
    unit_id: str
    family: str
    # component -> supplier -> contribution
    parts: dict[str, dict[str, Contribution]] = field(default_factory=dict)
    coarse_of: dict[str, str] = field(default_factory=dict)  # component -> coarse component
    level: str = "full"
    reason: str | None = None
    fixed: bool = False  # published elsewhere whatever happens here (its level cannot be lowered)
    hidden_components: set[str] = field(default_factory=set)  # withheld although the level says published
    _coarse: dict[str, dict[str, Contribution]] | None = field(default=None, repr=False)
    _lazy: _Rows | None = field(default=None, repr=False)  # set by decide: parts built when first needed

    def load(self) -> None:
        """Build ``parts`` from the column arrays (a unit of ``decide``), once."""
        lazy, self._lazy = self._lazy, None
        if lazy is None:
            return
        t = lazy.table
        for comp, rows in lazy.rows.items():
            self.parts[comp] = dict(zip(t.suppliers[rows].tolist(), map(
                Contribution, t.amounts[rows].tolist(), t.protected[rows].tolist(), t.published[rows].tolist()),
                strict=True))

    def _names(self) -> Iterable[str]:
        return self._lazy.rows.keys() if self._lazy is not None else self.parts.keys()

    def component_names(self, coarse: bool) -> set[str]:
        names = self._names()
        return {self.coarse_of.get(c, c) for c in names} if coarse else set(names)

    def amount(self, component: str, coarse: bool) -> dict[str, Contribution]:
        """The suppliers' contributions to one (fine or coarse) component."""
        return self.coarse_parts().get(component, {}) if coarse else self.parts_loaded().get(component, {})

    def has_money(self, component: str, coarse: bool) -> bool:
        if self._lazy is not None:
            return component in self.component_names(coarse)
        return bool(self.amount(component, coarse))

    def has_unpublished(self, component: str, coarse: bool) -> bool:
        """Does a supplier that is not published contribute at least a cent to the component?"""
        if self._lazy is not None:
            return (component, coarse) in self._lazy.unpublished
        return any(_cents(c.amount) >= 1 and not c.published for c in self.amount(component, coarse).values())

    def parts_loaded(self) -> dict[str, dict[str, Contribution]]:
        self.load()
        return self.parts

    def coarse_parts(self) -> dict[str, dict[str, Contribution]]:
        if self._coarse is not None:
            return self._coarse
        parts = self.parts_loaded()
        if not self.has_coarse_level():  # every component is its own coarse one (the tier family)
            self._coarse = parts  # contributions are never changed in place: no copy needed
            return self._coarse
        out: dict[str, dict[str, Contribution]] = defaultdict(dict)
        for comp, suppliers in parts.items():
            target = out[self.coarse_of.get(comp, comp)]
            for s, c in suppliers.items():
                if s in target:
                    target[s] = Contribution(target[s].amount + c.amount, c.protected, c.published)
                else:
                    target[s] = Contribution(c.amount, c.protected, c.published)
        self._coarse = dict(out)
        return self._coarse

    def has_coarse_level(self) -> bool:
        return any(self.coarse_of.get(c, c) != c for c in self._names())


def sensitivity(contributions: Iterable[Contribution], rule: Rule) -> str | None:
    """'threshold', 'dominance' (the p% rule) or None (safe) for one figure's contributions."""
    xs = [(x, c.protected) for c in contributions if not c.published and (x := _cents(c.amount)) >= 1]
    if not any(p for _, p in xs):
        return None
    if len(xs) < rule.min_contributors:
        return "threshold"
    x_protected = max(x for x, p in xs if p)
    # The attacker is the largest contributor other than (one copy of) the largest protected one.
    first, second, *_ = [*heapq.nlargest(2, (x for x, _ in xs)), 0]  # one contributor: no attacker
    x_attacker = second if x_protected == first else first
    rest = sum(x for x, _ in xs) - x_protected - x_attacker
    return "dominance" if rest * 100 < rule.p_percent * x_protected else None


def _merge(parts: Iterable[dict[str, Contribution]]) -> list[Contribution]:
    """One contribution per supplier over several cells (the same supplier in two cells is one)."""
    merged: dict[str, Contribution] = {}
    for suppliers in parts:
        for s, c in suppliers.items():
            m = merged.get(s)
            merged[s] = Contribution(c.amount + (m.amount if m else 0.0), c.protected or (m.protected if m else False),
                                     c.published and (m.published if m else True))
    return list(merged.values())


def _level(reasons: Iterable[str | None]) -> str | None:
    reasons = set(reasons) - {None}
    return None if not reasons else "threshold" if "threshold" in reasons else "dominance"


def primary_level(unit: Unit, rule: Rule) -> tuple[str, str | None]:
    reason = _level(sensitivity(suppliers.values(), rule) for suppliers in unit.parts_loaded().values())
    if reason is None:
        return "full", None
    if unit.has_coarse_level():
        coarse = _level(sensitivity(suppliers.values(), rule) for suppliers in unit.coarse_parts().values())
        if coarse is None:
            return "totals", reason
        reason = coarse
    return "none", reason


def _withholds(unit: Unit, component: str, coarse: bool) -> bool:
    """Does the unit, at its level, withhold this component (a fine one, or a coarse one)?"""
    if component in unit.hidden_components:
        return True
    return unit.level == "none" if coarse else unit.level != "full"


def _hide(unit: Unit, coarse: bool) -> None:
    if coarse or not unit.has_coarse_level():
        unit.level = "none"
    elif unit.level == "full":
        unit.level = "totals"
    if unit.reason is None:
        unit.reason = "secondary"


def _components(units: list[Unit], coarse: bool) -> set[str]:
    comps: set[str] = set()
    for u in units:
        comps |= u.component_names(coarse)
    return comps


def secondary(units: dict[str, Unit], relations: dict[str, tuple[str, list[str]]], rule: Rule,
              max_rounds: int = 100) -> list[str]:
    """Hide further units until every relation is protected. Returns the relations that could not be
    protected (a total published elsewhere whose hidden members cannot be made safe): none is expected."""
    for _ in range(max_rounds):
        changed = False
        unprotected: list[str] = []
        for rel_id, (total_id, member_ids) in relations.items():
            total = units[total_id]
            members = [units[m] for m in member_ids]
            for coarse in (False, True):
                for comp in sorted(_components(members + [total], coarse)):
                    hidden = [m for m in members if _withholds(m, comp, coarse)]
                    if not _withholds(total, comp, coarse):
                        if not hidden or sensitivity(_merge(m.amount(comp, coarse) for m in hidden), rule) is None:
                            continue
                    elif hidden or not any(m.has_money(comp, coarse) for m in members):
                        continue
                    candidates = [m for m in members if not _withholds(m, comp, coarse) and not m.fixed
                                  and m.has_unpublished(comp, coarse)]
                    if candidates:
                        cheapest = min(candidates, key=lambda m: (
                            abs(sum(c.amount for c in m.amount(comp, coarse).values())), m.unit_id))
                        _hide(cheapest, coarse)
                        changed = True
                    elif not _withholds(total, comp, coarse) and not total.fixed:
                        _hide(total, coarse)
                        changed = True
                    else:
                        unprotected.append(f"{rel_id} {comp}")
        if not changed:
            return unprotected
    raise RuntimeError(f"secondary suppression did not settle in {max_rounds} rounds")


@dataclass
class _Columns:
    """The contributions of ``decide`` as column arrays, one row per unit x component x supplier."""

    suppliers: np.ndarray
    amounts: np.ndarray
    protected: np.ndarray
    published: np.ndarray
    families: np.ndarray
    coarse: np.ndarray
    components: np.ndarray
    # codes numbered in order of first appearance (``_factorized``), and the unit id of each unit code
    unit_codes: np.ndarray
    unit_names: np.ndarray
    supplier_codes: np.ndarray
    component_codes: np.ndarray

    @classmethod
    def of(cls, contributions: pd.DataFrame) -> _Columns:
        unit_codes, unit_names = _factorized(contributions["unit_id"])
        supplier_codes, _ = _factorized(contributions["supplier_key"])
        component_codes, _ = _factorized(contributions["component"])
        return cls(
            suppliers=contributions["supplier_key"].to_numpy(dtype=object),
            amounts=contributions["amount_eur"].astype(float).to_numpy(),
            protected=contributions["is_protected"].astype(bool).to_numpy(),
            published=contributions["is_published"].astype(bool).to_numpy(),
            families=contributions["family"].to_numpy(dtype=object),
            coarse=contributions["coarse_component"].to_numpy(dtype=object),
            components=contributions["component"].to_numpy(dtype=object),
            unit_codes=unit_codes,
            unit_names=unit_names,
            supplier_codes=supplier_codes,
            component_codes=component_codes,
        )


def _factorized(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(a code per row, numbered in order of first appearance, a missing value one code of its own; the value of
    each code) of a text column. A pandas Categorical, as the dbt model reads the contributions (Arrow's
    dictionary encoding), is numbered by its integer codes, without hashing a string per row: at 10 million
    lines 6.7 million contributions, whose strings took about as long to hash as to read (benchmarks/)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, first = pd.factorize(column.cat.codes.to_numpy(), use_na_sentinel=False)
        values = np.append(column.cat.categories.to_numpy(dtype=object), None)  # code -1 (missing): the last
        return codes.astype(np.int64), values[first]
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=False)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _codes(*columns: np.ndarray) -> tuple[np.ndarray, int]:
    """One code per distinct combination of the columns, numbered in order of first appearance."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1  # the number of values code can take so far
    for col in columns:
        # A column of codes (non-negative integers) is combined as it is: the final factorize numbers the
        # distinct combinations in the same order either way, without hashing the column once more.
        top = int(col.max()) + 1 if col.dtype.kind in "iu" and len(col) and col.min() >= 0 else 0
        if top and span * top < 2**62:
            c, n = col.astype(np.int64, copy=False), top
        else:
            c, uniques = pd.factorize(col, use_na_sentinel=False)
            n = max(len(uniques), 1)
        code = code * n + c
        span *= n
    codes, uniques = pd.factorize(code)
    return codes.astype(np.int64), len(uniques)


def _group_rows(codes: np.ndarray, n: int) -> list[np.ndarray]:
    """The row numbers of each group, ascending."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(n)]


def _sensitivities(groups: np.ndarray, n: int, cents: np.ndarray, protected: np.ndarray, published: np.ndarray,
                   rule: Rule) -> np.ndarray:
    """``sensitivity`` of every group at once, one contribution per row (cents: whole cents, absolute).
    Returns an object array of 'threshold', 'dominance' or None per group."""
    keep = ~published & (cents >= 1)
    g, x, p = groups[keep], cents[keep], protected[keep]
    counts = np.bincount(g, minlength=n)
    has_protected = np.bincount(g[p], minlength=n) > 0
    total = np.bincount(g, weights=x, minlength=n).astype(np.int64)  # below 2**53: exact
    order = _by_group_largest_first(g, x, n)
    gs, xs, ps = g[order], x[order], p[order]
    first, second, x_protected = (np.zeros(n, dtype=np.int64) for _ in range(3))
    starts = _starts(gs)
    first[gs[starts]] = xs[starts]
    nxt = starts + 1
    has_second = nxt < len(gs)
    has_second[has_second] = gs[nxt[has_second]] == gs[starts[has_second]]
    second[gs[starts[has_second]]] = xs[nxt[has_second]]
    at = np.flatnonzero(ps)  # the protected rows, by group, largest first
    top_protected = at[_starts(gs[at])]
    x_protected[gs[top_protected]] = xs[top_protected]
    x_attacker = np.where(x_protected == first, second, first)
    rest = total - x_protected - x_attacker
    threshold = has_protected & (counts < rule.min_contributors)
    dominance = has_protected & ~threshold & (rest * 100 < rule.p_percent * x_protected)
    out = np.full(n, None, dtype=object)
    out[threshold] = "threshold"
    out[dominance] = "dominance"
    return out


def _by_group_largest_first(groups: np.ndarray, cents: np.ndarray, n: int) -> np.ndarray:
    """``np.lexsort((-cents, groups))``: the rows by group, largest amount first, ties in row order. Sorted
    as one combined key where it fits in int64 (at 10 million lines 6.7 million rows: a stable sort of one
    key takes about half as long as lexsort's two)."""
    top = int(cents.max()) + 1 if len(cents) else 1
    if n * top >= 2**62:
        return np.lexsort((-cents, groups))
    return np.argsort(groups.astype(np.int64) * top + (top - 1 - cents), kind="stable")


def _starts(sorted_codes: np.ndarray) -> np.ndarray:
    """Where each run of equal codes begins."""
    if not len(sorted_codes):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])


def _worst(reasons: np.ndarray, owner: np.ndarray, n_owners: int) -> np.ndarray:
    """Per owner, 'threshold' if any of its reasons is, else 'dominance' if any is, else None."""
    out = np.full(n_owners, None, dtype=object)
    for reason in ("dominance", "threshold"):
        out[np.unique(owner[reasons == reason])] = reason
    return out


def _lazy_units(contributions: pd.DataFrame, rule: Rule) -> tuple[dict[str, Unit], dict[str, tuple[str, str | None]]]:
    """The units of ``contributions`` (one row per unit x component x supplier; units, components and
    suppliers in the order they first appear, a supplier repeated in a cell its last row), with their
    contributions left in the column arrays until needed, and the primary level of each (``primary_level``,
    on the arrays)."""
    t = _Columns.of(contributions)  # each text column is factorized once: most of the time here
    unit_codes, unit_names, supplier_codes = t.unit_codes, t.unit_names, t.supplier_codes
    n_units = len(unit_names)
    cell_codes, n_cells = _codes(unit_codes, t.component_codes)
    cell_rows = _group_rows(cell_codes, n_cells)
    cell_first = np.array([rows[0] for rows in cell_rows], dtype=np.int64)
    cell_last = np.array([rows[-1] for rows in cell_rows], dtype=np.int64)
    cell_unit = unit_codes[cell_first]
    cell_name = t.components[cell_first]
    cell_coarse = t.coarse[cell_last]  # a component's coarse component: its last row's

    cents = np.rint(np.abs(t.amounts) * 100).astype(np.int64)
    fine = _sensitivities(cell_codes, n_cells, cents, t.protected, t.published, rule)
    fine_unpublished = np.bincount(cell_codes[~t.published & (cents >= 1)], minlength=n_cells) > 0

    # Coarse cells: each supplier's money summed over the components of one coarse component.
    cell_coarse_codes, _ = _codes(cell_coarse)
    coarse_codes, n_coarse = _codes(unit_codes, cell_coarse_codes[cell_codes])
    pair_codes, n_pairs = _codes(coarse_codes, supplier_codes)
    pair_cents = np.abs(np.bincount(pair_codes, weights=np.rint(t.amounts * 100), minlength=n_pairs)).astype(np.int64)
    pair_first = np.unique(pair_codes, return_index=True)[1]
    pair_coarse = coarse_codes[pair_first]
    pair_protected, pair_published = t.protected[pair_first], t.published[pair_first]
    coarse = _sensitivities(pair_coarse, n_coarse, pair_cents, pair_protected, pair_published, rule)
    coarse_unpublished = np.bincount(pair_coarse[~pair_published & (pair_cents >= 1)], minlength=n_coarse) > 0
    coarse_unit = np.zeros(n_coarse, dtype=np.int64)
    coarse_unit[coarse_codes] = unit_codes
    coarse_name = np.empty(n_coarse, dtype=object)
    coarse_name[coarse_codes] = cell_coarse[cell_codes]

    # The arrays give each supplier one contribution per cell, in whole cents, and one pair of flags per
    # coarse cell. A unit where a supplier appears twice in a cell or with different flags in one coarse
    # cell, or with an amount that is not whole cents (a sum of parts of a cent rounds differently from its
    # parts), is decided on its contributions (primary_level). The warehouse's amounts are DECIMAL(18, 2):
    # whole cents.
    exact = np.ones(n_units, dtype=bool)
    exact[unit_codes[np.abs(t.amounts * 100 - np.rint(t.amounts * 100)) > 1e-6]] = False
    pair_rows = np.bincount(pair_codes, minlength=n_pairs)
    for flags in (t.protected, t.published):
        n_true = np.bincount(pair_codes, weights=flags.astype(np.float64), minlength=n_pairs)
        exact[coarse_unit[pair_coarse[(n_true > 0) & (n_true < pair_rows)]]] = False
    in_cell, n_in_cell = _codes(cell_codes, supplier_codes)
    repeated = np.bincount(in_cell, minlength=n_in_cell) > 1
    exact[unit_codes[repeated[in_cell]]] = False

    fine_reason = _worst(fine, cell_unit, n_units)
    coarse_reason = _worst(coarse, coarse_unit, n_units)
    has_coarse = np.zeros(n_units, dtype=bool)
    has_coarse[cell_unit[cell_coarse != cell_name]] = True

    unpublished: list[set[tuple[str, bool]]] = [set() for _ in range(n_units)]
    for k in np.flatnonzero(fine_unpublished):
        unpublished[cell_unit[k]].add((cell_name[k], False))
    for k in np.flatnonzero(coarse_unpublished):
        unpublished[coarse_unit[k]].add((coarse_name[k], True))
    units: dict[str, Unit] = {}
    for k, rows in enumerate(cell_rows):
        u = cell_unit[k]
        unit = units.get(unit_names[u])
        if unit is None:
            unit = units[unit_names[u]] = Unit(unit_names[u], t.families[rows[0]])
            unit._lazy = _Rows(t, {}, unpublished[u])
        unit._lazy.rows[cell_name[k]] = rows
        unit.coarse_of[cell_name[k]] = cell_coarse[k]

    levels: dict[str, tuple[str, str | None]] = {}
    for u, unit_id in enumerate(unit_names):
        if not exact[u]:
            levels[unit_id] = primary_level(units[unit_id], rule)
        elif fine_reason[u] is None:
            levels[unit_id] = ("full", None)
        elif not has_coarse[u]:
            levels[unit_id] = ("none", fine_reason[u])
        elif coarse_reason[u] is None:
            levels[unit_id] = ("totals", fine_reason[u])
        else:
            levels[unit_id] = ("none", coarse_reason[u])
    return units, levels


def decide(contributions: pd.DataFrame, relations: pd.DataFrame, rule: Rule = Rule(),
           fixed_units: Iterable[str] = (), linked_hidden: dict[str, set[str]] | None = None) -> pd.DataFrame:
    """Primary and secondary suppression of the units in `contributions` and `relations`.

    contributions: unit_id, family, component, coarse_component, supplier_key, amount_eur, is_protected,
    is_published (one row per unit x component x supplier). relations: relation_id, total_unit_id,
    member_unit_id. fixed_units: units whose figures are published elsewhere (their level is never
    lowered). linked_hidden: unit_id -> components withheld elsewhere.
    Returns one row per unit: unit_id, family, publication_level, suppression_reason, is_primary."""
    units, levels = _lazy_units(contributions, rule)
    for unit_id in set(relations["total_unit_id"]) | set(relations["member_unit_id"]):
        if unit_id not in units:  # a cell without money (e.g. a tier nobody is paid in): nothing to protect
            units[unit_id] = Unit(unit_id, unit_id.split("|", 1)[0])
    for unit_id in fixed_units:
        if unit_id in units:
            units[unit_id].fixed = True
    for unit_id, comps in (linked_hidden or {}).items():
        if unit_id in units:
            units[unit_id].hidden_components |= comps
    primary: set[str] = set()
    for unit in units.values():
        if unit.fixed:
            continue
        unit.level, unit.reason = levels[unit.unit_id] if unit.unit_id in levels else primary_level(unit, rule)
        if unit.level != "full":
            primary.add(unit.unit_id)
    grouped: dict[str, tuple[str, list[str]]] = {}
    for rel_id, total_id, member_id in relations[["relation_id", "total_unit_id", "member_unit_id"]].itertuples(
            index=False, name=None):
        grouped.setdefault(rel_id, (total_id, []))[1].append(member_id)
    unprotected = secondary(units, grouped, rule)
    rows = [(u.unit_id, u.family, u.level, u.reason if u.level != "full" else None, u.unit_id in primary)
            for u in sorted(units.values(), key=lambda u: u.unit_id)]
    out = pd.DataFrame(rows, columns=["unit_id", "family", "publication_level", "suppression_reason", "is_primary"])
    out.attrs["unprotected_relations"] = unprotected
    return out
