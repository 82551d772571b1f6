"""Reading enum choices and lists from raw form input, the same way on every form.

Cards send stored values ("kriminella_grupper"), but typed commands bring Swedish words
("Kriminella grupper", "Utåtagerande", "Top 5"); both must land on the same member.

i18n keys emitted: none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from domain.text import normalize_command

I18N_KEYS: frozenset[str] = frozenset()

E = TypeVar("E", bound=StrEnum)

# Swedish spellings whose diacritic-free form differs from the stored value.
_ALIASES = {
    "utatagerande": "utagerande",
    "socialtjansten": "socialtjanst",
    "vardnadshavaren": "vardnadshavare",
    "sakerhetochberedskap": "sakerhet",
    "skolan": "skola",
    "polisen": "polis",
}


def parse_choice(enum: type[E], text: str) -> E | None:
    """The member matching a stored value or a typed Swedish label, else None."""
    squashed = re.sub(r"[\s_\-]", "", normalize_command(text))
    squashed = _ALIASES.get(squashed, squashed)
    for member in enum:
        if member.value.replace("_", "") == squashed:
            return member
    return None


def split_list(raw_value: Any) -> list[str]:
    """A multi-select arrives as "a,b" from Adaptive Cards or as a list from tests and commands."""
    if raw_value is None:
        return []
    parts: Iterable[Any] = re.split(r"[,;]", raw_value) if isinstance(raw_value, str) else raw_value
    return [str(p).strip() for p in parts if p is not None and str(p).strip()]


def raw_text(raw: Any, name: str) -> str:
    """A form field as stripped text; missing and None read as empty."""
    value = raw.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(v) for v in value)
    return str(value).strip()


def parse_iso_date(text: str) -> date | None:
    """Adaptive Card Input.Date sends YYYY-MM-DD; anything else is not a date to us."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None
