"""The dashboard's programme page: co-operative pipeline, programme targets, tender calendar matching,
Koop Lokaal and the investment fund, from the programme marts' publication views (schema publication).
Plain HTML tables (every figure is text, so no chart needs a text alternative). Names: initiatives by their
register name; establishments only by the marts' establishment name, which is NULL (shown as "naam
afgeschermd") for sole traders and partnerships. An initiative registered as a sole trader or partnership
has its revenue and income withheld ("onderdrukt"): they would be one person's income."""

from __future__ import annotations

import html
from dataclasses import dataclass

import duckdb
import pandas as pd

from dashboards.data import PROGRAMME_MARTS
from dashboards.spend_dashboard import format_count, format_eur, format_pct

NAME_WITHHELD = "naam afgeschermd"
SUPPRESSED_NL = "onderdrukt"
CANDIDATES_SHOWN = 5
SECTOR_NL = {
    "food": "Voeding", "energy_insulation": "Energie en isolatie", "care_welfare": "Zorg en welzijn",
    "green_maintenance": "Groenbeheer", "construction_maintenance": "Bouw en onderhoud", "logistics": "Logistiek",
}
MATCH_NL = {"programme_sector": "coöperatie in de doelsector", "main_activity": "hoofdactiviteit",
            "side_activity": "nevenactiviteit"}
PROGRAMME_DEFINITIONS = {
    "programma_doelen": (
        "Programmadoelen",
        "De doelen uit het actieplan: vier werknemerscoöperaties eind 2025 (waarvan één mogelijk groot, meer "
        "dan 50 werknemers), 250 vindbare lokale leveranciers op Koop Lokaal (minstens 100 actief) en "
        "EUR 1.000.000 investeringscapaciteit eind 2025.",
        "voortgang = stand / doel; gehaald = stand ≥ doel",
    ),
    "pijplijn": (
        "Coöperatie-pijplijn",
        "De initiatieven uit het register van het programma, met hun fase (1-2 verkenning, 3 team en "
        "businessplan, 4-5 opstart en financiering, 6 operationeel, 7 groei). Inkomsten van de "
        "ankerorganisaties tellen zodra een initiatief met een KvK-nummer is ingeschreven.",
        "inkomsten = som van de factuurregels van alle ankerorganisaties aan het KvK-nummer van het initiatief",
    ),
    "aanbestedingen": (
        "Aanbestedingskalender",
        "Komende aanbestedingen en opdrachten van de ankerorganisaties, gekoppeld aan leveranciers uit "
        "Nieuw-West via de CPV-code: eerst coöperaties uit het register in dezelfde doelsector, dan "
        "coöperaties, dan bedrijven met de gevraagde activiteit als hoofdactiviteit, dan als nevenactiviteit.",
        "CPV-code → doelsector en SBI-activiteiten → vestigingen in Nieuw-West met die activiteit",
    ),
    "koop_lokaal": (
        "Koop Lokaal",
        "Vindbaar: vestigingen in Nieuw-West van rechtspersonen in het KvK-register (eenmanszaken en "
        "vennootschappen onder firma niet, want dat zijn personen). Actief: in het laatste jaar betaald door "
        "een ankerorganisatie.",
        "actief = beïnvloedbare uitgaven van ankerorganisaties in het laatste jaar > 0",
    ),
    "fonds": (
        "Investeringsfonds",
        "Toezeggingen aan en investeringen door het investeringsinstrument, tegen het doel van "
        "EUR 1.000.000 investeringscapaciteit.",
        "capaciteit = som van de toezeggingen; voortgang = capaciteit / 1.000.000",
    ),
}


@dataclass
class ProgrammeData:
    targets: pd.DataFrame
    pipeline: pd.DataFrame
    calendar: pd.DataFrame
    tenders: pd.DataFrame
    fund: pd.DataFrame


def load_programme(con: duckdb.DuckDBPyConnection) -> ProgrammeData | None:
    """The programme marts, or None when the warehouse has none (no programme inputs delivered)."""
    present = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'publication'").fetchall()}
    if not set(PROGRAMME_MARTS) <= present:
        return None
    targets = con.execute("select target_key, label_nl, target_value, actual_value, progress_share, is_met, "
                          "deadline from publication.fct_programme_targets order by target_key").df()
    if targets.empty:
        return None
    pipeline = con.execute(
        "select initiative_name, target_sector, phase, phase_label_nl, is_registered, fte, fte_living_wage, "
        "revenue_eur, income_latest_year_eur, latest_year, is_suppressed from publication.fct_cooperative_pipeline "
        "order by phase desc, initiative_name").df()
    calendar = con.execute(
        "select anchor_code, tender_id, title, expected_publication, estimated_value_eur, cpv_code, target_sector, "
        "n_candidates from publication.fct_tender_calendar order by expected_publication, tender_id").df()
    tenders = con.execute(
        f"select tender_id, candidate_rank, candidate_type, candidate_name, match_basis "
        f"from publication.fct_tender_opportunities where candidate_rank <= {CANDIDATES_SHOWN} "
        f"order by tender_id, candidate_rank").df()
    fund = con.execute("select transaction_date, party, kind, amount_eur, committed_to_date_eur, "
                       "invested_to_date_eur, target_eur from publication.fct_investment_fund "
                       "order by transaction_date").df()
    return ProgrammeData(targets, pipeline, calendar, tenders, fund)


def _value(key: str, value: float) -> str:
    return format_eur(value) if key.endswith("_eur") else format_count(value)


