"""Problem codes and their messages, in English (logs, warehouse) and Dutch (anchor staff's report).

Every problem the ingestion layer finds has a stable code; the text is rendered from a template with
named parameters, so the same problem reads the same everywhere.
"""

from __future__ import annotations

# code: (English template, Dutch template)
MESSAGES: dict[str, tuple[str, str]] = {
    # Rows that are rejected (kept in raw.rejected_rows).
    "amount_invalid": ("amount is not a number with at most two decimals",
                       "bedrag is geen getal met hoogstens twee decimalen"),
    "amount_empty": ("amount is empty", "bedrag is leeg"),
    "amount_too_large": ("amount is 10,000,000,000 euros or more: not a plausible invoice line",
                         "bedrag is 10.000.000.000 euro of meer: geen aannemelijke factuurregel"),
    "vat_amount_invalid": ("VAT amount is not a number", "btw-bedrag is geen getal"),
    "vat_amount_empty": ("VAT amount is empty, so the amount excluding VAT is unknown",
                         "btw-bedrag is leeg, dus het bedrag exclusief btw is onbekend"),
    "vat_rate_invalid": ("VAT rate is not a percentage between 0 and 100",
                         "btw-percentage is geen percentage tussen 0 en 100"),
    "invoice_id_empty": ("invoice id is empty", "factuurnummer is leeg"),
    "invoice_line_invalid": ("invoice line is not a whole number from 0 to 2,147,483,647",
                             "factuurregel is geen geheel getal van 0 t/m 2.147.483.647"),
    "invoice_date_invalid": ("invoice date is empty or not a date in format {formats}",
                             "factuurdatum is leeg of geen datum in formaat {formats}"),
    "invoice_date_implausible": ("invoice date is implausible (before {earliest} or more than a year ahead)",
                                 "factuurdatum is onwaarschijnlijk (voor {earliest} of meer dan een jaar vooruit)"),
    "supplier_unknown": ("supplier reference and supplier name are both empty",
                         "crediteurnummer en leveranciersnaam zijn allebei leeg"),
    "currency_unsupported": ("currency {value} is not EUR and no exchange rate is configured",
                             "valuta {value} is geen EUR en er is geen wisselkoers ingesteld"),
    "duplicate_line": ("duplicate invoice line: already delivered in {first_file} row {first_row}",
                       "dubbele factuurregel: al geleverd in {first_file} rij {first_row}"),
    # Fields that are emptied; the row and its euros are kept (raw.field_issues).
    "kvk_number_invalid": ("KvK number is not 8 digits; emptied", "KvK-nummer is geen 8 cijfers; leeggemaakt"),
    "vestigingsnummer_invalid": ("vestigingsnummer is not 12 digits; emptied",
                                 "vestigingsnummer is geen 12 cijfers; leeggemaakt"),
    "postcode_invalid": ("not a Dutch postcode (1234 AB); emptied",
                         "geen Nederlandse postcode (1234 AB); leeggemaakt"),
    "vat_number_invalid": ("VAT number has a wrong format or check digits; emptied",
                           "btw-nummer heeft een verkeerd formaat of controlegetal; leeggemaakt"),
    "iban_invalid": ("IBAN has a wrong format or checksum; emptied",
                     "IBAN heeft een verkeerd formaat of controlegetal; leeggemaakt"),
    "country_unknown": ("country is not a two-letter code or a known country name; kept as ZZ (unknown, "
                        "placed abroad)",
                        "land is geen tweeletterige landcode of bekende landnaam; bewaard als ZZ (onbekend, "
                        "geplaatst als buitenland)"),
    "cpv_code_invalid": ("CPV code is not 8 digits with an optional check digit; emptied",
                         "CPV-code is geen 8 cijfers met eventueel controlecijfer; leeggemaakt"),
    "booking_period_invalid": ("booking period is not a year and month (2024-03 or 202403); emptied",
                               "boekingsperiode is geen jaar en maand (2024-03 of 202403); leeggemaakt"),
    # Whole files.
    "file_empty": ("the file is empty", "het bestand is leeg"),
    "file_unreadable": ("the file cannot be read as {format}: {detail}",
                        "het bestand kan niet gelezen worden als {format}: {detail}"),
    "file_encoding": ("the file cannot be decoded as {encoding} (byte {byte} at position {position}, line "
                      "{line}): check 'encoding' in the anchor's configuration",
                      "het bestand kan niet gelezen worden als {encoding} (byte {byte} op positie {position}, "
                      "regel {line}): controleer 'encoding' in de configuratie"),
    "file_looks_utf8": ("the file is configured as {encoding} but is UTF-8 encoded: names would be garbled "
                        "(e.g. 'CafÃ©'); set 'encoding: utf-8'",
                        "het bestand staat ingesteld als {encoding} maar is UTF-8: namen zouden verminkt raken "
                        "(bijv. 'CafÃ©'); zet 'encoding: utf-8'"),
    "columns_missing": ("required column(s) {columns} not in the file{hint}",
                        "verplichte kolom(men) {columns} ontbreken in het bestand{hint}"),
    "columns_missing_optional": ("column(s) {columns} not in the file; those fields are left empty{hint}",
                                 "kolom(men) {columns} ontbreken; die velden blijven leeg{hint}"),
    "file_duplicate": ("same content as {duplicate_of}: not counted again",
                       "zelfde inhoud als {duplicate_of}: niet nog eens geteld"),
    "file_superseded": ("replaced by the later delivery {superseded_by} of period {period}",
                        "vervangen door de latere levering {superseded_by} voor periode {period}"),
}

# Shorter wording for the summary per problem type, where the full message names one row's details.
SUMMARY: dict[str, tuple[str, str]] = {
    "duplicate_line": ("duplicate invoice line (already delivered earlier in the file)",
                       "dubbele factuurregel (eerder in het bestand al geleverd)"),
    "currency_unsupported": ("currency is not EUR and no exchange rate is configured",
                             "valuta is geen EUR en er is geen wisselkoers ingesteld"),
}

# Dutch names of canonical fields, for the anchor staff's report.
FIELD_NL = {
    "invoice_id": "factuurnummer", "invoice_line": "factuurregel", "invoice_date": "factuurdatum",
    "booking_period": "boekingsperiode", "supplier_ref": "crediteurnummer", "supplier_name": "leveranciersnaam",
    "kvk_number": "KvK-nummer", "vestigingsnummer": "vestigingsnummer", "vat_number": "btw-nummer",
    "iban": "IBAN", "supplier_street": "straat", "supplier_house_number": "huisnummer",
    "supplier_postcode": "postcode", "supplier_city": "plaats", "supplier_country": "land", "amount": "bedrag",
    "vat_amount": "btw-bedrag", "vat_rate": "btw-percentage", "currency": "valuta",
    "ledger_account": "grootboekrekening", "cost_centre": "kostenplaats", "category": "categorie",
    "cpv_code": "CPV-code", "description": "omschrijving",
}


def render(code: str, lang: str = "en", summary: bool = False, **params) -> str:
    """The message for a problem code, in English (``en``) or Dutch (``nl``); ``summary`` picks the
    wording for a count of such problems where one exists."""
    english, dutch = SUMMARY[code] if summary and code in SUMMARY else MESSAGES[code]
    template = dutch if lang == "nl" else english
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
