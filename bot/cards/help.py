"""The help card: the commands a user can type, with one line each."""

from __future__ import annotations

from typing import Any

from bot.cards.elements import Element, card, container, facts, heading, submit, text
from bot.i18n import Translator


def help_card(
    t: Translator, commands: list[tuple[str, str]], *, intro: str | None = None, coordinator: bool = False
) -> Element:
    body: list[Element] = heading(t("help.title"), subtle=t("help.subtitle"))
    if intro:
        body.append(text(intro))
    body.append(facts([(phrase, line) for phrase, line in commands]))
    body.append(container([text(t("help.privacy"), isSubtle=True, size="Small")], separator=True))
    if coordinator:
        body.append(text(t("help.orosanmalan"), isSubtle=True, size="Small"))
    return card(body)


def suggestion_card(t: Translator, phrase: str, verb: str, data: dict[str, Any]) -> Element:
    """ "Menade du *nytt ärende*?" with the command as a button, and the full help one press away."""
    return card(
        [text(t("help.did_you_mean", command=phrase))],
        [submit(phrase, verb, **data), submit(t("help.show_all"), "help")],
    )
