"""Scenario steps shared by the e2e tests and ``make screenshots`` (tests/e2e/screenshots.py).

Each scenario drives the Playground as the users would and returns what they saw, so the test asserts it
and the screenshot runner photographs it at the ``checkpoint`` moments.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.i18n import translator
from tests.e2e.playground import (
    COORDINATOR,
    GROUP_CHAT,
    POLICE,
    PRINCIPAL,
    SOCIAL,
    TENANT_ID,
    YOUTH_WORKER,
    BotMessage,
    Playground,
)
from tests.harness.bot_runner import find_action

T = translator("en-US")  # the Playground sends en-US; the bot answers in its default (Swedish)

CASE_CODE = "SSPF-2026-031"
CHILD_INITIALS = "Z.Q."
GUARDIANS = ("Vera Vårdnadshavarsson", "Gunnar Vårdnadshavarsson")
TEAM = (
    (PRINCIPAL, "skola"),
    (SOCIAL, "socialtjanst"),
    (POLICE, "polis"),
    (YOUTH_WORKER, "fritid"),
)
INPUTS = {
    PRINCIPAL: "Skolan: frånvaron har ökat till 30 %, men eleven trivs på slöjden.",
    SOCIAL: "Socialtjänsten: familjen har tackat ja till föräldrastöd.",
    POLICE: "Polisen: inga nya händelser sedan förra mötet.",
}
HOMEWORK = "Läxhjälp tisdagar och torsdagar"


@dataclass(frozen=True)
class Shot:
    name: str  # file name without .png
    chat: str  # sidebar name in the Playground UI
    text: str  # a text on the card to photograph (the last card showing it)


Checkpoint = Callable[[Shot], None]


@dataclass
class MeetingRun:
    """What the group chat saw during the individual SSPF meeting."""

    agenda_message_id: str = ""
    agenda_versions: list[dict[str, Any]] = field(default_factory=list)  # everyone's card, in order
    viewer_cards: list[dict[str, Any]] = field(default_factory=list)  # invoke answers (the presser's view)
    protokoll: BotMessage | None = None  # the neutral copy the chat keeps
    protokoll_view: dict[str, Any] | None = None  # the chair's own view of it, with the content
    due_on: str = ""


# --- data the earlier flows would have created ---------------------------------------------------------


def seed_case_with_meeting_chat(database_path: Path) -> None:
    """The case with its team and the guardians' written consent, and a booked meeting whose Teams chat is
    the Playground's group chat (the Playground has no meetings, so booking cannot link one)."""
    from store.db import make_engine
    from tests.harness.seed import seed_case, seed_meeting

    async def seed() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{database_path}")
        try:
            from sqlalchemy.ext.asyncio import async_sessionmaker

            async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
                case = await seed_case(
                    session,
                    TENANT_ID,
                    CASE_CODE,
                    members=[(u.aad, u.name, agency) for u, agency in TEAM],
                    guardians=list(GUARDIANS),
                    consent_agencies=[agency for _, agency in TEAM],
                    initials=CHILD_INITIALS,
                )
                await seed_meeting(
                    session,
                    TENANT_ID,
                    kind="individuell",
                    chat_id=GROUP_CHAT.id,
                    case=case,
                    organizer=COORDINATOR.aad,
                    participants=[(u.aad, u.name, agency) for u, agency in TEAM],
                )
        finally:
            await engine.dispose()

    asyncio.run(seed())


# --- (3) the meeting ---------------------------------------------------------------------------------


