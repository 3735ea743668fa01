"""The dashboard's pages: figures, tables and texts per filter choice (anchor, year).

Every chart is a ``Chart``: per filter choice (its ``mode``: one figure for all, one per anchor, per year,
or per anchor and year) a ``Variant`` with the plotly figure, a short Dutch summary (the chart's text
alternative) and a data table. The page's JavaScript swaps variants when a filter changes; nothing is
computed in the browser, so every number is formatted here, Dutch style, by ``format_eur``/``format_pct``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboards.data import TOP_SUPPLIERS_SHOWN, DashboardData, is_withheld
from dashboards.spend_dashboard import (
    ANCHOR_COLOURS,
    ANCHOR_SYMBOLS,
    PLACEMENT_BASIS_DETAIL_NL,
    PLACEMENT_BASIS_NL,
    TIER_COLOURS,
    TIER_LABELS_NL,
    TIERS,
    _base_layout,
    format_eur,
    format_pct,
    format_pp,
)

SCOPE = "influenceable"  # the steering scope of every chart; the total scope is shown beside it
GROEN, ORANJE = "#009E73", "#D55E00"

TARGET_SECTORS = [
    "food",
    "energy_insulation",
    "care_welfare",
    "green_maintenance",
    "construction_maintenance",
    "logistics",
]
TARGET_SECTOR_LABELS_NL = {
    "food": "Voeding",
    "energy_insulation": "Energie en isolatie",
    "care_welfare": "Zorg en welzijn",
    "green_maintenance": "Groenbeheer",
    "construction_maintenance": "Bouw en onderhoud",
    "logistics": "Logistiek",
    "other": "Overige sectoren",
    "unknown": "Onbekend",
}
# Okabe-Ito, without the pale yellow (too little contrast on white)
SECTOR_COLOURS = dict(
    zip(TARGET_SECTORS, ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00"], strict=True)
)
LEGAL_FORM_LABELS_NL = {
    "cooperative": "Coöperatie of onderlinge",
    "foundation": "Stichting",
    "association": "Vereniging",
    "sole_trader_partnership": "Eenmanszaak of personenvennootschap",
    "bv_nv": "BV of NV",
    "public_body": "Publiekrechtelijk",
    "foreign": "Buitenlands",
    "unknown": "Onbekend",
}
FIELD_LABELS_NL = {
    "kvk_number": "KvK-nummer",
    "vestigingsnummer": "Vestigingsnummer",
    "vat_number": "Btw-nummer",
    "iban": "IBAN",
    "supplier_postcode": "Postcode leverancier",
    "category": "Inkoopcategorie",
    "cost_centre": "Kostenplaats",
    "ledger_account": "Grootboekrekening",
    "cpv_code": "CPV-code",
    "vat_amount": "Btw-bedrag",
}
PLACEMENT_LABELS_NL = {
    "vestigingsnummer": "Vestigingsnummer op de factuur",
    "kvk_number": "KvK-nummer op de factuur",
    "supplier_resolution": "Koppeling aan het KvK-register",
    "invoice_postcode": "Postcode op de factuur",
    "abroad": "Buitenlandse leverancier",
    "unknown": "Niet te plaatsen",
}
PLACEMENT_COLOURS = dict(
    zip(PLACEMENT_LABELS_NL, ["#0072B2", "#56B4E9", "#009E73", "#E69F00", "#8A8A8A", "#D9D9D9"], strict=True)
)
NAME_WITHHELD = "naam afgeschermd"
# A figure the disclosure rule withholds (docs/architecture.md, "Privacy"): it would reveal what one sole
# trader or partnership earns, or let a total minus the shown figures reveal such a figure.
SUPPRESSED_NL = "onderdrukt"
SUPPRESSED_NOTE = (
    "'Onderdrukt': dit cijfer zou laten zien wat één eenmanszaak of personenvennootschap verdient (minder "
    "dan 3 leveranciers van wie het bedrag niet al los bekend is, of één die het cijfer bepaalt), of het zou "
    "dat via een totaal verraden. Zie de definitie 'Onderdrukte cijfers'."
)
PROGRESS = "fct_nieuw_west_progress"
LOCAL_SHARE = "fct_local_spend_share"
RECIPIENTS = "fct_spend_by_recipient_group"
LEAKAGE = "fct_sector_leakage"
TOP = "fct_top_non_local_suppliers"
SOCIAL = "fct_spend_with_social_enterprises"
QUARTERS_NL = ["K1", "K2", "K3", "K4"]


# ------------------------------------------------------------------------------------------- definitions
@dataclass(frozen=True)
class Definition:
    title: str
    text: str
    formula: str


DEFINITIONS: dict[str, Definition] = {
    "bedragen": Definition(
        "Bedragen",
        "Alle bedragen zijn in euro's, exclusief btw. Creditnota's zijn verrekend met de facturen "
        "(gesaldeerd). Het jaar is het jaar van de factuurdatum.",
        "bedrag = som van de factuurregels exclusief btw (creditnota's negatief)",
    ),
    "beinvloedbaar": Definition(
        "Beïnvloedbare uitgaven",
        "De uitgaven die een organisatie zelf kan sturen: alle inkoopuitgaven zonder belastingen en "
        "heffingen, pensioen- en sociale premies, verstrekte subsidies en betalingen aan publieke "
        "organisaties (en wat een organisatie verder heeft uitgesloten). Welke regel een factuurregel "
        "uitsluit staat in de regels voor beïnvloedbare uitgaven.",
        "beïnvloedbare uitgaven = alle uitgaven − uitgesloten uitgaven",
    ),
    "aandeel_nw": Definition(
        "Aandeel Nieuw-West",
        "Het deel van de uitgaven dat terechtkomt bij leveranciers in stadsdeel Nieuw-West. Op het "
        "overzicht en de organisatiepagina gaat het om de beïnvloedbare uitgaven; het aandeel op alle "
        "uitgaven staat ernaast.",
        "aandeel Nieuw-West = uitgaven bij leveranciers in Nieuw-West / alle uitgaven in de scope",
    ),
    "bandbreedte": Definition(
        "Bandbreedte",
        "Van een deel van de uitgaven is niet vast te stellen waar de leverancier zit. De bandbreedte laat "
        "zien hoe groot het aandeel Nieuw-West kan zijn: de ondergrens telt die uitgaven als niet in "
        "Nieuw-West, de bovengrens alsof ze allemaal in Nieuw-West landen.",
        "ondergrens = Nieuw-West / totaal; bovengrens = (Nieuw-West + onbekende plaats) / totaal",
    ),
    "nulmeting": Definition(
        "Nulmeting",
        "Het jaar waarmee latere jaren worden vergeleken, per organisatie en scope vastgelegd in de streefwaarden.",
        "verschil met nulmeting = (aandeel dit jaar − aandeel in het nulmetingsjaar) × 100 procentpunt",
    ),
    "streefwaarde": Definition(
        "Streefwaarde",
        "Het aandeel Nieuw-West dat een organisatie in het doeljaar wil bereiken. De streefwaarden in de "
        "voorbeelddata zijn voorbeelden, geen afspraken.",
        "streefwaarde = afgesproken aandeel Nieuw-West in het doeljaar",
    ),
    "traject": Definition(
        "Traject en op koers",
        "De rechte lijn van het aandeel in de nulmeting naar de streefwaarde in het doeljaar. Een "
        "organisatie ligt op koers als haar aandeel in een jaar minstens het traject van dat jaar is. In "
        "het nulmetingsjaar zelf is er nog geen oordeel.",
        "traject(jaar) = nulmeting + (streefwaarde − nulmeting) × (jaar − nulmetingsjaar) / "
        "(doeljaar − nulmetingsjaar); op koers: aandeel ≥ traject",
    ),
    "uitgaven_nw": Definition(
        "Uitgaven in Nieuw-West",
        "Het bedrag dat bij leveranciers in Nieuw-West terechtkomt, in euro's.",
        "uitgaven in Nieuw-West = som van de beïnvloedbare uitgaven bij leveranciers in Nieuw-West",
    ),
    "ringen": Definition(
        "Geografische ringen",
        "Elke uitgave valt in één ring: Nieuw-West, Rest van Amsterdam, Rest van de MRA (de andere "
        "gemeenten van de Metropoolregio Amsterdam), Rest van Nederland, Buitenland of Onbekend. Een "
        "postcodegebied (vier cijfers) dat over meer stadsdelen loopt, telt voor het stadsdeel met de "
        "meeste adressen: 1043 en 1046 tellen als Nieuw-West; 1047, 1057, 1058, 1059 en 1061 niet.",
        "aandeel ring = uitgaven in de ring / alle uitgaven in de periode (jaar of kwartaal)",
    ),
    "grondslag": Definition(
        "Grondslag: wanneer telt een leverancier als lokaal?",
        " ".join([PLACEMENT_BASIS_NL["cles"], PLACEMENT_BASIS_DETAIL_NL["cles"]]),
        "ring van een leverancier = de meest lokale ring van alle vestigingen van de organisatie",
    ),
    "sectoren": Definition(
        "Sectoren (SBI)",
        "De sector van een leverancier is de hoofdactiviteit van zijn vestiging in het KvK-register "
        "(SBI 2025-indeling, secties); zonder bekende vestiging de CPV-code van de factuurregel, anders "
        "Onbekend.",
        "uitgaven per sector = som van de beïnvloedbare uitgaven bij leveranciers in die sector",
    ),
    "top_leveranciers": Definition(
        "Grootste leveranciers buiten Nieuw-West",
        "Per organisatie en jaar de leveranciers buiten Nieuw-West (ook Buitenland en Onbekend) met de "
        "meeste beïnvloedbare uitgaven. Bij eenmanszaken, vennootschappen onder firma, maatschappen, "
        "commanditaire vennootschappen, onbekende rechtsvormen en buitenlandse leveranciers tonen we geen "
        f"naam ('{NAME_WITHHELD}'): die naam kan de naam van een persoon zijn. 'Vestigingen in Nieuw-West' "
        "telt de vestigingen van andere organisaties in Nieuw-West met dezelfde activiteit (SBI-afdeling).",
        "rang = volgorde van beïnvloedbare uitgaven, hoogste eerst; aandeel = uitgaven bij de leverancier "
        "/ alle beïnvloedbare uitgaven van de organisatie in het jaar",
    ),
    "lekkage": Definition(
        "Weglek met lokaal alternatief",
        "Beïnvloedbare uitgaven in een doelsector die buiten Nieuw-West terechtkomen, terwijl er in "
        "Nieuw-West vestigingen zijn met dezelfde hoofd- of nevenactiviteit. Uitgaven met onbekende "
        "plaats tellen niet mee als weglek.",
        "weglek met lokaal alternatief = beïnvloedbare uitgaven buiten Nieuw-West in de sector, als er "
        "minstens één vestiging in Nieuw-West met die activiteit is; anders 0",
    ),
    "volledigheid": Definition(
        "Volledigheid van de gegevens",
        "Per veld het deel van het factuurvolume waarbij het veld is ingevuld. Het volume telt "
        "creditnota's als positief bedrag mee, zodat ook die regels meetellen.",
        "volledigheid = som van |bedrag| van regels met het veld / som van |bedrag| van alle regels",
    ),
    "plaatsing": Definition(
        "Hoe de uitgaven geplaatst zijn",
        "Waarmee de plaats van een leverancier is vastgesteld: het vestigingsnummer of KvK-nummer op de "
        "factuur, een koppeling aan het KvK-register (op btw-nummer, IBAN of naam en adres, twijfelgevallen "
        "door analisten beoordeeld), de postcode op de factuur, of een buitenlandse leverancier. 'Niet te "
        "plaatsen' is de ring Onbekend.",
        "aandeel methode = uitgaven geplaatst met die methode / alle uitgaven van het jaar",
    ),
    "cooperaties": Definition(
        "Uitgaven bij coöperaties",
        "Beïnvloedbare uitgaven bij leveranciers met de rechtsvorm coöperatie (U.A., W.A., B.A., SCE) of "
        "onderlinge waarborgmaatschappij, volgens het KvK-register.",
        "aandeel coöperaties = uitgaven bij coöperaties / alle beïnvloedbare uitgaven van het jaar",
    ),
    "doelsectoren": Definition(
        "Doelsectoren",
        "De zes sectoren van het programma: Voeding, Energie en isolatie, Zorg en welzijn, Groenbeheer, "
        "Bouw en onderhoud, Logistiek. Een leverancier hoort bij een doelsector via de SBI-code van zijn "
        "hoofdactiviteit, anders via de CPV-code van de factuurregel.",
        "uitgaven in doelsector = som van de beïnvloedbare uitgaven bij leveranciers in die sector; "
        "aandeel Nieuw-West = het deel daarvan bij leveranciers in Nieuw-West",
    ),
    "onderdrukt": Definition(
        "Onderdrukte cijfers",
        "Eenmanszaken en de vennoten van een vof, maatschap of cv zijn personen: wat een organisatie hen "
        "betaalt, is hun inkomen. Een cijfer waarin zo'n leverancier zit, tonen we niet ('onderdrukt') als "
        "minder dan 3 leveranciers eraan bijdragen van wie het bedrag niet al los bekend is (de drempelregel), "
        "of als de andere leveranciers samen minder dan 10 % van het bedrag van de grootste eenmanszaak "
        "uitmaken, na aftrek van de op één na grootste (de p%-regel): dan kan een concurrent het inkomen "
        "schatten. Bedragen van rechtspersonen die elders los staan (de grootste leveranciers, gedeelde "
        "leveranciers, coöperaties) tellen daarbij als bekend. Zodat een totaal min de getoonde cijfers het "
        "onderdrukte cijfer niet verraadt, onderdrukken we zo nodig ook een ander cijfer (secundaire "
        "onderdrukking). Bij sectoren en doelsectoren blijft soms alleen het totaal staan en is de verdeling "
        "over Nieuw-West en Amsterdam onderdrukt. Eenmanszaken en personenvennootschappen staan niet in de "
        "lijst van grootste leveranciers. Dezelfde regel geldt voor de exports. Bron van de regels: het "
        "Handbook on Statistical Disclosure Control van Eurostat en de Europese statistiekbureaus (CBS "
        "maakte er het programma tau-ARGUS voor).",
        "onderdrukt als: aantal leveranciers met onbekend bedrag < 3, of (som van de overige − op één na "
        "grootste) < 10 % van de grootste eenmanszaak",
    ),
    "sociale_ondernemingen": Definition(
        "Sociale ondernemingen",
        "Uitgaven bij de organisaties op de afgesproken lijst van sociale ondernemingen (op KvK-nummer). "
        "Zolang de lijst leeg is, is dit overzicht leeg.",
        "uitgaven = som van de uitgaven bij organisaties op de lijst",
    ),
}


# ------------------------------------------------------------------------------------------------ charts
@dataclass
class Variant:
    fig: go.Figure
    summary: str  # short Dutch text: the chart's text alternative
    table: str  # HTML table with the chart's figures


@dataclass
class Chart:
    fig_id: str
    title: str
    definition: str
    caption: str
    mode: str  # "all", "anchor", "year" or "anchor_year"
    variants: dict[str, Variant] = field(default_factory=dict)


@dataclass
class Block:
    """A piece of HTML (cards, a table, a sentence) that changes with the filters."""

    block_id: str
    mode: str
    variants: dict[str, str] = field(default_factory=dict)


def variant_key(mode: str, anchor: str, year: int) -> str:
    return {"all": "", "anchor": anchor, "year": str(year), "anchor_year": f"{anchor}|{year}"}[mode]


def esc(text: Any) -> str:
    return html.escape(str(text))


def table_html(
    head: Sequence[str],
    rows: Iterable[Sequence[Any]],
    caption: str,
    numeric_from: int = 1,
    row_class: Callable[[Sequence[Any]], str] | None = None,
) -> str:
    """A data table; cells from column ``numeric_from`` on are right-aligned numbers (already formatted)."""
    th = "".join(
        f"<th scope='col'{' class=getal' if i >= numeric_from else ''}>{esc(h)}</th>" for i, h in enumerate(head)
    )
    body = []
    for r in rows:
        cells = []
        for i, v in enumerate(r):
            if i == 0:
                cells.append(f"<th scope='row'>{esc(v)}</th>")
            else:
                cells.append(f"<td{' class=getal' if i >= numeric_from else ''}>{esc(v)}</td>")
        cls = f" class='{row_class(r)}'" if row_class else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    if not body:
        body.append(f"<tr><td colspan='{len(head)}'>Geen gegevens.</td></tr>")
    return (
        f"<div class='tabel-wrap'><table><caption>{esc(caption)}</caption><thead><tr>{th}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _layout(fig: go.Figure, height: int, **kw: Any) -> go.Figure:
    _base_layout(fig, height)
    fig.update_layout(
        margin=dict(l=60, r=20, t=30, b=50), legend=dict(orientation="h", y=-0.18, x=0), hovermode="closest", **kw
    )
    return fig


def _empty(message: str = "Geen gegevens voor deze keuze") -> go.Figure:
    fig = go.Figure()
    _layout(fig, 260)
    fig.update_layout(
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        annotations=[dict(text=message, showarrow=False, font=dict(size=16), x=0.5, y=0.5, xref="paper", yref="paper")],
    )
    return fig


def _na(x: Any) -> bool:
    """Missing: None, NaN or pandas' NA (nullable integers and booleans arrive as pd.NA)."""
    return x is None or bool(pd.isna(x))


