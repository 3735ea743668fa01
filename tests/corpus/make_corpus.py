"""Write the corpus of deliberately broken delivery files (``tests/corpus/cases/<case>/``).

Run once to (re)create the committed files:

    .venv/bin/python tests/corpus/make_corpus.py            # writes tests/corpus/cases/
    .venv/bin/python tests/corpus/make_corpus.py --out DIR  # writes DIR/<case>/ (the tests compare)

Every case folder holds the delivered file(s) and, when the case needs a setting other than
``tests/corpus/corpus.yaml``, an ``override.yaml`` whose keys replace the base configuration's.
The output is byte-for-byte deterministic (no clock, no randomness), so ``tests/test_corpus.py`` can
check that the committed files are exactly what this script writes. What each case is and the outcome
it must have are documented in ``tests/corpus/README.md`` and asserted in ``tests/test_corpus.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from pathlib import Path

import xlsxwriter
import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "cases"

HEADER = [
    "Factuurnummer", "Regelnummer", "Factuurdatum", "Crediteurnummer", "Naam crediteur", "KvK-nummer",
    "Btw-nummer", "IBAN", "Postcode", "Plaats", "Bedrag excl. btw", "Btw-bedrag", "Valuta", "Omschrijving",
]

# Creditor number -> (name, KvK-nummer, btw-nummer, IBAN, postcode, plaats). KvK numbers are made up
# (8 digits); the btw-nummers and IBANs have valid check digits.
SUPPLIERS = {
    "CR1001": ("Bakkerij Van der Meer B.V.", "34123456", "NL805236417B01", "NL91ABNA0417164300", "1063 AB",
               "Amsterdam"),
    "CR1002": ("Schoonmaakbedrijf Slotervaart", "58213647", "NL813275465B01", "NL20INGB0001234567", "1065 BC",
               "Amsterdam"),
    "CR1003": ("Café De Eenhoorn", "71234598", "NL850119327B01", "NL44RABO0123456789", "1068 SV", "Amsterdam"),
    "CR1004": ("Drukkerij Geuzenveld V.O.F.", "60123987", "NL123456782B01", "NL12TRIO0198765432", "1067 GH",
               "Amsterdam"),
    "CR1005": ("Groenvoorziening Osdorp", "81726354", "", "NL36INGB0007654321", "1069 KL", "Amsterdam"),
}


def line(invoice: str, regel: int | str, datum: str, crediteur: str, bedrag: str, btw: str,
         omschrijving: str = "", valuta: str = "EUR", **fields: str) -> list[str]:
    """One export row; ``fields`` overrides a supplier attribute (kvk, btw_nummer, iban, postcode, naam)."""
    naam, kvk, btw_nummer, iban, postcode, plaats = SUPPLIERS[crediteur]
    naam = fields.get("naam", naam)
    kvk = fields.get("kvk", kvk)
    btw_nummer = fields.get("btw_nummer", btw_nummer)
    iban = fields.get("iban", iban)
    postcode = fields.get("postcode", postcode)
    return [invoice, str(regel), datum, crediteur, naam, kvk, btw_nummer, iban, postcode, plaats, bedrag, btw,
            valuta, omschrijving]


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    """Semicolon CSV with CRLF line ends, as a Windows accounts-payable export writes it."""
    return "".join(";".join(r) + "\r\n" for r in [header, *rows])


def utf8(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    return csv_text(rows, header).encode("utf-8")


# ------------------------------------------------------------------------------------------------
# The rows shared by several cases.

JAN = [
    line("F24-0101", 1, "08-01-2024", "CR1001", "1.250,00", "112,50", "Brood en banket januari"),
    line("F24-0102", 1, "09-01-2024", "CR1002", "3.480,25", "730,85", "Schoonmaak kantoor Osdorpplein"),
    line("F24-0103", 1, "10-01-2024", "CR1003", "-150,00", "-31,50", "Creditnota lunch 5 januari"),
]
FEB = [
    line("F24-0201", 1, "05-02-2024", "CR1004", "845,00", "177,45", "Drukwerk nieuwsbrief"),
    line("F24-0202", 1, "12-02-2024", "CR1005", "2.100,00", "441,00", "Snoeiwerk Sloterplas"),
    line("F24-0202", 2, "12-02-2024", "CR1005", "-100,00", "-21,00", "Korting snoeiwerk"),
]
FEB_CORRECTED = [
    line("F24-0201", 1, "05-02-2024", "CR1004", "854,00", "179,34", "Drukwerk nieuwsbrief (gecorrigeerd)"),
    line("F24-0202", 1, "12-02-2024", "CR1005", "2.100,00", "441,00", "Snoeiwerk Sloterplas"),
    line("F24-0202", 2, "12-02-2024", "CR1005", "-100,00", "-21,00", "Korting snoeiwerk"),
    line("F24-0203", 1, "28-02-2024", "CR1001", "412,50", "37,13", "Brood en banket februari"),
]
MAR = [
    line("F24-0301", 1, "04-03-2024", "CR1002", "3.480,25", "730,85", "Schoonmaak kantoor Osdorpplein"),
]
TOTALS_BODY = [
    line("F24-0111", 1, "15-01-2024", "CR1001", "500,00", "45,00", "Catering bewonersavond"),
    line("F24-0112", 1, "16-01-2024", "CR1004", "1.000,00", "210,00", "Flyers buurtfestival"),
    line("F24-0113", 1, "17-01-2024", "CR1003", "-75,50", "-15,86", "Creditnota"),
]
TOTALS_FOOTER = [
    ["Totaal", "", "", "", "", "", "", "", "", "", "1.424,50", "239,14", "EUR", ""],
    ["Geëxporteerd op 01-02-2024 08:15 door FIN-EXPORT"] + [""] * (len(HEADER) - 1),
]


def xlsx_merged_title(path: Path) -> None:
    """A spreadsheet export: a title merged over all columns, a merged subtitle, then the header in row 3."""
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"title": "Crediteurenfacturen", "created": dt.datetime(2024, 2, 1, 8, 0, 0)})
    ws = wb.add_worksheet("Facturen")
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    sub = wb.add_format({"italic": True, "align": "center"})
    bold = wb.add_format({"bold": True})
    date = wb.add_format({"num_format": "dd-mm-yyyy"})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws.merge_range(0, 0, 0, len(HEADER) - 1, "Crediteurenfacturen januari 2024", title)
    ws.merge_range(1, 0, 1, 5, "Bron: financieel systeem, afdeling Inkoop", sub)
    ws.write_row(2, 0, HEADER, bold)
    data = [
        ("F24-0121", 1, dt.datetime(2024, 1, 22), "CR1001", 1234.56, 111.11, "Brood en banket"),
        ("F24-0122", 1, dt.datetime(2024, 1, 23), "CR1002", 99.99, 21.0, "Glasbewassing"),
        ("F24-0123", 1, dt.datetime(2024, 1, 24), "CR1003", -40.0, -8.4, "Creditnota"),
    ]
    for i, (inv, regel, datum, ref, bedrag, btw, oms) in enumerate(data, start=3):
        naam, kvk, btw_nummer, iban, postcode, plaats = SUPPLIERS[ref]
        ws.write_string(i, 0, inv)
        ws.write_number(i, 1, regel)
        ws.write_datetime(i, 2, datum, date)
        ws.write_string(i, 3, ref)
        ws.write_string(i, 4, naam)
        ws.write_number(i, 5, int(kvk))  # a KvK number typed into a number cell
        ws.write_string(i, 6, btw_nummer)
        ws.write_string(i, 7, iban)
        ws.write_string(i, 8, postcode)
        ws.write_string(i, 9, plaats)
        ws.write_number(i, 10, bedrag, money)
        ws.write_number(i, 11, btw, money)
        ws.write_string(i, 12, "EUR")
        ws.write_string(i, 13, oms)
    wb.close()


def cases() -> dict[str, dict]:
    """case -> {"override": dict or None, "files": {name: bytes, or a callable writing the file}}."""
    renamed = ["Factuur datum" if h == "Factuurdatum" else h for h in HEADER]
    amount_at = HEADER.index("Bedrag excl. btw")
    no_amount = [h for h in HEADER if h != "Bedrag excl. btw"]
    ragged = [*JAN[:1], line("F24-0104", 1, "11-01-2024", "CR1004", "95,00", "19,95", "Visitekaartjes; 500 stuks"),
              *JAN[1:]]
    return {
        "wrong_encoding": {
            "override": None,  # configured utf-8, delivered as Windows-1252
            "files": {"crediteurenfacturen_2024-01.csv": csv_text(JAN).encode("cp1252")},
        },
        "utf8_configured_cp1252": {
            "override": {"encoding": "cp1252"},
            "files": {"crediteurenfacturen_2024-01.csv": utf8(JAN)},
        },
        "bom": {
            "override": None,  # configured utf-8, delivered with a byte-order mark
            "files": {"crediteurenfacturen_2024-01.csv": csv_text(JAN).encode("utf-8-sig")},
        },
        "missing_column": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8(
                [r[:amount_at] + r[amount_at + 1:] for r in JAN], no_amount)},
        },
        "renamed_column": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8(JAN, renamed)},
        },
        "date_formats": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8([
                line("F24-0131", 1, "15-01-2024", "CR1001", "100,00", "9,00", "dd-mm-jjjj"),
                line("F24-0132", 1, "2024-01-16", "CR1002", "200,00", "42,00", "jjjj-mm-dd"),
                line("F24-0133", 1, "17/01/2024", "CR1003", "300,00", "63,00", "dd/mm/jjjj"),
                line("F24-0134", 1, "3-1-2024", "CR1004", "400,00", "84,00", "d-m-jjjj zonder voorloopnullen"),
            ])},
        },
        "text_in_amounts": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8([
                line("F24-0141", 1, "08-01-2024", "CR1001", "250,00", "22,50", "Brood"),
                line("F24-0142", 1, "08-01-2024", "CR1002", "n.v.t.", "0,00", "Bedrag onbekend"),
                line("F24-0143", 1, "09-01-2024", "CR1003", "12,3,4", "0,00", "Tikfout"),
                line("F24-0144", 1, "09-01-2024", "CR1004", "", "", "Bedrag vergeten"),
                line("F24-0145", 1, "10-01-2024", "CR1005", "-19,99", "-4,20", "Creditnota"),
            ])},
        },
        "thousands_separators": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8([
                line("F24-0151", 1, "08-01-2024", "CR1004", "1.234.567,89", "259.259,26", "Nieuwbouw buurthuis"),
                line("F24-0152", 1, "09-01-2024", "CR1004", "-2.500,00", "-525,00", "Creditnota meerwerk"),
                line("F24-0153", 1, "10-01-2024", "CR1001", "1.000", "90", "Zonder decimalen"),
                line("F24-0154", 1, "11-01-2024", "CR1002", "0,05", "0,01", "Afrondingsverschil"),
            ])},
        },
        "empty_file": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": b""},
        },
        "headers_only": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8([])},
        },
        "xlsx_merged_title": {
            "override": {"format": "xlsx", "files": "corpus/*.xlsx", "sheet": "Facturen", "skip_rows": 2},
            "files": {"crediteurenfacturen_2024-01.xlsx": xlsx_merged_title},
        },
        "totals_skip_footer": {
            "override": {"skip_footer": 2},
            "files": {"crediteurenfacturen_2024-01.csv": utf8([*TOTALS_BODY, *TOTALS_FOOTER])},
        },
        "totals_without_skip_footer": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8([*TOTALS_BODY, *TOTALS_FOOTER])},
        },
        "delivered_twice": {
            "override": None,
            "files": {
                "crediteurenfacturen_2024-01.csv": utf8(JAN),
                "kopie van crediteurenfacturen_2024-01.csv": utf8(JAN),
            },
        },
        "corrected_redelivery": {
            "override": {"period_pattern": r"_(?P<year>\d{4})-(?P<month>\d{2})"},
            "files": {
                "crediteurenfacturen_2024-02.csv": utf8(FEB),
                "crediteurenfacturen_2024-02_correctie.csv": utf8(FEB_CORRECTED),
                "crediteurenfacturen_2024-03.csv": utf8(MAR),
            },
        },
        "broken_redelivery": {
            "override": {"period_pattern": r"_(?P<year>\d{4})-(?P<month>\d{2})"},
            "files": {
                "crediteurenfacturen_2024-02.csv": utf8(FEB),
                "crediteurenfacturen_2024-02_correctie.csv": utf8(
                    [r[:amount_at] + r[amount_at + 1:] for r in FEB_CORRECTED], no_amount),
            },
        },
        "invalid_identifiers": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8([
                line("F24-0161", 1, "08-01-2024", "CR1001", "100,00", "9,00", "IBAN controlegetal fout",
                     iban="NL91ABNA0417164301"),
                line("F24-0162", 1, "08-01-2024", "CR1002", "200,00", "42,00", "btw-nummer controlegetal fout",
                     btw_nummer="NL123456789B01"),
                line("F24-0163", 1, "09-01-2024", "CR1003", "300,00", "63,00", "KvK-nummer 9 cijfers",
                     kvk="712345981"),
                line("F24-0164", 1, "09-01-2024", "CR1004", "400,00", "84,00", "alle drie fout",
                     iban="GEEN", btw_nummer="NL12345678B01", kvk="KvK 6012"),
                line("F24-0165", 1, "10-01-2024", "CR1005", "500,00", "105,00", "geldig, met spaties en punten",
                     iban="NL36 INGB 0007 6543 21", btw_nummer="nl 1234.56.782.B01", kvk="8172.6354"),
            ])},
        },
        "non_eur_currency": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8([
                line("F24-0171", 1, "08-01-2024", "CR1001", "100,00", "9,00", "Euro"),
                line("F24-0172", 1, "08-01-2024", "CR1002", "1.500,00", "0,00", "Software-licentie VS",
                     valuta="USD"),
                line("F24-0173", 1, "09-01-2024", "CR1003", "200,00", "42,00", "valuta kleine letters",
                     valuta="eur"),
                line("F24-0174", 1, "09-01-2024", "CR1004", "300,00", "63,00", "valuta leeg", valuta=""),
            ])},
        },
        "duplicate_lines_in_file": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8([
                line("F24-0181", 1, "08-01-2024", "CR1001", "100,00", "9,00", "Brood"),
                line("F24-0181", 2, "08-01-2024", "CR1001", "50,00", "4,50", "Gebak"),
                line("F24-0181", 1, "08-01-2024", "CR1001", "100,00", "9,00", "Brood"),
                line("F24-0182", 1, "09-01-2024", "CR1002", "75,00", "15,75", "Ramen"),
            ])},
        },
        "duplicate_lines_across_files": {
            "override": None,
            "files": {
                "crediteurenfacturen_2024-01.csv": utf8(JAN),
                "crediteurenfacturen_2024-02.csv": utf8([
                    FEB[0],
                    line("F24-0102", 1, "09-01-2024", "CR1002", "3.480,25", "730,85",
                         "Schoonmaak kantoor Osdorpplein (nogmaals)"),
                    *FEB[1:],
                ]),
            },
        },
        "ragged_row": {
            "override": None,  # an unquoted ";" inside Omschrijving makes row 3 one field too long
            "files": {"crediteurenfacturen_2024-01.csv": utf8(ragged)},
        },
        # Known bugs (xfail in tests/test_corpus.py until fixed; see README.md).
        "blank_line_in_csv": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": csv_text(JAN[:1]).encode("utf-8") + b"\r\n"
                      + "".join(";".join(r) + "\r\n" for r in JAN[1:]).encode("utf-8")},
        },
        "totals_then_empty_row": {
            "override": {"skip_footer": 2},
            "files": {"crediteurenfacturen_2024-01.csv": utf8([*TOTALS_BODY, *TOTALS_FOOTER, [""] * len(HEADER)])},
        },
        "vat_number_without_prefix": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8([
                line("F24-0201", 1, "08-01-2024", "CR1004", "845,00", "177,45", "btw-nummer zonder NL",
                     btw_nummer="123456782B01"),
                line("F24-0202", 1, "08-01-2024", "CR1005", "2.100,00", "441,00", "geen btw-nummer",
                     btw_nummer="n.v.t."),
            ])},
        },
        "decimal_point_amount": {
            "override": None,
            "files": {"crediteurenfacturen_2024-01.csv": utf8([
                line("F24-0191", 1, "08-01-2024", "CR1001", "12.50", "1,13", "punt als decimaalteken"),
                line("F24-0192", 1, "08-01-2024", "CR1002", "1.5", "0,32", "punt als decimaalteken"),
                line("F24-0193", 1, "09-01-2024", "CR1003", "1.234,56", "259,26", "correct"),
            ])},
        },
    }


def write_corpus(out: Path = DEFAULT_OUT) -> list[Path]:
    """Write every case into ``out/<case>/``; returns the files written."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    written = []
    for name, case in cases().items():
        folder = out / name
        folder.mkdir(parents=True)
        for file_name, content in case["files"].items():
            path = folder / file_name
            if callable(content):
                content(path)
            else:
                path.write_bytes(content)
            written.append(path)
        if case["override"]:
            path = folder / "override.yaml"
            path.write_text(yaml.safe_dump(case["override"], sort_keys=True, allow_unicode=True), encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    for p in write_corpus(args.out):
        print(p)
