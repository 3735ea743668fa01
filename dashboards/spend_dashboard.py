"""Dashboard: where does the anchor organisations' purchasing money land?

Plain Python (no Dagster). This module holds the Dutch formatting (``format_eur``, ``format_pct``), the
plotly Dutch locale and palettes, the spend-by-tier loader and figures, ``render_dashboard`` and the CLI.
``dashboards.data`` reads every mart the dashboard shows (explicit column lists: only marts'
``organisation_name`` can name a supplier, and it is NULL for sole traders and partnerships),
``dashboards.pages`` builds the pages' figures, tables and texts per anchor and year, and
``dashboards.site`` writes one self-contained HTML file (plotly.js inlined once, no network needed).
Everything the reader sees is Dutch; numbers are formatted Dutch style ("12,3 %", "€ 1.234.567").

    python -m dashboards.spend_dashboard --warehouse data/warehouse/cwb.duckdb \
        --out data/output/dashboard.html [--synthetic]
"""

from __future__ import annotations

import argparse
import html
import math
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from dashboards.data import DashboardData

MART = "publication.fct_spend_by_tier"  # the publication view: suppressed figures are NULL
MART_COLUMNS = [
    "anchor_code",
    "anchor_name",
    "year",
    "tier",
    "tier_label_nl",
    "tier_order",
    "spend_eur",
    "n_lines",
    "share",
    "placement_basis",
]
REQUIRED_COLUMNS = ["anchor_code", "anchor_name", "year", "tier", "spend_eur"]

# Which address decides where a supplier "is" (column ``placement_basis``, one value per build). A warehouse
# built before the column existed placed suppliers by the delivering establishment.
PLACEMENT_BASES = ["cles", "establishment", "head_office"]
LEGACY_PLACEMENT_BASIS = "establishment"
PLACEMENT_BASIS_NL = {
    "cles": "Een leverancier telt als lokaal als de organisatie in het gebied gevestigd is of er een "
    "vestiging heeft (CLES-regel: 'based or branched').",
    "establishment": "De vestiging die levert en factureert bepaalt waar het geld landt.",
    "head_office": "De hoofdvestiging van de leverancier bepaalt waar het geld landt.",
}
# Extra explanation per basis for the Toelichting.
PLACEMENT_BASIS_DETAIL_NL = {
    "cles": "Heeft een organisatie meer vestigingen, dan bepaalt de meest lokale vestiging de ring. Een "
    "landelijke organisatie met een vestiging in Nieuw-West telt dus als Nieuw-West, ook als de levering "
    "van een andere vestiging komt.",
    "establishment": "Heeft een organisatie meer vestigingen, dan telt alleen het adres van de vestiging "
    "die de levering factureert.",
    "head_office": "Heeft een organisatie meer vestigingen, dan telt alleen het adres van de "
    "hoofdvestiging, ook als de levering van een andere vestiging komt.",
}

# Contract order (docs/architecture.md); anchors added later follow alphabetically.
ANCHOR_ORDER = ["gemeente_amsterdam", "hva", "olvg", "de_alliantie", "stwt", "pantar"]

TIERS = ["nieuw_west", "rest_of_amsterdam", "rest_of_mra", "rest_of_netherlands", "abroad", "unknown"]
TIER_LABELS_NL = {
    "nieuw_west": "Nieuw-West",
    "rest_of_amsterdam": "Rest van Amsterdam",
    "rest_of_mra": "Rest van de MRA",
    "rest_of_netherlands": "Rest van Nederland",
    "abroad": "Buitenland",
    "unknown": "Onbekend",
}
# Nieuw-West stands out (Amsterdam red); the further away, the paler; "Onbekend" is hatched grey.
TIER_COLOURS = {
    "nieuw_west": "#D00000",
    "rest_of_amsterdam": "#1F4E8C",
    "rest_of_mra": "#5B8CC8",
    "rest_of_netherlands": "#A9C4E4",
    "abroad": "#8A8A8A",
    "unknown": "#D9D9D9",
}
# Colour-blind safe (Okabe-Ito), one per anchor; markers differ as well.
ANCHOR_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]
ANCHOR_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down"]

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
SYNTHETIC_NOTICE = "Let op: synthetische voorbeelddata"
TITLE = "Community Wealth Building Nieuw-West: waar landt het inkoopgeld?"

MONTHS_NL = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip

