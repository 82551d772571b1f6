"""The ``språk`` card: Svenska or English, one press."""

from __future__ import annotations

from bot.cards.elements import Element, card, heading, new_nonce, submit
from bot.i18n import LANGUAGES, Translator


def language_card(t: Translator, current: str | None = None) -> Element:
    """Both choices as buttons, each titled in its own language; the one in effect is named."""
    subtle = t("language.current", language=t(f"language.in.{current}")) if current in LANGUAGES else None
    nonce = new_nonce()
    actions = [
        submit(
            t(f"language.name.{lang}"),
            "language.set",
            nonce=nonce,
            language=lang,
            style="positive" if lang == current else None,
        )
        for lang in LANGUAGES
    ]
    return card(heading(t("language.ask"), subtle=subtle), actions, full_width=False)
