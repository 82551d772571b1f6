"""A meeting run from its chat without a booked Teams meeting behind it: ``starta mötet`` → the setup card
(meeting type and case) → the agenda card, pressed through by the participants → ``avsluta mötet``.

This is the public path a chair takes when the meeting's chat is not linked to a booking (the Playground
has no meetings to link), so nothing needs seeding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.e2e.case_journey import T
from tests.e2e.playground import COORDINATOR, GROUP_CHAT, BotMessage, PgUser, Playground
from tests.harness.bot_runner import all_actions, find_action

CARD = "application/vnd.microsoft.card.adaptive"


@dataclass
class ChatMeeting:
    pg: Playground
    message_id: str  # the one agenda card everyone sees in the chat

    def everyone(self) -> dict[str, Any]:
        """The agenda card as everyone sees it now (the last posted or edited version)."""
        versions = [m for m in self.pg.messages if m.message_id == self.message_id and m.source != "invoke"]
        return versions[-1].card

    def own_view(self, user: PgUser, posted: BotMessage | None = None) -> dict[str, Any]:
        """``user``'s own view of the agenda card (or of ``posted``, e.g. the protokoll): "Visa för mig", the
        same answer as Teams' automatic refresh. The card in the chat carries no case content."""
        if posted is None:
            posted = BotMessage("create", GROUP_CHAT.id, self.message_id, "", [self.everyone()], "ws")
        card = posted.cards[-1]
        answer = self.pg.press(user, GROUP_CHAT, posted, find_action(card, verb="agenda.refresh"))
        assert answer.get("type") == CARD, answer
        return answer["value"]

    def press(self, user: PgUser, verb: str, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        """``user`` presses ``verb`` in their own view; returns it, after everyone's copy is edited."""
        mark = self.pg.mark()
        card = self.everyone()
        message = BotMessage("create", GROUP_CHAT.id, self.message_id, "", [card], "ws")
        if not any(a.get("verb") == verb for a in all_actions(card)):
            card = self.own_view(user)
        answer = self.pg.press(user, GROUP_CHAT, message, find_action(card, verb=verb), inputs)
        assert answer.get("type") == CARD, answer
        self.pg.wait_for(
            lambda m: m.kind == "update" and m.message_id == self.message_id and m.source == "ws",
            since=mark,
            what=f"the agenda card edited for everyone after {verb}",
        )
        return answer["value"]

    def end(self) -> BotMessage:
        """The chair writes ``avsluta mötet``: the protokoll is posted in the chat."""
        mark = self.pg.mark()
        self.pg.say(COORDINATOR, GROUP_CHAT, "avsluta mötet")
        title = T("agenda.protokoll_title", title="").strip(" –-")
        return self.pg.wait_for(
            lambda m: (
                m.is_in(GROUP_CHAT) and m.kind == "create" and bool(m.cards) and title in m.visible_text
            ),
            since=mark,
            what="the protokoll after avsluta mötet",
        )


def start_from_chat(pg: Playground, template: str, case_id: str) -> ChatMeeting:
    """The chair writes ``starta mötet`` in the chat, picks the meeting type and the case, and starts."""
    mark = pg.mark()
    pg.say(COORDINATOR, GROUP_CHAT, "starta mötet")
    setup = pg.wait_for(
        lambda m: m.is_in(GROUP_CHAT) and bool(m.cards) and T("agenda.setup_title") in m.visible_text,
        since=mark,
        what="the setup card after starta mötet",
    )
    meeting = ChatMeeting(pg, setup.message_id)
    meeting.press(COORDINATOR, "agenda.setup", {"meeting_type": template, "case_id": case_id})
    return meeting
