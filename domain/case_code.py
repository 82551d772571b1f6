"""Pseudonymous case codes (SSPF-2026-014): the only way a case is named in Teams messages.

Users type codes sloppily ("sspf 2026 14"), so parsing is forgiving; output is always canonical,
so the same case is never stored or looked up under two spellings.

i18n keys emitted: none (callers refuse unknown codes with their own keys).
"""

from __future__ import annotations

import re

I18N_KEYS: frozenset[str] = frozenset()

PREFIX = "SSPF"

_CODE = re.compile(
    r"(?<![A-Za-z0-9])sspf[\s\-_–]*(\d{4})[\s\-_/–]*(\d{1,5})(?![\d])",
    re.IGNORECASE,
)


def format_case_code(year: int, seq: int) -> str:
    """Canonical code; three-digit padding keeps codes sortable for the first 999 cases a year."""
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have four digits: {year}")
    if seq < 1:
        raise ValueError(f"sequence starts at 1: {seq}")
    return f"{PREFIX}-{year}-{seq:03d}"


def _canonical(match: re.Match[str]) -> str | None:
    year, seq = int(match.group(1)), int(match.group(2))
    if seq < 1 or year < 1000:
        return None
    return format_case_code(year, seq)


def parse_case_code(text: str) -> str | None:
    """The canonical code when the whole text is a case code, else None."""
    stripped = text.strip().strip(".,;:!?")
    match = _CODE.fullmatch(stripped)
    return _canonical(match) if match else None


def find_case_code(text: str) -> str | None:
    """The first case code in a command line such as "boka möte sspf 2026 14 nästa vecka"."""
    for match in _CODE.finditer(text):
        code = _canonical(match)
        if code:
            return code
    return None


def split_case_code(code: str) -> tuple[int, int]:
    """Year and sequence of a code, for numbering the next case of the year."""
    canonical = parse_case_code(code)
    if canonical is None:
        raise ValueError(f"not a case code: {code!r}")
    _, year, seq = canonical.split("-")
    return int(year), int(seq)


def next_case_code(year: int, existing_codes: list[str] | set[str] | frozenset[str]) -> str:
    """Next free code of the year; gaps from deleted cases are not reused, so codes stay unique."""
    highest = 0
    for code in existing_codes:
        try:
            code_year, seq = split_case_code(code)
        except ValueError:
            continue
        if code_year == year:
            highest = max(highest, seq)
    return format_case_code(year, highest + 1)
