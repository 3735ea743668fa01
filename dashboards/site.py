"""The dashboard's HTML: one self-contained file with in-page navigation and filters (no server, no network).

plotly.js is inlined once; the plotly Dutch locale (``PLOTLY_LOCALE_NL``) is registered once. All figures
travel as JSON in one ``<script type="application/json">`` block, per chart and filter choice (see
``dashboards.pages``); a small script draws the variant for the chosen anchor and year with
``Plotly.react`` and swaps the matching summaries, tables and blocks. Pages are ``<section hidden>``
elements switched by the URL fragment (``#overzicht``, ``#def-aandeel_nw``), so links work from a file or
an intranet share.
"""

from __future__ import annotations

import html
import json
import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.utils import PlotlyJSONEncoder

from dashboards.data import TOP_SUPPLIERS_SHOWN, DashboardData
from dashboards.pages import DEFINITIONS, Block, Chart, build_all, variant_key
from dashboards.programme import PROGRAMME_DEFINITIONS, programme_html
from dashboards.spend_dashboard import (
    FONT,
    MONTHS_NL,
    PLACEMENT_BASIS_DETAIL_NL,
    PLACEMENT_BASIS_NL,
    PLOTLY_LOCALE_NL,
    SYNTHETIC_NOTICE,
    TITLE,
    format_datetime_nl,
)
from ingestion.publish import replace_atomically, temp_path_for

