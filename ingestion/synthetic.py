"""Deterministic synthetic sample data for the CWB spend platform.

    python -m ingestion.synthetic --out DIR [--scale S] [--seed N]

Writes, under DIR:

* ``landing/kvk/vestigingen.csv``: a fictional KvK Handelsregister extract (peildatum 2025-11-01,
  SBI 2025 codes), Dutch establishments only.
* ``landing/<anchor_code>/...``: the purchasing (accounts-payable) exports of the six anchors for
  2022-2025, each in its own layout (described by ``ingestion/anchors/<anchor_code>.yaml``).
* ``ground_truth/``: where every creditor truly sits, spend per true tier, a manifest and a README.

Everything is fictional. The same seed and scale give byte-identical files. Amounts are generated as
integer cents excluding VAT; VAT is ``round_half_up(excl * rate)`` per line, so the amount excluding VAT
can be recovered exactly from an amount including VAT and its rate: ``round(incl / (1 + rate), 2)``.

Plain Python (numpy, pandas, xlsxwriter): no Dagster imports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

DEFAULT_SEED = 20260101
DEFAULT_SCALE = 1.0
YEARS = (2022, 2023, 2024, 2025)
PEILDATUM = "2025-11-01"
GENERATOR_VERSION = "1"

# Fixed document timestamp: xlsxwriter would otherwise stamp "now" into docProps/core.xml.
XLSX_CREATED = dt.datetime(2026, 1, 1, 0, 0, 0)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE_DIR = REPO_ROOT / "data" / "reference"

TIERS = ("nieuw_west", "rest_of_amsterdam", "rest_of_mra", "rest_of_netherlands", "abroad")

NW_CORE_PC4 = ("1060", "1062", "1063", "1064", "1065", "1066", "1067", "1068", "1069")
NW_SHARED_PC4 = ("1043", "1046", "1047", "1057", "1058", "1059", "1061")

# The 30 MRA gemeenten (DOMAIN.md); the PC4 reference spells Laren as "Laren (NH.)".
MRA_GEMEENTEN = (
    "Aalsmeer", "Almere", "Amstelveen", "Amsterdam", "Beverwijk", "Blaricum", "Bloemendaal", "Diemen",
    "Edam-Volendam", "Gooise Meren", "Haarlem", "Haarlemmermeer", "Heemskerk", "Heemstede", "Hilversum",
    "Huizen", "Landsmeer", "Laren", "Lelystad", "Oostzaan", "Ouder-Amstel", "Purmerend", "Uitgeest",
    "Uithoorn", "Velsen", "Waterland", "Wijdemeren", "Wormerland", "Zaanstad", "Zandvoort",
)

# A place name for gemeenten whose name is not a town name.
PLAATS_FOR_GEMEENTE = {
    "Haarlemmermeer": "Hoofddorp", "Zaanstad": "Zaandam", "Gooise Meren": "Bussum",
    "Waterland": "Monnickendam", "Wijdemeren": "Loosdrecht", "Edam-Volendam": "Volendam",
    "Velsen": "IJmuiden", "Ouder-Amstel": "Ouderkerk aan de Amstel", "Wormerland": "Wormer",
    "'s-Gravenhage": "Den Haag", "Súdwest-Fryslân": "Sneek", "Altena": "Almkerk",
}

# --------------------------------------------------------------------------------------------------
# Vocabulary (all strings encodable in cp1252: the SAP export is written in Windows-1252)
# --------------------------------------------------------------------------------------------------

SURNAMES = (
    "de Vries", "Jansen", "de Jong", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
    "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer", "de Wit",
    "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan",
    "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "van der Heijden",
    "Schouten", "van Beek", "Willems", "van Vliet", "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam",
    "Prins", "Blom", "Huisman", "de Leeuw", "Kuipers", "Veenstra", "Post", "Kramer", "Hofman",
    "El Amrani", "Bouzid", "Yildiz", "Öztürk", "Kaya", "Aydin", "Benali", "Ouali", "Azzouzi", "Çelik",
    "Demir", "Ait Taleb", "El Idrissi", "Haddou", "Boukhari", "Ramdin", "Sewdien", "Kartosen", "Pinas",
    "Mahabier", "Nguyen", "Tran", "Boateng", "Mensah", "Kowalski", "Nowak", "Daniëls", "Michiëls",
    "Noë", "Röling", "Hoëvenaars", "Linthorst", "Gerritsen", "Wiersma", "Zwart", "Groenewoud",
)
FIRST_NAMES = (
    "Jan", "Pieter", "Mohamed", "Fatima", "Ahmed", "Sanne", "Eva", "Mehmet", "Ayse", "Youssef", "Noor",
    "Daan", "Lotte", "Bram", "Anouk", "Hüseyin", "Karim", "Samira", "Kevin", "Sven", "Iris", "Zeynep",
    "Emre", "Latifa", "Rachid", "Gijs", "Chloë", "Noël", "Zoë", "Michiel", "Ruud", "Hanneke", "Priya",
    "Ravi", "Kwame", "Esther", "Gerrit", "Rutger", "Mariëlle", "Joëlle", "René", "Hélène",
)
INITIALS = tuple("ABCDEFGHIJKLMNOPRSTWY")
STEMS = (
    "Prisma", "Kompas", "Horizon", "Optima", "Nova", "Vitaal", "Helder", "Stadsgroen", "Polderlicht",
    "Vondel", "Zaanwerk", "Gooiland", "Kennemer", "Waterland", "IJzicht", "Lelystroom", "Noorderlicht",
    "Zuiderwind", "Duinrand", "Meerzicht", "Bruggenhoofd", "Kraanvogel", "Reiger", "Ooievaar",
    "Meerkoet", "Kastanje", "Linde", "Eikenhout", "Esdoorn", "Pelikaan", "Amstelland", "Deltawerk",
    "Blauwzaam", "Stadshart", "Grachtzicht", "Veenland", "Rivierenland", "Zilvermeeuw", "Kiemkracht",
    "Dijkgraaf", "Vaartwerk", "Brugwachter", "Noordkaap", "Idée", "Crème", "Poëzie", "Café Noël",
    "Stroomlijn", "Duurzaam Dichtbij", "Sterk Werk", "Open Hof", "Vlinderhof", "Zonnewijzer",
)
NW_STEMS = (
    "Osdorp", "Slotervaart", "Geuzenveld", "Slotermeer", "De Aker", "Sloten", "Lutkemeer", "Eendracht",
    "Sloterplas", "Tuinsteden", "Nieuw-West", "Wildeman", "Overtoomse Veld", "Lelylaan",
)
COOP_WORDS = (
    "Groen", "Buurtkeuken", "Schoon", "Zorg Dichtbij", "Energie", "Werkplaats", "Bouwkracht",
    "Catering", "Klus en Bouw", "Fietskoeriers", "Moestuin", "Wasserette",
)

# category key, NL label, EN label, SBI 2025 prefixes, default VAT %, mean amount multiplier,
# company words, sole-trader prefixes
CATEGORIES: list[tuple] = [
    ("ict", "ICT", "IT services", ("62", "63", "582", "951"), 21, 1.8,
     ("ICT Solutions", "Software", "Automatisering", "IT Services", "Netwerkbeheer", "Digital"),
     ("IT-diensten", "Webdesign", "Softwareontwikkeling")),
    ("bouw", "Bouw en onderhoud", "Construction and maintenance", ("41", "42", "43"), 21, 2.4,
     ("Bouw", "Bouwbedrijf", "Aannemersbedrijf", "Installatietechniek", "Elektrotechniek", "Dakwerken",
      "Renovatie", "Vastgoedonderhoud"),
     ("Schildersbedrijf", "Loodgietersbedrijf", "Klussenbedrijf", "Timmerbedrijf", "Stukadoorsbedrijf",
      "Tegelzetbedrijf", "Dakdekkersbedrijf", "Installatiebedrijf")),
    ("facilitair", "Facilitair en schoonmaak", "Facilities and cleaning", ("811", "812"), 21, 1.2,
     ("Schoonmaakdiensten", "Facilitair", "Facility Services", "Glasbewassing", "Reiniging"),
     ("Schoonmaakbedrijf", "Glazenwasserij")),
    ("catering", "Catering en voeding", "Catering and food", ("56", "107", "463"), 9, 0.5,
     ("Catering", "Foodservice", "Bakkerij", "Keuken", "Horeca", "Versservice"),
     ("Cateringservice", "Traiteur", "Bakkerij")),
    ("groen", "Groenbeheer", "Grounds maintenance", ("813", "016"), 21, 1.3,
     ("Groenvoorziening", "Hoveniers", "Groenbeheer", "Boomverzorging"),
     ("Hoveniersbedrijf", "Tuinonderhoud", "Boomverzorging")),
    ("advies", "Advies en onderzoek", "Consultancy and research", ("70", "71", "72", "73", "74"), 21, 1.6,
     ("Advies", "Consultancy", "Ingenieurs", "Architecten", "Onderzoek", "Communicatie",
      "Projectmanagement"),
     ("Adviesbureau", "Coachingpraktijk", "Tekstbureau", "Grafisch ontwerp", "Fotografie",
      "Vertaalbureau")),
    ("inhuur", "Inhuur personeel", "Temporary staff", ("78",), 21, 1.7,
     ("Uitzendbureau", "Detachering", "Personeelsdiensten", "Interim"),
     ("Interim-management", "Projectondersteuning")),
    ("zorg", "Zorg en welzijn", "Care and welfare", ("86", "87", "88"), 0, 1.0,
     ("Zorg", "Thuiszorg", "Welzijn", "Zorggroep", "Begeleiding"),
     ("Fysiotherapie", "Praktijk", "Zorgverlening", "Begeleiding")),
    ("vervoer", "Vervoer en logistiek", "Transport and logistics", ("49", "52", "53"), 21, 0.9,
     ("Transport", "Logistiek", "Koeriers", "Taxi", "Verhuizingen", "Vervoer"),
     ("Koeriersdienst", "Taxibedrijf")),
    ("kantoor", "Kantoorinrichting en drukwerk", "Office supplies and printing", ("18", "31"), 21, 0.5,
     ("Drukkerij", "Kantoorinrichting", "Print & Media", "Meubelmakerij"),
     ("Drukwerk", "Meubelmakerij")),
    ("medisch", "Medische hulpmiddelen", "Medical supplies", ("325", "4646", "21"), 21, 1.4,
     ("Medical", "Medische Techniek", "Pharma", "Labtechniek", "Healthcare"),
     ("Medische Techniek",)),
    ("energie", "Energie en water", "Energy and water", ("35", "36"), 21, 3.0,
     ("Energie", "Energy", "Warmte", "Zonne-energie"),
     ("Zonnepanelen",)),
    ("afval", "Afval en recycling", "Waste and recycling", ("38", "39"), 21, 1.5,
     ("Recycling", "Afvalservice", "Milieuservice", "Reststromen"),
     ("Containerservice",)),
    ("beveiliging", "Beveiliging", "Security", ("80",), 21, 1.2,
     ("Security", "Beveiliging", "Bewaking"),
     ("Beveiligingsdiensten",)),
    ("onderwijs", "Opleiding en training", "Training and education", ("85",), 0, 0.8,
     ("Academie", "Opleidingen", "Training", "Leerhuis"),
     ("Trainingsbureau", "Taalles", "Bijlespraktijk")),
    ("cultuur", "Cultuur en evenementen", "Culture and events", ("90", "93"), 9, 0.7,
     ("Theater", "Producties", "Evenementen", "Sport", "Events"),
     ("Muziekles", "Theaterproducties")),
    ("juridisch", "Juridisch en financieel", "Legal and financial", ("691", "692"), 21, 1.5,
     ("Advocaten", "Accountants", "Notarissen", "Belastingadvies", "Administratiekantoor"),
     ("Administratiekantoor", "Boekhouding")),
    ("techniek", "Technisch onderhoud", "Technical maintenance", ("33", "95"), 21, 1.0,
     ("Service & Onderhoud", "Technische Dienst", "Reparatie", "Liftservice"),
     ("Reparatieservice",)),
    ("handel", "Leveringen", "Goods and supplies", ("46", "47"), 21, 0.6,
     ("Groothandel", "Handel", "Supplies", "Trading"),
     ("Handelsonderneming", "Winkel")),
]
CAT_KEYS = tuple(c[0] for c in CATEGORIES)
CAT_INDEX = {k: i for i, k in enumerate(CAT_KEYS)}

# Category weights per legal form (organisation population).
_BASE_CAT_W = dict(ict=7, bouw=18, facilitair=5, catering=7, groen=3, advies=12, inhuur=3, zorg=8,
                   vervoer=5, kantoor=3, medisch=1.5, energie=1, afval=1, beveiliging=1.5, onderwijs=4,
                   cultuur=4, juridisch=4, techniek=3, handel=10)
FORMS = {
    # rechtsvorm: (share of organisations, category weight overrides)
    "Besloten Vennootschap": (0.42, {}),
    "Eenmanszaak": (0.26, dict(medisch=0.2, energie=0.3, afval=0.2, handel=5, inhuur=2)),
    "Vennootschap onder firma": (0.07, dict(catering=12, bouw=20, zorg=2, medisch=0.2)),
    "Stichting": (0.12, dict(zorg=30, onderwijs=20, cultuur=20, bouw=1, handel=1, ict=2, inhuur=1)),
    "Vereniging": (0.04, dict(cultuur=30, onderwijs=10, zorg=10, bouw=0.5, handel=0.5, ict=0.5)),
    "Coöperatie": (0.05, dict(groen=20, catering=15, facilitair=12, energie=8, zorg=8, bouw=8, vervoer=4,
                              advies=3, handel=2, ict=1)),
    "Naamloze Vennootschap": (0.01, dict(energie=6, medisch=6, handel=15, ict=10, bouw=12, zorg=1)),
}
FORM_NAMES = tuple(FORMS)

STREETS = (
    "Kerkstraat", "Dorpsstraat", "Stationsweg", "Industrieweg", "Hoofdweg", "Molenweg", "Schoolstraat",
    "Nieuwstraat", "Havenweg", "Parallelweg", "Marktplein", "Julianalaan", "Beatrixstraat",
    "Wilhelminastraat", "Oranjelaan", "Lindelaan", "Eikenlaan", "Rijksstraatweg", "Zuiderweg", "Noordweg",
    "Weteringkade", "Vaartweg", "Ambachtsweg", "Bedrijvenweg", "Handelsweg", "Energieweg",
    "Nijverheidsweg", "Kanaalweg", "Dijkweg", "Polderweg", "Sportlaan", "Prinses Irenestraat",
    "Van Heenvlietlaan", "Beukenlaan", "Koningsweg", "Middenweg", "Raadhuisstraat", "Veldweg",
)
AMS_STREETS = (
    "Keizersgracht", "Transformatorweg", "Kabelweg", "Jan van Galenstraat", "Overtoom", "Wibautstraat",
    "Johan Cruijff Boulevard", "Stadhouderskade", "Zeeburgerdijk", "Spaarndammerstraat",
    "Buikslotermeerplein", "Ceintuurbaan", "Science Park", "Piet Heinkade", "Hoogoorddreef",
    "Weesperstraat", "Van Baerlestraat", "Klaprozenweg", "Amstelplein", "Rijnstraat",
)
NW_STREETS = (
    "Osdorpplein", "Pieter Calandlaan", "Johan Huizingalaan", "Slotermeerlaan", "Burgemeester de Vlugtlaan",
    "Baron G.A. Tindalplein", "Plesmanlaan", "Cornelis Lelylaan", "Sloterweg", "Osdorperweg",
    "Ookmeerweg", "Lambertus Zijlplein", "Comeniusstraat", "Louwesweg", "Koningin Wilhelminaplein",
    "Meer en Vaart", "Tussen Meer", "Dijkgraafplein", "Kingsfordweg", "Radarweg", "Basisweg",
    "Naritaweg", "Orlyplein", "Jan Evertsenstraat", "Postjesweg", "August Allebéplein",
)
TOEVOEGINGEN = ("1", "2", "3", "hs", "bis", "A", "B")

FOREIGN = {
    # country: (weight, surnames/stems, words, legal suffixes, streets, cities with postcode makers)
    "DE": (30, ("Müller", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Schäfer",
                "Koch", "Richter"),
           ("Medizintechnik", "Labortechnik", "Software", "Systemtechnik", "Verlag", "Büroeinrichtung"),
           ("GmbH", "GmbH & Co. KG", "AG"),
           ("Hauptstraße", "Industriestraße", "Bahnhofstraße", "Friedrichstraße", "Gartenweg"),
           ("Berlin", "Hamburg", "München", "Köln", "Düsseldorf", "Frankfurt am Main", "Aachen", "Essen")),
    "BE": (20, ("Peeters", "Janssens", "Maes", "Mertens", "Claes", "Goossens", "Wouters", "De Smet"),
           ("Bouw", "Medical", "Consult", "Services", "Signalisatie"),
           ("NV", "BV", "SRL"),
           ("Meir", "Kortrijksesteenweg", "Rue de la Loi", "Leuvensesteenweg", "Nijverheidslaan"),
           ("Antwerpen", "Gent", "Brussel", "Leuven", "Brugge", "Hasselt")),
    "GB": (15, ("Northgate", "Brightwater", "Kingsbridge", "Ashford", "Whitfield", "Oakmont"),
           ("Software", "Learning", "Analytics", "Publishing", "Medical", "Systems"),
           ("Ltd", "Limited", "plc"),
           ("High Street", "Station Road", "Victoria Road", "Church Lane", "Mill Road"),
           ("London", "Manchester", "Leeds", "Bristol", "Cambridge", "Oxford")),
    "IE": (10, ("Liffey", "Shannon", "Emerald", "Wicklow", "Galway Bay", "Howth"),
           ("Cloud Services", "Software", "Data Systems", "Learning"),
           ("Limited", "Ltd", "DAC"),
           ("Grand Canal Street", "Baggot Street", "Harcourt Road", "Dame Street"),
           ("Dublin", "Cork", "Galway")),
    "US": (12, ("Cascade", "Lakeshore", "Summit", "Bluepeak", "Pinecrest", "Harborview"),
           ("Software", "Scientific", "Learning", "Analytics", "Biomedical"),
           ("Inc.", "LLC", "Corp."),
           ("Main Street", "Market Street", "Madison Avenue", "Mission Street", "Pine Street"),
           ("Seattle", "Boston", "Austin", "San Jose", "New York")),
    "FR": (6, ("Lumière", "Bellerive", "Montclair", "Beaulieu"),
           ("Médical", "Informatique", "Éditions", "Diagnostics"),
           ("SAS", "SA", "SARL"),
           ("rue de la République", "avenue Victor Hugo", "boulevard Haussmann", "rue Pasteur"),
           ("Paris", "Lyon", "Lille", "Grenoble")),
    "DK": (3, ("Nordlys", "Havblik", "Skovbo"), ("Medical", "Software", "Design"), ("ApS", "A/S"),
           ("Strandvejen", "Vesterbrogade", "Nørregade"), ("København", "Aarhus", "Odense")),
    "SE": (4, ("Fjällvik", "Sjöholm", "Björkdal"), ("Medical", "Systems", "Lab"), ("AB",),
           ("Storgatan", "Drottninggatan", "Kungsgatan"), ("Stockholm", "Göteborg", "Uppsala")),
}

MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
             "oktober", "november", "december")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")

# Description templates per category; placeholders {m} month, {y} year, {q} quarter, {w} week,
# {n} a number. Some contain ";", "," or quotes on purpose: readers must honour CSV quoting.
DESC_NL = {
    "ict": ("Licentie software {y}", "Hosting en beheer {m} {y}", "Support en onderhoud; {q} {y}",
            "Inzet consultant week {w}", "Levering laptops order {n}"),
    "bouw": ("Onderhoud {m} {y}", "Reparatie lekkage, locatie {n}", "Renovatie fase {w}",
             "Meerwerk project {n}; termijn {q}", "Planmatig onderhoud {y}"),
    "facilitair": ("Schoonmaak {m} {y}", "Glasbewassing {q} {y}", "Extra schoonmaak, opdracht {n}"),
    "catering": ("Catering vergadering {n}", "Lunch {m} {y}", "Koffie en thee; {q} {y}",
                 'Catering "Week van de buurt" {y}'),
    "groen": ("Groenonderhoud {m} {y}", "Snoeiwerk, bestek {n}", "Onderhoud plantsoenen {q} {y}"),
    "advies": ("Advieswerkzaamheden {m} {y}", "Onderzoek, fase {w}", "Projectbegeleiding {q} {y}"),
    "inhuur": ("Inhuur week {w} {y}", "Detachering {m} {y}", "Uren {m}; project {n}"),
    "zorg": ("Zorgverlening {m} {y}", "Begeleiding trajecten {q} {y}", "Ondersteuning, dossier {n}"),
    "vervoer": ("Vervoer {m} {y}", "Koerierszendingen week {w}", "Verhuizing afdeling {n}"),
    "kantoor": ("Drukwerk order {n}", "Kantoorartikelen {m} {y}", "Meubilair, levering {n}"),
    "medisch": ("Medische hulpmiddelen order {n}", "Laboratoriumbenodigdheden {m} {y}",
                "Onderhoud apparatuur; {q} {y}"),
    "energie": ("Energie {m} {y}", "Levering elektriciteit {q} {y}", "Warmte {m} {y}"),
    "afval": ("Afvalinzameling {m} {y}", "Containerhuur, order {n}"),
    "beveiliging": ("Beveiliging {m} {y}", "Bewaking evenement {n}"),
    "onderwijs": ("Training medewerkers {m} {y}", "Cursus, groep {n}", "Opleiding {q} {y}"),
    "cultuur": ("Voorstelling {n}", "Evenement {m} {y}", "Sportactiviteiten {q} {y}"),
    "juridisch": ("Juridisch advies dossier {n}", "Controle jaarrekening {y}", "Notariskosten {n}"),
    "techniek": ("Onderhoudscontract {q} {y}", "Storing, werkbon {n}", "Liftonderhoud {m} {y}"),
    "handel": ("Levering order {n}", "Materialen {m} {y}", "Bestelling {n}, deellevering {w}"),
}
DESC_EN = {
    "ict": ("Software licence {y}", "Hosting and support, {m} {y}", "Consultant week {w}",
            'Laptops order {n}, "standard" model'),
    "bouw": ("Maintenance {m} {y}", "Repair works, building {n}", "Renovation phase {w}"),
    "facilitair": ("Cleaning {m} {y}", "Window cleaning {q} {y}"),
    "catering": ("Catering event {n}", "Lunch meeting, {m} {y}", "Coffee and tea {q} {y}"),
    "groen": ("Grounds maintenance {m} {y}",),
    "advies": ("Consultancy {m} {y}", "Research project {n}, phase {w}"),
    "inhuur": ("Temporary staff week {w} {y}", "Secondment {m} {y}"),
    "zorg": ("Student welfare services {q} {y}",),
    "vervoer": ("Courier services week {w}", "Removal, building {n}"),
    "kantoor": ("Printing order {n}", "Office supplies {m} {y}", "Furniture, delivery {n}"),
    "medisch": ("Lab supplies order {n}",),
    "energie": ("Energy {m} {y}",),
    "afval": ("Waste collection {m} {y}",),
    "beveiliging": ("Security services {m} {y}",),
    "onderwijs": ("Training course {n}", "Guest lectures {q} {y}", "Exchange programme, {y}"),
    "cultuur": ("Event {m} {y}", "Sports facilities {q} {y}"),
    "juridisch": ("Legal advice case {n}", "Audit {y}"),
    "techniek": ("Maintenance contract {q} {y}", "Repair, work order {n}"),
    "handel": ("Delivery order {n}", "Materials {m} {y}"),
}


# --------------------------------------------------------------------------------------------------
# Anchors
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnchorSpec:
    code: str
    name: str
    lines_per_year: int          # at scale 1
    n_creditors: int             # at scale 1
    nw_share_2022: float         # true-tier Nieuw-West share of spend (excl VAT) in 2022
    nw_growth: float             # added per year
    abroad_share: float          # share of spend with foreign suppliers
    foreign_frac: float          # share of creditors that are foreign
    credit_rate: float           # share of invoices that are credit notes
    mean_line_eur: float
    line_p: float                # geometric parameter of lines per invoice (higher: fewer lines)
    dup_frac: float              # creditors registered twice under another number
    local_bias: float            # weight multiplier for Amsterdam suppliers (MRA gets its square root)
    sector_pref: dict = field(default_factory=dict)


ANCHORS: tuple[AnchorSpec, ...] = (
    AnchorSpec("gemeente_amsterdam", "Gemeente Amsterdam", 60_000, 3000, 0.065, 0.008, 0.02, 0.03, 0.05,
               3200, 0.40, 0.02, 2.5,
               dict(bouw=2, advies=2, ict=1.5, groen=2.5, facilitair=1.5, inhuur=2, zorg=1.8,
                    beveiliging=1.5, afval=2, energie=1.2, medisch=0.2)),
    AnchorSpec("hva", "Hogeschool van Amsterdam", 15_000, 900, 0.035, 0.005, 0.07, 0.08, 0.055,
               2100, 0.50, 0.01, 1.8,
               dict(ict=3, onderwijs=3, advies=2, catering=1.5, facilitair=1.5, kantoor=2, cultuur=1.5,
                    bouw=0.8, zorg=0.3, groen=0.3, medisch=0.2, afval=0.5)),
    AnchorSpec("olvg", "OLVG", 40_000, 1800, 0.05, 0.006, 0.06, 0.06, 0.07,
               1500, 0.40, 0.02, 1.8,
               dict(medisch=10, zorg=3, facilitair=2, catering=1.5, ict=1.5, inhuur=2, techniek=1.5,
                    groen=0.3, onderwijs=0.5, cultuur=0.2)),
    AnchorSpec("de_alliantie", "De Alliantie", 25_000, 1100, 0.12, 0.009, 0.005, 0.01, 0.06,
               4200, 0.55, 0.0, 2.0,
               dict(bouw=4, groen=2.5, facilitair=2, techniek=2, energie=1.5, advies=1.5, juridisch=1.5,
                    medisch=0.05, onderwijs=0.3, cultuur=0.2, zorg=0.5)),
    AnchorSpec("stwt", "STWT", 10_000, 450, 0.10, 0.010, 0.01, 0.02, 0.045,
               650, 0.65, 0.0, 2.5,
               dict(onderwijs=3, facilitair=2, kantoor=2, catering=1.5, bouw=1.5, ict=1.5, cultuur=1.5,
                    groen=1, zorg=0.5, medisch=0.05, energie=0.5)),
    AnchorSpec("pantar", "Pantar", 12_000, 600, 0.085, 0.008, 0.015, 0.02, 0.07,
               900, 0.55, 0.0, 2.5,
               dict(catering=2, groen=2.5, vervoer=2, facilitair=2, bouw=1.5, kantoor=1.5, handel=1.5,
                    onderwijs=1.5, medisch=0.1)),
)
ANCHOR_BY_CODE = {a.code: a for a in ANCHORS}


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------

def _choice(rng: np.random.Generator, items, size, weights=None) -> np.ndarray:
    """Draw `size` items (with replacement) from a sequence, optionally weighted."""
    arr = np.asarray(items, dtype=object)
    if weights is None:
        return arr[rng.integers(0, len(arr), size=size)]
    w = np.asarray(weights, dtype=float)
    return arr[rng.choice(len(arr), size=size, p=w / w.sum())]


def _unique_ints(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    """n distinct random integers in [low, high), in random order."""
    out = np.empty(0, dtype=np.int64)
    while len(out) < n:
        draw = rng.integers(low, high, size=int((n - len(out)) * 1.2) + 16, dtype=np.int64)
        out = pd.unique(np.concatenate([out, draw]))
    return out[:n]


def _rsin(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 9-digit RSINs that pass the eleven test."""
    out: list[str] = []
    seen: set[str] = set()
    weights = np.arange(9, 1, -1)
    while len(out) < n:
        m = (n - len(out)) * 2 + 16
        digits = rng.integers(0, 10, size=(m, 8))
        digits[:, 0] = rng.choice([0, 8], size=m, p=[0.3, 0.7])
        check = (digits * weights).sum(axis=1) % 11
        for row, c in zip(digits.tolist(), check.tolist(), strict=True):
            if c == 10:
                continue
            s = "".join(map(str, row)) + str(c)
            if s not in seen:
                seen.add(s)
                out.append(s)
                if len(out) == n:
                    break
    return np.array(out, dtype=object)