def _table(caption: str, head: list[str], rows: list[list[str]], test_id: str) -> str:
    e = html.escape
    th = "".join(f"<th scope='col'>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return (f"<div class='tabel-wrap'><table class='tabel' data-testid='{test_id}'><caption>{e(caption)}</caption>"
            f"<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>")


def _card(title: str, definition: str, inner: str) -> str:
    slug = definition.replace("_", "-")
    return (f"<section class='kaart' aria-labelledby='kop-{slug}'><div class='kaart-kop'>"
            f"<h3 id='kop-{slug}'>{html.escape(title)}</h3>"
            f"<a class='def-link' href='#def-{definition}'>Definitie</a></div>{inner}</section>")


def programme_html(data: ProgrammeData | None, anchors: dict[str, str]) -> str:
    """The inner HTML of the programme page."""
    if data is None:
        return ("<div class='melding' role='note' data-testid='programma-melding'><strong>Er zijn nog geen "
                "programmagegevens aangeleverd.</strong> Zodra het register van coöperaties, de "
                "aanbestedingskalender en het fondsoverzicht in landing/programme/ staan, verschijnen hier de "
                "coöperatie-pijplijn, de koppeling van aanbestedingen, Koop Lokaal en het investeringsfonds.</div>")
    t = data.targets
    target_rows = [[r.label_nl, _value(r.target_key, r.target_value), _value(r.target_key, r.actual_value),
                    format_pct(r.progress_share), f"{r.deadline:%d-%m-%Y}", "ja" if r.is_met else "nee"]
                   for r in t.itertuples(index=False)]
    latest = int(data.pipeline["latest_year"].iloc[0]) if len(data.pipeline) else None
    pipeline_rows = [[r.initiative_name, SECTOR_NL.get(r.target_sector, r.target_sector),
                      f"{r.phase} ({r.phase_label_nl})",
                      f"{r.fte:.1f}".replace(".", ",") + f" (leefbaar loon {r.fte_living_wage:.1f})".replace(".", ","),
                      SUPPRESSED_NL if r.is_suppressed else format_eur(float(r.revenue_eur)),
                      "nog niet ingeschreven" if not r.is_registered
                      else SUPPRESSED_NL if r.is_suppressed else format_eur(float(r.income_latest_year_eur))]
                     for r in data.pipeline.itertuples(index=False)]
    tender_html = []
    candidates = {tid: rows for tid, rows in data.tenders.groupby("tender_id", sort=False)}
    for first in data.calendar.itertuples(index=False):
        head = (f"{anchors.get(first.anchor_code, first.anchor_code)}: {first.title} "
                f"(publicatie {first.expected_publication:%d-%m-%Y}, "
                f"geraamd {format_eur(float(first.estimated_value_eur))}, "
                f"CPV {first.cpv_code}, doelsector {SECTOR_NL.get(first.target_sector, 'geen')})")
        rows = candidates.get(first.tender_id)
        if rows is None:
            tender_html.append(f"<p class='melding' data-testid='aanbesteding-{html.escape(first.tender_id)}'>"
                               f"{html.escape(head)}: geen kandidaten in Nieuw-West gevonden.</p>")
            continue
        cand = [[str(r.candidate_rank), r.candidate_name if isinstance(r.candidate_name, str) else NAME_WITHHELD,
                 "coöperatie uit het register" if r.candidate_type == "initiative" else "vestiging in Nieuw-West",
                 MATCH_NL.get(r.match_basis, r.match_basis)] for r in rows.itertuples(index=False)]
        tender_html.append(_table(f"{head}: {first.n_candidates} kandidaten, de beste {len(cand)}",
                                  ["Rang", "Kandidaat", "Soort", "Koppeling"], cand,
                                  f"aanbesteding-{first.tender_id}"))
    fund = data.fund
    committed = float(fund["committed_to_date_eur"].iloc[-1]) if len(fund) else 0.0
    invested = float(fund["invested_to_date_eur"].iloc[-1]) if len(fund) else 0.0
    target = float(fund["target_eur"].iloc[0]) if len(fund) and pd.notna(fund["target_eur"].iloc[0]) else 0.0
    fund_rows = [[f"{r.transaction_date:%d-%m-%Y}", r.party, "toezegging" if r.kind == "commitment" else "investering",
                  format_eur(float(r.amount_eur))] for r in fund.itertuples(index=False)]
    fund_summary = (f"<p data-testid='fonds-stand'>Toegezegd {format_eur(committed)} van {format_eur(target)} "
                    f"({format_pct(committed / target if target else None)}); geïnvesteerd {format_eur(invested)}.</p>")
    return (
        _card("Doelen van het programma", "programma_doelen",
              _table("Stand van de programmadoelen", ["Doel", "Doelwaarde", "Stand", "Voortgang", "Uiterlijk",
                                                     "Gehaald"], target_rows, "programma-doelen"))
        + _card("Coöperatie-pijplijn", "pijplijn",
                _table(f"Initiatieven, inkomsten van ankerorganisaties in {latest}",
                       ["Initiatief", "Doelsector", "Fase", "Fte", "Omzet", f"Inkomsten ankers {latest}"],
                       pipeline_rows, "programma-pijplijn"))
        + _card("Aanbestedingskalender: kandidaten uit Nieuw-West", "aanbestedingen", "".join(tender_html))
        + _card("Investeringsfonds", "fonds", fund_summary
                + _table("Toezeggingen en investeringen", ["Datum", "Partij", "Soort", "Bedrag"], fund_rows,
                         "programma-fonds"))
    )