PAGES = [
    ("overzicht", "Overzicht"),
    ("organisatie", "Per organisatie"),
    ("cooperaties", "Coöperaties en doelsectoren"),
    ("programma", "Programma"),
    ("definities", "Definities"),
]
PLOTLY_CONFIG = {
    "locale": "nl",
    "responsive": True,
    "displaylogo": False,
    "modeBarButtons": [["toImage"]],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

WIDE = {"fig-trend", "fig-sectoren"}  # charts that take the full width of the page

CSS = """
:root { --rood: #D00000; --tekst: #1A1A1A; --grijs: #5C5C5C; --lijn: #D9D9D9; --blauw: #0072B2; }
* { box-sizing: border-box; }
html { scroll-padding-top: 130px; }
body { margin: 0; font-family: %(font)s; color: var(--tekst); background: #F2F2F2; line-height: 1.45;
  font-size: 16px; }
.kopbalk { position: sticky; top: 0; z-index: 10; background: white; border-bottom: 1px solid var(--lijn);
  box-shadow: 0 1px 4px rgba(0,0,0,.08); }
.kopbalk-binnen { max-width: 1500px; margin: 0 auto; padding: 8px 20px 0; }
.titelregel { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 18px; }
h1 { font-size: 1.35rem; margin: 0; border-left: 6px solid var(--rood); padding-left: 10px; }
.meta { color: var(--grijs); font-size: .9rem; margin: 0; }
.bediening { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 6px 18px; margin-top: 6px; }
nav ul { display: flex; flex-wrap: wrap; gap: 2px; list-style: none; margin: 0; padding: 0; }
nav a { display: block; padding: 7px 12px; color: var(--tekst); text-decoration: none; font-weight: 600;
  border-bottom: 4px solid transparent; }
nav a:hover, nav a:focus-visible { background: #F0F4F8; }
nav a[aria-current=page] { border-bottom-color: var(--rood); color: #9E0000; }
.filters { display: flex; gap: 12px; margin-left: auto; padding-bottom: 6px; }
.filters label { font-size: .85rem; color: var(--grijs); display: flex; flex-direction: column; }
.filters select { font-size: 1rem; padding: 4px 6px; min-width: 11rem; border: 1px solid #8A8A8A;
  border-radius: 4px; background: white; color: var(--tekst); }
.filters select#filter-jaar { min-width: 6rem; }
a:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #E69F00; outline-offset: 2px; }
main { max-width: 1500px; margin: 0 auto; padding: 16px 20px 40px; }
.synthetisch { border: 3px solid #B25E00; background: #FFF4E0; padding: 10px 14px; margin: 0 0 14px; }
.synthetisch strong { font-size: 1.1rem; }
.pagina:focus { outline: none; }
.top-tabel { max-height: 520px; overflow-y: auto; }
.top-tabel thead th { position: sticky; top: 0; }
.pagina > h2 { font-size: 1.45rem; margin: 4px 0 6px; }
.intro { max-width: 95ch; margin: 0 0 12px; }
.lead { font-size: 1.1rem; max-width: 110ch; margin: 0 0 12px; }
.kop-getal { font-size: 1.4rem; font-weight: 700; color: #9E0000; }
.raster { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
.kaart { background: white; border: 1px solid var(--lijn); border-radius: 6px; padding: 12px 16px 10px;
  min-width: 0; margin-bottom: 16px; }
.raster .kaart { margin-bottom: 0; }
.kaart.breed { grid-column: 1 / -1; }
.kaart-kop { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; }
.kaart h3 { font-size: 1.15rem; margin: 0 0 4px; }
.def-link { font-size: .9rem; white-space: nowrap; color: var(--blauw); }
.samenvatting { margin: 0 0 6px; color: #333; max-width: 110ch; }
.bijschrift { color: var(--grijs); font-size: .9rem; margin: 4px 0 6px; max-width: 110ch; }
.grafiek { width: 100%%; min-height: 200px; }
details { margin-top: 4px; }
summary { cursor: pointer; color: var(--blauw); font-size: .95rem; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(210px, 1fr)); gap: 12px; margin-bottom: 16px; }
.kpi { background: white; border: 1px solid var(--lijn); border-top: 5px solid var(--blauw); border-radius: 6px;
  padding: 10px 12px; }
.kpi.gekozen { border-color: #1A1A1A; border-top-color: var(--rood); box-shadow: 0 0 0 2px #1A1A1A inset; }
.kpi h3 { font-size: 1rem; margin: 0; }
.kpi p { margin: 0; }
.kpi-getal { font-size: 2rem; font-weight: 700; color: #1A1A1A; line-height: 1.2; }
.kpi-sub { font-size: .88rem; color: #333; }
.status { display: inline-block; margin: 4px 0 !important; padding: 1px 8px; border-radius: 10px;
  font-size: .85rem; font-weight: 700; }
.status.goed { background: #D8F0E6; color: #00573F; }
.status.achter { background: #FBE3D6; color: #8A3300; }
.status.neutraal { background: #EEE; color: #333; }
.tabel-wrap { overflow-x: auto; max-width: 100%%; }
table { border-collapse: collapse; width: 100%%; font-size: .9rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--grijs); padding: 4px 0 6px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--lijn); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--tekst); background: #FAFAFA; vertical-align: bottom; }
.getal { text-align: right; white-space: nowrap; }
tbody th { font-weight: 600; }
tr.afgeschermd td:nth-child(2), tr.afgeschermd th + td { font-style: italic; color: var(--grijs); }
.melding { border-left: 6px solid var(--blauw); background: #EAF3FA; padding: 12px 16px; margin: 8px 0 16px;
  max-width: 110ch; }
.definities dt { font-weight: 700; font-size: 1.05rem; margin-top: 14px; padding: 4px 6px; }
.definities dd { margin: 2px 0 0 6px; max-width: 100ch; }
.definities dt:target, .definities dt.gemarkeerd { background: #FFF0C2; outline: 2px solid #E69F00; }
.formule { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9rem; background: #F5F5F5;
  padding: 4px 8px; display: inline-block; margin-top: 4px; }
footer { max-width: 1500px; margin: 0 auto; padding: 0 20px 30px; color: var(--grijs); font-size: .85rem; }
@media (max-width: 1100px) { .raster { grid-template-columns: 1fr; } .filters { margin-left: 0; } }
@media (min-width: 1800px) { body { font-size: 17px; } }
@media print { .kopbalk { position: static; } .pagina[hidden] { display: block !important; } }
"""

JS = r"""
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('cwb-data').textContent);
  var state = {anchor: D.defaults.anchor, year: String(D.defaults.year)};
  var rendered = {};
  function key(mode) {
    if (mode === 'anchor') return state.anchor;
    if (mode === 'year') return state.year;
    if (mode === 'anchor_year') return state.anchor + '|' + state.year;
    return '';
  }
  function drawChart(id) {
    var c = D.charts[id], k = key(c.mode), v = c.variants[k] || c.variants[Object.keys(c.variants)[0]];
    var gd = document.getElementById(id);
    document.getElementById(id + '-samenvatting').textContent = v.summary;
    document.getElementById(id + '-wrap').setAttribute('aria-label', c.title + '. ' + v.summary);
    document.getElementById(id + '-tabel').innerHTML = v.table;
    if (rendered[id] === k) return Promise.resolve();
    rendered[id] = k;
    var layout = Object.assign({}, v.fig.layout, {template: D.template});
    return Plotly.react(gd, v.fig.data, layout, D.config);
  }
  function drawBlock(id) {
    var b = D.blocks[id], v = b.variants[key(b.mode)];
    document.getElementById(id).innerHTML = v === undefined ? '<p>Geen gegevens voor deze keuze.</p>' : v;
  }
  function update() {
    var jobs = Object.keys(D.charts).map(drawChart);
    Object.keys(D.blocks).forEach(drawBlock);
    document.querySelectorAll('.kpi[data-anchor]').forEach(function (el) {
      el.classList.toggle('gekozen', el.getAttribute('data-anchor') === state.anchor);
    });
    document.querySelectorAll('[data-toon=keuze]').forEach(function (el) {
      el.textContent = D.anchors[state.anchor] + ', ' + state.year;
    });
    document.querySelectorAll('[data-toon=jaar]').forEach(function (el) { el.textContent = state.year; });
    return Promise.all(jobs).then(resizeVisible);
  }
  function resizeVisible() {
    document.querySelectorAll('.pagina:not([hidden]) .js-plotly-plot').forEach(function (gd) {
      Plotly.Plots.resize(gd);
    });
  }
  function show(hash) {
    var id = (hash || '').replace(/^#/, '') || D.pages[0];
    var target = document.getElementById(decodeURIComponent(id));
    var page = target && (target.classList.contains('pagina') ? target : target.closest('.pagina'));
    if (!page) { page = document.getElementById(D.pages[0]); target = page; }
    document.querySelectorAll('.pagina').forEach(function (p) { p.hidden = p !== page; });
    document.querySelectorAll('nav a').forEach(function (a) {
      if (a.getAttribute('href') === '#' + page.id) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    document.querySelectorAll('.definities dt').forEach(function (dt) { dt.classList.remove('gemarkeerd'); });
    resizeVisible();
    if (target !== page) {
      if (target.tagName === 'DT') target.classList.add('gemarkeerd');
      target.scrollIntoView({block: 'start'});
      target.focus({preventScroll: true});
    } else {
      window.scrollTo(0, 0);
    }
  }
  var selA = document.getElementById('filter-organisatie'), selY = document.getElementById('filter-jaar');
  selA.value = state.anchor; selY.value = state.year;
  selA.addEventListener('change', function () { state.anchor = selA.value; update(); });
  selY.addEventListener('change', function () { state.year = selY.value; update(); });
  window.addEventListener('hashchange', function () { show(location.hash); });
  show(location.hash);
  window.cwbReady = false;
  update().then(function () { window.cwbReady = true; document.body.setAttribute('data-klaar', 'ja'); });
})();
"""


def _dumps(obj: object) -> str:
    # safe inside <script>: no "</" can close the element early
    return json.dumps(obj, cls=PlotlyJSONEncoder, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _figure_json(fig) -> dict:
    spec = fig.to_plotly_json()
    spec["layout"].pop("template", None)  # one shared template (D.template) instead of a copy per figure
    return {"data": spec["data"], "layout": spec["layout"]}


def _chart_html(c: Chart, default_key: str) -> str:
    v = c.variants.get(default_key) or next(iter(c.variants.values()))
    wide = " breed" if c.fig_id in WIDE else ""
    e = html.escape
    return (
        f"<section class='kaart{wide}' aria-labelledby='kop-{c.fig_id}'>"
        f"<div class='kaart-kop'><h3 id='kop-{c.fig_id}'>{e(c.title)}</h3>"
        f"<a class='def-link' href='#def-{c.definition}'>Definitie</a></div>"
        f"<p class='samenvatting' id='{c.fig_id}-samenvatting'>{e(v.summary)}</p>"
        f"<div class='grafiek' id='{c.fig_id}-wrap' role='img' aria-label='{e(c.title)}. {e(v.summary)}'>"
        f"<div id='{c.fig_id}' class='plot'></div></div>"
        f"<p class='bijschrift'>{e(c.caption)}</p>"
        f"<details><summary>Tabel bij deze grafiek</summary><div id='{c.fig_id}-tabel'>{v.table}</div></details>"
        "</section>"
    )


def _block_html(b: Block, default_key: str, tag: str = "div", cls: str = "") -> str:
    return f"<{tag} id='{b.block_id}' class='{cls}' aria-live='polite'>{b.variants.get(default_key, '')}</{tag}>"


def _definitions_html(basis: str) -> str:
    items = []
    entries = [(key, d.title, d.text, d.formula) for key, d in DEFINITIONS.items()]
    entries += [(key, *d) for key, d in PROGRAMME_DEFINITIONS.items()]
    for key, title, text, formula in entries:
        if key == "grondslag" and basis in PLACEMENT_BASIS_NL:
            text = f"{PLACEMENT_BASIS_NL[basis]} {PLACEMENT_BASIS_DETAIL_NL[basis]}"
        items.append(
            f"<dt id='def-{key}' tabindex='-1'>{html.escape(title)}</dt>"
            f"<dd>{html.escape(text)}<br><span class='formule'>{html.escape(formula)}</span></dd>"
        )
    return f"<dl class='definities'>{''.join(items)}</dl>"


def _date_nl(d: date | None) -> str:
    return "onbekend" if d is None else f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}"


def render(
    data: DashboardData, out_path: str | os.PathLike[str], generated_at: datetime | None = None, synthetic: bool = False
) -> Path:
    """Write the dashboard for ``data`` to ``out_path`` (atomically) and return the path."""
    if generated_at is None:
        generated_at = datetime.now(ZoneInfo("Europe/Amsterdam"))
    charts, blocks, social_html = build_all(data)
    anchors = data.anchors
    default_anchor = next(iter(anchors), "")
    default_year = data.years[-1] if data.years else 0
    bases = sorted(set(data.spend_by_tier["placement_basis"])) if len(data.spend_by_tier) else ["cles"]
    basis = bases[0]

    def k(c: Chart | Block) -> str:
        return variant_key(c.mode, default_anchor, default_year)

    payload = {
        "defaults": {"anchor": default_anchor, "year": default_year},
        "anchors": anchors,
        "pages": [p for p, _ in PAGES],
        "config": PLOTLY_CONFIG,
        "template": pio.templates["plotly_white"].to_plotly_json(),
        "charts": {
            c.fig_id: {
                "mode": c.mode,
                "title": c.title,
                "variants": {
                    vk: {"fig": _figure_json(v.fig), "summary": v.summary, "table": v.table}
                    for vk, v in c.variants.items()
                },
            }
            for cs in charts.values()
            for c in cs
        },
        "blocks": {b.block_id: {"mode": b.mode, "variants": b.variants} for b in blocks.values()},
    }
    e = html.escape
    anchor_opts = "".join(f"<option value='{e(a)}'>{e(n)}</option>" for a, n in anchors.items())
    year_opts = "".join(f"<option value='{y}'>{y}</option>" for y in data.years)
    nav = "".join(f"<li><a href='#{p}'>{e(label)}</a></li>" for p, label in PAGES)
    notice = (
        f"<div class='synthetisch' role='note' data-testid='synthetisch'><strong>{SYNTHETIC_NOTICE}</strong>. "
        "De cijfers in dit dashboard zijn gegenereerd om de werkwijze te laten zien; ze zeggen niets over de "
        "werkelijke inkoop van de genoemde organisaties. Ook de streefwaarden zijn voorbeelden.</div>"
        if synthetic
        else ""
    )
    period = f"{data.years[0]}–{data.years[-1]}" if data.years else "geen gegevens"
    ch = {p: "".join(_chart_html(c, k(c)) for c in cs) for p, cs in charts.items()}
    org = charts["organisatie"]
    org_html = (
        "<div class='raster'>"
        + "".join(_chart_html(c, k(c)) for c in org[:2])
        + "</div>"
        + "<div style='height:16px'></div>"
        + _chart_html(org[2], k(org[2]))
        + "<section class='kaart' aria-labelledby='kop-top'><div class='kaart-kop'><h3 id='kop-top'>Grootste "
        f"leveranciers buiten Nieuw-West (top {TOP_SUPPLIERS_SHOWN})</h3>"
        "<a class='def-link' href='#def-top_leveranciers'>Definitie</a></div>"
        + _block_html(blocks["blok-top-leveranciers"], k(blocks["blok-top-leveranciers"]), cls="top-tabel")
        + "</section>"
        + "<div class='raster'>"
        + "".join(_chart_html(c, k(c)) for c in org[3:])
        + "</div>"
    )
    page = f"""<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(TITLE)}</title>
<style>{CSS % {"font": FONT}}</style>
<script>window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script>
<script>{get_plotlyjs()}</script>
<script>Plotly.register({json.dumps(PLOTLY_LOCALE_NL, ensure_ascii=False)});</script>
</head>
<body>
<header class="kopbalk"><div class="kopbalk-binnen">
<div class="titelregel"><h1>{e(TITLE)}</h1>
<p class="meta" id="datum-gegevens">Gegevens t/m
<strong data-testid="laatste-factuurdatum">{_date_nl(data.latest_invoice_date)}</strong> (laatste factuurdatum) ·
{len(anchors)} organisaties, {period} · gemaakt op {format_datetime_nl(generated_at)}</p></div>
<div class="bediening">
<nav aria-label="Pagina's"><ul>{nav}</ul></nav>
<div class="filters" role="group" aria-label="Filters">
<label for="filter-organisatie">Organisatie<select id="filter-organisatie">{anchor_opts}</select></label>
<label for="filter-jaar">Jaar<select id="filter-jaar">{year_opts}</select></label>
</div></div></div></header>
<main>
{notice}
<section class="pagina" id="overzicht" aria-labelledby="kop-overzicht" tabindex="-1">
<h2 id="kop-overzicht">Overzicht: hoeveel inkoopgeld landt in Nieuw-West?</h2>
<p class="intro">Het aandeel van de <a href="#def-beinvloedbaar">beïnvloedbare uitgaven</a> dat bij leveranciers
in Nieuw-West terechtkomt, per organisatie, tegen de <a href="#def-streefwaarde">streefwaarde</a> en het
<a href="#def-traject">traject</a> vanaf de <a href="#def-nulmeting">nulmeting</a>. Het aandeel op alle uitgaven
staat ernaast. Gekozen jaar: <strong data-toon="jaar"></strong>.</p>
{_block_html(blocks["blok-kaarten"], k(blocks["blok-kaarten"]), cls="kpis")}
<div class="raster">{ch["overzicht"]}</div>
</section>
<section class="pagina" id="organisatie" aria-labelledby="kop-organisatie" tabindex="-1" hidden>
<h2 id="kop-organisatie">Per organisatie: <span data-toon="keuze"></span></h2>
{_block_html(blocks["blok-organisatie-kop"], k(blocks["blok-organisatie-kop"]))}
{org_html}
</section>
<section class="pagina" id="cooperaties" aria-labelledby="kop-cooperaties" tabindex="-1" hidden>
<h2 id="kop-cooperaties">Coöperaties en doelsectoren</h2>
<p class="intro">Uitgaven bij <a href="#def-cooperaties">coöperaties</a>, in de zes
<a href="#def-doelsectoren">doelsectoren</a> van het programma en bij sociale ondernemingen.</p>
{_block_html(blocks["blok-cooperaties-kop"], k(blocks["blok-cooperaties-kop"]))}
<div class="raster">{ch["cooperaties"]}</div>
<section class="kaart" aria-labelledby="kop-sociaal"><div class="kaart-kop"><h3 id="kop-sociaal">Sociale
ondernemingen</h3><a class="def-link" href="#def-sociale_ondernemingen">Definitie</a></div>{social_html}</section>
</section>
<section class="pagina" id="programma" aria-labelledby="kop-programma" tabindex="-1" hidden>
<h2 id="kop-programma">Programma</h2>
{programme_html(data.programme, anchors)}
</section>
<section class="pagina" id="definities" aria-labelledby="kop-definities" tabindex="-1" hidden>
<h2 id="kop-definities">Definities</h2>
<p class="intro">Hoe elk cijfer in dit dashboard is berekend. Elke grafiek en tabel verwijst met
'Definitie' naar de uitleg hier.</p>
{_definitions_html(basis)}
</section>
</main>
<footer>Community Wealth Building Nieuw-West. Bron: crediteurenadministraties van de ankerorganisaties en het
KvK Handelsregister. Geen namen van eenmanszaken of personenvennootschappen en geen cijfers die laten zien wat
één van hen verdient ('onderdrukt'); geen omschrijvingen van facturen.</footer>
<script type="application/json" id="cwb-data">{_dumps(payload)}</script>
<script>{JS}</script>
</body>
</html>
"""
    out = Path(out_path)
    tmp = temp_path_for(out)
    tmp.write_text(page, encoding="utf-8")
    replace_atomically(tmp, out)
    return out