# Dutch texts for the bits of plotly.js UI a reader can see (modebar button, notifier tips).
PLOTLY_LOCALE_NL = {
    "moduleType": "locale",
    "name": "nl",
    "dictionary": {
        "Download plot as a PNG": "Grafiek downloaden als PNG",
        "Download plot": "Grafiek downloaden",
        "Taking snapshot - this may take a few seconds": "Afbeelding wordt gemaakt, een ogenblik geduld",
        "Snapshot succeeded": "Afbeelding gemaakt",
        "Snapshot failed": "Afbeelding maken mislukt",
        "Sorry, there was a problem downloading your snapshot!": "Downloaden van de afbeelding mislukt.",
        "Double-click on legend to isolate one trace": "Dubbelklik op de legenda om één reeks apart te tonen",
        "Double-click to zoom back out": "Dubbelklik om terug te zoomen",
    },
    "format": {
        "days": ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"],
        "shortDays": ["zo", "ma", "di", "wo", "do", "vr", "za"],
        "months": [m for m in MONTHS_NL],
        "shortMonths": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
        "date": "%d-%m-%Y",
        "decimal": ",",
        "thousands": ".",
    },
}


# --------------------------------------------------------------------------------------------- formatting
def _is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def format_pct(fraction: float | None, decimals: int = 1) -> str:
    """0.123 -> '12,3 %' (Dutch); missing -> '–'."""
    if _is_missing(fraction):
        return "–"
    return f"{fraction * 100:.{decimals}f}".replace(".", ",") + " %"


def format_count(number: float) -> str:
    """1234567 -> '1.234.567' (whole number, Dutch thousands separator)."""
    return f"{int(round(float(number))):,}".replace(",", ".")


def format_eur(amount: float | None) -> str:
    """1234567.4 -> '€ 1.234.567' (whole euros, Dutch thousands separator); missing -> '–'."""
    if _is_missing(amount):
        return "–"
    rounded = int(round(float(amount)))
    digits = format_count(abs(rounded))
    return f"€ -{digits}" if rounded < 0 else f"€ {digits}"


def format_pp(points: float | None) -> str:
    """Difference in percentage points: 1.23 -> '+1,2'."""
    if _is_missing(points):
        return "–"
    text = f"{points:+.1f}".replace(".", ",")
    return "0,0" if text in ("+0,0", "-0,0") else text


def format_datetime_nl(moment: datetime) -> str:
    return f"{moment.day} {MONTHS_NL[moment.month - 1]} {moment.year}, {moment:%H:%M}"


def year_label(year: int, baseline_year: int | None, html_break: bool = False) -> str:
    if year == baseline_year:
        return f"{year}<br>(nulmeting)" if html_break else f"{year} (nulmeting)"
    return str(year)


# ------------------------------------------------------------------------------------------------ loading
def query_spend_by_tier(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Read the mart through an existing DuckDB connection (for callers that already hold one).

    Only contract columns that exist are selected: a warehouse built before ``placement_basis`` existed
    is read as ``placement_basis = 'establishment'`` (see ``_normalise``).
    """
    present = {d[0] for d in con.execute(f"select * from {MART} limit 0").description}
    cols = ", ".join(f"\"{c}\"" for c in MART_COLUMNS if c in present)
    df = con.execute(f"select {cols} from {MART} order by anchor_code, year, tier_order").df()
    return _normalise(df)


def load_spend_by_tier(warehouse_path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read ``publication.fct_spend_by_tier`` from the warehouse file with a read-only connection."""
    path = Path(warehouse_path)
    if not path.exists():
        raise FileNotFoundError(f"DuckDB warehouse not found: {path}")
    with duckdb.connect(str(path), read_only=True) as con:
        return query_spend_by_tier(con)


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"spend-by-tier data lacks column(s): {', '.join(missing)}")
    # Only contract columns travel further: nothing else (e.g. a supplier name) can reach the HTML.
    out = df[[c for c in MART_COLUMNS if c in df.columns]].copy()
    out["anchor_code"] = out["anchor_code"].astype(str)
    out["anchor_name"] = out["anchor_name"].astype(str)
    out["tier"] = out["tier"].astype(str)
    unknown_tiers = sorted(set(out["tier"]) - set(TIERS))
    if unknown_tiers:
        raise ValueError(f"unknown tier(s) in spend-by-tier data: {', '.join(unknown_tiers)}")
    out["year"] = out["year"].astype(int)
    out["spend_eur"] = out["spend_eur"].astype(float)  # DECIMAL(18,2) arrives as Python Decimals
    out["tier_order"] = out["tier"].map({t: i + 1 for i, t in enumerate(TIERS)})
    out["tier_label_nl"] = out["tier"].map(TIER_LABELS_NL)
    if "placement_basis" not in out.columns:
        out["placement_basis"] = LEGACY_PLACEMENT_BASIS
    if out["placement_basis"].isna().any():
        raise ValueError("placement_basis is empty on some rows of the spend-by-tier data")
    out["placement_basis"] = out["placement_basis"].astype(str)
    bases = sorted(set(out["placement_basis"]))
    unknown_bases = [b for b in bases if b not in PLACEMENT_BASES]
    if unknown_bases:
        raise ValueError(f"unknown placement_basis value(s): {', '.join(unknown_bases)}")
    if len(bases) > 1:
        # Figures placed on different bases are not comparable and must not be shown as one.
        raise ValueError(f"spend-by-tier data mixes placement bases: {', '.join(bases)}")
    return out.reset_index(drop=True)


