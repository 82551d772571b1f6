"""Messages the bot starts itself (notices, reminders) through stored conversation references.

Failures are reported, never swallowed (stock botbuilder's ``continue_conversation`` returns normally
when sending failed): a caller marks a reminder sent only on ``Delivery.sent``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards.budget import oversized_cards
from bot.cards.elements import message_activity
from bot.connector import ConnectorError
from store.models import ConversationRef
from store.queries.conversations import personal_reference, save_reference

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    status: str  # sent | no_conversation | undeliverable | failed | too_large
    activity_id: str | None = None
    error: str | None = None

    @property
    def sent(self) -> bool:
        return self.status == "sent"


def card_message(card: dict[str, Any], summary: str | None = None) -> Activity:
    return Activity().deserialize(message_activity(card, summary=summary))


def text_message(text: str) -> Activity:
    return Activity(type="message", text=text, text_format="markdown")


async def send_to_reference(services: Services, reference: dict[str, Any], activity: Activity) -> Delivery:
    """Send one activity into the conversation ``reference`` points at; report what happened."""
    sent: list[str | None] = []

    async def callback(context: TurnContext) -> None:
        response = await context.send_activity(activity)
        sent.append(response.id if response else None)

    try:
        await services.adapter.continue_conversation(reference, callback, services.settings.app_id)
    except ConnectorError as exc:
        status = "undeliverable" if exc.permanent else "failed"
        log.warning("proactive send %s: %s", status, exc)
        return Delivery(status, error=str(exc)[:500])
    return Delivery("sent", activity_id=sent[0] if sent else None)


async def send_to_conversation(
    services: Services, session: AsyncSession, conversation_id: str, activity: Activity
) -> Delivery:
    reference = await session.scalar(
        select(ConversationRef.reference).where(ConversationRef.conversation_id == conversation_id)
    )
    if reference is None:
        return Delivery("no_conversation")
    return await send_to_reference(services, reference, activity)


async def send_to_user(
    services: Services, session: AsyncSession, tenant_id: str, aad_id: str, activity: Activity
) -> Delivery:
    """Write to a person's 1:1 chat with the bot; create that chat if the bot knows the tenant.

    Teams lets a bot open a 1:1 chat only with users who have the app installed: where none exists
    yet, ``services.extras["install_for_user"]`` (Graph) may install it first, if configured.
    """
    reference = await personal_reference(session, tenant_id, aad_id)
    if reference is None:
        reference = await _create_personal_conversation(services, session, tenant_id, aad_id)
    if reference is None:
        return Delivery("no_conversation")
    return await send_to_reference(services, reference, activity)


async def send_payload_to_user(
    services: Services, session: AsyncSession, tenant_id: str, aad_id: str, payload: dict[str, Any]
) -> Delivery:
    """``send_to_user`` for an activity that is already a plain dict (e.g. ``message_activity(card)``).

    It skips botbuilder's msrest models: serializing a card-sized ``Activity`` costs ~25 ms of CPU
    here, which is the whole budget when a reminder run sends thousands of cards.
    """
    reference = await personal_reference(session, tenant_id, aad_id)
    if reference is None:
        reference = await _create_personal_conversation(services, session, tenant_id, aad_id)
    if reference is None:
        return Delivery("no_conversation")
    return await send_payload_to_reference(services, reference, payload, aad_id=aad_id)


async def send_payload_to_reference(
    services: Services, reference: dict[str, Any], payload: dict[str, Any], *, aad_id: str | None = None
) -> Delivery:
    """Send a plain-dict activity into the conversation ``reference`` points at; report what happened."""
    conversation = reference.get("conversation") or {}
    body = {
        **payload,
        "channelId": reference.get("channelId", "msteams"),
        "serviceUrl": reference["serviceUrl"],
        "from": reference.get("bot") or {"id": services.settings.app_id},
        "recipient": reference.get("user") or {"id": aad_id or ""},
        "conversation": conversation,
    }
    oversized = oversized_cards(payload)
    if oversized:  # Teams would refuse it (413): that is the card's fault, not an unreachable person
        log.error("proactive card not sent: %d bytes, over the card budget", max(oversized))
        return Delivery("too_large", error=f"card of {max(oversized)} bytes")
    try:
        activity_id = await services.connector.send(reference["serviceUrl"], conversation["id"], body)
    except ConnectorError as exc:
        if exc.status == 413:
            log.error("proactive card refused by Teams as too large (413)")
            return Delivery("too_large", error="413")
        status = "undeliverable" if exc.permanent else "failed"
        log.warning("proactive send %s: %s", status, exc)
        return Delivery(status, error=str(exc)[:500])
    return Delivery("sent", activity_id=activity_id)


async def _create_personal_conversation(
    services: Services, session: AsyncSession, tenant_id: str, aad_id: str
) -> dict[str, Any] | None:
    any_ref = await session.scalar(
        select(ConversationRef.reference).where(ConversationRef.tenant_id == tenant_id).limit(1)
    )
    if any_ref is None:
        return None
    install = services.extras.get("install_for_user")
    if install is not None:
        try:
            await install(aad_id)
        except Exception as exc:  # Graph refused: we still try, Teams may already have the app
            log.warning("could not install the app for %s: %r", aad_id, exc)
    bot_account = any_ref.get("bot") or {"id": services.settings.app_id}
    params = {
        "isGroup": False,
        "bot": bot_account,
        "members": [{"id": aad_id}],
        "tenantId": tenant_id,
        "channelData": {"tenant": {"id": tenant_id}},
    }
    try:
        created = await services.connector.create_conversation(any_ref["serviceUrl"], params)
    except ConnectorError as exc:
        log.warning("could not open a 1:1 chat with %s: %s", aad_id, exc)
        return None
    reference = {
        "bot": bot_account,
        "user": {"id": aad_id, "aadObjectId": aad_id},
        "conversation": {"id": created["id"], "conversationType": "personal", "tenantId": tenant_id},
        "channelId": any_ref.get("channelId", "msteams"),
        "serviceUrl": any_ref["serviceUrl"],
    }
    await save_reference(
        session,
        conversation_id=created["id"],
        tenant_id=tenant_id,
        kind="personal",
        user_aad_id=aad_id,
        reference=reference,
    )
    return reference
