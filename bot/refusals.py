"""Turning ``domain.refusal.Refusal`` objects into the Swedish sentence a user reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.i18n import Translator
from domain.personnummer import contains_personnummer
from domain.refusal import Refusal

HIDDEN = "…"


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
    return t(refusal.key, **params)


def refusal_texts(t: Translator, refusals: Iterable[Refusal]) -> list[str]:
    return [refusal_text(t, r) for r in refusals]
