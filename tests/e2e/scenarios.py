"""Scenario steps shared by the e2e tests and ``make screenshots``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import translator
from tests.e2e.playground import COORDINATOR, PERSONAL, Playground

T = translator("en-US")


@dataclass(frozen=True)
class Shot:
    name: str  # file name without .png
    chat: str  # sidebar name in the Playground UI
    text: str  # a text on the card to photograph


def screenshot_run(pg: Playground) -> list[Shot]:
    mark = pg.mark()
    pg.say(COORDINATOR, PERSONAL, "hjälp")
    pg.wait_text(T("help.title"), PERSONAL, since=mark)
    return [Shot("help", "Personal Chat", T("help.title"))]
