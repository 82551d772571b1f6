"""Shared corpus for the personnummer check (``domain.personnummer.contains_personnummer``).

``PERSONNUMMER_FORMS``: spellings of personnummer and samordningsnummer as people type or paste them
(from Word, Excel, PDFs, phones, web forms), alone and inside a sentence. Every one must be refused.

``FALSE_POSITIVES``: what ordinary case work writes and must get through: phone numbers, dates,
times, amounts, postal codes, case codes, ids the software made, years, school years, invoice and
OCR numbers that are not date-shaped.

Both lists are imported by other tests (every free-text field of every card is tried against them):
keep the names, and keep every entry a plain ``str``.
"""

from __future__ import annotations

ZWSP = "\u200b"  # zero-width space
ZWNJ = "\u200c"  # zero-width non-joiner
ZWJ = "\u200d"  # zero-width joiner
WJ = "\u2060"  # word joiner
BOM = "\ufeff"  # zero-width no-break space
SHY = "\u00ad"  # soft hyphen
NBSP = "\u00a0"  # no-break space
NNBSP = "\u202f"  # narrow no-break space
FIGSP = "\u2007"  # figure space
LRM = "\u200e"  # left-to-right mark


def _digits(text: str, zero: str) -> str:
    """The same text with 0-9 written in another script whose zero is ``zero``."""
    return "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in text)


PERSONNUMMER_FORMS: list[str] = [
    # --- the usual forms -------------------------------------------------------------------
    "121212-1212",
    "1212121212",
    "20121212-1212",
    "201212121212",
    "121212+1212",  # over 100 years old
    "19121212+1212",
    "811218-9876",
    "811218-9875",  # wrong check digit: still a personnummer (a typo still identifies)
    "120375-1234",  # samordningsnummer: day 15 + 60
    "20120391-1234",  # samordningsnummer on the 31st
    "120361-1234",  # samordningsnummer on the 1st
    "070101-0241",  # born 1907/2007, written with the dash: a personnummer, not a phone
    "19070101-0241",
    "200701010241",
    # --- spacing ---------------------------------------------------------------------------
    "121212 1212",
    "121212  1212",  # two spaces
    "121212 - 1212",
    "121212 -1212",
    "121212- 1212",
    "121212\t1212",
    "121212\n1212",  # line break between date and tail
    "121212\r\n1212",
    f"121212{NBSP}1212",
    f"121212{NNBSP}1212",
    f"121212{FIGSP}1212",
    f"121212{NBSP}-{NBSP}1212",
    "20121212 1212",
    "20121212 - 1212",
    # --- other separators ------------------------------------------------------------------
    "121212.1212",
    "121212/1212",
    "121212_1212",
    "121212:1212",
    "121212,1212",
    "121212--1212",
    "121212–1212",  # en dash (Word, Teams)
    "121212—1212",  # em dash
    "121212‐1212",  # U+2010 hyphen
    "121212‑1212",  # U+2011 non-breaking hyphen
    "121212‒1212",  # U+2012 figure dash
    "121212―1212",  # U+2015 horizontal bar
    "121212−1212",  # U+2212 minus sign
    "121212﹣1212",  # U+FE63 small hyphen-minus
    "121212－1212",  # U+FF0D fullwidth hyphen-minus
    f"121212{SHY}1212",  # soft hyphen (invisible)
    # --- grouped dates ---------------------------------------------------------------------
    "12 12 12-1212",
    "12 12 12 - 1212",
    "12 12 12 1212",
    "12.12.12-1212",
    "12-12-12-1212",
    "2012-12-12-1212",
    "2012-03-15 - 1234",
    "2012.12.12-1212",
    "2012 12 12-1212",
    "2012 12 12 1212",
    "1212 12-1212",
    # --- invisible characters inside the number --------------------------------------------
    f"1212{ZWSP}12-1212",
    f"121212{ZWNJ}-1212",
    f"121212-{ZWJ}1212",
    f"12{WJ}1212{WJ}1212",
    f"{BOM}121212-12{BOM}12",
    f"1{ZWSP}2{ZWSP}1{ZWSP}2{ZWSP}1{ZWSP}2{ZWSP}1{ZWSP}2{ZWSP}1{ZWSP}2",
    f"{LRM}121212-1212{LRM}",
    # --- digits from other scripts ---------------------------------------------------------
    "１２１２１２－１２１２",  # fullwidth digits and hyphen
    "１２１２１２-１２１２",
    "12１212-1212",  # one fullwidth digit among ASCII ones
    _digits("121212-1212", "\u0660"),  # Arabic-Indic ٠-٩
    _digits("121212-1212", "\u06f0"),  # Extended Arabic-Indic (Persian, Urdu) ۰-۹
    _digits("121212-1212", "\u0966"),  # Devanagari ०-९
    _digits("20121212-1212", "\U0001d7ce"),  # mathematical bold 𝟎-𝟗
    "1️⃣2️⃣1️⃣2️⃣1️⃣2️⃣-1️⃣2️⃣1️⃣2️⃣",  # keycap emoji
    # --- in a sentence ---------------------------------------------------------------------
    "Eleven 12 12 12-1212 har varit frånvarande",
    "Pojken med pnr 120315-1234 har skolkat",
    "pnr:120315-1234.",
    "(201203151234)",
    "Pnr 0702151234",  # run together like a mobile number, but said to be a personnummer
    "personnummer: 0701010241",
    "Flickan (20120315-1234) bor hos mamma.",
    "Samordningsnummer 120375–1234, tolk behövs",
    "Bror: 19 12 12 12-1212, syster 121213-1213",
    "Eleven, född 12.12.12-1212, går i åk 7",
    "Se bifogad fil.\nPersonnr\n121212\n1212",
    f"Kontakt med socialtjänsten angående 121212{NBSP}1212 i morse",
    f"Uppgifter om barnet: 1212{ZWSP}12-1212 (från skolan)",
    "Barnet ١٢١٢١٢-١٢١٢ har flyttat",
    "Mamma ringde om １２１２１２－１２１２ igen",
    "Två syskon: 121212-1212,121213-1213",
    "Id 7f1af9e3211741969b981d0c14e6b449 samt 121212-1212",
    "3211741969",  # the digits of an id, typed on their own
]