def _cap(name: str) -> str:
    """Capitalise the first letter (surname prefixes at the start of a name: 'de Vries' -> 'De Vries')."""
    return name[:1].upper() + name[1:]


LEGAL_SUFFIXES = (" B.V.", " BV", " b.v.", " B.V", " N.V.", " NV", " V.O.F.", " U.A.", " W.A.", " B.A.")


def _strip_legal_suffix(name: str) -> str:
    for suffix in LEGAL_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _euro(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    c = abs(int(cents))
    return f"{sign}{c // 100}.{c % 100:02d}"


def _fmt_amounts(cents: np.ndarray, decimal: str, thousands: str | None) -> list[str]:
    """Integer cents -> text amounts in a given notation (exact, no float)."""
    out = []
    for c in cents.tolist():
        a = -c if c < 0 else c
        whole = f"{a // 100:,}".replace(",", thousands) if thousands else str(a // 100)
        out.append(f"{'-' if c < 0 else ''}{whole}{decimal}{a % 100:02d}")
    return out


def _postcode_display(pc6: str, style: str) -> str:
    if style == "space":
        return f"{pc6[:4]} {pc6[4:]}"
    if style == "lower":
        return f"{pc6[:4]} {pc6[4:].lower()}"
    return pc6


# --------------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------------

@dataclass
class Reference:
    pc4: pd.DataFrame          # pc4, gemeente, weight, region
    stadsdeel: dict            # pc4 -> (codes, probabilities)
    sbi_leaf: dict             # category key -> array of SBI 2025 leaf codes


def load_reference(ref_dir: Path) -> Reference:
    gem = pd.read_csv(ref_dir / "nl_pc4_gemeente.csv", dtype=str)
    gem = gem[gem["is_hoofdgemeente"] == "1"].copy()
    gem = gem[(~gem["pc4"].str.endswith("0")) | (gem["pc4"] == "1060")]
    gem["gemeente"] = gem["gemeente_naam"].str.replace(r"\s*\(.*\)$", "", regex=True)
    gem["n"] = gem["n_adressen_pc4"].astype(float)
    gem = gem.sort_values("pc4").reset_index(drop=True)
    ams = gem["gemeente"] == "Amsterdam"
    mra = gem["gemeente"].isin(MRA_GEMEENTEN)
    region = np.where(gem["pc4"].isin(NW_CORE_PC4), "nw_core",
                      np.where(gem["pc4"].isin(NW_SHARED_PC4), "nw_shared",
                               np.where(ams, "ams", np.where(mra, "mra", "nl"))))
    gem["region"] = region
    # Business density roughly follows addresses, flattened a little; shared PC4s evenly-ish.
    gem["weight"] = np.where(gem["region"] == "nw_shared", gem["n"] ** 0.4, gem["n"] ** 0.8)
    pc4 = gem[["pc4", "gemeente", "region", "weight"]]

    sd = pd.read_csv(ref_dir / "amsterdam_pc4_stadsdeel.csv", dtype=str)
    sd["n"] = sd["n_adressen"].astype(float)
    stadsdeel = {}
    for p, g in sd.sort_values(["postcode", "stadsdeel_code"]).groupby("postcode", sort=True):
        stadsdeel[p] = (g["stadsdeel_code"].to_numpy(), (g["n"] / g["n"].sum()).to_numpy())

    sbi = pd.read_csv(ref_dir / "sbi2025.csv", dtype=str)
    leaf = sbi.loc[sbi["is_blad"] == "1", "code"]
    sbi_leaf = {}
    for key, _nl, _en, prefixes, *_ in CATEGORIES:
        codes = leaf[leaf.str.startswith(tuple(prefixes))].sort_values().to_numpy()
        if len(codes) == 0:
            raise ValueError(f"no SBI 2025 leaf codes for category {key}")
        sbi_leaf[key] = codes
    return Reference(pc4=pc4, stadsdeel=stadsdeel, sbi_leaf=sbi_leaf)


# --------------------------------------------------------------------------------------------------
# KvK extract: organisations and establishments
# --------------------------------------------------------------------------------------------------

def _org_names(rng: np.random.Generator, form: str, cat: str, region: str) -> tuple[str, str, list[str]]:
    """(statutaire_naam, eerste_handelsnaam, extra handelsnamen) of one organisation."""
    _k, _nl, _en, _pre, _vat, _mult, words, sole = CATEGORIES[CAT_INDEX[cat]]
    r = rng.random()
    word = words[rng.integers(len(words))]
    surname = SURNAMES[rng.integers(len(SURNAMES))]
    surname2 = SURNAMES[rng.integers(len(SURNAMES))]
    stem = STEMS[rng.integers(len(STEMS))]
    if region in ("nw_core", "nw_shared") and rng.random() < 0.35:
        stem = NW_STEMS[rng.integers(len(NW_STEMS))]
    extra: list[str] = []
    if form == "Eenmanszaak":
        prefix = sole[rng.integers(len(sole))]
        first = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
        initial = INITIALS[rng.integers(len(INITIALS))]
        if r < 0.45:
            trade = f"{prefix} {initial}. {surname}"
        elif r < 0.75:
            trade = f"{first} {_cap(surname)} {prefix}" if rng.random() < 0.5 else f"{_cap(surname)} {prefix}"
        else:
            trade = f"{prefix} {stem}"
        return "", trade, extra
    if form == "Vennootschap onder firma":
        if r < 0.4:
            trade = f"{_cap(surname)} & {_cap(surname2)} V.O.F."
        elif r < 0.7:
            trade = f"{sole[rng.integers(len(sole))]} {_cap(surname)} V.O.F."
        elif r < 0.85:
            trade = f"Gebr. {_cap(surname)}"
        else:
            trade = f"{_cap(surname)} en Zonen {word}"
        return "", trade, extra
    if form == "Coöperatie":
        cw = COOP_WORDS[rng.integers(len(COOP_WORDS))]
        base = f"{cw} {stem}" if rng.random() < 0.6 else f"{stem} {word}"
        suffix = " U.A." if rng.random() < 0.85 else (" W.A." if rng.random() < 0.5 else " B.A.")
        statutair = (f"Coöperatie {base}{suffix}" if rng.random() < 0.75
                     else f"Coöperatieve Vereniging {base}{suffix}")
        trade = statutair if rng.random() < 0.5 else (base if rng.random() < 0.6 else f"De {base} Coöperatie")
        return statutair, trade, extra
    if form == "Stichting":
        if r < 0.4:
            base = f"{stem} {word}"
        elif r < 0.7:
            base = f"{word} {stem}"
        else:
            base = f"Buurtwerk {stem}" if cat in ("zorg", "cultuur") else f"{word} {stem}"
        statutair = f"Stichting {base}"
        trade = statutair if rng.random() < 0.5 else base
        return statutair, trade, extra
    if form == "Vereniging":
        kind = ("Vereniging", "Sportvereniging", "Muziekvereniging", "Buurtvereniging")[rng.integers(4)]
        statutair = f"{kind} {stem}" if cat == "cultuur" else f"Vereniging {word} {stem}"
        return statutair, statutair, extra
    # Besloten / Naamloze Vennootschap
    if r < 0.35:
        base = f"{_cap(surname)} {word}"
    elif r < 0.7:
        base = f"{stem} {word}"
    elif r < 0.85:
        base = f"{stem}{word.split()[0].lower()}" if " " not in stem else f"{stem} {word}"
    else:
        base = f"{_cap(surname)} & {_cap(surname2)} {word}"
    if form == "Naamloze Vennootschap":
        suffix = (" N.V.", " NV", " N.V.")[rng.integers(3)]
    else:
        suffix = (" B.V.", " B.V.", " B.V.", " BV", " b.v.", " B.V")[rng.integers(6)]
    t = rng.random()
    if t < 0.15:
        statutair = f"{base} Holding{suffix}"
        trade = base
    elif t < 0.25:
        statutair = f"{base} Groep{suffix}"
        trade = base
    elif t < 0.40:
        statutair = f"{base}{suffix}"
        trade = base
    else:
        statutair = f"{base}{suffix}"
        trade = statutair
    if rng.random() < 0.25:
        extra.append(f"{stem} {words[rng.integers(len(words))]}")
    return statutair, trade, extra


def build_establishments(rng: np.random.Generator, ref: Reference, scale: float) -> pd.DataFrame:
    """The Dutch establishments (one row per vestiging) with internal truth columns."""
    n_org = max(200, int(round(4000 * scale)))
    shares = np.array([FORMS[f][0] for f in FORM_NAMES])
    org_form = _choice(rng, FORM_NAMES, n_org, shares)

    # category per organisation, weights depend on the legal form
    org_cat = np.empty(n_org, dtype=object)
    for f in FORM_NAMES:
        mask = org_form == f
        w = [FORMS[f][1].get(k, _BASE_CAT_W[k]) for k in CAT_KEYS]
        org_cat[mask] = _choice(rng, CAT_KEYS, int(mask.sum()), w)

    # number of establishments per organisation
    n_est = np.ones(n_org, dtype=np.int64)
    geo = rng.geometric(0.3, size=n_org)
    u = rng.random(n_org)
    big = 1 + rng.geometric(0.12, size=n_org)
    for f, p_chain, cap in (("Besloten Vennootschap", 0.19, 25), ("Stichting", 0.25, 20),
                            ("Coöperatie", 0.2, 3), ("Vennootschap onder firma", 0.05, 2)):
        m = (org_form == f) & (u < p_chain)
        n_est[m] = np.minimum(1 + geo[m], cap)
    m = org_form == "Naamloze Vennootschap"
    n_est[m] = np.minimum(big[m], 40)

    # head-office region per organisation
    regions = ("nw_core", "nw_shared", "ams", "mra", "nl")
    head_w = np.array([0.10, 0.07, 0.28, 0.25, 0.30])
    coop_w = np.array([0.40, 0.15, 0.25, 0.10, 0.10])
    org_region = _choice(rng, regions, n_org, head_w)
    coop = org_form == "Coöperatie"
    org_region[coop] = _choice(rng, regions, int(coop.sum()), coop_w)

    kvk = _unique_ints(rng, 30_000_000, 99_999_999, n_org)
    rsin = _rsin(rng, n_org)
    rsin[org_form == "Eenmanszaak"] = ""

    names = [_org_names(rng, f, c, r) for f, c, r in zip(org_form, org_cat, org_region, strict=True)]

    # one row per establishment
    org_idx = np.repeat(np.arange(n_org), n_est)
    n = len(org_idx)
    first_of_org = np.r_[True, org_idx[1:] != org_idx[:-1]]
    region = org_region[org_idx].copy()
    branch_w = np.array([0.07, 0.06, 0.17, 0.25, 0.45])
    region[~first_of_org] = _choice(rng, regions, int((~first_of_org).sum()), branch_w)

    pc4 = np.empty(n, dtype=object)
    gemeente = np.empty(n, dtype=object)
    for reg in regions:
        m = region == reg
        pool = ref.pc4[ref.pc4["region"] == reg]
        pick = rng.choice(len(pool), size=int(m.sum()), p=(pool["weight"] / pool["weight"].sum()).to_numpy())
        pc4[m] = pool["pc4"].to_numpy()[pick]
        gemeente[m] = pool["gemeente"].to_numpy()[pick]

    # the true stadsdeel, drawn by address share within the PC4
    stadsdeel = np.full(n, "", dtype=object)
    ams = gemeente == "Amsterdam"
    for p in sorted(set(pc4[ams])):
        m = ams & (pc4 == p)
        codes, probs = ref.stadsdeel[p]
        stadsdeel[m] = codes[rng.choice(len(codes), size=int(m.sum()), p=probs)]
    tier = np.where(ams, np.where(stadsdeel == "F", "nieuw_west", "rest_of_amsterdam"),
                    np.where(np.isin(gemeente, MRA_GEMEENTEN), "rest_of_mra", "rest_of_netherlands"))

    letters = np.array(list("ABCDEGHJKLMNPRSTVWXZ"))
    l1 = letters[rng.integers(0, len(letters), n)]
    l2 = letters[rng.integers(0, len(letters), n)]
    pair = np.char.add(l1.astype(str), l2.astype(str))
    bad = np.isin(pair, ["SA", "SD", "SS"])
    while bad.any():
        pair[bad] = np.char.add(letters[rng.integers(0, len(letters), bad.sum())].astype(str),
                                letters[rng.integers(0, len(letters), bad.sum())].astype(str))
        bad = np.isin(pair, ["SA", "SD", "SS"])
    postcode = np.char.add(pc4.astype(str), pair)

    nw_region = np.isin(region, ["nw_core", "nw_shared"])
    street = _choice(rng, STREETS, n)
    in_ams = (gemeente == "Amsterdam") & (rng.random(n) < 0.7)
    street = np.where(in_ams, _choice(rng, AMS_STREETS, n), street)
    street = np.where(nw_region & (rng.random(n) < 0.8), _choice(rng, NW_STREETS, n), street)
    huisnummer = np.clip(np.exp(rng.normal(2.8, 1.0, n)).astype(np.int64), 1, 450)
    huisletter = np.where(rng.random(n) < 0.08, _choice(rng, ("A", "B", "C", "D"), n), "")
    toevoeging = np.where(rng.random(n) < 0.10, _choice(rng, TOEVOEGINGEN, n), "")
    plaats = np.array([("Weesp" if p in ("1381", "1382", "1383", "1384") else "Amsterdam")
                       if g == "Amsterdam" else PLAATS_FOR_GEMEENTE.get(g, g)
                       for p, g in zip(pc4, gemeente, strict=True)], dtype=object)

    # names per establishment: branches sometimes carry the place in their trade name
    stat = np.array([names[i][0] for i in org_idx], dtype=object)
    trade = np.array([names[i][1] for i in org_idx], dtype=object)
    extras = [names[i][2] for i in org_idx]
    loc_name = (~first_of_org) & (rng.random(n) < 0.4)
    handelsnamen = []
    for i in range(n):
        t = trade[i]
        if loc_name[i]:
            t = f"{_strip_legal_suffix(t)} {plaats[i]}"
            trade[i] = t
        handelsnamen.append("|".join([t, *extras[i]]))

    form = org_form[org_idx]
    cat = org_cat[org_idx]
    sole = form == "Eenmanszaak"
    afgeschermd = np.where(sole & (rng.random(n) < 0.3), "Ja", "Nee")

    sbi_main = np.empty(n, dtype=object)
    sbi_side = np.empty(n, dtype=object)
    org_main = np.array([ref.sbi_leaf[c][rng.integers(len(ref.sbi_leaf[c]))] for c in org_cat], dtype=object)
    org_side = []
    for c in org_cat:
        k = rng.choice(3, p=[0.6, 0.3, 0.1])
        side_cats = [c if rng.random() < 0.6 else CAT_KEYS[rng.integers(len(CAT_KEYS))] for _ in range(k)]
        codes = sorted({ref.sbi_leaf[sc][rng.integers(len(ref.sbi_leaf[sc]))] for sc in side_cats})
        org_side.append("|".join(codes))
    sbi_main[:] = org_main[org_idx]
    sbi_side[:] = np.array(org_side, dtype=object)[org_idx]

    staff = np.maximum(1, np.exp(rng.normal(1.6, 1.2, n))).astype(np.int64)
    staff[sole] = rng.choice([1, 1, 1, 1, 2, 3], size=int(sole.sum()))
    staff[first_of_org & (n_est[org_idx] > 3)] *= 4
    staff = np.minimum(staff, 2500)

    peil = np.datetime64(PEILDATUM)
    age_days = np.minimum((rng.exponential(11.0, n_org) * 365.25).astype(np.int64), 75 * 365)
    org_start = peil - np.maximum(age_days, 30).astype("timedelta64[D]")
    start = org_start[org_idx]
    branch_age = ((peil - start).astype(np.int64) * rng.random(n)).astype(np.int64)
    start = np.where(first_of_org, start, peil - branch_age.astype("timedelta64[D]") - np.timedelta64(1, "D"))

    vest = _unique_ints(rng, 10_000_000, 600_000_000, n)
    est = pd.DataFrame({
        "kvk_nummer": kvk[org_idx].astype(str),
        "vestigingsnummer": [f"{v:012d}" for v in vest.tolist()],
        "rsin": rsin[org_idx],
        "statutaire_naam": stat,
        "eerste_handelsnaam": trade,
        "handelsnamen": handelsnamen,
        "ind_hoofdvestiging": np.where(first_of_org, "Ja", "Nee"),
        "rechtsvorm": form,
        "straatnaam": street,
        "huisnummer": huisnummer,
        "huisletter": huisletter,
        "huisnummertoevoeging": toevoeging,
        "postcode": postcode,
        "plaats": plaats,
        "land": "Nederland",
        "ind_afgeschermd": afgeschermd,
        "sbi_hoofdactiviteit": sbi_main,
        "sbi_nevenactiviteiten": sbi_side,
        "totaal_werkzame_personen": staff,
        "registratie_datum_aanvang": pd.to_datetime(start).strftime("%Y-%m-%d"),
        "peildatum": PEILDATUM,
        # internal truth (not written to the extract)
        "_org": org_idx,
        "_category": cat,
        "_gemeente": gemeente,
        "_stadsdeel": stadsdeel,
        "_tier": tier,
        "_region": region,
        "_country": "NL",
    })
    return est


KVK_COLUMNS = (
    "kvk_nummer", "vestigingsnummer", "rsin", "statutaire_naam", "eerste_handelsnaam", "handelsnamen",
    "ind_hoofdvestiging", "rechtsvorm", "straatnaam", "huisnummer", "huisletter", "huisnummertoevoeging",
    "postcode", "plaats", "land", "ind_afgeschermd", "sbi_hoofdactiviteit", "sbi_nevenactiviteiten",
    "totaal_werkzame_personen", "registratie_datum_aanvang", "peildatum",
)


def build_foreign(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    """Foreign suppliers: creditors only, never in the KvK extract."""
    n = max(20, int(round(160 * scale)))
    countries = tuple(FOREIGN)
    country = _choice(rng, countries, n, [FOREIGN[c][0] for c in countries])
    rows = []
    foreign_cats = ("ict", "medisch", "onderwijs", "advies", "kantoor", "handel")
    for c in country:
        _w, stems, words, suffixes, streets, cities = FOREIGN[c]
        name = f"{stems[rng.integers(len(stems))]} {words[rng.integers(len(words))]} " \
               f"{suffixes[rng.integers(len(suffixes))]}"
        city = cities[rng.integers(len(cities))]
        street = streets[rng.integers(len(streets))]
        num = str(int(rng.integers(1, 200)))
        if c in ("DE", "FR"):
            pc = f"{rng.integers(10000, 99999)}"
        elif c in ("BE", "DK"):
            pc = f"{rng.integers(1000, 9999)}"
        elif c == "SE":
            pc = f"{rng.integers(100, 999)} {rng.integers(10, 99)}"
        elif c == "US":
            pc = f"{rng.integers(10000, 99999)}"
        elif c == "IE":
            pc = f"D{rng.integers(1, 24):02d} {chr(65 + rng.integers(0, 26))}{rng.integers(100, 999)}"
        else:  # GB
            pc = (f"{('EC', 'M', 'LS', 'BS', 'CB', 'OX')[rng.integers(6)]}{rng.integers(1, 20)} "
                  f"{rng.integers(1, 9)}{chr(65 + rng.integers(0, 26))}{chr(65 + rng.integers(0, 26))}")
        cat = foreign_cats[rng.integers(len(foreign_cats))]
        if any(w in name for w in ("Medi", "Lab", "Biomed", "Diagn")):
            cat = "medisch"
        elif any(w in name for w in ("Software", "Cloud", "Data", "Analytics", "Inform")):
            cat = "ict"
        elif any(w in name for w in ("Learning", "Publishing", "Verlag", "Éditions")):
            cat = "onderwijs"
        rows.append((name, street, num, pc, city, c, cat))
    f = pd.DataFrame(rows, columns=["eerste_handelsnaam", "straatnaam", "huisnummer", "postcode", "plaats",
                                    "_country", "_category"])
    f["statutaire_naam"] = f["eerste_handelsnaam"]
    f["kvk_nummer"] = ""
    f["vestigingsnummer"] = ""
    f["huisletter"] = ""
    f["huisnummertoevoeging"] = ""
    f["_tier"] = "abroad"
    f["_stadsdeel"] = ""
    f["_gemeente"] = ""
    f["_region"] = "abroad"
    f["_org"] = -1
    f["rechtsvorm"] = ""
    return f


# --------------------------------------------------------------------------------------------------
# Creditor masters and invoice lines
# --------------------------------------------------------------------------------------------------

SITE_COLUMNS = ("kvk_nummer", "vestigingsnummer", "statutaire_naam", "eerste_handelsnaam", "rechtsvorm",
                "straatnaam", "huisnummer", "huisletter", "huisnummertoevoeging", "postcode", "plaats",
                "_country", "_category", "_tier", "_stadsdeel", "_region")


def _supplier_refs(code: str, rng: np.random.Generator, n: int) -> list:
    if code == "gemeente_amsterdam":
        return [str(1_000_000 + k) for k in _unique_ints(rng, 0, 900_000, n).tolist()]
    if code == "hva":
        return [str(10_000 + k) for k in _unique_ints(rng, 0, 90_000, n).tolist()]
    if code == "olvg":
        return [300_000 + k for k in _unique_ints(rng, 0, 100_000, n).tolist()]   # numeric cells
    if code == "de_alliantie":
        return [str(200_000 + k) for k in _unique_ints(rng, 0, 100_000, n).tolist()]
    if code == "stwt":
        return [f"LEV{k:04d}" for k in _unique_ints(rng, 1, 10_000, n).tolist()]
    return [f"CR-{k:05d}" for k in _unique_ints(rng, 1, 100_000, n).tolist()]


def _export_name(rng: np.random.Generator, code: str, stat: str, trade: str) -> str:
    """How this anchor's creditor master spells a supplier's name."""
    name = stat if (stat and rng.random() < 0.6) else trade
    if code in ("hva", "gemeente_amsterdam", "olvg", "stwt") and rng.random() < 0.35:
        for long, short in ((" B.V.", " BV"), (" N.V.", " NV"), (" b.v.", " BV"), (" B.V", " BV")):
            if name.endswith(long):
                name = name[: -len(long)] + (short if rng.random() < 0.7 else "")
                break
    if code == "hva" and rng.random() < 0.4:
        name = name.upper()
    elif code == "gemeente_amsterdam" and rng.random() < 0.15:
        name = name.upper()
    elif code == "stwt" and rng.random() < 0.2:
        name = name.replace("Stichting ", "St. ")
    if code == "de_alliantie":
        name = name[:40].rstrip()
    return name


def build_creditors(spec: AnchorSpec, rng: np.random.Generator, sites: pd.DataFrame,
                    scale: float, years: tuple[int, ...] = YEARS) -> pd.DataFrame:
    """The anchor's creditor master: one row per creditor, each tied to one delivering site."""
    n_total = max(30, int(round(spec.n_creditors * scale)))
    n_foreign = max(2, int(round(n_total * spec.foreign_frac)))
    n_nw = max(5, int(round(n_total * spec.nw_share_2022 * 1.4)))
    n_other = n_total - n_foreign - n_nw

    pref = np.array([spec.sector_pref.get(k, 1.0) for k in CAT_KEYS])
    cat_w = pref[sites["_category"].map(CAT_INDEX).to_numpy()]
    tier = sites["_tier"].to_numpy()
    region_w = np.select([tier == "rest_of_amsterdam", tier == "rest_of_mra"],
                         [spec.local_bias, np.sqrt(spec.local_bias)], 1.0)

    def pick(mask: np.ndarray, k: int, w: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(mask)
        k = min(k, len(idx))
        ww = w[idx]
        return idx[rng.choice(len(idx), size=k, replace=False, p=ww / ww.sum())]

    chosen = np.concatenate([
        pick(tier == "nieuw_west", n_nw, cat_w),
        pick((tier != "nieuw_west") & (tier != "abroad"), n_other, cat_w * region_w),
        pick(tier == "abroad", n_foreign, cat_w),
    ])
    n_dup = int(round(len(chosen) * spec.dup_frac))
    if n_dup:
        dutch = chosen[tier[chosen] != "abroad"]
        chosen = np.concatenate([chosen, rng.choice(dutch, size=min(n_dup, len(dutch)), replace=False)])
    chosen = chosen[rng.permutation(len(chosen))]

    cred = sites.iloc[chosen][list(SITE_COLUMNS)].reset_index(drop=True)
    cred["_site"] = chosen
    return _finish_creditors(spec, rng, cred, years)


def _finish_creditors(spec: AnchorSpec, rng: np.random.Generator, cred: pd.DataFrame,
                      years: tuple[int, ...] = YEARS) -> pd.DataFrame:
    """Creditor numbers, export spellings and behaviour of the chosen sites (one row per creditor)."""
    n = len(cred)
    cred["supplier_ref"] = _supplier_refs(spec.code, rng, n)
    cred["export_name"] = [_export_name(rng, spec.code, s, t)
                           for s, t in zip(cred["statutaire_naam"], cred["eerste_handelsnaam"], strict=True)]
    t = cred["_tier"].to_numpy()
    cred["_group"] = np.where(t == "nieuw_west", "nw", np.where(t == "abroad", "abroad", "other"))
    cred["_weight"] = np.exp(rng.normal(0.0, 1.4, n))
    # categories outside CATEGORIES (the public bodies of NON_INFLUENCEABLE) get multiplier 1 and no VAT
    mult = cred["_category"].map({c[0]: c[5] for c in CATEGORIES}).fillna(1.0).to_numpy(dtype=float)
    cred["_base"] = spec.mean_line_eur * mult * np.exp(rng.normal(-0.5, 1.0, n))
    cred["_vat"] = cred["_category"].map({c[0]: c[4] for c in CATEGORIES}).fillna(0).to_numpy(dtype=np.int64)
    cred.loc[t == "abroad", "_vat"] = 0
    # active years: most creditors all four years, some start or stop
    first = np.where(rng.random(n) < 0.75, years[0], rng.integers(years[0], years[-1] + 1, n))
    last = np.where(rng.random(n) < 0.8, years[-1], rng.integers(first, years[-1] + 1))
    cred["_first"] = first
    cred["_last"] = np.maximum(first, last)
    dutch = t != "abroad"
    cred["_no_vestnr"] = dutch & (rng.random(n) < 0.15)      # gemeente: vestigingsnummer left empty
    cred["_no_pc"] = dutch & (rng.random(n) < (0.05 if spec.code == "olvg" else 0.08))
    cred["_no_country"] = dutch & (rng.random(n) < 0.10)     # olvg: Land left empty
    pc_style = {"gemeente_amsterdam": ("space",), "olvg": ("space",), "de_alliantie": ("plain",),
                "hva": ("space",) * 14 + ("plain",) * 5 + ("lower",), "stwt": ("space", "plain"),
                "pantar": ("space",) * 4 + ("plain",)}[spec.code]
    styles = _choice(rng, pc_style, n)
    cred["pc_display"] = [_postcode_display(p, s) if d else p
                          for p, s, d in zip(cred["postcode"], styles, dutch, strict=True)]
    hn = cred["huisnummer"].astype(str) + cred["huisletter"]
    toev = cred["huisnummertoevoeging"]
    cred["house_display"] = np.where(toev == "", hn,
                                     np.where(toev.str.len() == 1, hn + "-" + toev, hn + " " + toev))
    cred["address_line"] = cred["straatnaam"] + " " + cred["house_display"]
    return cred


def _invoice_sizes(rng: np.random.Generator, n_lines: int, p: float) -> np.ndarray:
    """Lines per invoice so that they add up to exactly n_lines."""
    k = np.minimum(rng.geometric(p, size=int(n_lines * p) + 32), 30)
    while k.sum() < n_lines:
        k = np.concatenate([k, np.minimum(rng.geometric(p, size=int(n_lines * p) + 32), 30)])
    cum = np.cumsum(k)
    m = int(np.searchsorted(cum, n_lines)) + 1
    k = k[:m].copy()
    k[-1] -= cum[m - 1] - n_lines
    return k


MONTH_W = np.array([0.85, 0.95, 1.0, 1.0, 1.0, 1.0, 0.7, 0.6, 1.0, 1.05, 1.1, 1.45])


def build_lines(spec: AnchorSpec, rng: np.random.Generator, cred: pd.DataFrame, scale: float,
                years: tuple[int, ...] = YEARS) -> pd.DataFrame:
    """All invoice lines of one anchor over ``years`` (2022-2025 for the sample), amounts in integer cents."""
    groups = cred["_group"].to_numpy()
    weight = cred["_weight"].to_numpy()
    base = cred["_base"].to_numpy()
    vat_default = cred["_vat"].to_numpy()
    first, last = cred["_first"].to_numpy(), cred["_last"].to_numpy()
    frames = []
    # Yearly targets: a steady Nieuw-West growth with a little noise (less than half a year's growth,
    # so the share still rises every year) and a foreign share that wobbles around its level.
    nw_noise = rng.uniform(-0.3, 0.3, len(years)) * spec.nw_growth
    ab_noise = rng.uniform(0.85, 1.15, len(years))
    for yi, year in enumerate(years):
        n_year = max(50, int(round(spec.lines_per_year * scale * (1 + 0.03 * yi))))
        p_nw = spec.nw_share_2022 + spec.nw_growth * yi + nw_noise[yi]
        p_ab = spec.abroad_share * ab_noise[yi]
        n_g = {"nw": max(4, int(round(n_year * p_nw))), "abroad": max(2, int(round(n_year * p_ab)))}
        n_g["other"] = n_year - n_g["nw"] - n_g["abroad"]
        parts = []
        for g in ("other", "nw", "abroad"):
            idx = np.flatnonzero(groups == g)
            active = idx[(first[idx] <= year) & (last[idx] >= year)]
            if len(active) == 0:
                active = idx
            k = _invoice_sizes(rng, n_g[g], spec.line_p)
            m = len(k)
            w = weight[active]
            inv_cred = active[rng.choice(len(active), size=m, p=w / w.sum())]
            inv_credit = rng.random(m) < spec.credit_rate
            if g == "other" and not inv_credit.any():
                inv_credit[rng.integers(m)] = True
            line_cred = np.repeat(inv_cred, k)
            line_credit = np.repeat(inv_credit, k)
            raw = base[line_cred] * np.exp(rng.normal(0.0, 0.8, len(line_cred)))
            raw = np.where(line_credit, -0.6 * raw, raw)
            if raw.sum() <= 0:      # tiny groups: do not let credit notes dominate
                inv_credit[:] = False
                line_credit[:] = False
                raw = np.abs(raw)
            parts.append(dict(group=g, k=k, inv_cred=inv_cred, inv_credit=inv_credit,
                              line_cred=line_cred, line_credit=line_credit, raw=raw))
        # scale the Nieuw-West and foreign groups to their target share of the year's net spend
        other_net = parts[0]["raw"].sum()
        total = other_net / (1.0 - p_nw - p_ab)
        parts[1]["raw"] = parts[1]["raw"] * (p_nw * total / parts[1]["raw"].sum())
        parts[2]["raw"] = parts[2]["raw"] * (p_ab * total / parts[2]["raw"].sum())

        k = np.concatenate([p["k"] for p in parts])
        inv_cred = np.concatenate([p["inv_cred"] for p in parts])
        inv_credit = np.concatenate([p["inv_credit"] for p in parts])
        raw = np.concatenate([p["raw"] for p in parts])
        m = len(k)
        # invoice dates, then number invoices in date order
        month = rng.choice(12, size=m, p=MONTH_W / MONTH_W.sum())
        month_start = np.array([np.datetime64(f"{year}-{mo + 1:02d}-01") for mo in range(12)])
        month_len = np.array([(np.datetime64(f"{year + (mo == 11)}-{(mo + 1) % 12 + 1:02d}-01")
                               - month_start[mo]).astype(int) for mo in range(12)])
        day = (rng.random(m) * month_len[month]).astype(np.int64)
        inv_date = month_start[month] + day.astype("timedelta64[D]")
        order = np.lexsort((rng.random(m), inv_date))
        inv_seq = np.empty(m, dtype=np.int64)
        inv_seq[order] = np.arange(1, m + 1)
        line_start = np.cumsum(k) - k
        line_inv = np.repeat(np.arange(m), k)
        line_no = np.arange(len(line_inv)) - line_start[line_inv] + 1

        cents = np.rint(raw * 100).astype(np.int64)
        neg = np.repeat(inv_credit, k)
        cents = np.where(neg, np.minimum(cents, -50), np.maximum(cents, 50))
        vat_rate = vat_default[np.repeat(inv_cred, k)].astype(np.int64)
        swap = rng.random(len(cents)) < 0.15
        vat_rate = np.where(swap, rng.choice([21, 9, 0], size=len(cents), p=[0.7, 0.2, 0.1]), vat_rate)
        vat_rate = np.where(cred["_tier"].to_numpy()[np.repeat(inv_cred, k)] == "abroad", 0, vat_rate)
        a = np.abs(cents)
        vat = np.sign(cents) * ((a * vat_rate + 50) // 100)

        frames.append(pd.DataFrame({
            "year": year,
            "inv_seq": inv_seq[line_inv],
            "line": line_no,
            "date": inv_date[line_inv],
            "cred": inv_cred[line_inv],
            "credit": neg,
            "excl": cents,
            "vat_rate": vat_rate,
            "vat": vat,
            "month": month[line_inv],
        }))
    lines = pd.concat(frames, ignore_index=True)
    lines = lines.sort_values(["year", "inv_seq", "line"], kind="stable").reset_index(drop=True)
    lines["incl"] = lines["excl"] + lines["vat"]
    _add_booking_fields(spec, rng, cred, lines)
    return lines


def _gl_table(code: str) -> np.ndarray:
    """Two ledger accounts per category, in the anchor's numbering style."""
    if code == "gemeente_amsterdam":
        return np.array([[f"44{10 + c:02d}{j}0" for j in (1, 2)] for c in range(len(CAT_KEYS))])
    if code == "hva":
        return np.array([[f"6{c + 10:02d}{j}00" for j in (1, 2)] for c in range(len(CAT_KEYS))])
    return np.array([[f"4{c + 10:02d}{j}" for j in (1, 5)] for c in range(len(CAT_KEYS))])


def _add_booking_fields(spec: AnchorSpec, rng: np.random.Generator, cred: pd.DataFrame, lines: pd.DataFrame):
    """Ledger account, cost centre, category label and description per line."""
    n = len(lines)
    cat_idx = cred["_category"].map(CAT_INDEX).to_numpy()[lines["cred"].to_numpy()]
    lines["gl"] = _gl_table(spec.code)[cat_idx, rng.integers(0, 2, n)]

    n_cc = {"gemeente_amsterdam": 40, "hva": 24, "olvg": 30, "de_alliantie": 12, "stwt": 22,
            "pantar": 10}[spec.code]
    if spec.code == "gemeente_amsterdam":
        cc = [f"K{k:06d}" for k in _unique_ints(rng, 100_000, 999_999, n_cc).tolist()]
    elif spec.code == "hva":
        fac = ("FDMCI", "FBE", "FG", "FOO", "FMR", "FT", "FBSV", "SBO")
        cc = [f"{fac[i % len(fac)]}-{100 + i}" for i in range(n_cc)]
    elif spec.code == "olvg":
        cc = [f"KP{k:04d}" for k in _unique_ints(rng, 1000, 9999, n_cc).tolist()]
    elif spec.code == "de_alliantie":
        cc = ["AMS-NW", "AMS-ZO", "AMS-OOST", "AMS-NOORD", "ALMERE", "HUIZEN", "HILVERSUM", "AMERSFOORT",
              "HAARLEM", "ZAANSTAD", "CENTRAAL", "PROJECTEN"][:n_cc]
    elif spec.code == "stwt":
        cc = [f"Locatie {i:02d}" for i in range(1, n_cc + 1)] + ["Bestuursbureau"]
    else:
        cc = [f"PAN{k:03d}" for k in range(100, 100 + n_cc)]
    cc_w = np.exp(rng.normal(0, 0.8, len(cc)))
    inv_key = lines["year"].to_numpy() * 1_000_000 + lines["inv_seq"].to_numpy()
    first_line = np.r_[True, inv_key[1:] != inv_key[:-1]]
    inv_cc = _choice(rng, cc, int(first_line.sum()), cc_w)
    lines["cc"] = inv_cc[np.cumsum(first_line) - 1]

    lines["category"] = np.array([c[1] for c in CATEGORIES], dtype=object)[cat_idx]

    english = spec.code == "hva"
    table = DESC_EN if english else DESC_NL
    months = MONTHS_EN if english else MONTHS_NL
    tpl_pick = rng.random(n)
    nums = rng.integers(1000, 99999, n)
    month = lines["month"].to_numpy()
    years = lines["year"].to_numpy()
    week = (lines["date"].dt.isocalendar().week.to_numpy()).astype(np.int64)
    keys = [CAT_KEYS[c] for c in cat_idx.tolist()]
    desc = []
    for key, t, num, mo, yr, wk in zip(keys, tpl_pick.tolist(), nums.tolist(), month.tolist(), years.tolist(),
                                       week.tolist(), strict=True):
        tpls = table[key]
        desc.append(tpls[int(t * len(tpls))].format(m=months[mo], y=yr, q=f"Q{mo // 3 + 1}", w=wk, n=num))
    credit = lines["credit"].to_numpy()
    prefix = "Credit note: " if english else "Creditnota: "
    lines["desc"] = [prefix + d if c else d for d, c in zip(desc, credit.tolist(), strict=True)]


# --------------------------------------------------------------------------------------------------
# Spend an anchor cannot redirect: taxes and levies, pension and social premiums, subsidies paid out,
# payments to public bodies. Every anchor pays some; the pipeline's influenceable-spend rules
# (dbt seed influenceable_rules) must find them by ledger account, category or supplier legal form.
# The ground truth records each creditor's exclusion class. Drawn from their own random streams, so
# the regular creditors and lines are the same with or without them.
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicPayee:
    key: str
    statutaire_naam: str
    handelsnaam: str
    rechtsvorm: str
    straatnaam: str
    huisnummer: int
    postcode: str
    plaats: str
    sbi: str
    tier: str
    stadsdeel: str          # true stadsdeel code within Amsterdam, else ""
    gemeente: str


PUBLIC_BODY = "Publiekrechtelijke rechtspersoon"
# Real organisations an anchor pays by law or collective agreement; their addresses are synthetic
# (the PC4 is where the organisation sits, the letters are made up).
PUBLIC_PAYEES = (
    PublicPayee("belastingdienst", "Belastingdienst", "Belastingdienst", PUBLIC_BODY, "Laan van Westenenk",
                701, "7311XB", "Apeldoorn", "84110", "rest_of_netherlands", "", "Apeldoorn"),
    PublicPayee("waterschap_agv", "Waterschap Amstel, Gooi en Vecht", "Waternet", PUBLIC_BODY,
                "Korte Ouderkerkerdijk", 7, "1096AC", "Amsterdam", "84110", "rest_of_amsterdam", "M",
                "Amsterdam"),
    PublicPayee("gemeente_amsterdam", "Gemeente Amsterdam", "Gemeente Amsterdam", PUBLIC_BODY, "Amstel", 1,
                "1011PN", "Amsterdam", "84110", "rest_of_amsterdam", "A", "Amsterdam"),
    # UWV's head office is at Sloterdijk: a public body in Nieuw-West, so counting its premiums as local
    # spend would flatter the share.
    PublicPayee("uwv", "Uitvoeringsinstituut Werknemersverzekeringen", "UWV", PUBLIC_BODY, "La Guardiaweg",
                94, "1043DL", "Amsterdam", "84300", "nieuw_west", "F", "Amsterdam"),
    PublicPayee("abp", "Stichting Pensioenfonds ABP", "ABP", "Stichting", "Oude Lindestraat", 70, "6411EJ",
                "Heerlen", "65301", "rest_of_netherlands", "", "Heerlen"),
    PublicPayee("pfzw", "Stichting Pensioenfonds Zorg en Welzijn", "PFZW", "Stichting", "Noordweg Noord", 150,
                "3704MG", "Zeist", "65301", "rest_of_netherlands", "", "Zeist"),
    PublicPayee("spw", "Stichting Pensioenfonds voor de Woningcorporaties", "SPW", "Stichting",
                "Catharijnesingel", 47, "3511GC", "Utrecht", "65301", "rest_of_netherlands", "", "Utrecht"),
)
PUBLIC_PAYEE_BY_KEY = {p.key: p for p in PUBLIC_PAYEES}

EXCLUSION_LABEL_NL = {
    "taxes_levies": "Belastingen en heffingen",
    "pensions_social_premiums": "Pensioen- en sociale premies",
    "subsidies_grants": "Subsidies",
}
# Ledger accounts of the excluded classes, in each anchor's numbering style.
EXCLUSION_GL = {
    "gemeente_amsterdam": dict(taxes_levies="449010", pensions_social_premiums="449110",
                               subsidies_grants="448010"),
    "hva": dict(taxes_levies="680100", pensions_social_premiums="681100", subsidies_grants="682100"),
}
EXCLUSION_GL_DEFAULT = dict(taxes_levies="4801", pensions_social_premiums="4811", subsidies_grants="4821")

# Per anchor: (payee, exclusion class, share of the anchor's regular yearly spend, payments per year,
# booked as). "class" books the lines on the class's own ledger account and category; a category key
# books them as ordinary purchases of that category, so that only the supplier's legal form
# (a public body) can tell them apart.
NON_INFLUENCEABLE = {
    "gemeente_amsterdam": (("belastingdienst", "taxes_levies", 0.02, 12, "class"),
                           ("waterschap_agv", "public_bodies", 0.004, 2, "energie"),
                           ("uwv", "pensions_social_premiums", 0.006, 12, "class"),
                           ("abp", "pensions_social_premiums", 0.05, 12, "class")),
    "hva": (("belastingdienst", "taxes_levies", 0.03, 12, "class"),
            ("waterschap_agv", "public_bodies", 0.003, 2, "energie"),
            ("gemeente_amsterdam", "taxes_levies", 0.012, 3, "class"),
            ("abp", "pensions_social_premiums", 0.06, 12, "class")),
    "olvg": (("belastingdienst", "taxes_levies", 0.03, 12, "class"),
             ("waterschap_agv", "taxes_levies", 0.004, 2, "class"),
             ("gemeente_amsterdam", "taxes_levies", 0.01, 3, "class"),
             ("uwv", "pensions_social_premiums", 0.005, 12, "class"),
             ("pfzw", "pensions_social_premiums", 0.07, 12, "class")),
    "de_alliantie": (("belastingdienst", "taxes_levies", 0.04, 12, "class"),
                     ("waterschap_agv", "public_bodies", 0.003, 2, "energie"),
                     ("gemeente_amsterdam", "taxes_levies", 0.05, 4, "class"),
                     ("spw", "pensions_social_premiums", 0.03, 12, "class")),
    "stwt": (("belastingdienst", "taxes_levies", 0.03, 12, "class"),
             ("gemeente_amsterdam", "taxes_levies", 0.01, 3, "class"),
             ("abp", "pensions_social_premiums", 0.06, 12, "class")),
    "pantar": (("belastingdienst", "taxes_levies", 0.03, 12, "class"),
               ("gemeente_amsterdam", "taxes_levies", 0.008, 3, "class"),
               ("uwv", "pensions_social_premiums", 0.01, 12, "class"),
               ("pfzw", "pensions_social_premiums", 0.06, 12, "class")),
}
# Subsidies paid out (the municipality): this share of its regular yearly spend, to foundations and
# associations in care, culture and education, Nieuw-West ones three times as likely.
SUBSIDIES = {"gemeente_amsterdam": 0.10}
SUBSIDY_DESC = ("Subsidie {y}, beschikking {n}", "Subsidie {q} {y}", "Voorschot subsidie {y}")
EXCLUDED_DESC_NL = {
    "taxes_levies": ("Aanslag {y} nr. {n}", "Loonheffingen {m} {y}", "Heffing {y}, kenmerk {n}"),
    "pensions_social_premiums": ("Pensioenpremie {m} {y}", "Premienota {m} {y}"),
    "public_bodies": ("Waterschapsbelasting {y}", "Zuiveringsheffing {y}"),
}
EXCLUDED_DESC_EN = {
    "taxes_levies": ("Tax assessment {y} no. {n}", "Payroll taxes {m} {y}", "Levy {y}, ref {n}"),
    "pensions_social_premiums": ("Pension premium {m} {y}",),
    "public_bodies": ("Water board levy {y}",),
}


def _fresh_supplier_refs(spec: AnchorSpec, rng: np.random.Generator, cred: pd.DataFrame, n: int) -> list:
    """n creditor numbers in the anchor's own numbering that none of its creditors has yet."""
    taken = set(cred["supplier_ref"].astype(str))
    return [r for r in _supplier_refs(spec.code, rng, n + len(taken)) if str(r) not in taken][:n]


def _appended(cred: pd.DataFrame, extra: pd.DataFrame, lines: pd.DataFrame,
              new_lines: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Creditors and lines with extra creditors and their lines added, lines in invoice order."""
    new_lines["date"] = pd.to_datetime(new_lines["date"])
    new_lines["incl"] = new_lines["excl"] + new_lines["vat"]
    all_lines = pd.concat([lines, new_lines[lines.columns]], ignore_index=True)
    all_lines = all_lines.sort_values(["year", "inv_seq", "line"], kind="stable").reset_index(drop=True)
    return pd.concat([cred, extra], ignore_index=True), all_lines


def build_public_payees(rng: np.random.Generator) -> pd.DataFrame:
    """The public payees as KvK establishments (head offices), with the extract's columns and truth."""
    n = len(PUBLIC_PAYEES)
    kvk = _unique_ints(rng, 10_000_000, 29_998_999, n)      # below the generated and initiative ranges
    vest = _unique_ints(rng, 700_000_000, 900_000_000, n)
    rsin = _rsin(rng, n)
    rows = []
    for i, p in enumerate(PUBLIC_PAYEES):
        rows.append({
            "kvk_nummer": str(kvk[i]), "vestigingsnummer": f"{vest[i]:012d}", "rsin": rsin[i],
            "statutaire_naam": p.statutaire_naam, "eerste_handelsnaam": p.handelsnaam,
            "handelsnamen": "|".join(dict.fromkeys([p.handelsnaam, p.statutaire_naam])),
            "ind_hoofdvestiging": "Ja", "rechtsvorm": p.rechtsvorm, "straatnaam": p.straatnaam,
            "huisnummer": p.huisnummer, "huisletter": "", "huisnummertoevoeging": "", "postcode": p.postcode,
            "plaats": p.plaats, "land": "Nederland", "ind_afgeschermd": "Nee", "sbi_hoofdactiviteit": p.sbi,
            "sbi_nevenactiviteiten": "", "totaal_werkzame_personen": 2500,
            "registratie_datum_aanvang": "1994-01-01", "peildatum": PEILDATUM,
            "_org": -1 - i, "_category": p.key, "_gemeente": p.gemeente, "_stadsdeel": p.stadsdeel,
            "_tier": p.tier, "_region": "public", "_country": "NL",
        })
    return pd.DataFrame(rows)


def build_excluded(spec: AnchorSpec, rng: np.random.Generator, cred: pd.DataFrame, lines: pd.DataFrame,
                   sites: pd.DataFrame, public: pd.DataFrame, scale: float,
                   years: tuple[int, ...] = YEARS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The anchor's creditors and lines it cannot redirect, appended to its regular ones.

    Returns (creditors, lines) with `_exclusion_class` on every creditor ("" for the regular ones)."""
    payees = NON_INFLUENCEABLE.get(spec.code, ())
    pub = public.set_index(public["_category"])
    parts = [pub.loc[[key for key, *_ in payees], list(SITE_COLUMNS)].reset_index(drop=True)]
    plan = [(cls, share, per_year, booked) for _key, cls, share, per_year, booked in payees]
    n_sub = 0
    if spec.code in SUBSIDIES:
        eligible = np.flatnonzero(sites["rechtsvorm"].isin(["Stichting", "Vereniging"]).to_numpy()
                                  & sites["_category"].isin(["zorg", "cultuur", "onderwijs"]).to_numpy())
        w = np.where(sites["_tier"].to_numpy()[eligible] == "nieuw_west", 3.0, 1.0)
        n_sub = min(len(eligible), max(3, int(round(80 * scale))))
        chosen = eligible[rng.choice(len(eligible), size=n_sub, replace=False, p=w / w.sum())]
        parts.append(sites.iloc[chosen][list(SITE_COLUMNS)].reset_index(drop=True))
        sub_w = np.exp(rng.normal(0.0, 1.0, n_sub))
        plan += [("subsidies_grants", SUBSIDIES[spec.code] * wi / sub_w.sum(), 0, "class") for wi in sub_w]
    extra = pd.concat(parts, ignore_index=True)
    extra["_site"] = -1
    extra = _finish_creditors(spec, rng, extra, years)
    extra["supplier_ref"] = _fresh_supplier_refs(spec, rng, cred, len(extra))
    extra["_first"], extra["_last"] = years[0], years[-1]
    extra["_exclusion_class"] = [cls for cls, *_ in plan]
    cred = cred.assign(_exclusion_class="")
    offset = len(cred)

    english = spec.code == "hva"
    months = MONTHS_EN if english else MONTHS_NL
    gl = EXCLUSION_GL.get(spec.code, EXCLUSION_GL_DEFAULT)
    cc_mode = lines["cc"].mode().iat[0]
    rows = []
    for year in years:
        regular = int(lines.loc[lines["year"] == year, "excl"].sum())
        seq = int(lines.loc[lines["year"] == year, "inv_seq"].max())
        for j, (cls, share, per_year, booked) in enumerate(plan):
            if cls == "subsidies_grants":
                if rng.random() > 0.8:
                    continue
                per_year = int(rng.integers(1, 5))
            w = rng.uniform(0.8, 1.2, per_year)
            cents = np.maximum(np.rint(regular * share * w / w.sum()).astype(np.int64), 100)
            month = np.sort(rng.choice(12, size=per_year, replace=per_year > 12))
            for k in range(per_year):
                day = int(rng.integers(1, 28))
                seq += 1
                if booked == "class":
                    account, label = gl[cls], EXCLUSION_LABEL_NL[cls]
                else:
                    account, label = _gl_table(spec.code)[CAT_INDEX[booked], 0], CATEGORIES[CAT_INDEX[booked]][1]
                templates = (SUBSIDY_DESC if cls == "subsidies_grants"
                             else (EXCLUDED_DESC_EN if english else EXCLUDED_DESC_NL)[cls])
                mo = int(month[k])
                desc = templates[int(rng.integers(len(templates)))].format(
                    m=months[mo], y=year, q=f"Q{mo // 3 + 1}", n=int(rng.integers(1000, 99999)))
                rows.append({
                    "year": year, "inv_seq": seq, "line": 1, "date": np.datetime64(f"{year}-{mo + 1:02d}-{day:02d}"),
                    "cred": offset + j, "credit": False, "excl": int(cents[k]), "vat_rate": 0, "vat": 0,
                    "month": mo, "gl": account, "cc": cc_mode, "category": label, "desc": desc,
                })
    excluded = pd.DataFrame(rows)
    return _appended(cred, extra, lines, excluded)


# --------------------------------------------------------------------------------------------------
# The programme (issue: programme monitoring): the co-operative initiatives of the autumn-2024 progress
# report, their synthetic registrations and anchor income, and example programme inputs (tender
# calendar, investment fund) written to landing/programme/. Own random streams: the rest of the sample
# does not change.
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Initiative:
    key: str
    name: str
    sector: str              # the programme's target sector
    phase: int               # 1-7 as in the progress report (autumn 2024)
    sbi: str                 # SBI 2025 main activity once registered
    pc4: str
    street: str
    fte: float
    fte_living_wage: float
    revenue_eur: int
    buyers: tuple            # (anchor code, yearly spend at scale 1, first year)


# Phases and job figures from the progress report (DOMAIN.md); registrations, addresses and amounts are
# synthetic. Registered (phase >= 5) initiatives get a KvK registration in the sample's extract.
INITIATIVES = (
    Initiative("groen_nieuw_west", "Groen Nieuw-West Coöperatie U.A.", "green_maintenance", 5, "81301", "1064",
               "Burgemeester Roëllstraat", 12.0, 12.0, 2_000_000,
               (("gemeente_amsterdam", 420_000, 2024), ("de_alliantie", 260_000, 2024))),
    Initiative("circulair_wildeman", "Circulair Bedrijf Wildeman", "construction_maintenance", 4, "38210", "1066",
               "Wildemanbuurt", 6.0, 4.0, 0, ()),
    Initiative("catering_cooperatie", "De Catering Coöperatie", "food", 3, "56220", "1062",
               "Pieter Calandlaan", 0.0, 0.0, 0, ()),
    Initiative("kantine_moeders", "Coöperatie De Kantine Moeders U.A.", "food", 6, "56220", "1069",
               "Osdorpplein", 5.5, 5.5, 310_000,
               (("stwt", 55_000, 2023), ("hva", 70_000, 2024))),
    Initiative("osdorperweg_937", "Coöperatie Osdorperweg 937 U.A.", "food", 6, "01131", "1067",
               "Osdorperweg", 3.0, 2.0, 140_000, (("gemeente_amsterdam", 35_000, 2024),)),
)
PHASE_START_2024 = {3: "2024-03-01", 4: "2024-01-15", 5: "2023-09-01", 6: "2023-03-01"}


# A few Nieuw-West gardeners in every sample, whatever its scale, so that tender matching always has
# local candidates to rank: (rechtsvorm, statutaire naam, handelsnaam, main SBI, side SBI).
LOCAL_GARDENERS = (
    ("Besloten Vennootschap", "Tuinen van Sloten B.V.", "Tuinen van Sloten", "81301", ""),
    ("Stichting", "Stichting Buurtgroen Geuzenveld", "Buurtgroen Geuzenveld", "88999", "81302"),
    ("Eenmanszaak", "", "Hoveniersbedrijf T. Yilmaz", "81301", ""),
)


def build_initiative_sites(rng: np.random.Generator) -> pd.DataFrame:
    """KvK establishments of the registered initiatives (phase >= 5) and the sample's guaranteed local
    gardeners, with the extract's columns."""
    reg = [i for i in INITIATIVES if i.phase >= 5]
    kvk = _unique_ints(rng, 30_000_000 - 1_000, 30_000_000 - 1, len(reg))   # below the generated range
    vest = _unique_ints(rng, 900_000_001, 950_000_000, len(reg))
    rsin = _rsin(rng, len(reg))
    rows = []
    for j, i in enumerate(reg):
        letters = "".join(rng.choice(list("ABCDEGHJKLMNPRTVWXZ"), 2))
        rows.append({
            "kvk_nummer": str(kvk[j]), "vestigingsnummer": f"{vest[j]:012d}", "rsin": rsin[j],
            "statutaire_naam": i.name, "eerste_handelsnaam": i.name.replace(" U.A.", ""),
            "handelsnamen": i.name.replace(" U.A.", ""), "ind_hoofdvestiging": "Ja", "rechtsvorm": "Coöperatie",
            "straatnaam": i.street, "huisnummer": int(rng.integers(1, 200)), "huisletter": "",
            "huisnummertoevoeging": "", "postcode": f"{i.pc4}{letters}", "plaats": "Amsterdam",
            "land": "Nederland", "ind_afgeschermd": "Nee", "sbi_hoofdactiviteit": i.sbi, "sbi_nevenactiviteiten": "",
            "totaal_werkzame_personen": max(1, int(round(i.fte))),
            "registratie_datum_aanvang": PHASE_START_2024.get(5 if i.phase >= 5 else i.phase, "2024-01-01"),
            "peildatum": PEILDATUM,
            "_org": -100 - j, "_category": f"initiative:{i.key}", "_gemeente": "Amsterdam", "_stadsdeel": "F",
            "_tier": "nieuw_west", "_region": "nw_core", "_country": "NL",
        })
    gardener_kvk = _unique_ints(rng, 30_000_000 - 2_000, 30_000_000 - 1_001, len(LOCAL_GARDENERS))
    gardener_vest = _unique_ints(rng, 950_000_001, 990_000_000, len(LOCAL_GARDENERS))
    for j, (form, stat, trade, main, side) in enumerate(LOCAL_GARDENERS):
        letters = "".join(rng.choice(list("ABCDEGHJKLMNPRTVWXZ"), 2))
        rows.append({
            "kvk_nummer": str(gardener_kvk[j]), "vestigingsnummer": f"{gardener_vest[j]:012d}",
            "rsin": "" if form == "Eenmanszaak" else _rsin(rng, 1)[0], "statutaire_naam": stat,
            "eerste_handelsnaam": trade, "handelsnamen": trade, "ind_hoofdvestiging": "Ja", "rechtsvorm": form,
            "straatnaam": "Slotermeerlaan", "huisnummer": int(rng.integers(1, 200)), "huisletter": "",
            "huisnummertoevoeging": "", "postcode": f"{('1063', '1064', '1067')[j]}{letters}",
            "plaats": "Amsterdam", "land": "Nederland", "ind_afgeschermd": "Nee", "sbi_hoofdactiviteit": main,
            "sbi_nevenactiviteiten": side, "totaal_werkzame_personen": int(rng.integers(1, 20)),
            "registratie_datum_aanvang": "2015-04-01", "peildatum": PEILDATUM,
            "_org": -200 - j, "_category": "groen", "_gemeente": "Amsterdam", "_stadsdeel": "F",
            "_tier": "nieuw_west", "_region": "nw_core", "_country": "NL",
        })
    return pd.DataFrame(rows)


def build_initiative_income(spec: AnchorSpec, rng: np.random.Generator, cred: pd.DataFrame, lines: pd.DataFrame,
                            sites: pd.DataFrame, scale: float,
                            years: tuple[int, ...] = YEARS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The anchor's purchases from registered co-operative initiatives, appended to its creditors and lines
    (influenceable spend, booked on the category the initiative's sector buys under)."""
    plan = [(i, amount, first) for i in INITIATIVES for code, amount, first in i.buyers if code == spec.code]
    if not plan:
        return cred, lines
    by_key = sites.set_index(sites["_category"])
    extra = by_key.loc[[f"initiative:{i.key}" for i, *_ in plan], list(SITE_COLUMNS)].reset_index(drop=True)
    extra["_site"] = -1
    extra = _finish_creditors(spec, rng, extra, years)
    extra["supplier_ref"] = _fresh_supplier_refs(spec, rng, cred, len(extra))
    extra["_exclusion_class"] = ""
    extra["_vat"] = 21
    offset = len(cred)
    category_key = {"green_maintenance": "groen", "food": "catering", "construction_maintenance": "bouw"}
    english = spec.code == "hva"
    cc_mode = lines["cc"].mode().iat[0]
    rows = []
    for year in years:
        seq = int(lines.loc[lines["year"] == year, "inv_seq"].max())
        for j, (initiative, amount, first) in enumerate(plan):
            if year < first:
                continue
            cat = category_key[initiative.sector]
            ci = CAT_INDEX[cat]
            n = int(rng.integers(4, 13))
            w = rng.uniform(0.5, 1.5, n)
            cents = np.maximum(np.rint(amount * scale * 100 * w / w.sum()).astype(np.int64), 100)
            months = np.sort(rng.choice(12, size=n, replace=True))
            for k in range(n):
                seq += 1
                mo = int(months[k])
                tpls = (DESC_EN if english else DESC_NL)[cat]
                desc = tpls[int(rng.integers(len(tpls)))].format(
                    m=(MONTHS_EN if english else MONTHS_NL)[mo], y=year, q=f"Q{mo // 3 + 1}", w=1,
                    n=int(rng.integers(1000, 99999)))
                vat = (int(cents[k]) * 21 + 50) // 100
                rows.append({
                    "year": year, "inv_seq": seq, "line": 1,
                    "date": np.datetime64(f"{year}-{mo + 1:02d}-{int(rng.integers(1, 28)):02d}"),
                    "cred": offset + j, "credit": False, "excl": int(cents[k]), "vat_rate": 21, "vat": vat,
                    "month": mo, "gl": _gl_table(spec.code)[ci, 0], "cc": cc_mode,
                    "category": CATEGORIES[ci][1], "desc": desc,
                })
    added = pd.DataFrame(rows)
    return _appended(cred, extra, lines, added)


CPV_WITH_CHECK = {
    "77310000": "77310000-6", "77314000": "77314000-4", "55520000": "55520000-1", "55524000": "55524000-9",
    "90910000": "90910000-9", "45321000": "45321000-3", "60161000": "60161000-4", "90514000": "90514000-3",
    "79952000": "79952000-2", "45453000": "45453000-7",
}  # CPV 2008 codes with their check digit, as the EU vocabulary lists them

# Example tender calendar (action 1a.2): upcoming tenders and orders of the anchors. Titles and values
# are illustrative, not announced tenders.
TENDERS = (
    ("gemeente_amsterdam", "GA-2026-014", "Groenonderhoud openbare ruimte Nieuw-West 2026-2029", "2026-03-01",
     1_800_000, "77310000", "Perceel 1 Osdorp|Perceel 2 Slotervaart|Perceel 3 Geuzenveld-Slotermeer"),
    ("de_alliantie", "DA-2026-007", "Onderhoud binnentuinen en groen bij wooncomplexen", "2026-02-15",
     450_000, "77314000", ""),
    ("hva", "HVA-2026-003", "Catering en broodjesservice locaties Amstelcampus en Leeuwenburg", "2026-04-01",
     2_400_000, "55520000", "Perceel 1 Catering|Perceel 2 Evenementen"),
    ("stwt", "STWT-2026-002", "Schoollunches voor tien basisscholen", "2026-05-01",
     300_000, "55524000", ""),
    ("olvg", "OLVG-2026-011", "Schoonmaak polikliniek en kantoren", "2026-06-01",
     3_100_000, "90910000", ""),
    ("de_alliantie", "DA-2026-012", "Na-isolatie eengezinswoningen Slotervaart", "2026-09-01",
     5_200_000, "45321000", "Perceel 1 Dakisolatie|Perceel 2 Spouwmuur en vloer"),
    ("pantar", "PAN-2026-001", "Pakket- en koeriersdiensten Amsterdam", "2026-03-15",
     180_000, "60161000", ""),
    ("gemeente_amsterdam", "GA-2026-031", "Inzameling en recycling van grofvuil en textiel", "2026-07-01",
     950_000, "90514000", ""),
)

# Example investment-fund ledger (action 3.3); parties and amounts are illustrative.
FUND = (
    ("2024-06-15", "Gemeente Amsterdam", "commitment", "", 400_000),
    ("2024-09-01", "Stichting Doen (voorbeeld)", "commitment", "", 150_000),
    ("2025-01-20", "Regionale bank (voorbeeld)", "commitment", "", 250_000),
    ("2024-11-01", "Gemeente Amsterdam", "investment", "groen_nieuw_west", 120_000),
    ("2025-03-10", "Stichting Doen (voorbeeld)", "investment", "kantine_moeders", 45_000),
    ("2025-06-30", "Gemeente Amsterdam", "investment", "osdorperweg_937", 80_000),
)


def write_programme_inputs(out: Path, initiative_sites: pd.DataFrame) -> list[str]:
    """landing/programme/: the co-operative register (YAML), the tender calendar and the fund ledger."""
    import yaml

    folder = out / "landing" / "programme"
    folder.mkdir(parents=True, exist_ok=True)
    kvk_by_key = {row["_category"].split(":", 1)[1]: row["kvk_nummer"] for _, row in initiative_sites.iterrows()
                  if row["_category"].startswith("initiative:")}
    register = {
        "targets": {
            "worker_cooperatives": {"target": 4, "deadline": "2025-12-31",
                                    "note": "Goal 2.1: four worker co-operatives by end 2025"},
            "large_cooperative_employees": {"target": 50, "deadline": "2025-12-31",
                                            "note": "at least one potentially large co-operative (> 50 employees)"},
            "koop_lokaal_findable": {"target": 250, "deadline": "2025-06-30",
                                     "note": "Koop Lokaal: 250 findable local suppliers by mid-2025"},
            "koop_lokaal_active": {"target": 100, "deadline": "2025-06-30",
                                   "note": "Koop Lokaal: at least 100 actively taking part"},
            "investment_capacity_eur": {"target": 1_000_000, "deadline": "2025-12-31",
                                        "note": "Investment instrument: EUR 1,000,000 capacity by end 2025"},
        },
        "initiatives": [],
    }
    for i in INITIATIVES:
        phases = []
        for ph in range(1, i.phase + 1):
            start = dt.date(2022, 1, 1) + dt.timedelta(days=180 * (ph - 1))
            phases.append({"phase": ph, "started": start.isoformat()})
        entry = {
            "key": i.key, "name": i.name, "sector": i.sector, "phase": i.phase, "phases": phases,
            "worker_cooperative": True, "potential_employees": 60 if i.key == "catering_cooperatie" else None,
            "fte": i.fte, "fte_living_wage": i.fte_living_wage, "revenue_eur": i.revenue_eur,
            "revenue_year": 2025, "kvk_number": kvk_by_key.get(i.key),
        }
        register["initiatives"].append(entry)
    header = ("# Co-operative pipeline register (programme action line 2), kept by the programme's analysts.\n"
              "# Initiatives and phases from the autumn-2024 progress report; in this SYNTHETIC sample the KvK\n"
              "# numbers, dates, jobs and revenue are illustrative. Phases: 1-2 scouting/exploration, 3 team and\n"
              "# business plan, 4-5 start-up and financing, 6 operating, 7 growth.\n")
    (folder / "cooperatives.yaml").write_text(
        header + yaml.safe_dump(register, sort_keys=False, allow_unicode=True), encoding="utf-8")
    pd.DataFrame([{"anchor_code": a, "tender_id": t, "title": ti, "expected_publication": d,
                   "estimated_value_eur": v, "cpv_code": CPV_WITH_CHECK[c], "lots": lots}
                  for a, t, ti, d, v, c, lots in TENDERS]).to_csv(
        folder / "tenders.csv", index=False, encoding="utf-8", lineterminator="\n")
    pd.DataFrame([{"date": d, "party": p, "kind": k, "initiative": i, "amount_eur": a}
                  for d, p, k, i, a in FUND]).to_csv(
        folder / "fund.csv", index=False, encoding="utf-8", lineterminator="\n")
    return ["landing/programme/cooperatives.yaml", "landing/programme/tenders.csv", "landing/programme/fund.csv"]


# --------------------------------------------------------------------------------------------------
# Writers, one per layout
# --------------------------------------------------------------------------------------------------

def _excel_serial(dates: pd.Series) -> np.ndarray:
    return (dates.to_numpy().astype("datetime64[D]") - np.datetime64("1899-12-30")).astype(np.int64)


def _write_xlsx(path: Path, sheet: str, columns: list[tuple[str, str, list]], title_rows=(),
                footer: list | None = None) -> None:
    """Write a worksheet row by row (xlsxwriter constant_memory mode).

    columns: (header, kind, values) with kind 's' text (None or '' leaves the cell empty),
    'i' integer, 'n' money number, 'd' Excel date serial.
    """
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": XLSX_CREATED, "author": "synthetic", "title": sheet})
    ws = wb.add_worksheet(sheet)
    date_fmt = wb.add_format({"num_format": "dd-mm-yyyy"})
    money_fmt = wb.add_format({"num_format": "#,##0.00"})
    bold = wb.add_format({"bold": True})
    row = 0
    for t in title_rows:
        if t:
            ws.write_string(row, 0, t, bold)
        row += 1
    for c, (header, _kind, _vals) in enumerate(columns):
        ws.write_string(row, c, header, bold)
    row += 1
    ws_s, ws_n = ws.write_string, ws.write_number
    specs = [(c, kind, vals) for c, (_h, kind, vals) in enumerate(columns)]
    n = len(columns[0][2])
    for r in range(n):
        rr = row + r
        for c, kind, vals in specs:
            v = vals[r]
            if kind == "s":
                if v:
                    ws_s(rr, c, v)
            elif kind == "i":
                ws_n(rr, c, v)
            elif kind == "n":
                ws_n(rr, c, v, money_fmt)
            else:
                ws_n(rr, c, v, date_fmt)
    if footer is not None:
        rr = row + n
        for c, v in enumerate(footer):
            if isinstance(v, str):
                ws.write_string(rr, c, v, bold)
            elif v is not None:
                ws.write_number(rr, c, v, money_fmt)
    ws.freeze_panes(row, 0)
    wb.close()


def _run_now(fn, *args):
    """Default job runner of the writers: run the (XLSX) job right away."""
    fn(*args)


def _csv(df: pd.DataFrame, path: Path, sep: str, encoding: str, lineterminator: str = "\n") -> None:
    df.to_csv(path, sep=sep, encoding=encoding, index=False, lineterminator=lineterminator)


def _periods(lines: pd.DataFrame):
    """(year, file period, lines) per delivery file: a year, or "YYYY-MM" for a month delivered on its own
    (see ``split_last_month``)."""
    period = lines["period"] if "period" in lines.columns else lines["year"].astype(str)
    for p, ln in lines.groupby(period, sort=True):
        yield int(p[:4]), p, ln


def write_gemeente(lines: pd.DataFrame, cred: pd.DataFrame, out: Path, submit=_run_now) -> list[str]:
    files = []
    for year, period, ln in _periods(lines):
        c = cred.iloc[ln["cred"].to_numpy()]
        dutch = (c["_country"] == "NL").to_numpy()
        booking = ln["date"] + pd.to_timedelta((ln["inv_seq"].to_numpy() * 7919) % 21, unit="D")
        df = pd.DataFrame({
            "Factuurnummer": [f"51{year % 100:02d}{s:06d}" for s in ln["inv_seq"].tolist()],
            "Regelnummer": ln["line"].to_numpy(),
            "Factuurdatum": ln["date"].dt.strftime("%d-%m-%Y").to_numpy(),
            "Boekingsdatum": booking.dt.strftime("%d-%m-%Y").to_numpy(),
            "Crediteurnummer": c["supplier_ref"].to_numpy(),
            "Naam crediteur": c["export_name"].to_numpy(),
            "KvK-nummer": c["kvk_nummer"].to_numpy(),
            "Vestigingsnummer": np.where(c["_no_vestnr"].to_numpy(), "", c["vestigingsnummer"].to_numpy()),
            "Straat": c["straatnaam"].to_numpy(),
            "Huisnummer": np.where(dutch, c["house_display"].to_numpy(), c["huisnummer"].to_numpy()),
            "Postcode": c["pc_display"].to_numpy(),
            "Plaats": c["plaats"].to_numpy(),
            "Land": c["_country"].to_numpy(),
            "Bedrag excl. btw": _fmt_amounts(ln["excl"].to_numpy(), ",", "."),
            "Btw-bedrag": _fmt_amounts(ln["vat"].to_numpy(), ",", "."),
            "Valuta": "EUR",
            "Grootboekrekening": ln["gl"].to_numpy(),
            "Kostenplaats": ln["cc"].to_numpy(),
            "Inkoopcategorie": ln["category"].to_numpy(),
            "Omschrijving": ln["desc"].to_numpy(),
        })
        name = f"gemeente_amsterdam/crediteurenfacturen_{period}.csv"
        _csv(df, out / name, ";", "cp1252", "\r\n")
        files.append(name)
    return files


def write_hva(lines: pd.DataFrame, cred: pd.DataFrame, out: Path, submit=_run_now) -> list[str]:
    files = []
    for year, period, ln in _periods(lines):
        c = cred.iloc[ln["cred"].to_numpy()]
        df = pd.DataFrame({
            "Invoice Number": [f"AP{year}-{s:06d}" for s in ln["inv_seq"].tolist()],
            "Line Number": ln["line"].to_numpy(),
            "Invoice Date": ln["date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "Supplier Number": c["supplier_ref"].to_numpy(),
            "Supplier Name": c["export_name"].to_numpy(),
            "Chamber of Commerce No": c["kvk_nummer"].to_numpy(),
            "Address Line": c["address_line"].to_numpy(),
            "Postal Code": c["pc_display"].to_numpy(),
            "City": c["plaats"].to_numpy(),
            "Country": c["_country"].to_numpy(),
            "Net Amount": _fmt_amounts(ln["excl"].to_numpy(), ".", None),
            "VAT Amount": _fmt_amounts(ln["vat"].to_numpy(), ".", None),
            "Currency": "EUR",
            "GL Account": ln["gl"].to_numpy(),
            "Cost Center": ln["cc"].to_numpy(),
            "Description": ln["desc"].to_numpy(),
        })
        name = f"hva/hva_ap_invoices_{period}.csv"
        _csv(df, out / name, ",", "utf-8")
        files.append(name)
    return files


def write_olvg(lines: pd.DataFrame, cred: pd.DataFrame, out: Path, submit=_run_now) -> list[str]:
    files = []
    for year, period, ln in _periods(lines):
        c = cred.iloc[ln["cred"].to_numpy()]
        pc = np.where(c["_no_pc"].to_numpy(), "", c["pc_display"].to_numpy())
        land = np.where(c["_no_country"].to_numpy(), "", c["_country"].to_numpy())
        incl = ln["incl"].to_numpy()
        vat = ln["vat"].to_numpy()
        cols = [
            ("Factuurnummer", "i", [int(f"{year % 100:02d}{s:06d}") for s in ln["inv_seq"].tolist()]),
            ("Regel", "i", ln["line"].tolist()),
            ("Factuurdatum", "d", _excel_serial(ln["date"]).tolist()),
            ("Crediteurnummer", "i", c["supplier_ref"].tolist()),
            ("Crediteurnaam", "s", c["export_name"].tolist()),
            ("Adres", "s", c["address_line"].tolist()),
            ("Postcode", "s", pc.tolist()),
            ("Plaats", "s", c["plaats"].tolist()),
            ("Land", "s", land.tolist()),
            ("Bedrag incl. btw", "n", (incl / 100).tolist()),
            ("Btw-bedrag", "n", (vat / 100).tolist()),
            ("Grootboekrekening", "i", ln["gl"].astype(int).tolist()),
            ("Kostenplaats", "s", ln["cc"].tolist()),
            ("Omschrijving", "s", ln["desc"].tolist()),
        ]
        footer = ["Totaal"] + [None] * 8 + [int(incl.sum()) / 100, int(vat.sum()) / 100, None, None, None]
        name = f"olvg/olvg_inkoopfacturen_{period}.xlsx"
        submit(_write_xlsx, out / name, "Facturen", cols,
               (f"OLVG - Inkoopfacturen {period} (export AFAS Profit)", ""), footer)
        files.append(name)
    return files


def write_de_alliantie(lines: pd.DataFrame, cred: pd.DataFrame, out: Path, submit=_run_now) -> list[str]:
    files = []
    for year, period, ln in _periods(lines):
        c = cred.iloc[ln["cred"].to_numpy()]
        credit = ln["credit"].to_numpy()
        df = pd.DataFrame({
            "Boekstuknummer": [f"{year % 100:02d}70{s:06d}" for s in ln["inv_seq"].tolist()],
            "Regel": ln["line"].to_numpy(),
            "Datum": ln["date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "Soort": np.where(credit, "C", "F"),
            "Crediteur": c["supplier_ref"].to_numpy(),
            "Naam": c["export_name"].to_numpy(),
            "KvK-nummer": c["kvk_nummer"].to_numpy(),
            "Adres": c["address_line"].to_numpy(),
            "Postcode": c["pc_display"].to_numpy(),
            "Plaats": c["plaats"].to_numpy(),
            "Land": c["_country"].to_numpy(),
            "Bedrag": _fmt_amounts(np.abs(ln["excl"].to_numpy()), ",", None),
            "BTW-bedrag": _fmt_amounts(np.abs(ln["vat"].to_numpy()), ",", None),
            "Grootboek": ln["gl"].to_numpy(),
            "Kostenplaats": ln["cc"].to_numpy(),
            "Kostensoort": ln["category"].to_numpy(),
            "Omschrijving": ln["desc"].to_numpy(),
        })
        name = f"de_alliantie/exact_crediteurenfacturen_{period}.csv"
        _csv(df, out / name, ";", "utf-8-sig")
        files.append(name)
    return files


def write_stwt(lines: pd.DataFrame, cred: pd.DataFrame, out: Path, submit=_run_now) -> list[str]:
    files = []
    for year, period, ln in _periods(lines):
        c = cred.iloc[ln["cred"].to_numpy()]
        land = np.where(c["_country"].to_numpy() == "NL", "", c["_country"].to_numpy())
        cols = [
            ("Datum", "d", _excel_serial(ln["date"]).tolist()),
            ("Factuurnr", "s", [f"{year}-{s:04d}" for s in ln["inv_seq"].tolist()]),
            ("Regel", "i", ln["line"].tolist()),
            ("Crediteur", "s", c["supplier_ref"].tolist()),
            ("Leverancier", "s", c["export_name"].tolist()),
            ("Adres", "s", c["address_line"].tolist()),
            ("Postcode", "s", c["pc_display"].tolist()),
            ("Plaats", "s", c["plaats"].tolist()),
            ("Land", "s", land.tolist()),
            ("Bedrag excl. btw", "n", (ln["excl"].to_numpy() / 100).tolist()),
            ("Locatie", "s", ln["cc"].tolist()),
            ("Categorie", "s", ln["category"].tolist()),
            ("Omschrijving", "s", ln["desc"].tolist()),
        ]
        name = f"stwt/stwt_facturen_{period}.xlsx"
        submit(_write_xlsx, out / name, "Blad1", cols)
        files.append(name)
    return files


def write_pantar(lines: pd.DataFrame, cred: pd.DataFrame, out: Path, submit=_run_now) -> list[str]:
    files = []
    for year, period, ln in _periods(lines):
        c = cred.iloc[ln["cred"].to_numpy()]
        d = ln["date"]
        land = np.where(c["_country"].to_numpy() == "NL", "", c["_country"].to_numpy())
        df = pd.DataFrame({
            "Factuur": [f"PAN{year % 100:02d}{s:05d}" for s in ln["inv_seq"].tolist()],
            "Regel": ln["line"].to_numpy(),
            "Datum": [f"{a}-{b}-{y}" for a, b, y in zip(d.dt.day.tolist(), d.dt.month.tolist(),
                                                          d.dt.year.tolist(), strict=True)],
            "Crediteur": c["supplier_ref"].to_numpy(),
            "Naam": c["export_name"].to_numpy(),
            "Postcode": np.where(c["_no_pc"].to_numpy(), "", c["pc_display"].to_numpy()),
            "Plaats": c["plaats"].to_numpy(),
            "Land": land,
            "Bedrag incl btw": _fmt_amounts(ln["incl"].to_numpy(), ",", None),
            "Btw %": ln["vat_rate"].astype(str).to_numpy(),
            "Grootboek": ln["gl"].to_numpy(),
            "Kostenplaats": ln["cc"].to_numpy(),
            "Omschrijving": ln["desc"].to_numpy(),
        })
        name = f"pantar/pantar_facturen_{period}.csv"
        _csv(df, out / name, "|", "utf-8")
        files.append(name)
    return files


XLSX_ANCHORS = ("olvg", "stwt")

WRITERS = {
    "gemeente_amsterdam": write_gemeente,
    "hva": write_hva,
    "olvg": write_olvg,
    "de_alliantie": write_de_alliantie,
    "stwt": write_stwt,
    "pantar": write_pantar,
}

# Which identifying fields each export carries for a creditor (ground truth `in_export`).
def _in_export(code: str, cred: pd.DataFrame) -> list[str]:
    dutch = (cred["_country"] == "NL").to_numpy()
    out = []
    for i in range(len(cred)):
        fields = []
        if dutch[i] and code in ("gemeente_amsterdam", "hva", "de_alliantie"):
            fields.append("kvk_number")
        if dutch[i] and code == "gemeente_amsterdam" and not cred["_no_vestnr"].iat[i]:
            fields.append("vestigingsnummer")
        if not (dutch[i] and code in ("olvg", "pantar") and cred["_no_pc"].iat[i]):
            fields.append("postcode")
        out.append("|".join(fields))
    return out


# --------------------------------------------------------------------------------------------------
# Orchestration of one run
# --------------------------------------------------------------------------------------------------

GROUND_TRUTH_README = """# Ground truth of the synthetic sample data

Everything under `landing/` and here is **synthetic**: generated by `python -m ingestion.synthetic`
(seed {seed}, scale {scale}). Organisations, names, KvK numbers, vestigingsnummers, RSINs and addresses
are fictional; PC4s, gemeenten, stadsdelen and SBI 2025 codes come from the reference files so that the
geography works. Any resemblance to real organisations is accidental, except for the public payees every
anchor pays by law (Belastingdienst, the water board, the municipality, UWV, pension funds ABP, PFZW and
SPW): real names with synthetic addresses in their real PC4, so that influenceable spend can be tested.

Files:
- `creditors.csv`: one row per creditor of each anchor (anchor_code, supplier_ref). The establishment
  the creditor truly invoices from: `vestigingsnummer`, `kvk_number` (empty for foreign suppliers),
  `postcode` (Dutch as `1068AB`, foreign as delivered), `country` (ISO alpha-2), `true_stadsdeel_code`
  (Amsterdam only; drawn by address share inside the PC4, so in shared PC4s such as 1061 it can differ
  from the PC4's majority stadsdeel), `true_tier` (nieuw_west, rest_of_amsterdam, rest_of_mra,
  rest_of_netherlands, abroad) and `in_export`: the identifying fields the anchor's export carries for
  this creditor ("|"-separated, from kvk_number, vestigingsnummer, postcode; empty if none);
  `exclusion_class`: empty for ordinary purchases; for spend the anchor cannot redirect, one of
  taxes_levies, pensions_social_premiums, subsidies_grants (booked on their own ledger account or
  category) or public_bodies (booked as an ordinary purchase: only the payee's legal form tells).
- `spend_by_true_tier.csv`: anchor_code, year, true_tier, spend_eur (sum of amounts excluding VAT, credit
  notes netted), n_lines; computed from the generated lines before they were written.
- `spend_by_creditor.csv`: anchor_code, year, supplier_ref, spend_eur, n_lines: the same, per creditor, so
  a pipeline's placement can be checked line by line against `creditors.csv`.
- `spend_by_creditor_month.csv`: the same per calendar month of the invoice date (year, month 1-12).
- `manifest.json`: seed, scale, per anchor and year the number of lines and the euro total excluding VAT
  (netted), the files written, and counts for the KvK extract.

A pipeline that places suppliers by PC4 majority will differ from `true_tier` for establishments in the
shared PC4s, and lines without identifiers or postcode end up `unknown`: that gap is what this ground
truth lets you measure.
"""


def generate(out: Path, scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED,
             reference_dir: Path | None = None, workers: int | None = None,
             years: tuple[int, ...] = YEARS, split_last_month: bool = False) -> dict:
    """Generate the whole data set into `out`; returns the manifest.

    XLSX workbooks (the slow part) are written by `workers` background processes while the main process
    goes on generating; None picks min(2, cpu count) for big runs and 0 (inline) for small ones. Every
    file is written from fully generated data, so the output does not depend on the number of workers.

    ``years`` are the years with invoices (consecutive). With ``split_last_month`` the last year's December
    is delivered as a file of its own (``..._2025-12.csv``): the benchmarks' monthly refresh adds it.
    """
    years = tuple(years)
    if list(years) != list(range(years[0], years[0] + len(years))):
        raise ValueError(f"years must be consecutive: {years}")
    if scale <= 0:
        raise ValueError("scale must be positive")
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if scale >= 0.2 else 0
    if workers > 0:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            jobs: list = []
            def submit(fn, *args):
                jobs.append(pool.submit(fn, *args))

            manifest = _generate(out, scale, seed, reference_dir, submit, years, split_last_month)
            for j in jobs:
                j.result()
        return manifest
    return _generate(out, scale, seed, reference_dir, _run_now, years, split_last_month)


def _generate(out: Path, scale: float, seed: int, reference_dir: Path | None, submit,
              years: tuple[int, ...] = YEARS, split_last_month: bool = False) -> dict:
    out = Path(out)
    ref = load_reference(Path(reference_dir) if reference_dir else DEFAULT_REFERENCE_DIR)
    ss = np.random.SeedSequence(seed)
    rng_kvk, rng_foreign, *rng_anchor = (np.random.default_rng(s) for s in ss.spawn(2 + len(ANCHORS)))

    est = build_establishments(rng_kvk, ref, scale)
    foreign = build_foreign(rng_foreign, scale)
    sites = pd.concat([est[list(SITE_COLUMNS)], foreign[list(SITE_COLUMNS)]], ignore_index=True)
    # Spawned after the streams above, so adding them changed none of the regular data.
    rng_public, *rng_excluded = (np.random.default_rng(s) for s in ss.spawn(1 + len(ANCHORS)))
    public = build_public_payees(rng_public)
    rng_programme, *rng_initiative = (np.random.default_rng(s) for s in ss.spawn(1 + len(ANCHORS)))
    initiative_sites = build_initiative_sites(rng_programme)
    est = pd.concat([est, public[est.columns], initiative_sites[est.columns]], ignore_index=True)

    (out / "landing" / "kvk").mkdir(parents=True, exist_ok=True)
    (out / "ground_truth").mkdir(parents=True, exist_ok=True)
    est[list(KVK_COLUMNS)].to_csv(out / "landing" / "kvk" / "vestigingen.csv", index=False, encoding="utf-8",
                                  lineterminator="\n")

    manifest: dict = {
        "synthetic": True,
        "generator": "ingestion.synthetic",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scale": scale,
        "years": list(years),
        "kvk": {
            "file": "landing/kvk/vestigingen.csv",
            "peildatum": PEILDATUM,
            "n_organisations": int(est["kvk_nummer"].nunique()),
            "n_establishments": len(est),
            "n_establishments_shared_pc4": int(est["postcode"].str[:4].isin(NW_SHARED_PC4).sum()),
            "n_establishments_true_nieuw_west": int((est["_tier"] == "nieuw_west").sum()),
        },
        "anchors": {},
    }
    gt_cred, gt_spend, gt_by_creditor, gt_by_month, per_anchor = {}, {}, {}, {}, {}
    # Anchors with XLSX exports go first so that their workbooks are written in the background while the
    # others are generated; each anchor has its own random stream, so the order changes no output.
    rng_by_code = dict(zip((a.code for a in ANCHORS), rng_anchor, strict=True))
    rng_excluded_by_code = dict(zip((a.code for a in ANCHORS), rng_excluded, strict=True))
    rng_initiative_by_code = dict(zip((a.code for a in ANCHORS), rng_initiative, strict=True))
    for spec in sorted(ANCHORS, key=lambda a: a.code not in XLSX_ANCHORS):
        rng = rng_by_code[spec.code]
        (out / "landing" / spec.code).mkdir(parents=True, exist_ok=True)
        cred = build_creditors(spec, rng, sites, scale, years)
        lines = build_lines(spec, rng, cred, scale, years)
        cred, lines = build_excluded(spec, rng_excluded_by_code[spec.code], cred, lines, sites, public, scale,
                                     years)
        cred, lines = build_initiative_income(spec, rng_initiative_by_code[spec.code], cred, lines,
                                              initiative_sites, scale, years)
        if split_last_month:
            december = (lines["year"] == years[-1]) & (lines["date"].dt.month == 12)
            lines = lines.assign(period=np.where(december, f"{years[-1]}-12", lines["year"].astype(str)))
        files = WRITERS[spec.code](lines, cred, out / "landing", submit)

        tier = cred["_tier"].to_numpy()[lines["cred"].to_numpy()]
        agg = (pd.DataFrame({"year": lines["year"], "true_tier": tier, "excl": lines["excl"]})
               .groupby(["year", "true_tier"], sort=True)["excl"].agg(["sum", "size"]).reset_index())
        gt_spend[spec.code] = [(spec.code, r.year, r.true_tier, _euro(r.sum), r.size)
                               for r in agg.itertuples(index=False)]
        ref = cred["supplier_ref"].astype(str).to_numpy()[lines["cred"].to_numpy()]
        by_cred = (pd.DataFrame({"year": lines["year"], "supplier_ref": ref, "excl": lines["excl"]})
                   .groupby(["year", "supplier_ref"], sort=True)["excl"].agg(["sum", "size"]).reset_index())
        gt_by_creditor[spec.code] = [(spec.code, r.year, r.supplier_ref, _euro(r.sum), r.size)
                                     for r in by_cred.itertuples(index=False)]
        by_month = (pd.DataFrame({"year": lines["year"], "month": lines["date"].dt.month, "supplier_ref": ref,
                                  "excl": lines["excl"]})
                    .groupby(["year", "month", "supplier_ref"], sort=True)["excl"].agg(["sum", "size"])
                    .reset_index())
        gt_by_month[spec.code] = [(spec.code, r.year, r.month, r.supplier_ref, _euro(r.sum), r.size)
                                  for r in by_month.itertuples(index=False)]
        per_year = {}
        for year, ln in lines.groupby("year", sort=True):
            inv = ln["inv_seq"].nunique()
            per_year[str(year)] = {
                "n_lines": len(ln),
                "n_invoices": int(inv),
                "n_credit_note_lines": int(ln["credit"].sum()),
                "total_excl_vat_cents": int(ln["excl"].sum()),
                "total_excl_vat_eur": _euro(int(ln["excl"].sum())),
                "total_vat_cents": int(ln["vat"].sum()),
            }
        per_anchor[spec.code] = {
            "name": spec.name,
            "files": files,
            "n_creditors": len(cred),
            "n_lines": len(lines),
            "years": per_year,
        }
        gc = pd.DataFrame({
            "anchor_code": spec.code,
            "supplier_ref": cred["supplier_ref"].astype(str),
            "vestigingsnummer": cred["vestigingsnummer"],
            "kvk_number": cred["kvk_nummer"],
            "postcode": cred["postcode"],
            "country": cred["_country"],
            "true_stadsdeel_code": cred["_stadsdeel"],
            "true_tier": cred["_tier"],
            "in_export": _in_export(spec.code, cred),
            "exclusion_class": cred["_exclusion_class"],
        })
        gt_cred[spec.code] = gc.sort_values("supplier_ref", kind="stable")

    codes = [a.code for a in ANCHORS]
    manifest["anchors"] = {c: per_anchor[c] for c in codes}
    gt = out / "ground_truth"
    pd.concat([gt_cred[c] for c in codes], ignore_index=True).to_csv(
        gt / "creditors.csv", index=False, encoding="utf-8", lineterminator="\n")
    pd.DataFrame([row for c in codes for row in gt_spend[c]],
                 columns=["anchor_code", "year", "true_tier", "spend_eur", "n_lines"]).to_csv(
        gt / "spend_by_true_tier.csv", index=False, encoding="utf-8", lineterminator="\n")
    pd.DataFrame([row for c in codes for row in gt_by_creditor[c]],
                 columns=["anchor_code", "year", "supplier_ref", "spend_eur", "n_lines"]).to_csv(
        gt / "spend_by_creditor.csv", index=False, encoding="utf-8", lineterminator="\n")
    pd.DataFrame([row for c in codes for row in gt_by_month[c]],
                 columns=["anchor_code", "year", "month", "supplier_ref", "spend_eur", "n_lines"]).to_csv(
        gt / "spend_by_creditor_month.csv", index=False, encoding="utf-8", lineterminator="\n")
    manifest["programme"] = {"files": write_programme_inputs(out, initiative_sites)}
    manifest_text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (gt / "manifest.json").write_text(manifest_text, encoding="utf-8")
    (gt / "README.md").write_text(GROUND_TRUTH_README.format(seed=seed, scale=scale), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the synthetic CWB sample data set.")
    parser.add_argument("--out", required=True, type=Path, help="target directory (CWB_DATA_DIR)")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE, help="size factor (1.0 = ~650k lines)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--reference", type=Path, default=None,
                        help=f"reference CSV directory (default {DEFAULT_REFERENCE_DIR})")
    parser.add_argument("--years", default=None,
                        help=f"first-last year with invoices, e.g. 2016-2025 (default {YEARS[0]}-{YEARS[-1]})")
    parser.add_argument("--split-last-month", action="store_true",
                        help="deliver the last year's December as a file of its own (for refresh benchmarks)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    years = YEARS
    if args.years:
        first, _, last = args.years.partition("-")
        years = tuple(range(int(first), int(last or first) + 1))
    manifest = generate(args.out, scale=args.scale, seed=args.seed, reference_dir=args.reference, years=years,
                        split_last_month=args.split_last_month)
    n = sum(a["n_lines"] for a in manifest["anchors"].values())
    print(f"wrote {n:,} invoice lines for {len(manifest['anchors'])} anchors and "
          f"{manifest['kvk']['n_establishments']:,} KvK establishments to {args.out} "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