def _pct(x: Any) -> float | None:
    return None if _na(x) else float(x) * 100


def _f(x: Any) -> float:
    return 0.0 if _na(x) else float(x)


def _get(row: Any, column: str) -> Any:
    return row[column] if isinstance(row, dict | pd.Series) else getattr(row, column)


def shown(mart: str, row: Any, column: str, fmt: Callable[[Any], str]) -> str:
    """The formatted figure, or 'onderdrukt' when a suppression flag of the row withholds it."""
    return SUPPRESSED_NL if is_withheld(mart, row, column) else fmt(_get(row, column))


def any_withheld(mart: str, rows: Iterable[Any], column: str) -> bool:
    return any(is_withheld(mart, r, column) for r in rows)


def mark_withheld(fig: go.Figure, labels: Sequence[str]) -> None:
    """Write 'onderdrukt' where the bar of each of these category labels would start (horizontal bars)."""
    if labels:
        fig.add_trace(
            go.Scatter(
                y=list(labels),
                x=[0] * len(labels),
                mode="text",
                text=[SUPPRESSED_NL] * len(labels),
                textposition="middle right",
                textfont=dict(color="#5C5C5C"),
                showlegend=False,
                hoverinfo="skip",
            )
        )


def _join_nl(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


class Builder:
    """Builds every chart and block from the marts' rows."""

    def __init__(self, data: DashboardData) -> None:
        self.d = data
        self.anchors = data.anchors
        self.years = data.years
        self.colour = {a: ANCHOR_COLOURS[i % len(ANCHOR_COLOURS)] for i, a in enumerate(self.anchors)}
        self.symbol = {a: ANCHOR_SYMBOLS[i % len(ANCHOR_SYMBOLS)] for i, a in enumerate(self.anchors)}
        p = data.progress
        self.prog = p[p["spend_scope"] == SCOPE].set_index(["anchor_code", "year"]).sort_index()
        self.prog_total = p[p["spend_scope"] == "total"].set_index(["anchor_code", "year"]).sort_index()

    # ---------------------------------------------------------------------------- helpers on the marts
    def progress_row(self, anchor: str, year: int, scope: str = SCOPE) -> pd.Series | None:
        frame = self.prog if scope == SCOPE else self.prog_total
        return frame.loc[(anchor, year)] if (anchor, year) in frame.index else None

    def _status(self, anchor: str, year: int) -> str:
        row = self.progress_row(anchor, year)
        if row is None:
            return "–"
        if _na(row["on_track"]):
            if year <= _f(row["baseline_year"]):
                return "nulmeting"
            return SUPPRESSED_NL if is_withheld(PROGRESS, row, "on_track") else "–"
        return "op koers" if bool(row["on_track"]) else "achter op traject"

    # -------------------------------------------------------------------------------------- Overzicht
    def overview_cards(self) -> Block:
        block = Block("blok-kaarten", "year")
        for year in self.years:
            cards = []
            for a, name in self.anchors.items():
                r, t = self.progress_row(a, year), self.progress_row(a, year, "total")
                if r is None:
                    cards.append(
                        f"<div class='kpi' data-anchor='{esc(a)}'><h3>{esc(name)}</h3>"
                        f"<p>Geen gegevens voor {year}.</p></div>"
                    )
                    continue
                status = self._status(a, year)
                status_cls = {"op koers": "goed", "achter op traject": "achter"}.get(status, "neutraal")
                traject = (
                    f"traject {shown(PROGRESS, r, 'trajectory_share', format_pct)}, "
                    if not _na(r["trajectory_share"]) or is_withheld(PROGRESS, r, "trajectory_share")
                    else ""
                )
                cards.append(
                    f"<div class='kpi' data-anchor='{esc(a)}'><h3>{esc(name)}</h3>"
                    f"<p class='kpi-getal' data-testid='kpi-{esc(a)}'>"
                    f"{shown(PROGRESS, r, 'share_nieuw_west', format_pct)}</p>"
                    f"<p class='kpi-sub'>van de beïnvloedbare uitgaven in Nieuw-West "
                    f"({shown(PROGRESS, r, 'spend_nieuw_west_eur', format_eur)})</p>"
                    f"<p class='kpi-sub'>bandbreedte {shown(PROGRESS, r, 'share_nieuw_west_low', format_pct)} tot "
                    f"{shown(PROGRESS, r, 'share_nieuw_west_high', format_pct)}</p>"
                    f"<p class='kpi-sub'>{traject}streefwaarde {format_pct(r['target_share_nieuw_west'])} in "
                    f"{int(r['target_year'])}</p>"
                    f"<p class='status {status_cls}'>{esc(status.capitalize())}</p>"
                    f"<p class='kpi-sub'>Op alle uitgaven: <strong>"
                    f"{shown(PROGRESS, t, 'share_nieuw_west', format_pct) if t is not None else '–'}</strong></p></div>"
                )
            block.variants[str(year)] = "".join(cards)
        return block

    def chart_share_by_anchor(self) -> Chart:
        chart = Chart(
            "fig-aandeel-per-organisatie",
            "Aandeel Nieuw-West per organisatie",
            "aandeel_nw",
            "Balk: aandeel Nieuw-West van de beïnvloedbare uitgaven; de streep erdoor is de "
            "bandbreedte. Ruit: streefwaarde; verticaal streepje: traject voor dit jaar; open "
            "cirkel: aandeel op alle uitgaven.",
            "year",
        )
        for year in self.years:
            rows = [
                (a, n, self.progress_row(a, year), self.progress_row(a, year, "total")) for a, n in self.anchors.items()
            ]
            rows = [x for x in rows if x[2] is not None]
            if not rows:
                chart.variants[str(year)] = Variant(_empty(), f"Geen gegevens voor {year}.", "")
                continue
            names = [n for _, n, _, _ in rows]
            share = [_pct(r["share_nieuw_west"]) for _, _, r, _ in rows]
            lo = [_pct(r["share_nieuw_west_low"]) for _, _, r, _ in rows]
            hi = [_pct(r["share_nieuw_west_high"]) for _, _, r, _ in rows]
            custom = [
                [
                    shown(PROGRESS, r, "share_nieuw_west", format_pct),
                    shown(PROGRESS, r, "share_nieuw_west_low", format_pct),
                    shown(PROGRESS, r, "share_nieuw_west_high", format_pct),
                    shown(PROGRESS, r, "spend_nieuw_west_eur", format_eur),
                    self._status(a, year),
                ]
                for a, _, r, _ in rows
            ]
            fig = go.Figure()
            fig.add_trace(
                go.Bar(
                    y=names,
                    x=share,
                    orientation="h",
                    name="Aandeel Nieuw-West (beïnvloedbaar)",
                    marker=dict(color="#0072B2"),
                    customdata=custom,
                    error_x=dict(
                        type="data",
                        symmetric=False,
                        color="#1A1A1A",
                        thickness=1.5,
                        width=6,
                        array=[(h or 0) - (s or 0) for h, s in zip(hi, share, strict=True)],
                        arrayminus=[(s or 0) - (lo_ or 0) for s, lo_ in zip(share, lo, strict=True)],
                    ),
                    hovertemplate="<b>%{y}</b><br>Aandeel Nieuw-West: %{customdata[0]}<br>Bandbreedte: "
                    "%{customdata[1]} tot %{customdata[2]}<br>In Nieuw-West: %{customdata[3]}<br>"
                    "%{customdata[4]}<extra></extra>",
                )
            )
            traj = [_pct(r["trajectory_share"]) for _, _, r, _ in rows]
            if any(v is not None for v in traj):
                fig.add_trace(
                    go.Scatter(
                        y=names,
                        x=traj,
                        mode="markers",
                        name=f"Traject {year}",
                        marker=dict(
                            symbol="line-ns-open", size=26, color="#1A1A1A", line=dict(width=3, color="#1A1A1A")
                        ),
                        customdata=[shown(PROGRESS, r, "trajectory_share", format_pct) for _, _, r, _ in rows],
                        hovertemplate="<b>%{y}</b><br>Traject: %{customdata}<extra></extra>",
                    )
                )
            fig.add_trace(
                go.Scatter(
                    y=names,
                    x=[_pct(r["target_share_nieuw_west"]) for _, _, r, _ in rows],
                    mode="markers",
                    name="Streefwaarde",
                    marker=dict(symbol="diamond", size=13, color=ORANJE, line=dict(width=1, color="white")),
                    customdata=[
                        [format_pct(r["target_share_nieuw_west"]), int(r["target_year"])] for _, _, r, _ in rows
                    ],
                    hovertemplate="<b>%{y}</b><br>Streefwaarde %{customdata[1]}: %{customdata[0]}<extra></extra>",
                )
            )
            fig.add_trace(
                go.Scatter(
                    y=names,
                    x=[_pct(t["share_nieuw_west"]) if t is not None else None for _, _, _, t in rows],
                    mode="markers",
                    name="Op alle uitgaven",
                    marker=dict(symbol="circle-open", size=11, color="#5C5C5C", line=dict(width=2)),
                    customdata=[
                        shown(PROGRESS, t, "share_nieuw_west", format_pct) if t is not None else "–"
                        for _, _, _, t in rows
                    ],
                    hovertemplate="<b>%{y}</b><br>Aandeel op alle uitgaven: %{customdata}<extra></extra>",
                )
            )
            withheld = [n for _, n, r, _ in rows if is_withheld(PROGRESS, r, "share_nieuw_west")]
            mark_withheld(fig, withheld)  # say so where the bar would be
            _layout(fig, 90 + 52 * len(rows))
            fig.update_layout(
                xaxis=dict(
                    ticksuffix=" %",
                    rangemode="tozero",
                    gridcolor="#E5E5E5",
                    title=dict(text=f"Aandeel Nieuw-West in {year}"),
                ),
                yaxis=dict(autorange="reversed", automargin=True),
                legend=dict(y=-0.35),
                margin=dict(b=100),
                bargap=0.35,
            )
            ranked = sorted(
                [(r["share_nieuw_west"], n) for _, n, r, _ in rows if not _na(r["share_nieuw_west"])], reverse=True
            )
            statuses = [self._status(a, year) for a, _, _, _ in rows]
            n_on = statuses.count("op koers")
            summary = (
                f"In {year} ligt het aandeel Nieuw-West van de beïnvloedbare uitgaven tussen "
                f"{format_pct(ranked[-1][0])} ({ranked[-1][1]}) en {format_pct(ranked[0][0])} "
                f"({ranked[0][1]}). "
                if ranked
                else f"In {year} zijn de aandelen Nieuw-West onderdrukt. "
            )
            if withheld:
                summary += f"Onderdrukt (privacy): {_join_nl(withheld)}. "
            summary += (
                "Dit is het jaar van de nulmeting."
                if all(s == "nulmeting" for s in statuses)
                else f"{n_on} van de {len(rows)} organisaties liggen op koers."
            )
            table = table_html(
                [
                    "Organisatie",
                    "Aandeel Nieuw-West",
                    "Ondergrens",
                    "Bovengrens",
                    "Traject",
                    "Streefwaarde",
                    "Doeljaar",
                    "Oordeel",
                    "Aandeel op alle uitgaven",
                    "Uitgaven in Nieuw-West",
                    "Beïnvloedbare uitgaven",
                ],
                [
                    [
                        n,
                        shown(PROGRESS, r, "share_nieuw_west", format_pct),
                        shown(PROGRESS, r, "share_nieuw_west_low", format_pct),
                        shown(PROGRESS, r, "share_nieuw_west_high", format_pct),
                        shown(PROGRESS, r, "trajectory_share", format_pct),
                        format_pct(r["target_share_nieuw_west"]),
                        int(r["target_year"]),
                        self._status(a, year),
                        shown(PROGRESS, t, "share_nieuw_west", format_pct) if t is not None else "–",
                        shown(PROGRESS, r, "spend_nieuw_west_eur", format_eur),
                        shown(PROGRESS, r, "spend_eur", format_eur),
                    ]
                    for a, n, r, t in rows
                ],
                f"Aandeel Nieuw-West per organisatie in {year}, beïnvloedbare uitgaven.",
            )
            chart.variants[str(year)] = Variant(fig, summary, table)
        return chart

    def chart_trend(self) -> Chart:
        chart = Chart(
            "fig-trend",
            "Ontwikkeling sinds de nulmeting",
            "traject",
            "Per organisatie: het aandeel Nieuw-West van de beïnvloedbare uitgaven (lijn) met "
            "bandbreedte (vlak), het aandeel op alle uitgaven (stippellijn), het traject van "
            "nulmeting naar streefwaarde (streepjeslijn) en de streefwaarde (ruit).",
            "all",
        )
        anchors = [a for a in self.anchors if a in self.prog.index.get_level_values(0)]
        if not anchors:
            chart.variants[""] = Variant(_empty(), "Geen gegevens.", "")
            return chart
        n_cols = min(3, len(anchors))
        n_rows = math.ceil(len(anchors) / n_cols)
        fig = make_subplots(
            rows=n_rows,
            cols=n_cols,
            subplot_titles=[self.anchors[a] for a in anchors],
            shared_yaxes=True,
            horizontal_spacing=0.05,
            vertical_spacing=0.2,
        )
        table_rows, changes = [], []
        x_max = self.years[-1]
        for i, a in enumerate(anchors):
            row, col = divmod(i, n_cols)
            p = self.prog.loc[a].sort_index()
            t = self.prog_total.loc[a].sort_index() if a in self.prog_total.index.get_level_values(0) else None
            years = [int(y) for y in p.index]
            first = i == 0
            fig.add_trace(
                go.Scatter(
                    x=years + years[::-1],
                    y=[_pct(v) for v in p["share_nieuw_west_high"]]
                    + [_pct(v) for v in p["share_nieuw_west_low"]][::-1],
                    fill="toself",
                    fillcolor="rgba(0,114,178,0.18)",
                    line=dict(width=0),
                    mode="lines",
                    name="Bandbreedte",
                    legendgroup="band",
                    showlegend=first,
                    hoverinfo="skip",
                ),
                row=row + 1,
                col=col + 1,
            )
            fig.add_trace(
                go.Scatter(
                    x=years,
                    y=[_pct(v) for v in p["share_nieuw_west"]],
                    mode="lines+markers",
                    name="Aandeel Nieuw-West (beïnvloedbaar)",
                    legendgroup="share",
                    showlegend=first,
                    line=dict(color="#0072B2", width=3),
                    customdata=[shown(PROGRESS, r, "share_nieuw_west", format_pct) for _, r in p.iterrows()],
                    hovertemplate=f"{esc(self.anchors[a])} %{{x}}: %{{customdata}}<extra></extra>",
                ),
                row=row + 1,
                col=col + 1,
            )
            if t is not None:
                fig.add_trace(
                    go.Scatter(
                        x=[int(y) for y in t.index],
                        y=[_pct(v) for v in t["share_nieuw_west"]],
                        mode="lines",
                        name="Op alle uitgaven",
                        legendgroup="total",
                        showlegend=first,
                        line=dict(color="#5C5C5C", width=2, dash="dot"),
                        customdata=[shown(PROGRESS, r, "share_nieuw_west", format_pct) for _, r in t.iterrows()],
                        hovertemplate=f"{esc(self.anchors[a])} %{{x}}, alle uitgaven: %{{customdata}}<extra></extra>",
                    ),
                    row=row + 1,
                    col=col + 1,
                )
            base_year, target_year = int(p["baseline_year"].iloc[0]), int(p["target_year"].iloc[0])
            base_share, target = p["baseline_share_nieuw_west"].iloc[0], p["target_share_nieuw_west"].iloc[0]
            x_max = max(x_max, target_year)
            fig.add_trace(
                go.Scatter(
                    x=[base_year, target_year],
                    y=[_pct(base_share), _pct(target)],
                    mode="lines",
                    name="Traject naar streefwaarde",
                    legendgroup="traj",
                    showlegend=first,
                    line=dict(color="#1A1A1A", width=1.5, dash="dash"),
                    hoverinfo="skip",
                ),
                row=row + 1,
                col=col + 1,
            )
            fig.add_trace(
                go.Scatter(
                    x=[target_year],
                    y=[_pct(target)],
                    mode="markers",
                    name="Streefwaarde",
                    legendgroup="target",
                    showlegend=first,
                    marker=dict(symbol="diamond", size=12, color=ORANJE),
                    customdata=[format_pct(target)],
                    hovertemplate=f"Streefwaarde {target_year}: %{{customdata}}<extra></extra>",
                ),
                row=row + 1,
                col=col + 1,
            )
            for y, r in p.iterrows():
                table_rows.append(
                    [
                        self.anchors[a],
                        int(y),
                        shown(PROGRESS, r, "share_nieuw_west", format_pct),
                        shown(PROGRESS, r, "share_nieuw_west_low", format_pct),
                        shown(PROGRESS, r, "share_nieuw_west_high", format_pct),
                        shown(PROGRESS, r, "change_pp_vs_baseline", format_pp),
                        shown(PROGRESS, r, "trajectory_share", format_pct),
                        self._status(a, int(y)),
                    ]
                )
            last = p.iloc[-1]
            if not _na(last["change_pp_vs_baseline"]):
                changes.append(f"{self.anchors[a]} {format_pp(last['change_pp_vs_baseline'])}")
        _layout(fig, 300 * n_rows + 110)
        fig.update_layout(legend=dict(orientation="h", y=-0.12), margin=dict(t=40, b=90))
        fig.update_xaxes(dtick=1, range=[self.years[0] - 0.4, x_max + 0.4], showgrid=False, fixedrange=True)
        fig.update_yaxes(ticksuffix=" %", rangemode="tozero", gridcolor="#E5E5E5", fixedrange=True)
        fig.update_annotations(font=dict(size=15))
        summary = (
            f"Verandering van het aandeel Nieuw-West (beïnvloedbare uitgaven) van de nulmeting tot "
            f"{self.years[-1]}, in procentpunten: {_join_nl(changes)}."
            if changes
            else "De verandering sinds de nulmeting is voor geen organisatie te tonen (onderdrukt)."
        )
        if any_withheld(PROGRESS, (r for _, r in self.prog.iterrows()), "share_nieuw_west"):
            summary += " Niet elk jaar is te tonen: onderdrukte cijfers ontbreken in de lijnen."
        table = table_html(
            [
                "Organisatie",
                "Jaar",
                "Aandeel Nieuw-West",
                "Ondergrens",
                "Bovengrens",
                "Verschil met nulmeting (procentpunt)",
                "Traject",
                "Oordeel",
            ],
            table_rows,
            "Aandeel Nieuw-West per organisatie en jaar, beïnvloedbare uitgaven.",
            numeric_from=1,
        )
        chart.variants[""] = Variant(fig, summary, table)
        return chart

    def chart_euros(self) -> Chart:
        chart = Chart(
            "fig-euros-nieuw-west",
            "Uitgaven in Nieuw-West in euro's",
            "uitgaven_nw",
            "Per jaar de beïnvloedbare uitgaven bij leveranciers in Nieuw-West, per organisatie.",
            "all",
        )
        fig = go.Figure()
        rows = []
        totals: dict[int, float] = {}
        partial: set[int] = set()  # years with a withheld figure: their total leaves it out
        for a, name in self.anchors.items():
            if a not in self.prog.index.get_level_values(0):
                continue
            p = self.prog.loc[a].sort_index()
            years = [int(y) for y in p.index]
            fig.add_trace(
                go.Bar(
                    x=years,
                    y=list(p["spend_nieuw_west_eur"]),
                    name=name,
                    marker=dict(color=self.colour[a]),
                    customdata=[
                        [
                            shown(PROGRESS, r, "spend_nieuw_west_eur", format_eur),
                            shown(PROGRESS, r, "change_eur_vs_previous_year", format_eur),
                        ]
                        for _, r in p.iterrows()
                    ],
                    hovertemplate=f"<b>{esc(name)}</b> %{{x}}<br>In Nieuw-West: %{{customdata[0]}}<br>"
                    "Verschil met vorig jaar: %{customdata[1]}<extra></extra>",
                )
            )
            for y, r in p.iterrows():
                rows.append(
                    [
                        name,
                        int(y),
                        shown(PROGRESS, r, "spend_nieuw_west_eur", format_eur),
                        shown(PROGRESS, r, "change_eur_vs_previous_year", format_eur),
                        shown(PROGRESS, r, "spend_eur", format_eur),
                    ]
                )
                totals[int(y)] = totals.get(int(y), 0.0) + _f(r["spend_nieuw_west_eur"])
                if is_withheld(PROGRESS, r, "spend_nieuw_west_eur"):
                    partial.add(int(y))
        _layout(fig, 400, barmode="group")
        fig.update_layout(
            xaxis=dict(dtick=1, title=dict(text="Jaar (factuurdatum)")),
            yaxis=dict(tickprefix="€ ", tickformat=",.0f", gridcolor="#E5E5E5"),
            legend=dict(y=-0.25),
            margin=dict(l=110, b=100),
        )
        ys = sorted(totals)
        summary = (
            f"Samen gaven de organisaties in {ys[-1]} {format_eur(totals[ys[-1]])} van hun beïnvloedbare "
            f"uitgaven uit in Nieuw-West, tegen {format_eur(totals[ys[0]])} in {ys[0]}."
            if ys
            else "Geen gegevens."
        )
        if partial:
            summary += (
                f" In {_join_nl([str(y) for y in sorted(partial)])} ontbreekt in het totaal wat onderdrukt is "
                "(privacy)."
            )
        table = table_html(
            ["Organisatie", "Jaar", "Uitgaven in Nieuw-West", "Verschil met vorig jaar", "Beïnvloedbare uitgaven"],
            rows,
            "Beïnvloedbare uitgaven in Nieuw-West per organisatie en jaar.",
        )
        chart.variants[""] = Variant(fig, summary, table)
        return chart

    # ------------------------------------------------------------------------------- Per organisatie
    def org_headline(self) -> Block:
        block = Block("blok-organisatie-kop", "anchor_year")
        for a, name in self.anchors.items():
            for year in self.years:
                r, t = self.progress_row(a, year), self.progress_row(a, year, "total")
                if r is None:
                    text = f"Geen gegevens voor {esc(name)} in {year}."
                else:
                    text = (
                        f"<strong>{esc(name)}, {year}</strong>: <span class='kop-getal' "
                        f"data-testid='org-aandeel'>{shown(PROGRESS, r, 'share_nieuw_west', format_pct)}</span> "
                        f"van de beïnvloedbare uitgaven ({shown(PROGRESS, r, 'spend_eur', format_eur)}) landde in "
                        f"Nieuw-West: {shown(PROGRESS, r, 'spend_nieuw_west_eur', format_eur)} (bandbreedte "
                        f"{shown(PROGRESS, r, 'share_nieuw_west_low', format_pct)} tot "
                        f"{shown(PROGRESS, r, 'share_nieuw_west_high', format_pct)}"
                        f"; {esc(self._status(a, year))}). Op alle uitgaven: "
                        f"{shown(PROGRESS, t, 'share_nieuw_west', format_pct) if t is not None else '–'}."
                    )
                    if is_withheld(PROGRESS, r, "share_nieuw_west"):
                        text += f" <span class='noot'>{esc(SUPPRESSED_NOTE)}</span>"
                block.variants[f"{a}|{year}"] = f"<p class='lead'>{text}</p>"
        return block

    def _scope_share(self, grain: str) -> pd.DataFrame:
        s = self.d.local_share
        return s[(s["spend_scope"] == SCOPE) & (s["period_grain"] == grain)]

    def chart_tiers_by_year(self) -> Chart:
        chart = Chart(
            "fig-ringen-per-jaar",
            "Verdeling over de ringen per jaar",
            "ringen",
            "Per jaar hoe de beïnvloedbare uitgaven zich verdelen over de ringen, van dichtbij "
            "(Nieuw-West, rood) naar ver weg; elke staaf is samen 100 %. Onbekend is gearceerd.",
            "anchor",
        )
        ys = self._scope_share("year")
        for a, name in self.anchors.items():
            sub = ys[ys["anchor_code"] == a]
            if sub.empty:
                chart.variants[a] = Variant(_empty(), f"Geen gegevens voor {name}.", "")
                continue
            years = sorted(int(y) for y in sub["year"].unique())
            fig = self._tier_bars(sub, "year", years, [str(y) for y in years])
            _layout(fig, 440, barmode="relative")
            fig.update_layout(
                yaxis=dict(range=[0, 100], ticksuffix=" %", gridcolor="#E5E5E5", fixedrange=True),
                xaxis=dict(title=dict(text="Jaar (factuurdatum)")),
                legend=dict(y=-0.2),
                bargap=0.3,
            )
            last = sub[sub["year"] == sub["year"].max()]
            parts = [
                f"{TIER_LABELS_NL[r.tier]} {format_pct(r.share)}"
                for r in last.itertuples()
                if not _na(r.share) and abs(r.share) >= 0.0005
            ]
            hidden = [TIER_LABELS_NL[r.tier] for r in last.itertuples() if is_withheld(LOCAL_SHARE, r, "share")]
            summary = f"{name}, {int(last['year'].iloc[0])}: {_join_nl(parts) or 'geen aandelen te tonen'}."
            if hidden:
                summary += f" Onderdrukt (privacy): {_join_nl(hidden)}."
            rows = self._tier_table_rows(sub, "year", years, [str(y) for y in years])
            table = table_html(
                ["Jaar"] + [TIER_LABELS_NL[t] for t in TIERS],
                rows,
                f"{name}: aandeel per ring per jaar, beïnvloedbare uitgaven.",
            )
            chart.variants[a] = Variant(fig, summary, table)
        return chart

    def _tier_bars(self, sub: pd.DataFrame, key: str, keys: list[int], labels: list[str]) -> go.Figure:
        """Stacked bars of each tier's share per period (key: year or quarter); a withheld share leaves
        a gap and says 'onderdrukt' in its hover text."""
        fig = go.Figure()
        for tier in TIERS:
            t = sub[sub["tier"] == tier]
            by_key = {int(r[key]): r for _, r in t.iterrows()}
            custom = [
                [
                    shown(LOCAL_SHARE, by_key[k], "share", format_pct),
                    shown(LOCAL_SHARE, by_key[k], "spend_eur", format_eur),
                ]
                if k in by_key
                else ["–", "–"]
                for k in keys
            ]
            fig.add_trace(
                go.Bar(
                    x=labels,
                    y=[_pct(by_key[k]["share"]) if k in by_key else None for k in keys],
                    name=TIER_LABELS_NL[tier],
                    marker=dict(
                        color=TIER_COLOURS[tier],
                        line=dict(color="white", width=0.5),
                        pattern=dict(shape="/", fgcolor="#9A9A9A", size=6) if tier == "unknown" else None,
                    ),
                    customdata=custom,
                    hovertemplate=f"%{{x}}<br>{TIER_LABELS_NL[tier]}: <b>%{{customdata[0]}}</b> "
                    "(%{customdata[1]})<extra></extra>",
                )
            )
        return fig

    def _tier_table_rows(self, sub: pd.DataFrame, key: str, keys: list[int], labels: list[str]) -> list[list[str]]:
        rows = []
        for k, label in zip(keys, labels, strict=True):
            per_tier = {r["tier"]: r for _, r in sub[sub[key] == k].iterrows()}
            rows.append(
                [label]
                + [shown(LOCAL_SHARE, per_tier[t], "share", format_pct) if t in per_tier else "–" for t in TIERS]
            )
        return rows

    def chart_tiers_by_quarter(self) -> Chart:
        chart = Chart(
            "fig-ringen-per-kwartaal",
            "Verdeling over de ringen per kwartaal",
            "ringen",
            "De kwartalen van het gekozen jaar; elke staaf is samen 100 % van de beïnvloedbare "
            "uitgaven van dat kwartaal.",
            "anchor_year",
        )
        qs = self._scope_share("quarter")
        for a, name in self.anchors.items():
            for year in self.years:
                sub = qs[(qs["anchor_code"] == a) & (qs["year"] == year)]
                key = f"{a}|{year}"
                if sub.empty:
                    chart.variants[key] = Variant(_empty(), f"Geen gegevens voor {name} in {year}.", "")
                    continue
                quarters = sorted(int(q) for q in sub["quarter"].unique())
                labels = [f"{QUARTERS_NL[q - 1]} {year}" for q in quarters]
                fig = self._tier_bars(sub, "quarter", quarters, labels)
                _layout(fig, 400, barmode="relative")
                fig.update_layout(
                    yaxis=dict(range=[0, 100], ticksuffix=" %", gridcolor="#E5E5E5", fixedrange=True),
                    legend=dict(y=-0.15),
                    bargap=0.3,
                )
                nw = {int(r["quarter"]): r for _, r in sub[sub["tier"] == "nieuw_west"].iterrows()}
                summary = (
                    f"{name}, aandeel Nieuw-West per kwartaal in {year}: "
                    + _join_nl(
                        [
                            f"{QUARTERS_NL[q - 1]} "
                            + (shown(LOCAL_SHARE, nw[q], "share", format_pct) if q in nw else "–")
                            for q in quarters
                        ]
                    )
                    + "."
                )
                rows = self._tier_table_rows(sub, "quarter", quarters, labels)
                table = table_html(
                    ["Kwartaal"] + [TIER_LABELS_NL[t] for t in TIERS],
                    rows,
                    f"{name}: aandeel per ring per kwartaal in {year}, beïnvloedbare uitgaven.",
                )
                chart.variants[key] = Variant(fig, summary, table)
        return chart

    def chart_sectors(self) -> Chart:
        chart = Chart(
            "fig-sectoren",
            "Uitgaven per sector",
            "sectoren",
            "Beïnvloedbare uitgaven per SBI-sectie, gesplitst in Nieuw-West, de rest van Amsterdam "
            "en buiten Amsterdam of onbekend; grootste sectoren bovenaan.",
            "anchor_year",
        )
        g = self.d.recipient_groups
        g = g[g["dimension"] == "sbi_section"]
        for a, name in self.anchors.items():
            for year in self.years:
                key = f"{a}|{year}"
                sub = g[(g["anchor_code"] == a) & (g["year"] == year)].copy()
                sub = sub[(sub["influenceable_spend_eur"].abs() >= 0.5) | sub["is_suppressed"]]
                if sub.empty:
                    chart.variants[key] = Variant(_empty(), f"Geen gegevens voor {name} in {year}.", "")
                    continue
                sub = sub.sort_values("influenceable_spend_eur", ascending=False, na_position="last")
                sub["label"] = [
                    f"{c} {lab}" if c != "unknown" else "Onbekend"
                    for c, lab in zip(sub["group_code"], sub["group_label"], strict=True)
                ]
                sub["short"] = [lab if len(lab) <= 38 else lab[:36].rstrip() + "…" for lab in sub["label"]]
                nw = sub["influenceable_spend_nieuw_west_eur"]
                ams = sub["influenceable_spend_amsterdam_eur"] - nw
                out = sub["influenceable_spend_eur"] - sub["influenceable_spend_amsterdam_eur"]
                # a row whose place split is withheld shows its total as one grey bar
                split_hidden = sub["influenceable_spend_eur"].where(
                    sub["is_place_split_suppressed"] & ~sub["is_suppressed"]
                )
                fig = go.Figure()
                for label, vals, colour in [
                    ("Nieuw-West", nw, TIER_COLOURS["nieuw_west"]),
                    ("Rest van Amsterdam", ams, TIER_COLOURS["rest_of_amsterdam"]),
                    ("Buiten Amsterdam of onbekend", out, "#A9C4E4"),
                    ("Verdeling onderdrukt", split_hidden, "#BDBDBD"),
                ]:
                    if label == "Verdeling onderdrukt" and split_hidden.isna().all():
                        continue
                    fig.add_trace(
                        go.Bar(
                            y=list(sub["short"]),
                            x=list(vals),
                            orientation="h",
                            name=label,
                            marker=dict(color=colour),
                            customdata=[
                                [SUPPRESSED_NL if _na(v) else format_eur(v), lab]
                                for v, lab in zip(vals, sub["label"], strict=True)
                            ],
                            hovertemplate=f"%{{customdata[1]}}<br>{label}: %{{customdata[0]}}<extra></extra>",
                        )
                    )
                mark_withheld(fig, list(sub.loc[sub["is_suppressed"], "short"]))
                _layout(fig, 110 + 26 * len(sub), barmode="relative")
                fig.update_layout(
                    yaxis=dict(autorange="reversed", automargin=True, tickfont=dict(size=12)),
                    xaxis=dict(tickprefix="€ ", tickformat=",.0f", gridcolor="#E5E5E5", nticks=6),
                    legend=dict(y=-0.5 if len(sub) < 8 else -0.12),
                    margin=dict(b=80),
                )
                top = sub[~sub["is_suppressed"]].head(3)
                summary = (
                    f"{name}, {year}: de grootste sectoren zijn "
                    + _join_nl(
                        [
                            f"{r.label} ({format_eur(r.influenceable_spend_eur)}, waarvan "
                            + (
                                "de verdeling naar plaats onderdrukt is"
                                if r.is_place_split_suppressed
                                else f"{format_pct(r.influenceable_spend_nieuw_west_eur / r.influenceable_spend_eur)}"
                                " in Nieuw-West"
                            )
                            + ")"
                            for r in top.itertuples()
                        ]
                    )
                    + "."
                )
                n_hidden = int(sub["is_suppressed"].sum())
                if n_hidden:
                    summary += f" {n_hidden} sector(en) onderdrukt (privacy)."
                rows = [
                    [
                        r.label,
                        shown(RECIPIENTS, r, "influenceable_spend_eur", format_eur),
                        shown(RECIPIENTS, r, "influenceable_spend_nieuw_west_eur", format_eur),
                        SUPPRESSED_NL
                        if r.is_place_split_suppressed
                        else format_pct(r.influenceable_spend_nieuw_west_eur / r.influenceable_spend_eur),
                        shown(RECIPIENTS, r, "influenceable_spend_amsterdam_eur", format_eur),
                        int(r.n_suppliers),
                    ]
                    for r in sub.itertuples()
                ]
                table = table_html(
                    [
                        "Sector (SBI-sectie)",
                        "Beïnvloedbare uitgaven",
                        "Waarvan Nieuw-West",
                        "Aandeel Nieuw-West",
                        "Waarvan heel Amsterdam",
                        "Leveranciers",
                    ],
                    rows,
                    f"{name}: beïnvloedbare uitgaven per sector in {year}."
                    + (f" {SUPPRESSED_NOTE}" if sub["is_place_split_suppressed"].any() else ""),
                )
                chart.variants[key] = Variant(fig, summary, table)
        return chart

    def top_suppliers(self) -> Block:
        block = Block("blok-top-leveranciers", "anchor_year")
        t = self.d.top_suppliers
        for a, name in self.anchors.items():
            for year in self.years:
                sub = t[(t["anchor_code"] == a) & (t["year"] == year)].sort_values("supplier_rank")
                rows = []
                for r in sub.itertuples():
                    shown = (
                        r.organisation_name
                        if isinstance(r.organisation_name, str) and r.organisation_name
                        else NAME_WITHHELD
                    )
                    n_nw = r.n_nieuw_west_establishments_same_division
                    rows.append(
                        [
                            int(r.supplier_rank),
                            shown,
                            TIER_LABELS_NL.get(r.tier, r.tier),
                            LEGAL_FORM_LABELS_NL.get(r.legal_form_group, "Onbekend"),
                            TARGET_SECTOR_LABELS_NL.get(r.target_sector, "Onbekend"),
                            r.sbi_division_name if isinstance(r.sbi_division_name, str) else "Onbekend",
                            format_eur(r.influenceable_spend_eur),
                            format_pct(r.influenceable_share),
                            "–" if _na(n_nw) else int(n_nw),
                        ]
                    )
                head = [
                    "Rang",
                    "Leverancier",
                    "Ring",
                    "Rechtsvorm",
                    "Doelsector",
                    "Activiteit (SBI-afdeling)",
                    "Beïnvloedbare uitgaven",
                    "Aandeel",
                    "Vestigingen in Nieuw-West met dezelfde activiteit",
                ]
                cap = (
                    f"{name}, {year}: de {len(rows)} leveranciers buiten Nieuw-West met de meeste beïnvloedbare "
                    f"uitgaven. Eenmanszaken en personenvennootschappen staan er niet in: wat zij ontvangen is het "
                    f"inkomen van een persoon (de rang telt alleen de getoonde leveranciers). '{NAME_WITHHELD}': "
                    "een leverancier zonder naam in het KvK-register."
                )
                body = table_html(
                    head, rows, cap, numeric_from=6, row_class=lambda r: "afgeschermd" if r[1] == NAME_WITHHELD else ""
                )
                # the rank is a number too, but reads best left-aligned as a row header
                block.variants[f"{a}|{year}"] = body
        return block

    def chart_leakage(self) -> Chart:
        chart = Chart(
            "fig-weglek",
            "Weglek met een alternatief in Nieuw-West",
            "lekkage",
            "Per doelsector de beïnvloedbare uitgaven buiten Nieuw-West terwijl er in Nieuw-West "
            "vestigingen met dezelfde activiteit zijn; het getal achter de balk is het aantal van die "
            "vestigingen.",
            "anchor_year",
        )
        lk = self.d.leakage
        lk = lk[lk["sector_scheme"] == "target_sector"]
        for a, name in self.anchors.items():
            for year in self.years:
                key = f"{a}|{year}"
                sub = lk[(lk["anchor_code"] == a) & (lk["year"] == year) & lk["sector_code"].isin(TARGET_SECTORS)]
                if sub.empty:
                    chart.variants[key] = Variant(_empty(), f"Geen gegevens voor {name} in {year}.", "")
                    continue
                sub = sub.assign(order=sub["sector_code"].map(TARGET_SECTORS.index)).sort_values(
                    "influenceable_leakage_with_local_alternative_eur", ascending=False, na_position="last"
                )
                labels = [TARGET_SECTOR_LABELS_NL[c] for c in sub["sector_code"]]
                n_est = ["–" if _na(n) else int(n) for n in sub["n_nieuw_west_establishments"]]
                vals = list(sub["influenceable_leakage_with_local_alternative_eur"])
                fig = go.Figure(
                    go.Bar(
                        y=labels,
                        x=vals,
                        orientation="h",
                        marker=dict(color=[SECTOR_COLOURS[c] for c in sub["sector_code"]]),
                        text=[f"{n} vestigingen" for n in n_est],
                        textposition="outside",
                        cliponaxis=False,
                        customdata=[
                            [SUPPRESSED_NL if _na(v) else format_eur(v), n] for v, n in zip(vals, n_est, strict=True)
                        ],
                        hovertemplate="%{y}<br>Weglek met lokaal alternatief: %{customdata[0]}<br>"
                        "Vestigingen in Nieuw-West: %{customdata[1]}<extra></extra>",
                        showlegend=False,
                    )
                )
                mark_withheld(fig, [lab for lab, v in zip(labels, vals, strict=True) if _na(v)])
                _layout(fig, 340)
                fig.update_layout(
                    yaxis=dict(autorange="reversed", automargin=True),
                    xaxis=dict(
                        tickprefix="€ ",
                        tickformat=",.0f",
                        gridcolor="#E5E5E5",
                        nticks=4,
                        range=[0, max([v for v in vals if not _na(v)] + [1]) * 1.35],
                    ),
                    margin=dict(r=40),
                )
                total = sum(v for v in vals if not _na(v) and v > 0)
                top = sub.iloc[0]
                hidden = [TARGET_SECTOR_LABELS_NL[c] for c, v in zip(sub["sector_code"], vals, strict=True) if _na(v)]
                summary = (
                    f"{name}, {year}: {format_eur(total)} van de beïnvloedbare uitgaven in de zes doelsectoren "
                    f"ging naar leveranciers buiten Nieuw-West terwijl er in Nieuw-West vestigingen met "
                    f"dezelfde activiteit zijn; het meest in {TARGET_SECTOR_LABELS_NL[top.sector_code]} "
                    f"({format_eur(top.influenceable_leakage_with_local_alternative_eur)}, "
                    f"{n_est[0]} vestigingen)."
                    if not _na(top.influenceable_leakage_with_local_alternative_eur)
                    else f"{name}, {year}: de weglek per doelsector is onderdrukt (privacy)."
                )
                if hidden and not _na(top.influenceable_leakage_with_local_alternative_eur):
                    summary += f" Onderdrukt (privacy), niet in het totaal: {_join_nl(hidden)}."
                rows = [
                    [
                        TARGET_SECTOR_LABELS_NL[r.sector_code],
                        shown(LEAKAGE, r, "influenceable_spend_eur", format_eur),
                        shown(LEAKAGE, r, "influenceable_spend_nieuw_west_eur", format_eur),
                        shown(LEAKAGE, r, "influenceable_spend_leaving_nieuw_west_eur", format_eur),
                        shown(LEAKAGE, r, "influenceable_leakage_with_local_alternative_eur", format_eur),
                        n,
                    ]
                    for r, n in zip(sub.itertuples(), n_est, strict=True)
                ]
                table = table_html(
                    [
                        "Doelsector",
                        "Beïnvloedbare uitgaven",
                        "Waarvan Nieuw-West",
                        "Buiten Nieuw-West",
                        "Weglek met lokaal alternatief",
                        "Vestigingen in Nieuw-West",
                    ],
                    rows,
                    f"{name}: weglek per doelsector in {year}." + (f" {SUPPRESSED_NOTE}" if hidden else ""),
                )
                chart.variants[key] = Variant(fig, summary, table)
        return chart

    def chart_completeness(self) -> Chart:
        chart = Chart(
            "fig-volledigheid",
            "Volledigheid van de gegevens",
            "volledigheid",
            "Per veld het deel van het factuurvolume waarbij het veld is ingevuld.",
            "anchor_year",
        )
        sc = self.d.scorecard.set_index(["anchor_code", "year"])
        for a, name in self.anchors.items():
            for year in self.years:
                key = f"{a}|{year}"
                if (a, year) not in sc.index:
                    chart.variants[key] = Variant(_empty(), f"Geen gegevens voor {name} in {year}.", "")
                    continue
                r = sc.loc[(a, year)]
                fields = list(FIELD_LABELS_NL)
                vals = [_pct(r[f"share_volume_with_{f}"]) for f in fields]
                fig = go.Figure(
                    go.Bar(
                        y=[FIELD_LABELS_NL[f] for f in fields],
                        x=vals,
                        orientation="h",
                        showlegend=False,
                        marker=dict(
                            color=[
                                "#0072B2" if (v or 0) >= 90 else "#E69F00" if (v or 0) >= 50 else ORANJE for v in vals
                            ]
                        ),
                        customdata=[format_pct(r[f"share_volume_with_{f}"]) for f in fields],
                        text=[format_pct(r[f"share_volume_with_{f}"]) for f in fields],
                        textposition="outside",
                        cliponaxis=False,
                        hovertemplate="%{y}: %{customdata}<extra></extra>",
                    )
                )
                _layout(fig, 380)
                fig.update_layout(
                    xaxis=dict(range=[0, 112], ticksuffix=" %", gridcolor="#E5E5E5", dtick=25),
                    yaxis=dict(autorange="reversed", automargin=True),
                    margin=dict(r=20),
                )
                low = [FIELD_LABELS_NL[f] for f, v in zip(fields, vals, strict=True) if (v or 0) < 50]
                summary = (
                    f"{name}, {year}: {format_pct(r['share_spend_placed_by_unknown'])} van de uitgaven is niet "
                    f"te plaatsen. "
                    + (
                        f"Minder dan de helft van het volume heeft: {_join_nl(low)}."
                        if low
                        else "Alle velden zijn voor minstens de helft ingevuld."
                    )
                )
                rows = [[FIELD_LABELS_NL[f], format_pct(r[f"share_volume_with_{f}"])] for f in fields]
                rows += [
                    ["Niet te plaatsen (ring Onbekend)", format_pct(r["share_spend_placed_by_unknown"])],
                    [
                        "Vermoedelijk dubbele facturen",
                        f"{int(r['n_suspected_duplicates'])} ({format_eur(r['suspected_duplicate_eur'])})",
                    ],
                    [
                        "Creditnota's zonder oorspronkelijke factuur",
                        f"{int(r['n_credit_notes_without_original'])} van {int(r['n_credit_notes'])} "
                        f"({format_eur(r['credit_notes_without_original_eur'])})",
                    ],
                    [
                        "Crediteuren zonder vestiging",
                        f"{int(r['n_unresolved_suppliers'])} ({format_eur(r['unresolved_spend_eur'])})",
                    ],
                    [
                        f"Waarvan de {int(r['unresolved_top_n'])} grootste",
                        f"{format_eur(r['unresolved_top_n_eur'])} ({format_pct(r['unresolved_top_n_share'])} van de "
                        f"uitgaven)",
                    ],
                ]
                table = table_html(
                    ["Veld of signaal", "Waarde"],
                    rows,
                    f"{name}: volledigheid en signalen over de gegevens van {year}.",
                )
                chart.variants[key] = Variant(fig, summary, table)
        return chart

    def chart_placement(self) -> Chart:
        chart = Chart(
            "fig-plaatsing",
            "Hoe de uitgaven geplaatst zijn",
            "plaatsing",
            "Per jaar het deel van de uitgaven dat met elke methode een plaats kreeg.",
            "anchor",
        )
        sc = self.d.scorecard
        for a, name in self.anchors.items():
            sub = sc[sc["anchor_code"] == a].sort_values("year")
            if sub.empty:
                chart.variants[a] = Variant(_empty(), f"Geen gegevens voor {name}.", "")
                continue
            years = [int(y) for y in sub["year"]]
            fig = go.Figure()
            for m, label in PLACEMENT_LABELS_NL.items():
                col = sub[f"share_spend_placed_by_{m}"]
                fig.add_trace(
                    go.Bar(
                        x=years,
                        y=[_pct(v) for v in col],
                        name=label,
                        marker=dict(color=PLACEMENT_COLOURS[m], line=dict(color="white", width=0.5)),
                        customdata=[format_pct(v) for v in col],
                        hovertemplate=f"%{{x}}<br>{label}: %{{customdata}}<extra></extra>",
                    )
                )
            _layout(fig, 400, barmode="relative")
            fig.update_layout(
                xaxis=dict(dtick=1),
                yaxis=dict(ticksuffix=" %", gridcolor="#E5E5E5"),
                legend=dict(y=-0.2),
                margin=dict(b=110),
            )
            last = sub.iloc[-1]
            summary = (
                f"{name}, {int(last['year'])}: "
                + _join_nl(
                    [
                        f"{PLACEMENT_LABELS_NL[m].lower()} {format_pct(last[f'share_spend_placed_by_{m}'])}"
                        for m in PLACEMENT_LABELS_NL
                        if abs(_f(last[f"share_spend_placed_by_{m}"])) >= 0.0005
                    ]
                )
                + "."
            )
            rows = [
                [int(r["year"])] + [format_pct(r[f"share_spend_placed_by_{m}"]) for m in PLACEMENT_LABELS_NL]
                for _, r in sub.iterrows()
            ]
            table = table_html(
                ["Jaar", *PLACEMENT_LABELS_NL.values()], rows, f"{name}: aandeel van de uitgaven per plaatsingsmethode."
            )
            chart.variants[a] = Variant(fig, summary, table)
        return chart

    # ------------------------------------------------------------------ Coöperaties en doelsectoren
    def chart_cooperatives(self) -> Chart:
        chart = Chart(
            "fig-cooperaties",
            "Uitgaven bij coöperaties",
            "cooperaties",
            "Per jaar de beïnvloedbare uitgaven bij coöperaties, per organisatie.",
            "all",
        )
        g = self.d.recipient_groups
        g = g[(g["dimension"] == "legal_form_group") & (g["group_code"] == "cooperative")]
        fig = go.Figure()
        rows = []
        for a, name in self.anchors.items():
            sub = g[g["anchor_code"] == a].sort_values("year")
            if sub.empty:
                continue
            fig.add_trace(
                go.Bar(
                    x=[int(y) for y in sub["year"]],
                    y=list(sub["influenceable_spend_eur"]),
                    name=name,
                    marker=dict(color=self.colour[a]),
                    customdata=[
                        [
                            shown(RECIPIENTS, r, "influenceable_spend_eur", format_eur),
                            shown(RECIPIENTS, r, "influenceable_share", format_pct),
                        ]
                        for _, r in sub.iterrows()
                    ],
                    hovertemplate=f"<b>{esc(name)}</b> %{{x}}<br>Bij coöperaties: %{{customdata[0]}} "
                    "(%{customdata[1]})<extra></extra>",
                )
            )
            for r in sub.itertuples():
                nw = (
                    r.influenceable_spend_nieuw_west_eur / r.influenceable_spend_eur
                    if not _na(r.influenceable_spend_eur) and r.influenceable_spend_eur
                    else None
                )
                rows.append(
                    [
                        name,
                        int(r.year),
                        shown(RECIPIENTS, r, "influenceable_spend_eur", format_eur),
                        shown(RECIPIENTS, r, "influenceable_share", format_pct),
                        SUPPRESSED_NL if r.is_place_split_suppressed else format_pct(nw),
                        shown(RECIPIENTS, r, "spend_eur", format_eur),
                    ]
                )
        if not rows:
            chart.variants[""] = Variant(_empty("Geen uitgaven bij coöperaties"), "Geen uitgaven bij coöperaties.", "")
            return chart
        _layout(fig, 400, barmode="group")
        fig.update_layout(
            xaxis=dict(dtick=1, title=dict(text="Jaar (factuurdatum)")),
            yaxis=dict(tickprefix="€ ", tickformat=",.0f", gridcolor="#E5E5E5"),
            legend=dict(y=-0.25),
            margin=dict(l=100, b=100),
        )
        last_year = int(g["year"].max())
        last = g[g["year"] == last_year]
        summary = (
            f"In {last_year} gaven de organisaties samen {format_eur(last['influenceable_spend_eur'].sum())} "
            f"van hun beïnvloedbare uitgaven uit bij coöperaties"
            + (" (zonder wat onderdrukt is)." if last["is_suppressed"].any() else ".")
        )
        table = table_html(
            [
                "Organisatie",
                "Jaar",
                "Bij coöperaties",
                "Aandeel van de beïnvloedbare uitgaven",
                "Waarvan in Nieuw-West",
                "Op alle uitgaven",
            ],
            rows,
            "Uitgaven bij coöperaties per organisatie en jaar.",
        )
        chart.variants[""] = Variant(fig, summary, table)
        return chart

    def coop_headline(self) -> Block:
        block = Block("blok-cooperaties-kop", "anchor_year")
        g = self.d.recipient_groups
        g = g[(g["dimension"] == "legal_form_group") & (g["group_code"] == "cooperative")].set_index(
            ["anchor_code", "year"]
        )
        for a, name in self.anchors.items():
            for year in self.years:
                if (a, year) in g.index:
                    r = g.loc[(a, year)]
                    text = (
                        f"<strong>{esc(name)}, {year}</strong>: <span data-testid='coop-eur'>"
                        f"{shown(RECIPIENTS, r, 'influenceable_spend_eur', format_eur)}</span> bij coöperaties, "
                        f"{shown(RECIPIENTS, r, 'influenceable_share', format_pct)} van de beïnvloedbare uitgaven."
                    )
                else:
                    text = f"<strong>{esc(name)}, {year}</strong>: geen uitgaven bij coöperaties."
                block.variants[f"{a}|{year}"] = f"<p class='lead'>{text}</p>"
        return block

    def chart_target_sectors(self) -> Chart:
        chart = Chart(
            "fig-doelsectoren",
            "Uitgaven in de zes doelsectoren",
            "doelsectoren",
            "Per organisatie de beïnvloedbare uitgaven in elke doelsector in het gekozen jaar; in de "
            "tabel ook het deel daarvan in Nieuw-West.",
            "year",
        )
        g = self.d.recipient_groups
        g = g[(g["dimension"] == "target_sector") & g["group_code"].isin(TARGET_SECTORS)]
        for year in self.years:
            sub = g[g["year"] == year]
            if sub.empty:
                chart.variants[str(year)] = Variant(_empty(), f"Geen gegevens voor {year}.", "")
                continue
            fig = go.Figure()
            names = list(self.anchors.values())
            rows = []
            for s in TARGET_SECTORS:
                ss = sub[sub["group_code"] == s].set_index("anchor_code")
                vals = [float(ss["influenceable_spend_eur"].get(a, 0.0)) for a in self.anchors]
                nw = [float(ss["influenceable_spend_nieuw_west_eur"].get(a, 0.0)) for a in self.anchors]
                hidden = [bool(ss["is_suppressed"].get(a, False)) for a in self.anchors]
                fig.add_trace(
                    go.Bar(
                        y=names,
                        x=vals,
                        orientation="h",
                        name=TARGET_SECTOR_LABELS_NL[s],
                        marker=dict(color=SECTOR_COLOURS[s]),
                        customdata=[
                            [
                                SUPPRESSED_NL if h else format_eur(v),
                                SUPPRESSED_NL if _na(n) else format_pct(n / v if v else None),
                            ]
                            for v, n, h in zip(vals, nw, hidden, strict=True)
                        ],
                        hovertemplate=f"%{{y}}<br>{TARGET_SECTOR_LABELS_NL[s]}: %{{customdata[0]}}<br>"
                        "Waarvan in Nieuw-West: %{customdata[1]}<extra></extra>",
                    )
                )
            for a, name in self.anchors.items():
                ss = sub[sub["anchor_code"] == a].set_index("group_code")
                row = [name]
                for s in TARGET_SECTORS:
                    v = float(ss["influenceable_spend_eur"].get(s, 0.0))
                    n = float(ss["influenceable_spend_nieuw_west_eur"].get(s, 0.0))
                    if bool(ss["is_suppressed"].get(s, False)):
                        row.append(SUPPRESSED_NL)
                    elif _na(n):
                        row.append(f"{format_eur(v)} (NW {SUPPRESSED_NL})")
                    else:
                        row.append(f"{format_eur(v)} ({format_pct(n / v if v else None)} NW)")
                rows.append(row)
            _layout(fig, 560, barmode="group")
            fig.update_layout(
                xaxis=dict(tickprefix="€ ", tickformat=",.0f", gridcolor="#E5E5E5", nticks=5),
                yaxis=dict(autorange="reversed", automargin=True),
                bargap=0.2,
                legend=dict(y=-0.12, traceorder="normal"),
                margin=dict(b=90),
            )
            # sums over the anchors of what is shown: a withheld figure is left out, never estimated
            per_sector = sub.groupby("group_code")[
                ["influenceable_spend_eur", "influenceable_spend_nieuw_west_eur"]
            ].sum(min_count=1)
            if per_sector["influenceable_spend_eur"].notna().any():
                biggest = per_sector["influenceable_spend_eur"].idxmax()
                big_eur, big_nw = (
                    per_sector.loc[biggest, "influenceable_spend_eur"],
                    per_sector.loc[biggest, "influenceable_spend_nieuw_west_eur"],
                )
                complete = not sub[sub["group_code"] == biggest]["is_place_split_suppressed"].any()
                summary = (
                    f"In {year} is {TARGET_SECTOR_LABELS_NL[biggest]} samen de grootste doelsector "
                    f"({format_eur(big_eur)}"
                    + (
                        f", waarvan {format_pct(big_nw / big_eur if big_eur else None)} in Nieuw-West)."
                        if complete
                        else ")."
                    )
                )
            else:
                summary = f"In {year} zijn de uitgaven per doelsector onderdrukt (privacy)."
            if sub["is_suppressed"].any() or sub["is_place_split_suppressed"].any():
                summary += " Onderdrukte cijfers (privacy) tellen niet mee."
            table = table_html(
                ["Organisatie"] + [TARGET_SECTOR_LABELS_NL[s] for s in TARGET_SECTORS],
                rows,
                f"Beïnvloedbare uitgaven per doelsector in {year} (tussen haakjes: aandeel in Nieuw-West).",
            )
            chart.variants[str(year)] = Variant(fig, summary, table)
        return chart

    def social_enterprises(self) -> str:
        se = self.d.social_enterprises
        if se.empty:
            return (
                "<div class='melding' role='note' data-testid='sociaal-leeg'><strong>De lijst met sociale "
                "ondernemingen is nog leeg.</strong> Zodra de afgesproken lijst (bijvoorbeeld de leden van de "
                "Code Sociale Ondernemingen) met KvK-nummers is ingevuld, staan hier de uitgaven bij die "
                "organisaties per organisatie en jaar.</div>"
            )
        rows = [
            [
                self.anchors.get(r.anchor_code, r.anchor_name),
                int(r.year),
                r.organisation_name if isinstance(r.organisation_name, str) and r.organisation_name else NAME_WITHHELD,
                shown(SOCIAL, r, "spend_eur", format_eur),
                shown(SOCIAL, r, "share", format_pct),
                shown(SOCIAL, r, "influenceable_spend_eur", format_eur),
            ]
            for r in se.itertuples()
        ]
        return table_html(
            [
                "Organisatie",
                "Jaar",
                "Sociale onderneming",
                "Uitgaven",
                "Aandeel van alle uitgaven",
                "Beïnvloedbare uitgaven",
            ],
            rows,
            "Uitgaven bij sociale ondernemingen.",
            numeric_from=3,
        )


def build_all(data: DashboardData) -> tuple[dict[str, list[Chart]], dict[str, Block], str]:
    """Charts per page, the blocks, and the social-enterprise HTML."""
    b = Builder(data)
    charts = {
        "overzicht": [b.chart_share_by_anchor(), b.chart_euros(), b.chart_trend()],
        "organisatie": [
            b.chart_tiers_by_year(),
            b.chart_tiers_by_quarter(),
            b.chart_sectors(),
            b.chart_leakage(),
            b.chart_completeness(),
            b.chart_placement(),
        ],
        "cooperaties": [b.chart_cooperatives(), b.chart_target_sectors()],
    }
    blocks = {x.block_id: x for x in [b.overview_cards(), b.org_headline(), b.top_suppliers(), b.coop_headline()]}
    return charts, blocks, b.social_enterprises()


__all__ = [
    "DEFINITIONS",
    "NAME_WITHHELD",
    "TOP_SUPPLIERS_SHOWN",
    "Block",
    "Chart",
    "Variant",
    "build_all",
    "variant_key",
]
