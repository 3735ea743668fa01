"""Tests for dashboards/: figures carry the mart's numbers, Dutch texts, a self-contained HTML file."""

from __future__ import annotations

import html
import json
import os
import re
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboards import build_figures, load_spend_by_tier, summarise
from dashboards.spend_dashboard import (
    TIER_COLOURS,
    TIER_LABELS_NL,
    TIERS,
    format_eur,
    format_pct,
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
    """The dashboard reads the publication view of the mart (schema publication)."""
    basis_col = ", placement_basis::varchar as placement_basis" if "placement_basis" in df.columns else ""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema publication")
        con.register("frame", df)
        con.execute(
            f"""
            create table publication.fct_spend_by_tier as
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
        assert con.execute("select count(*) from publication.fct_spend_by_tier").fetchone()[0] == len(spend_df)


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
    # drawn on plotly_white (plotly's default template, set by dashboards.spend_dashboard)
    assert layout.template.layout.plot_bgcolor == "white"
    assert layout.template.layout.xaxis.gridcolor == "#EBF0F8"
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


# ------------------------------------------------------------------- the dashboard built by the pipeline
# The session fixture `pipeline` (tests/conftest.py) runs every asset on a 2 % sample, the dashboard
# included. Figures are checked against DuckDB queries on the line-level fact written here, not against
# the marts the dashboard reads.
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("CWB_TEST_ARTIFACTS") or ROOT / "test-artifacts" / "dashboard")
EXPECTED_CHARTS = 11  # Overzicht 3, Per organisatie 6, Coöperaties en doelsectoren 2
PAGES = ["overzicht", "organisatie", "cooperaties", "programma", "definities"]
NATURAL_PERSON_FORMS = ("Eenmanszaak", "Vennootschap onder firma", "Maatschap", "Commanditaire vennootschap")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def built(pipeline) -> tuple[Path, Path]:
    _, _, warehouse, out = pipeline
    return warehouse, out / "dashboard.html"


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def influenceable_share_nw(warehouse: Path) -> dict[tuple[str, int], float]:
    """Share of influenceable spend landing in Nieuw-West per anchor-year, from the invoice lines."""
    rows = query(warehouse, """
        select anchor_code, year(invoice_date),
               sum(amount_excl_vat) filter (where is_influenceable and tier = 'nieuw_west')
               / sum(amount_excl_vat) filter (where is_influenceable)
        from marts.fct_invoice_lines group by all""")
    return {(a, int(y)): float(s) for a, y, s in rows}


def withheld_share_nw(warehouse: Path) -> set[tuple[str, int]]:
    """The anchor-years whose influenceable Nieuw-West share the disclosure rule withholds."""
    return {(a, int(y)) for a, y in query(warehouse, """
        select anchor_code, year from publication.fct_nieuw_west_progress
        where spend_scope = 'influenceable' and is_suppressed""")}


def shown_share(warehouse: Path, anchor: str, year: int) -> str:
    """What the dashboard must show: the share computed from the lines, or 'onderdrukt'."""
    if (anchor, year) in withheld_share_nw(warehouse):
        return "onderdrukt"
    return format_pct(influenceable_share_nw(warehouse)[(anchor, year)])


def test_dashboard_file_is_self_contained(built):
    _, path = built
    text = path.read_text(encoding="utf-8")
    from plotly.offline import get_plotlyjs

    assert text.startswith("<!DOCTYPE html>") and '<html lang="nl">' in text
    assert text.count(get_plotlyjs()) == 1  # plotly.js inlined exactly once
    rest = text.replace(get_plotlyjs(), "")
    assert not re.search(r"<(script|link|img|iframe|source|embed)\b[^>]*\b(src|href)\s*=", rest, re.I)
    assert not re.search(r"https?://", rest)
    assert "Let op: synthetische voorbeelddata" in text  # the pipeline's sample is synthetic


def test_no_personal_names_or_free_text_reach_the_dashboard(built):
    warehouse, path = built
    text = path.read_text(encoding="utf-8")
    forms = ", ".join(f"'{f}'" for f in NATURAL_PERSON_FORMS)
    names = query(warehouse, f"""
        select distinct n from (
            select statutaire_naam as n, rechtsvorm from raw.kvk_establishments
            union all select eerste_handelsnaam, rechtsvorm from raw.kvk_establishments)
        where rechtsvorm in ({forms}) and length(n) >= 8
          and n not in (select statutaire_naam from raw.kvk_establishments where rechtsvorm not in ({forms})
                        union all select eerste_handelsnaam from raw.kvk_establishments
                        where rechtsvorm not in ({forms}))""")
    assert len(names) > 10
    leaked = [n for (n,) in names if n in text or html.escape(n) in text or json.dumps(n)[1:-1] in text]
    assert leaked == []
    descriptions = query(warehouse, "select distinct description from raw.invoice_lines "
                                    "where length(description) >= 20 limit 300")  # fmt: skip
    assert descriptions and not [d for (d,) in descriptions if d in text]
    # the withheld names are shown as such
    assert "naam afgeschermd" in text


@pytest.fixture(scope="module")
def browser_page(built):
    """The built dashboard open in Debian's Chromium with every non-file request aborted."""
    if not CHROMIUM.exists():
        pytest.skip("Debian Chromium not found at /usr/bin/chromium (install it with `make browser`)")
    from playwright.sync_api import sync_playwright

    _, path = built
    attempted: list[str] = []
    errors: list[str] = []

    def block(route):
        attempted.append(route.request.url)
        route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            context.route(lambda url: not url.startswith("file://"), block)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
            page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
            start = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_function(
                "n => window.cwbReady === true && [...document.querySelectorAll('.js-plotly-plot')]"
                ".filter(el => el.querySelector('svg.main-svg')).length === n",
                arg=EXPECTED_CHARTS,
                timeout=60_000,
            )
            seconds = time.perf_counter() - start
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "time-to-render.txt").write_text(f"{seconds:.2f} s\n", encoding="utf-8")
            print(f"\ndashboard: all {EXPECTED_CHARTS} charts rendered {seconds:.2f} s after navigation "
                  f"({path.stat().st_size / 1e6:.1f} MB)")  # fmt: skip
            yield page, attempted, errors
        finally:
            browser.close()


def choose(page, anchor: str | None = None, year: int | None = None) -> None:
    if anchor is not None:
        page.select_option("#filter-organisatie", anchor)
    if year is not None:
        page.select_option("#filter-jaar", str(year))
    page.wait_for_function("document.body.getAttribute('data-klaar') === 'ja'")


def visit(page, name: str) -> None:
    page.click(f"nav a[href='#{name}']")
    page.wait_for_function(f"!document.getElementById('{name}').hidden")


@pytest.mark.browser
def test_renders_offline_every_chart(browser_page):
    page, attempted, errors = browser_page
    plots = page.locator(".js-plotly-plot")
    assert plots.count() == EXPECTED_CHARTS
    for i in range(EXPECTED_CHARTS):
        assert plots.nth(i).locator("svg.main-svg").count() >= 1
    # every chart has a text alternative and a Definitie link to an existing entry
    for wrap in page.locator(".grafiek").all():
        assert wrap.get_attribute("role") == "img" and len(wrap.get_attribute("aria-label") or "") > 30
    hrefs = page.eval_on_selector_all(".def-link", "els => els.map(e => e.getAttribute('href'))")
    assert len(hrefs) >= EXPECTED_CHARTS + 2  # the charts plus the supplier and social-enterprise tables
    for href in hrefs:
        assert page.locator(f"dt{href}").count() == 1, href
    assert attempted == [], f"network requests attempted: {attempted}"
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.mark.browser
def test_overview_shares_match_the_warehouse(browser_page, built):
    page, _, errors = browser_page
    warehouse, _ = built
    visit(page, "overzicht")
    shares = influenceable_share_nw(warehouse)
    year = max(y for _, y in shares)
    assert page.locator("#filter-jaar").input_value() == str(year)
    anchors = [a for (a,) in query(warehouse, "select distinct anchor_code from marts.fct_invoice_lines")]
    assert len(anchors) == 6
    for a in anchors:
        assert page.get_by_test_id(f"kpi-{a}").inner_text() == shown_share(warehouse, a, year), a
    (latest,) = query(warehouse, "select max(invoice_date) from raw.invoice_lines")[0]
    months = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
              "oktober", "november", "december"]  # fmt: skip
    assert page.get_by_test_id("laatste-factuurdatum").inner_text() == (
        f"{latest.day} {months[latest.month - 1]} {latest.year}")
    assert page.get_by_test_id("synthetisch").is_visible()
    assert errors == []


