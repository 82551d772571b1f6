"""Turning ``domain.refusal.Refusal`` objects into the Swedish sentence a user reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.i18n import Translator
from domain.personnummer import contains_personnummer
from domain.refusal import Refusal

HIDDEN = "…"

# A personnummer typed where a person's name, phone or e-mail goes: "use initials and the case code" is
# the advice for case fields, not for a guardian's name or a phone number, so these fields say what fits.
PERSONNUMMER_IN_FIELD = {
    "member_name": "privacy.personnummer_in_name",
    "contact_name": "privacy.personnummer_in_name",
    "member_email": "privacy.personnummer_in_email",
    "contact_email": "privacy.personnummer_in_email",
    "contact_phone": "privacy.personnummer_in_phone",
}


def refusal_text(t: Translator, refusal: Refusal) -> str:
    """The catalog text, with an ``agency`` parameter shown by its label ("polis" → "Polis").

    Some refusals quote what was sent ("Okänd avslutsorsak: …"); a quoted value that holds a
    personnummer is shown as "…", since a personnummer is never echoed, whichever field it came in."""
    params: dict[str, Any] = {
        k: HIDDEN if isinstance(v, str) and contains_personnummer(v) else v for k, v in refusal.params.items()
    }
    agency = params.get("agency")
    if isinstance(agency, str) and t.has(f"agency.{agency}"):
        params["agency"] = t(f"agency.{agency}")
    key = refusal.key
    if key == "privacy.personnummer_refused":
        key = PERSONNUMMER_IN_FIELD.get(str(params.get("field")), key)
    return t(key, **params)


def refusal_texts(t: Translator, refusals: Iterable[Refusal]) -> list[str]:
    return [refusal_text(t, r) for r in refusals]