FALSE_POSITIVES: list[str] = [
    "",
    # --- mobile numbers --------------------------------------------------------------------
    "0701010241",  # date-shaped and Luhn-valid, but a mobile number
    "0702151234",
    "0701234567",
    "0731234567",
    "0761212121",
    "0791212121",
    "0721212121",
    "070-101 02 41",
    "070 101 02 41",
    "070-1010241",
    "070 1010241",
    "070-10 10 241",
    "070/101 02 41",
    "(070) 101 02 41",
    "070.101.02.41",
    "+46 70 101 02 41",
    "+46 (0)70-101 02 41",
    "+46701010241",
    "46701010241",
    "0046701010241",
    "0046 70 101 02 41",
    f"070{NBSP}101{NBSP}02{NBSP}41",
    f"070{ZWSP}1010241",
    "０７０１０１０２４１",  # fullwidth digits
    "Ring mamma på 0701010241 efter kl 16",
    "Pappa nås på 070-101 02 41 eller +46 70 121 21 21",
    # --- landline numbers ------------------------------------------------------------------
    "08-123 456 78",
    "08-12 12 12",
    "08 123 456 78",
    "+46 8 123 456 78",
    "031-12 34 56",
    "031-123 45 67",
    "0480-123 45",
    "040-12 12 12",
    "0812345678",
    "Skolans expedition: 08-508 123 45",
    # --- dates and times -------------------------------------------------------------------
    "2026-11-30",
    "2026-11-30 14:00",
    "2026-11-30 1400",
    "2026-11-30T14:00:00+01:00",
    "2026-11-30T13:00:00.000Z",
    "14:00",
    "2026-11-30 - 2026-12-05",
    "2026-11-30–2026-12-05",
    "20261130-20261205",
    "261130-261205",
    "30/11 2026",
    "30/11/2026",
    "30.11.2026",
    "30.11.26 1400",
    "30 november 2026 kl. 14.00",
    "möte 2026-11-25 14.00",
    "kl 14:00-15:30",
    "14.00–15.30",
    "1400-1500",
    "20261125",
    "Mötet flyttas från 2026-11-30 1400 till 2026-12-07 0900",
    # --- amounts, postal codes, counts -----------------------------------------------------
    "12 000 kr",
    "1 212 121,50",
    "1 212 121,50 kr",
    "121 212 kr",
    "12121 kr",
    "123 45",
    "123 45 Stockholm",
    "Box 1212, 121 21 Stockholm",
    "Storgatan 12, 121 21 Stockholm",
    "3 av 12 elever",
    # --- case codes (domain/case_code.py: SSPF-YYYY-NNN, parsed forgivingly) ---------------
    "SSPF-2026-042",
    "SSPF-2026-0042",
    "SSPF-2026-014",
    "SSPF-2026-1234",
    "sspf 2026 14",
    "Se SSPF-2026-042 och SSPF-2025-117",
    "dnr 2026/1234",
    "Dnr SN 2026/0042-1.2.3",
    # --- identifiers the software made -----------------------------------------------------
    "7f1af9e3211741969b981d0c14e6b449",
    "7f1af9e3-2117-4196-9b98-1d0c14e6b449",
    "7F1AF9E3-2117-4196-9B98-1D0C14E6B449",
    "{7f1af9e3-2117-4196-9b98-1d0c14e6b449}",
    "vald: 7f1af9e3211741969b981d0c14e6b449.",
    "0a1b2c3d1212121212e4f5a6b7c8d9e0",
    "7f1af9e3211741969b981d0c14e6b449,0a1b2c3d1212121212e4f5a6b7c8d9e0",  # a multi-select's value
    "7f1af9e3-2117-4196-9b98-1d0c14e6b449,0a1b2c3d-1212-1212-12e4-f5a6b7c8d9e0",
    # --- years, ages, school years ---------------------------------------------------------
    "2012",
    "född 2012",
    "född 2012-12-12",
    "2012-2026",
    "åk 7",
    "Eleven går i åk 7, klass 7B, läsåret 2026/2027",
    "läsåret 2026-2027",
    "14 år",
    "A.B. 2012, Centrum",
    # --- invoices, OCR, organisation numbers, other numbers --------------------------------
    "123456-7890",  # month 34: not date-shaped
    "121340-1234",  # day 40
    "120015-1234",  # month 00
    "OCR 1234567890",
    "OCR 45678901234567",
    "Faktura 9955331234",
    "Bankgiro 5050-1055",
    "Swish 123 456 78 90",
    "1231181189",  # a Swish number run together: 123 is never a month
    "Plusgiro 12 34 56-7",
    "212000-0142",  # organisation number (Stockholms stad): third digit >= 2, never a date
    "Org.nr 556677-8899",
    "Clearingnummer 8327-9, konto 123 456 789-0",
    "IBAN SE45 5000 0000 0583 9825 7466",
    "Version 1.12.3",
    "Telefonmöte 2026-11-30 14:00, ring 070-101 02 41",
]
