"""What a handler gets: who is asking, from where, in which language, with a database session.

Replies are queued in an outbox and sent only after the turn's database transaction committed, so
a failed turn sends nothing and the bot never announces something it did not store.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards.budget import CARD_LIMIT_BYTES, card_bytes, fits
from bot.cards.elements import message_activity
from bot.i18n import Translator
from bot.replies import Reply
from bot.wire import to_json
from store.models import AuditEvent
from store.types import utcnow

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.services import Services
    from store.models import ActionItem, AgendaRun, Meeting, SspfCase


@dataclass
class Turn:
    context: TurnContext
    services: Services
    tenant_id: str
    user_id: str
    user_name: str
    conversation_id: str
    conversation_kind: str  # personal | groupChat | channel
    t: Translator
    verb: str = ""
    args: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    db: AsyncSession | None = None
    case: SspfCase | None = None
    # What the access gate resolved for the route's declared resource (bot/middleware.py), and the facts
    # its policy decided on (domain/access.py).
    run: AgendaRun | None = None
    meeting: Meeting | None = None
    action: ActionItem | None = None
    facts: Any = None
    is_coordinator: bool = False
    # Replies (sent after commit, stored with it: bot/replies.py) and jobs to run after commit, in order.
    outbox: list[Reply | Callable[[], Awaitable[Any]]] = field(default_factory=list)
    invoke_body: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)  # texts for an invoke answer (no chat message)
    # What the case-access middleware records once the handler ran, when not the route's own read/write:
    # "read" (a write form only re-rendered with errors) or "denied" (a forged id inside the case).
    case_audit: str | None = None
    # Fields that held a personnummer, already emptied by the door middleware (routes that declare
    # ``screens_personnummer`` show the refusal under these; nothing of the value reaches the handler).
    personnummer_fields: frozenset[str] = frozenset()
    reply_key: str = ""  # which turn the stored replies answer (the replay key, or a fresh id)
    _reference: dict[str, Any] | None = field(default=None, repr=False)
    _audit_rows: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def activity(self) -> Activity:
        return self.context.activity

    @property
    def is_invoke(self) -> bool:
        """A card press answered in the HTTP response (Action.Execute), not by chat messages."""
        return self.activity.type == "invoke" and self.activity.name == "adaptiveCard/action"

    @property
    def today(self) -> date:
        """Today where the bot works (Europe/Stockholm by default): the one date every rule is asked about."""
        return datetime.now(self.services.settings.tz).date()

    @property
    def is_personal(self) -> bool:
        return self.conversation_kind == "personal"

    @property
    def session(self) -> AsyncSession:
        assert self.db is not None, "handler ran outside the dispatcher's transaction"
        return self.db

    # --- replies (sent after commit) ---------------------------------------------------------------

    def say(self, key: str, **params: Any) -> None:
        self.say_text(self.t(key, **params))

    def say_text(self, text: str) -> None:
        if self.is_invoke:
            self.notes.append(text)
            return
        self.outbox.append(
            Reply("send", self.addressed({"type": "message", "text": text, "textFormat": "markdown"}))
        )

    def _too_large(self, card: dict[str, Any]) -> bool:
        """A card over the budget is not sent (Teams would refuse it with 413): the person is told so."""
        if fits(card):
            return False
        log.error(
            "card for %s not sent: %d bytes, over the %d budget",
            self.verb,
            card_bytes(card),
            CARD_LIMIT_BYTES,
        )
        self.say("card.too_large")
        return True

    def show(self, card: dict[str, Any], *, summary: str | None = None) -> None:
        if self._too_large(card):
            return
        self.outbox.append(Reply("send", self.addressed(message_activity(card, summary=summary))))

    def replace(self, card: dict[str, Any]) -> None:
        """Put ``card`` where the pressed card was: the invoke answer for Action.Execute, an update
        of the message for Action.Submit (falls back to a new message if Teams gave no message id)."""
        if self._too_large(card):
            return
        if self.is_invoke:
            self.invoke_body = card
            return
        message_id = self.activity.reply_to_id
        if not message_id:
            self.show(card)
            return
        payload = self.addressed(message_activity(card))
        payload["id"] = message_id
        payload.pop("replyToId", None)
        self.outbox.append(Reply("update", payload))

    def addressed(self, body: dict[str, Any]) -> dict[str, Any]:
        """The reply as the connector gets it: addressed back to where the activity came from.

        Plain JSON (no msrest model), so it can be stored in ``pending_reply`` and sent by any replica.
        """
        ref = self._reference
        if ref is None:
            ref = self._reference = to_json(TurnContext.get_conversation_reference(self.activity))
        addressed = {
            **body,
            "channelId": ref.get("channelId"),
            "serviceUrl": ref.get("serviceUrl"),
            "conversation": ref.get("conversation"),
            "from": ref.get("bot"),
            "recipient": ref.get("user"),
            "inputHint": body.get("inputHint", "acceptingInput"),
        }
        if ref.get("activityId"):
            addressed["replyToId"] = ref["activityId"]
        if ref.get("locale"):
            addressed.setdefault("locale", ref["locale"])
        return {k: v for k, v in addressed.items() if v is not None}

    def notify(self, aad_id: str, key: str, **params: Any) -> None:
        """After commit, a notice in ``aad_id``'s 1:1 chat with the bot; owed until delivered like a reply.

        It is stored as the catalog key and its parameters, not as text: ``bot/replies.py`` renders it when
        it is delivered, in the RECIPIENT's language (their ``språk`` choice, else their Teams locale),
        not in the language of whoever caused it. Parameters must be plain JSON values."""
        notice = {"key": key, "params": params}
        self.outbox.append(Reply("notify", {"tenant": self.tenant_id, "aad": aad_id, "notice": notice}))

    def later(self, job: Callable[[], Awaitable[Any]]) -> None:
        """Run ``job`` after commit, in order with the replies (e.g. post a card and store its id)."""
        self.outbox.append(job)

    # --- audit ---------------------------------------------------------------------------------------

    def audit(self, entity: str, action: str, *, case_id: str | None = None, **detail: Any) -> None:
        """Record a read or write of case data in this turn's transaction (same commit as the data).
        The rows are written together before the commit (``flush_audit``: one statement for any number)."""
        self._audit_rows.append(
            {
                "tenant_id": self.tenant_id,
                "at": utcnow(),
                "actor_aad_id": self.user_id,
                "case_id": case_id if case_id is not None else (self.case.id if self.case else None),
                "entity": entity,
                "action": action,
                "verb": self.verb or None,
                "conversation_id": self.conversation_id,
                "detail": detail or None,
            }
        )

    async def flush_audit(self) -> None:
        """Write the turn's audit rows in one INSERT (an executemany), in the turn's transaction."""
        rows, self._audit_rows = self._audit_rows, []
        if rows:
            await self.session.execute(insert(AuditEvent), rows)
