import pytest

from domain.personnummer import contains_personnummer, luhn_ok

REFUSED = [
    "120315-1234",
    "120315+1234",  # over 100 years old form
    "1203151234",
    "20120315-1234",
    "201203151234",
    "19120315-1234",
    "120315 - 1234",
    "120315 -1234",
    "120315- 1234",
    "120315 1234",
    "20120315 - 1234",
    "120315–1234",  # en dash from Word/Teams
    "2012-03-15-1234",
    "120375-1234",  # samordningsnummer: day 15 + 60
    "20120391-1234",  # samordningsnummer on the 31st
    "Pojken med pnr 120315-1234 har skolkat",
    "pnr:120315-1234.",
    "(201203151234)",
    "pnr 0702151234",  # run together like a mobile number, but the text says it is a personnummer
    "070215-1234",  # with its dash it is a personnummer, not a phone number
    "811218-9875",  # wrong check digit (9876 would be right) is still a personnummer
]

ALLOWED = [
    "",
    "070-123 45 67",
    "070 123 45 67",
    "0701234567",  # mobile number run together, fails Luhn
    "0702151234",  # mobile number run together; date-shaped and Luhn-valid, still a mobile number
    "0701010241",
    "+46 70 123 45 67",
    "46701234567",
    "08-123 456 78",
    "2012",
    "född 2012",
    "SSPF-2026-014",
    "SSPF-2026-1234",
    "2026-11-25",
    "möte 2026-11-25 14.00",
    "2026-11-25 1400",
    "20261125",
    "123456-7890",  # month 34: not date-shaped
    "121340-1234",  # day 40: neither a day nor a samordningsnummer day
    "120015-1234",  # month 00
    "A.B. 2012, Centrum",
    "dnr 2026/1234",
]


@pytest.mark.parametrize("text", REFUSED)
def test_personnummer_shapes_are_refused(text: str) -> None:
    assert contains_personnummer(text), text


@pytest.mark.parametrize("text", ALLOWED)
def test_ordinary_numbers_are_not_mistaken_for_personnummer(text: str) -> None:
    assert not contains_personnummer(text), text


def test_luhn_tells_valid_from_invalid_check_digit() -> None:
    assert luhn_ok("8112189876")
    assert not luhn_ok("8112189875")
    assert luhn_ok("0702151234")
    assert not luhn_ok("0701234567")


def test_identifiers_the_software_made_are_not_personnummer() -> None:
    # Seen in CI: a guardian's row id whose digits "3211741969" read as a samordningsnummer
    # (day 74 = 14 + 60), so that guardian's consent could never be recorded.
    assert not contains_personnummer("7f1af9e3211741969b981d0c14e6b449")
    assert not contains_personnummer("7f1af9e3-2117-4196-9b98-1d0c14e6b449")  # an Entra object id
    assert not contains_personnummer("vald: 7f1af9e3211741969b981d0c14e6b449.")
    # the same digits typed on their own, or a personnummer beside an id, are still refused
    assert contains_personnummer("3211741969")
    assert contains_personnummer("7f1af9e3211741969b981d0c14e6b449 121212-1212")
    # an id only counts whole: 31 hex digits plus more text is not one
    assert contains_personnummer("x7f1af9e3211741969b981d0c14e6b44")
