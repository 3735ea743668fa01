"""Tests for dashboards/: figures carry the mart's numbers, Dutch texts, a self-contained HTML file."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboards import build_figures, load_spend_by_tier, render_dashboard, summarise
from dashboards.spend_dashboard import (
    FIG_IDS,
    PLACEMENT_BASIS_NL,
    SYNTHETIC_NOTICE,
    TIER_COLOURS,
    TIER_LABELS_NL,
    TIERS,
    format_eur,
    format_pct,
    main,
    placement_basis,
)

CHROMIUM = Path("/usr/bin/chromium")
YEARS = [2022, 2023, 2024, 2025]
ANCHORS = {"gemeente_amsterdam": "Gemeente Amsterdam", "olvg": "OLVG", "pantar": "Pantar"}

# Known figures: spend per anchor, year, tier (euros). OLVG 2023 has no Nieuw-West lines (share 0) and
# a negative (credit notes exceeding invoices) amount abroad; Pantar has no 2022 delivery.
SPEND = {
    ("gemeente_amsterdam", 2022): {"nieuw_west": 1_000_000.00, "rest_of_amsterdam": 5_000_000.00,
                                   "rest_of_mra": 2_000_000.00, "rest_of_netherlands": 1_500_000.00,
                                   "abroad": 250_000.00, "unknown": 250_000.00},
    ("gemeente_amsterdam", 2023): {"nieuw_west": 1_234_567.40, "rest_of_amsterdam": 5_100_000.00,
                                   "rest_of_mra": 2_000_000.00, "rest_of_netherlands": 1_400_000.00,
                                   "unknown": 300_000.00},
    ("gemeente_amsterdam", 2024): {"nieuw_west": 1_500_000.00, "rest_of_amsterdam": 5_000_000.00,
                                   "rest_of_mra": 2_100_000.00, "rest_of_netherlands": 1_300_000.00,
                                   "abroad": 100_000.00},
    ("gemeente_amsterdam", 2025): {"nieuw_west": 1_800_000.00, "rest_of_amsterdam": 4_900_000.00,
                                   "rest_of_mra": 2_000_000.00, "rest_of_netherlands": 1_200_000.00,
                                   "abroad": 50_000.00, "unknown": 50_000.00},
    ("olvg", 2022): {"nieuw_west": 30_000.00, "rest_of_amsterdam": 120_000.00,
                     "rest_of_netherlands": 50_000.00},
    ("olvg", 2023): {"rest_of_amsterdam": 150_000.00, "rest_of_mra": 60_000.00, "abroad": -10_000.00},
    ("olvg", 2024): {"nieuw_west": 45_000.50, "rest_of_amsterdam": 100_000.00, "unknown": 4_999.50},
    ("olvg", 2025): {"nieuw_west": 61_000.00, "rest_of_amsterdam": 99_000.00, "rest_of_mra": 40_000.00},
    ("pantar", 2023): {"nieuw_west": 7_000.00, "rest_of_mra": 3_000.00},
    ("pantar", 2024): {"nieuw_west": 8_000.00, "rest_of_mra": 2_000.00},
    ("pantar", 2025): {"nieuw_west": 9_000.00, "rest_of_mra": 1_000.00},
}  # fmt: skip
SUPPLIER_NAMES = ["Jan de Vries Schilderwerken", "Loodgietersbedrijf Fatima Yilmaz"]


def expected_share_nw(anchor: str, year: int) -> float:
    tiers = SPEND[(anchor, year)]
    return tiers.get("nieuw_west", 0.0) / sum(tiers.values())


def mart_frame(basis: str | None = "cles") -> pd.DataFrame:
    """The mart as a DataFrame; ``basis=None`` leaves out ``placement_basis`` (an older warehouse)."""
    rows = []
    for (anchor, year), tiers in SPEND.items():
        total = sum(tiers.values())
        for tier, spend in tiers.items():
            rows.append(
                dict(anchor_code=anchor, anchor_name=ANCHORS[anchor], year=year, tier=tier,
                     tier_label_nl=TIER_LABELS_NL[tier], tier_order=TIERS.index(tier) + 1,
                     spend_eur=spend, n_lines=10, share=spend / total)
            )  # fmt: skip
    df = pd.DataFrame(rows)
    if basis is not None:
        df["placement_basis"] = basis
    return df


@pytest.fixture
def spend_df() -> pd.DataFrame:
    return mart_frame()


def write_warehouse(path: Path, df: pd.DataFrame) -> Path:
    basis_col = ", placement_basis::varchar as placement_basis" if "placement_basis" in df.columns else ""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.register("frame", df)
        con.execute(
            f"""
            create table marts.fct_spend_by_tier as
            select anchor_code, anchor_name, year::integer as year, tier, tier_label_nl,
                   tier_order::integer as tier_order, spend_eur::decimal(18, 2) as spend_eur,
                   n_lines::bigint as n_lines, share::double as share{basis_col}
            from frame
            """
        )
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return write_warehouse(tmp_path / "cwb.duckdb", mart_frame())


@pytest.fixture
def dashboard_html(spend_df: pd.DataFrame, tmp_path: Path) -> Path:
    out = tmp_path / "out" / "dashboard.html"
    return render_dashboard(spend_df, out, generated_at=datetime(2026, 3, 1, 9, 30), synthetic=True)


# ---------------------------------------------------------------------------------------------- formatting
def test_dutch_number_formatting():
    assert format_pct(0.123) == "12,3 %"
    assert format_pct(0.05) == "5,0 %"
    assert format_pct(float("nan")) == "–"
    assert format_eur(1_234_567.4) == "€ 1.234.567"
    assert format_eur(999.5) == "€ 1.000"
    assert format_eur(-12_345) == "€ -12.345"


# ------------------------------------------------------------------------------------------------ loading
def test_load_spend_by_tier_reads_the_mart(warehouse: Path, spend_df: pd.DataFrame):
    df = load_spend_by_tier(warehouse)
    assert len(df) == len(spend_df)
    assert df["spend_eur"].dtype == float  # DECIMAL(18,2) converted for plotting
    got = df.set_index(["anchor_code", "year", "tier"])["spend_eur"]
    for (anchor, year), tiers in SPEND.items():
        for tier, spend in tiers.items():
            assert got[(anchor, year, tier)] == pytest.approx(spend)
    # read-only: a writer can still open the file afterwards, and the file was not changed by the reader
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute("select count(*) from marts.fct_spend_by_tier").fetchone()[0] == len(spend_df)


def test_load_spend_by_tier_reads_the_placement_basis(warehouse: Path):
    df = load_spend_by_tier(warehouse)
    assert set(df["placement_basis"]) == {"cles"}
    assert placement_basis(df) == "cles"


def test_load_spend_by_tier_older_warehouse_without_placement_basis(tmp_path: Path):
    path = write_warehouse(tmp_path / "old.duckdb", mart_frame(basis=None))
    df = load_spend_by_tier(path)
    assert len(df) == len(mart_frame())
    assert set(df["placement_basis"]) == {"establishment"}


def test_load_spend_by_tier_refuses_mixed_placement_bases(tmp_path: Path):
    df = mart_frame()
    df.loc[df["anchor_code"] == "olvg", "placement_basis"] = "head_office"
    path = write_warehouse(tmp_path / "mixed.duckdb", df)
    with pytest.raises(ValueError, match="mixes placement bases"):
        load_spend_by_tier(path)


def test_load_spend_by_tier_missing_file(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        load_spend_by_tier(tmp_path / "nope.duckdb")


def test_summary_recomputes_shares(spend_df: pd.DataFrame):
    summary = summarise(spend_df).set_index(["anchor_code", "year"])
    for anchor, year in SPEND:
        assert summary.loc[(anchor, year), "share_nw"] == pytest.approx(expected_share_nw(anchor, year))
        total = sum(SPEND[(anchor, year)].values())
        assert summary.loc[(anchor, year), "spend_total"] == pytest.approx(total)
    assert summary.loc[("olvg", 2023), "share_nw"] == 0.0
    anchors_in_order = list(dict.fromkeys(summary.reset_index()["anchor_code"]))
    assert anchors_in_order == ["gemeente_amsterdam", "olvg", "pantar"]


# ------------------------------------------------------------------------------------------------ figures
def test_share_figure_carries_nieuw_west_share(spend_df: pd.DataFrame):
    share_fig, _ = build_figures(spend_df)
    traces = {t.meta: t for t in share_fig.data}
    assert set(traces) == set(ANCHORS)
    for anchor, name in ANCHORS.items():
        trace = traces[anchor]
        years = [y for (a, y) in SPEND if a == anchor]
        assert trace.name == name
        assert list(trace.x) == years
        expected = [100 * expected_share_nw(anchor, y) for y in years]
        assert list(trace.y) == pytest.approx(expected)
    assert traces["olvg"].y[1] == 0.0  # OLVG 2023: no Nieuw-West lines
    layout = share_fig.layout
    assert layout.separators == ",."
    assert layout.yaxis.ticksuffix == " %"
    assert "Nieuw-West" in layout.yaxis.title.text
    assert layout.xaxis.title.text == "Jaar (factuurdatum)"
    assert list(layout.xaxis.tickvals) == YEARS
    assert "nulmeting" in layout.xaxis.ticktext[0]
    assert all("nulmeting" not in t for t in layout.xaxis.ticktext[1:])
    assert layout.legend.title.text == "Ankerorganisatie"
    # hover text: Dutch, with Dutch formatted numbers
    ga = traces["gemeente_amsterdam"]
    assert "Aandeel Nieuw-West" in ga.hovertemplate
    assert ga.customdata[0][0] == "2022 (nulmeting)"
    assert ga.customdata[0][1] == "10,0 %"
    assert ga.customdata[1][2] == "€ 1.234.567"


def test_tier_figure_is_a_100_percent_breakdown(spend_df: pd.DataFrame):
    _, tier_fig = build_figures(spend_df)
    assert tier_fig.layout.barmode in ("stack", "relative")
    legend_names = [t.name for t in tier_fig.data if t.showlegend]
    assert legend_names == [TIER_LABELS_NL[t] for t in TIERS]  # tier_order, Dutch labels, once each
    assert legend_names == ["Nieuw-West", "Rest van Amsterdam", "Rest van de MRA", "Rest van Nederland",
                            "Buitenland", "Onbekend"]  # fmt: skip
    for trace in tier_fig.data:
        anchor, tier = trace.meta
        assert trace.name == TIER_LABELS_NL[tier]
        assert trace.marker.color == TIER_COLOURS[tier]  # same colour for a tier in every panel
        for year, y in zip(trace.x, trace.y, strict=True):
            tiers = SPEND[(anchor, year)]
            assert y == pytest.approx(100 * tiers.get(tier, 0.0) / sum(tiers.values()))
    sums: dict[tuple[str, int], float] = {}
    for trace in tier_fig.data:
        for year, y in zip(trace.x, trace.y, strict=True):
            sums[(trace.meta[0], year)] = sums.get((trace.meta[0], year), 0.0) + y
    assert set(sums) == set(SPEND)
    assert all(v == pytest.approx(100.0) for v in sums.values())
    titles = [a.text for a in tier_fig.layout.annotations]
    assert titles == list(ANCHORS.values())


def test_figures_on_empty_data():
    empty = mart_frame().iloc[0:0]
    figs = build_figures(empty)
    assert len(figs) == 2
    assert all(len(f.data) == 0 for f in figs)


# --------------------------------------------------------------------------------------------------- HTML
def test_html_is_dutch_accessible_and_self_contained(dashboard_html: Path):
    text = dashboard_html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert '<html lang="nl">' in text
    assert "<title>Community Wealth Building Nieuw-West: waar landt het inkoopgeld?</title>" in text
    assert text.count("<h1>") == 1 and text.count("<h2") >= 3
    assert text.count("<figcaption") == 2
    assert "<table" in text and "<caption>" in text and "scope='col'" in text
    # no external resources: scripts, stylesheets, fonts, images
    external = r"<(script|link|img|iframe|source|embed)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//"
    assert not re.search(external, text, re.I)
    assert not re.search(r"@import|url\(\s*[\"']?(https?:)?//", text.split("<script>", 1)[0], re.I)
    # plotly.js inlined exactly once, two figures
    from plotly.offline import get_plotlyjs

    plotly_js = get_plotlyjs()
    assert text.count(plotly_js) == 1
    outside_js = text.replace(plotly_js, "")
    assert "http://" not in outside_js and "https://" not in outside_js
    assert outside_js.count("Plotly.newPlot") == 2
    for div_id in FIG_IDS:
        assert f'id="{div_id}"' in text
    # Dutch texts and numbers
    for phrase in [
        "Aandeel van de inkoopuitgaven dat in Nieuw-West landt",
        "Verdeling over de geografische ringen",
        "nulmeting",
        "exclusief btw",
        "Creditnota's",
        "KvK",
        "btw-nummer",
        "IBAN",
        "beoordeeld",
        "stadsdeel met de meeste adressen",
        "Rest van de MRA",
        "Buitenland",
        "Onbekend",
        "Gegenereerd op 1 maart 2026, 09:30",
    ]:
        assert phrase in text, phrase
    # table: 2023 Gemeente Amsterdam, Nieuw-West 1.234.567,40 of 10.034.567,40
    assert "€ 1.234.567" in text and "€ 10.034.567" in text
    assert format_pct(expected_share_nw("gemeente_amsterdam", 2023)) in text
    assert SYNTHETIC_NOTICE in text


@pytest.mark.parametrize("basis", ["cles", "establishment", "head_office"])
def test_html_names_the_placement_basis(basis: str, tmp_path: Path):
    text = render_dashboard(mart_frame(basis), tmp_path / "d.html").read_text(encoding="utf-8")
    sentence = PLACEMENT_BASIS_NL[basis]
    header = text.split("</header>", 1)[0]
    toelichting = text.split('id="toelichting"', 1)[1]
    assert sentence in header  # short line under the title
    assert sentence in toelichting  # and in the explanation
    for other, other_sentence in PLACEMENT_BASIS_NL.items():
        if other != basis:
            assert other_sentence not in text


def test_cles_sentence_wording(tmp_path: Path):
    text = render_dashboard(mart_frame("cles"), tmp_path / "d.html").read_text(encoding="utf-8")
    assert ("Een leverancier telt als lokaal als de organisatie in het gebied gevestigd is of er een "
            "vestiging heeft (CLES-regel: 'based or branched').") in text  # fmt: skip


def test_frame_without_placement_basis_renders_as_establishment(tmp_path: Path):
    df = mart_frame(basis=None)
    assert "placement_basis" not in df.columns
    text = render_dashboard(df, tmp_path / "d.html").read_text(encoding="utf-8")
    assert "De vestiging die levert en factureert bepaalt waar het geld landt." in text
    assert PLACEMENT_BASIS_NL["cles"] not in text and PLACEMENT_BASIS_NL["head_office"] not in text


def test_mixed_placement_bases_are_refused(tmp_path: Path):
    df = mart_frame("cles")
    df.loc[df["year"] == 2025, "placement_basis"] = "establishment"
    out = tmp_path / "d.html"
    with pytest.raises(ValueError, match="mixes placement bases"):
        render_dashboard(df, out)
    assert not out.exists()
    with pytest.raises(ValueError, match="mixes placement bases"):
        build_figures(df)
    with pytest.raises(ValueError, match="mixes placement bases"):
        summarise(df)


def test_unknown_or_empty_placement_basis_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="unknown placement_basis"):
        render_dashboard(mart_frame("postcode"), tmp_path / "d.html")
    df = mart_frame()
    df.loc[0, "placement_basis"] = None
    with pytest.raises(ValueError, match="empty"):
        render_dashboard(df, tmp_path / "d.html")


def test_synthetic_notice_only_when_flagged(spend_df: pd.DataFrame, tmp_path: Path):
    text = render_dashboard(spend_df, tmp_path / "d.html").read_text(encoding="utf-8")
    assert SYNTHETIC_NOTICE not in text
    assert "Gegenereerd op" in text


def test_no_supplier_names_even_if_the_frame_has_them(spend_df: pd.DataFrame, tmp_path: Path):
    df = spend_df.assign(supplier_name=[SUPPLIER_NAMES[i % 2] for i in range(len(spend_df))])
    text = render_dashboard(df, tmp_path / "d.html").read_text(encoding="utf-8")
    for name in SUPPLIER_NAMES:
        assert name not in text
    assert "supplier_name" not in text
    assert not any(name in str(fig.to_plotly_json()) for fig in build_figures(df) for name in SUPPLIER_NAMES)


def test_cli(warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "cli" / "dashboard.html"
    assert main(["--warehouse", str(warehouse), "--out", str(out), "--synthetic"]) == 0
    assert out.exists() and SYNTHETIC_NOTICE in out.read_text(encoding="utf-8")
    assert "dashboard.html" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------ browser
@pytest.mark.browser
def test_dashboard_renders_offline_in_chromium(dashboard_html: Path, tmp_path: Path):
    if not CHROMIUM.exists():
        pytest.skip("Debian Chromium not found at /usr/bin/chromium (install it with `make browser`)")
    from playwright.sync_api import sync_playwright

    attempted: list[str] = []
    errors: list[str] = []

    def block(route):
        attempted.append(route.request.url)
        route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route(lambda url: not url.startswith("file://"), block)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(dashboard_html.as_uri())
            page.wait_for_function(
                "() => { const plots = [...document.querySelectorAll('.js-plotly-plot')];"
                " return plots.length === 2 && plots.every(el => el.querySelector('svg.main-svg')); }",
                timeout=30_000,
            )
            plots = page.locator(".js-plotly-plot")
            assert plots.count() == 2
            for i in range(2):
                assert plots.nth(i).locator("svg.main-svg").count() >= 1
            traces = page.evaluate(
                f"""() => document.querySelector('#{FIG_IDS[0]}').data.map(
                    t => ({{meta: t.meta, name: t.name, x: Array.from(t.x), y: Array.from(t.y)}}))"""
            )
            assert {t["meta"] for t in traces} == set(ANCHORS)
            for t in traces:
                years = [y for (a, y) in SPEND if a == t["meta"]]
                assert t["name"] == ANCHORS[t["meta"]]
                assert t["x"] == years
                assert t["y"] == pytest.approx([100 * expected_share_nw(t["meta"], y) for y in years])
            n_bars = page.evaluate(f"document.querySelector('#{FIG_IDS[1]}').data.length")
            assert n_bars == sum(1 for _ in build_figures(mart_frame())[1].data)
            # Dutch axis tick labels rendered by plotly.js
            ticks = page.locator(f"#{FIG_IDS[0]} .ytick text").all_text_contents()
            assert ticks and all(t.endswith(" %") for t in ticks)
            assert page.title() == "Community Wealth Building Nieuw-West: waar landt het inkoopgeld?"
            assert page.get_by_text(SYNTHETIC_NOTICE).is_visible()
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert attempted == [], f"network requests attempted: {attempted}"
    assert errors == [], f"JavaScript errors: {errors}"
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 1000 and height >= 1500
    assert len(data) > 100_000  # a rendered page with charts, not a blank image