def placement_basis(df: pd.DataFrame) -> str:
    """The one ``placement_basis`` of the figures ('establishment' for data without the column, or none)."""
    df = _normalise(df)
    return str(df["placement_basis"].iloc[0]) if len(df) else LEGACY_PLACEMENT_BASIS


# ---------------------------------------------------------------------------------------------- summaries
def anchor_order(df: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(df["anchor_code"]))
    known = [a for a in ANCHOR_ORDER if a in present]
    return known + sorted(a for a in present if a not in ANCHOR_ORDER)


def _anchor_names(df: pd.DataFrame) -> dict[str, str]:
    return df.drop_duplicates("anchor_code").set_index("anchor_code")["anchor_name"].to_dict()


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """One row per anchor x year: spend in Nieuw-West, total spend, their share, share unknown.

    Shares are recomputed from ``spend_eur`` (credit notes netted); an anchor-year without Nieuw-West
    lines has share 0, and a non-positive total gives a missing share.
    """
    df = _normalise(df)
    cols = ["anchor_code", "anchor_name", "year", "spend_nw", "spend_unknown", "spend_total",
            "share_nw", "share_unknown", "diff_pp"]  # fmt: skip
    if df.empty:
        return pd.DataFrame(columns=cols)
    names = _anchor_names(df)
    wide = df.pivot_table(
        index=["anchor_code", "year"], columns="tier", values="spend_eur", aggfunc="sum", fill_value=0.0
    )
    for tier in TIERS:
        if tier not in wide.columns:
            wide[tier] = 0.0
    out = pd.DataFrame(
        {
            "spend_nw": wide["nieuw_west"],
            "spend_unknown": wide["unknown"],
            "spend_total": wide[TIERS].sum(axis=1),
        }
    ).reset_index()
    positive = out["spend_total"] > 0
    out["share_nw"] = (out["spend_nw"] / out["spend_total"]).where(positive)
    out["share_unknown"] = (out["spend_unknown"] / out["spend_total"]).where(positive)
    out["anchor_name"] = out["anchor_code"].map(names)
    order = {a: i for i, a in enumerate(anchor_order(df))}
    out = out.sort_values(
        ["anchor_code", "year"], key=lambda s: s.map(order) if s.name == "anchor_code" else s
    )
    baseline = int(df["year"].min())
    base = out[out["year"] == baseline].set_index("anchor_code")["share_nw"]
    out["diff_pp"] = (out["share_nw"] - out["anchor_code"].map(base)) * 100
    out.loc[out["year"] == baseline, "diff_pp"] = float("nan")
    return out[cols].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ figures
# Every figure is drawn on plotly's "plotly_white" template. As plotly's default template, a new figure takes
# it when it is created, on plotly's fast path (the registered template counts as validated); passed to
# update_layout, plotly validated and copied the whole template again for each of the dashboard's 275
# figures. Rendering the dashboard of the 10M benchmark: 7.2-7.4 -> 4.5-5.1 s, the same HTML byte for byte
# (each figure's template is left out of the page anyway: site._figure_json).
pio.templates.default = "plotly_white"


def _base_layout(fig: go.Figure, height: int) -> None:
    fig.update_layout(
        height=height,
        separators=",.",
        font=dict(family=FONT, size=14, color="#1A1A1A"),
        hoverlabel=dict(font=dict(family=FONT, size=14), bgcolor="white"),
        margin=dict(l=70, r=30, t=40, b=60),
        paper_bgcolor="white",
        plot_bgcolor="white",
    )


def _empty_figure(message: str, height: int = 300) -> go.Figure:
    fig = go.Figure()
    _base_layout(fig, height)
    fig.update_layout(
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        annotations=[dict(text=message, showarrow=False, font=dict(size=18), x=0.5, y=0.5,
                          xref="paper", yref="paper")],
    )  # fmt: skip
    return fig