@pytest.mark.browser
def test_filters_drive_what_is_shown(browser_page, built):
    page, _, errors = browser_page
    warehouse, _ = built
    shares = influenceable_share_nw(warehouse)
    years = sorted({y for _, y in shares})
    anchor, year = "olvg", years[-2]
    visit(page, "organisatie")
    before = page.get_by_test_id("org-aandeel").inner_text()
    choose(page, anchor, year)
    shown = page.get_by_test_id("org-aandeel").inner_text()
    assert shown == shown_share(warehouse, anchor, year)
    assert shown != before or shown_share(warehouse, "gemeente_amsterdam", years[-1]) == shown
    assert page.locator("#kop-organisatie").inner_text().endswith(f"OLVG, {year}")
    # the quarter chart now shows the chosen year
    xs = page.evaluate("document.getElementById('fig-ringen-per-kwartaal').data[0].x")
    assert xs and all(x.endswith(str(year)) for x in xs)
    # the top suppliers table: the published rows of this anchor-year (no sole traders or partnerships:
    # their amounts are one person's income), legal entities without a name in the register as such
    rows = query(warehouse, f"""
        select count(*), count(*) filter (where organisation_name is null)
        from publication.fct_top_non_local_suppliers
        where anchor_code = '{anchor}' and year = {year} and supplier_rank <= 25""")[0]
    (persons,) = query(warehouse, f"""
        select count(*) from marts.fct_top_non_local_suppliers
        where anchor_code = '{anchor}' and year = {year} and is_suppressed""")[0]
    table = page.locator("#blok-top-leveranciers tbody tr")
    assert table.count() == rows[0]
    assert page.locator("#blok-top-leveranciers tbody tr.afgeschermd").count() == rows[1]
    assert persons == 0 or table.count() <= 25  # the withheld ones are not listed at all
    ranks = [int(t) for t in page.locator("#blok-top-leveranciers tbody tr th").all_inner_texts()]
    assert ranks == list(range(1, len(ranks) + 1))  # no gap shows where a withheld supplier stood
    # co-operatives, from the invoice lines and the register's legal forms
    visit(page, "cooperaties")
    (coop,) = query(warehouse, f"""
        select coalesce(sum(amount_excl_vat) filter (where is_influenceable), 0) from marts.fct_invoice_lines
        where anchor_code = '{anchor}' and year(invoice_date) = {year}
          and (legal_form ilike 'coöperatie%' or legal_form = 'Onderlinge waarborgmaatschappij')""")[0]
    coop_withheld = query(warehouse, f"""
        select count(*) from publication.fct_spend_by_recipient_group where anchor_code = '{anchor}'
          and year = {year} and dimension = 'legal_form_group' and group_code = 'cooperative' and is_suppressed""")
    want = "onderdrukt" if coop_withheld[0][0] else format_eur(float(coop))
    assert page.get_by_test_id("coop-eur").inner_text() == want
    # the overview highlights the chosen anchor's card, for the chosen year
    visit(page, "overzicht")
    assert page.locator(".kpi.gekozen").get_attribute("data-anchor") == anchor
    assert page.get_by_test_id(f"kpi-{anchor}").inner_text() == shown_share(warehouse, anchor, year)
    choose(page, "gemeente_amsterdam", years[-1])
    assert errors == []