def run_individual_meeting(pg: Playground, checkpoint: Checkpoint | None = None) -> MeetingRun:
    """meetingStart → agenda in the group chat → three agencies' inputs → two actions → meetingEnd."""
    shot = checkpoint or (lambda _shot: None)
    run = MeetingRun()

    def is_agenda(m: BotMessage) -> bool:
        return (
            m.is_in(GROUP_CHAT) and bool(m.cards) and T("agenda.case_line", code=CASE_CODE) in m.visible_text
        )

    def everyone_now() -> dict[str, Any]:
        """The agenda card as everyone sees it: the last version posted or edited under its message id."""
        versions = [m for m in pg.messages if m.message_id == run.agenda_message_id and m.source != "invoke"]
        return versions[-1].card

    def own_view(user: Any, posted: dict[str, Any] | None = None, message_id: str | None = None):
        """``user``'s own view of a card in the chat ("Visa för mig", the same as Teams' refresh): the
        card in the chat carries no case content, the inputs and notes are in each person's view."""
        posted = posted or everyone_now()
        message = BotMessage("create", GROUP_CHAT.id, message_id or run.agenda_message_id, "", [posted], "ws")
        answer = pg.press(user, GROUP_CHAT, message, find_action(posted, verb="agenda.refresh"))
        assert answer.get("type") == "application/vnd.microsoft.card.adaptive", answer
        return answer["value"]

    def press(user: Any, verb: str, inputs: dict[str, Any] | None = None, card: dict[str, Any] | None = None):
        mark = pg.mark()
        action = find_action(card or own_view(user), verb=verb)
        message = BotMessage(
            "create", GROUP_CHAT.id, run.agenda_message_id, "", [card or everyone_now()], "ws"
        )
        answer = pg.press(user, GROUP_CHAT, message, action, inputs)
        assert answer.get("type") == "application/vnd.microsoft.card.adaptive", answer
        run.viewer_cards.append(answer["value"])
        # everyone's copy is edited in place through the connector: wait for that update
        pg.wait_for(
            lambda m: m.kind == "update" and m.message_id == run.agenda_message_id and m.source == "ws",
            since=mark,
            what="the agenda card edited for everyone",
        )
        run.agenda_versions.append(everyone_now())
        return answer["value"]

    mark = pg.mark()
    pg.meeting_event("meetingStart", COORDINATOR, GROUP_CHAT)
    first = pg.wait_for(is_agenda, since=mark, what="the agenda card after meetingStart")
    run.agenda_message_id = first.message_id
    run.agenda_versions.append(first.card)

    # 1. purpose and consent confirmed by the chair
    press(COORDINATOR, "agenda.entry", {"confirm": True})
    press(COORDINATOR, "agenda.next")
    # 2. three agencies give their picture, each from the card in the chat
    for user, text in INPUTS.items():
        press(user, "agenda.entry", {"entry": text})
    # the chat's card is neutral (the entries are in each person's own view): find it by its step title
    shot(Shot("agenda-gemensam-bild", GROUP_CHAT.name, "Gemensam bild per verksamhet"))
    # 3. → 4. the handlingsplan
    press(COORDINATOR, "agenda.next")
    press(COORDINATOR, "agenda.next")
    run.due_on = (date.today() + timedelta(days=21)).isoformat()
    follow_up = (date.today() + timedelta(days=28)).isoformat()
    press(
        PRINCIPAL,
        "agenda.action_add",
        {
            "a_kind": "laxlasning",
            "a_text": HOMEWORK,
            "a_agency": "skola",
            "a_responsible": PRINCIPAL.aad,
            "a_due_on": run.due_on,
            "a_follow_up_on": follow_up,
        },
    )
    press(
        SOCIAL,
        "agenda.action_add",
        {
            "a_kind": "stod_vardnadshavare",
            "a_agency": "socialtjanst",
            "a_responsible": SOCIAL.aad,
            "a_due_on": run.due_on,
        },
    )
    shot(Shot("agenda-handlingsplan", GROUP_CHAT.name, "Handlingsplan"))

    # the meeting ends in Teams: the protokoll is posted in the chat
    mark = pg.mark()
    pg.meeting_event("meetingEnd", COORDINATOR, GROUP_CHAT)
    title = T("agenda.protokoll_title", title="").strip(" –-")
    run.protokoll = pg.wait_for(
        lambda m: m.is_in(GROUP_CHAT) and m.kind == "create" and bool(m.cards) and title in m.visible_text,
        since=mark,
        what="the protokoll card after meetingEnd",
    )
    pg.wait_for(
        lambda m: m.message_id == run.agenda_message_id and T("agenda.ended_line") in m.visible_text,
        since=mark,
        what="the agenda card marked as ended",
    )
    run.agenda_versions.append(everyone_now())
    run.protokoll_view = own_view(COORDINATOR, run.protokoll.card, run.protokoll.message_id)
    shot(Shot("protokoll", GROUP_CHAT.name, title))
    return run


def screenshot_run(pg: Playground, database_path: Path, checkpoint: Checkpoint) -> None:
    """Scenario (3) for ``make screenshots``: the checkpoints photograph the agenda and the protokoll."""
    seed_case_with_meeting_chat(database_path)
    run_individual_meeting(pg, checkpoint)
