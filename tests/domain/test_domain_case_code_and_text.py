import pytest

from domain.case_code import (
    find_case_code,
    format_case_code,
    next_case_code,
    parse_case_code,
    split_case_code,
)
from domain.text import normalize_command, strip_diacritics


def test_format_pads_to_three_digits_and_grows_past_999() -> None:
    assert format_case_code(2026, 14) == "SSPF-2026-014"
    assert format_case_code(2026, 1000) == "SSPF-2026-1000"


@pytest.mark.parametrize("bad", [(2026, 0), (26, 1)])
def test_format_rejects_impossible_codes(bad: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        format_case_code(*bad)


@pytest.mark.parametrize(
    "typed",
    [
        "SSPF-2026-014",
        "sspf 2026 14",
        "sspf2026014",
        "SSPF 2026-14",
        " Sspf-2026-014. ",
        "sspf–2026–14",
        "sspf_2026_014",
    ],
)
def test_sloppy_typing_lands_on_the_canonical_code(typed: str) -> None:
    assert parse_case_code(typed) == "SSPF-2026-014"


@pytest.mark.parametrize(
    "typed", ["2026-014", "SSPF-26-14", "SSPF-2026-000", "SSPF-2026-014 extra", "xSSPF-2026-014", ""]
)
def test_non_codes_parse_to_none(typed: str) -> None:
    assert parse_case_code(typed) is None


def test_find_case_code_in_a_command_line() -> None:
    assert find_case_code("boka möte för sspf 2026 7 nästa vecka") == "SSPF-2026-007"
    assert find_case_code("visa SSPF-2026-1234") == "SSPF-2026-1234"
    assert find_case_code("visa mina ärenden") is None


def test_next_code_continues_after_the_highest_of_the_year() -> None:
    existing = {"SSPF-2026-001", "SSPF-2026-009", "SSPF-2025-120", "trasig"}
    assert next_case_code(2026, existing) == "SSPF-2026-010"
    assert next_case_code(2027, existing) == "SSPF-2027-001"
    assert split_case_code("sspf 2026 9") == (2026, 9)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("<at>SSPF-bot</at> Boka MÖTE", "boka mote"),
        ("  Nytt   ärende!  ", "nytt arende"),
        ("<p>Visa <b>åtgärder</b></p>", "visa atgarder"),
        ("Café&nbsp;möte?", "cafe mote"),
        ("Hjälp...", "hjalp"),
        ("<at id='0'>Bot</at>\n<at id='1'>Anna</at> status sspf 2026 14.", "status sspf 2026 14"),
    ],
)
def test_commands_match_however_they_are_typed(typed: str, expected: str) -> None:
    assert normalize_command(typed) == expected


def test_diacritics_are_removed_but_letters_kept() -> None:
    assert strip_diacritics("Åsa Öberg Ängelholm é") == "Asa Oberg Angelholm e"