@pytest.mark.browser
def test_pages_notices_and_screenshots(browser_page):
    page, attempted, errors = browser_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in PAGES:
        visit(page, name)
        assert page.locator(f"#{name} h2").first.is_visible()
        assert sum(page.locator(f"#{p}").is_visible() for p in PAGES) == 1
        # every chart on the page is drawn at the page's width, not plotly's default for hidden divs
        widths = page.eval_on_selector_all(f"#{name} .js-plotly-plot", "els => els.map(e => e._fullLayout.width)")
        assert all(w > 400 for w in widths)
        page.screenshot(path=str(ARTIFACTS / f"{name}-1366x768.png"), full_page=True)
    visit(page, "programma")
    # the programme page shows the register's targets and the green tender's candidates, in Dutch
    targets = page.get_by_test_id("programma-doelen").inner_text()
    assert "Werknemerscoöperaties opgericht" in targets and "€ 1.000.000" in targets
    green = page.get_by_test_id("aanbesteding-GA-2026-014").inner_text()
    assert "Groen Nieuw-West Coöperatie U.A." in green.splitlines()[2]  # caption, header, then rank 1
    visit(page, "cooperaties")
    assert "nog leeg" in page.get_by_test_id("sociaal-leeg").inner_text()
    # a Definitie link is one click away from its entry
    visit(page, "overzicht")
    page.click("section[aria-labelledby='kop-fig-trend'] a.def-link")
    page.wait_for_function("!document.getElementById('definities').hidden")
    assert page.locator("#def-traject").is_visible()
    for size in [(1920, 1080), (1024, 768)]:
        page.set_viewport_size({"width": size[0], "height": size[1]})
        visit(page, "overzicht")
        page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), size
        page.screenshot(path=str(ARTIFACTS / f"overzicht-{size[0]}x{size[1]}.png"), full_page=False)
    page.set_viewport_size({"width": 1366, "height": 768})
    shots = sorted(ARTIFACTS.glob("*.png"))
    assert len(shots) >= len(PAGES) + 2
    assert all(s.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for s in shots)
    assert attempted == [] and errors == []


def test_cli_writes_the_dashboard(built, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from dashboards.spend_dashboard import main

    warehouse, _ = built
    out = tmp_path / "cli" / "dashboard.html"
    assert main(["--warehouse", str(warehouse), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Let op: synthetische voorbeelddata" not in text  # only with --synthetic
    assert "dashboard.html" in capsys.readouterr().out