def build_share_figure(df: pd.DataFrame) -> go.Figure:
    """Figure 1: share of purchasing spend landing in Nieuw-West, one line per anchor, years on x.

    Trace ``y`` values are percentages (share x 100), ``x`` the years, ``meta`` the anchor_code.
    """
    df = _normalise(df)
    if df.empty:
        return _empty_figure("Geen gegevens beschikbaar")
    summary = summarise(df)
    years = sorted(int(y) for y in df["year"].unique())
    baseline = years[0]
    fig = go.Figure()
    for i, code in enumerate(anchor_order(df)):
        rows = summary[summary["anchor_code"] == code].sort_values("year")
        name = str(rows["anchor_name"].iloc[0])
        custom = [
            [year_label(int(r.year), baseline), format_pct(r.share_nw), format_eur(r.spend_nw),
             format_eur(r.spend_total)]
            for r in rows.itertuples()
        ]  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=[int(y) for y in rows["year"]],
                y=[None if _is_missing(v) else float(v) * 100 for v in rows["share_nw"]],
                name=name,
                meta=code,
                mode="lines+markers",
                line=dict(color=ANCHOR_COLOURS[i % len(ANCHOR_COLOURS)], width=3),
                marker=dict(symbol=ANCHOR_SYMBOLS[i % len(ANCHOR_SYMBOLS)], size=11,
                            line=dict(width=1, color="white")),
                customdata=custom,
                hovertemplate=(
                    "<b>%{fullData.name}</b><br>%{customdata[0]}<br>"
                    "Aandeel Nieuw-West: <b>%{customdata[1]}</b><br>"
                    "%{customdata[2]} van %{customdata[3]}<extra></extra>"
                ),
            )  # fmt: skip
        )
    _base_layout(fig, 480)
    ymax = max([v for t in fig.data for v in t.y if v is not None] + [1.0])
    fig.update_layout(
        xaxis=dict(
            title=dict(text="Jaar (factuurdatum)"),
            tickmode="array",
            tickvals=years,
            ticktext=[year_label(y, baseline, html_break=True) for y in years],
            range=[years[0] - 0.3, years[-1] + 0.3],
            showgrid=False,
            fixedrange=True,
        ),
        yaxis=dict(
            title=dict(text="Aandeel inkoopuitgaven in Nieuw-West"),
            ticksuffix=" %",
            tickformat=",.0f" if ymax >= 5 else ",.1f",
            range=[0, ymax * 1.15],
            gridcolor="#E5E5E5",
            zeroline=True,
            zerolinecolor="#999999",
            fixedrange=True,
        ),
        legend=dict(title=dict(text="Ankerorganisatie"), orientation="v", x=1.02, y=1, xanchor="left"),
        hovermode="closest",
        margin=dict(l=80, r=220, t=30, b=80),
        shapes=[dict(type="rect", xref="x", yref="paper", x0=baseline - 0.3, x1=baseline + 0.3, y0=0, y1=1,
                     fillcolor="#F2F2F2", line=dict(width=0), layer="below")],
    )  # fmt: skip
    return fig


def build_tier_figure(df: pd.DataFrame) -> go.Figure:
    """Figure 2: 100 % stacked bars over the geography tiers, one panel per anchor, years on x.

    One trace per anchor x tier (``legendgroup`` = tier, ``meta`` = [anchor_code, tier]); ``y`` are
    percentages of the anchor-year's total spend.
    """
    df = _normalise(df)
    if df.empty:
        return _empty_figure("Geen gegevens beschikbaar")
    anchors = anchor_order(df)
    names = _anchor_names(df)
    years = sorted(int(y) for y in df["year"].unique())
    baseline = years[0]
    totals = df.groupby(["anchor_code", "year"])["spend_eur"].sum()
    n_cols = min(3, len(anchors))
    n_rows = math.ceil(len(anchors) / n_cols)
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=[names[a] for a in anchors],
        shared_yaxes=True,
        horizontal_spacing=0.04,
        vertical_spacing=0.16 if n_rows > 1 else 0.1,
    )
    tiers_present = [t for t in TIERS if t in set(df["tier"])]
    for i, code in enumerate(anchors):
        row, col = divmod(i, n_cols)
        sub = df[df["anchor_code"] == code]
        anchor_years = sorted(int(y) for y in sub["year"].unique())
        for tier in tiers_present:
            spend = sub[sub["tier"] == tier].groupby("year")["spend_eur"].sum()
            ys, custom = [], []
            for y in anchor_years:
                total = float(totals.loc[(code, y)])
                amount = float(spend.get(y, 0.0))
                share = amount / total if total > 0 else float("nan")
                ys.append(None if _is_missing(share) else share * 100)
                custom.append([year_label(y, baseline), format_pct(share), format_eur(amount)])
            fig.add_trace(
                go.Bar(
                    x=anchor_years,
                    y=ys,
                    name=TIER_LABELS_NL[tier],
                    legendgroup=tier,
                    showlegend=i == 0,
                    meta=[code, tier],
                    marker=dict(
                        color=TIER_COLOURS[tier],
                        line=dict(color="white", width=0.5),
                        pattern=dict(shape="/", fgcolor="#9A9A9A", size=6) if tier == "unknown" else None,
                    ),
                    customdata=custom,
                    hovertemplate=(
                        f"<b>{html.escape(names[code])}</b>, %{{customdata[0]}}<br>"
                        f"{TIER_LABELS_NL[tier]}: <b>%{{customdata[1]}}</b> (%{{customdata[2]}})"
                        "<extra></extra>"
                    ),
                ),
                row=row + 1,
                col=col + 1,
            )
    height, top, bottom = 330 * n_rows + 140, 100, 60
    _base_layout(fig, height)
    fig.update_layout(
        barmode="relative",
        bargap=0.25,
        # legend above the panels, clear of the subplot titles (which sit just above the top panels)
        legend=dict(orientation="h", x=0, y=1 + 40 / (height - top - bottom), xanchor="left",
                    yanchor="bottom", traceorder="normal", title=dict(text="Ring: "), font=dict(size=14)),
        margin=dict(l=80, r=30, t=top, b=bottom),
        hovermode="closest",
    )  # fmt: skip
    fig.update_annotations(font=dict(size=16, color="#1A1A1A"), yshift=4)
    fig.update_xaxes(
        tickmode="array",
        tickvals=years,
        ticktext=[year_label(y, baseline, html_break=True) for y in years],
        range=[years[0] - 0.6, years[-1] + 0.6],
        showgrid=False,
        fixedrange=True,
    )
    fig.update_yaxes(range=[0, 100], ticksuffix=" %", dtick=25, gridcolor="#E5E5E5", fixedrange=True)
    for r in range(1, n_rows + 1):
        fig.update_yaxes(title_text="Aandeel in uitgaven", row=r, col=1)
    return fig


def build_figures(df: pd.DataFrame) -> list[go.Figure]:
    """[share Nieuw-West per anchor per year, tier breakdown per anchor per year]."""
    return [build_share_figure(df), build_tier_figure(df)]


# ------------------------------------------------------------------------------------------------- HTML
def render_dashboard(
    data: DashboardData,
    out_path: str | os.PathLike[str],
    generated_at: datetime | None = None,
    synthetic: bool = False,
) -> Path:
    """Write the dashboard as one self-contained HTML file and return its path.

    ``data`` is what ``load_dashboard_data`` reads from the warehouse; ``synthetic=True`` shows the banner
    "Let op: synthetische voorbeelddata". The pages are built in ``dashboards.pages`` and assembled in
    ``dashboards.site`` (imported here, since both use this module's formatting).
    """
    from dashboards.site import render

    return render(data, out_path, generated_at=generated_at, synthetic=synthetic)


def load_dashboard_data(warehouse_path: str | os.PathLike[str]) -> DashboardData:
    """Read every mart the dashboard shows (``dashboards.data.MARTS``) with one read-only connection."""
    from dashboards.data import load_dashboard_data as load

    return load(warehouse_path)


# --------------------------------------------------------------------------------------------------- CLI
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboards.spend_dashboard",
        description="Write the Community Wealth Building dashboard (one self-contained HTML file).",
    )
    parser.add_argument("--warehouse", default=os.environ.get("CWB_WAREHOUSE"),
                        help="DuckDB warehouse file (default: $CWB_WAREHOUSE)")  # fmt: skip
    output_dir = os.environ.get("CWB_OUTPUT_DIR")
    default_out = str(Path(output_dir) / "dashboard.html") if output_dir else None
    parser.add_argument("--out", default=default_out,
                        help="HTML file to write (default: $CWB_OUTPUT_DIR/dashboard.html)")  # fmt: skip
    parser.add_argument("--synthetic", action="store_true",
                        help="show the notice that the figures are synthetic sample data")  # fmt: skip
    args = parser.parse_args(argv)
    if not args.warehouse or not args.out:
        parser.error("--warehouse and --out are required (or set CWB_WAREHOUSE and CWB_OUTPUT_DIR)")
    path = render_dashboard(load_dashboard_data(args.warehouse), args.out, synthetic=args.synthetic)
    print(f"Dashboard written: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
