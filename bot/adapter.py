"""A botbuilder adapter whose outbound path is one shared aiohttp session.

Handler code keeps botbuilder's public API (``TurnContext``, ``ActivityHandler``, dialogs); only the
transport underneath changes. It also returns invoke bodies that are plain dicts unchanged, which
fixes botbuilder 4.17.1's 500 on ``Action.Execute`` (the body was serialized twice).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from copy import copy
from http import HTTPStatus
from typing import Any

from botbuilder.core import BotAdapter, InvokeResponse, TurnContext
from botbuilder.core.conversation_reference_extension import get_continuation_activity
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ConversationReference,
    DeliveryModes,
    ResourceResponse,
)

from bot.connector import ConnectorClient
from bot.wire import to_json as activity_json

log = logging.getLogger(__name__)

INVOKE_RESPONSE_KEY = TurnContext._INVOKE_RESPONSE_KEY  # the key botbuilder's handlers write to


def to_json(value: Any) -> Any:
    """msrest models serialize themselves; dicts and lists pass through as they are."""
    if hasattr(value, "serialize") and callable(value.serialize):
        return value.serialize()
    return value


class FastTurnContext(TurnContext):
    """botbuilder's ``TurnContext`` without its deep copy of every outgoing activity.

    The copy only protects the caller's object from the fields the send path sets: the conversation
    reference's addressing, the type, the input hint and the id, all top-level attributes. A shallow copy
    protects them just as well and costs a fraction (the deep copy walked the whole card, ~6% of a turn's
    CPU). Everything else (send handlers, ``responded``, expect-replies delivery) behaves as botbuilder's.
    """

    async def send_activities(self, activities: list[Activity]) -> list[ResourceResponse]:
        if self.activity.delivery_mode == DeliveryModes.expect_replies:
            return await super().send_activities(activities)
        ref = TurnContext.get_conversation_reference(self.activity)
        output = [TurnContext.apply_conversation_reference(copy(act), ref) for act in activities]
        for act in output:
            act.type = act.type or ActivityTypes.message
            act.input_hint = act.input_hint or "acceptingInput"
            act.id = None

        async def logic() -> list[ResourceResponse]:
            responses = await self.adapter.send_activities(self, output)
            if any(act.type != ActivityTypes.trace for act in output):
                self.responded = True
            return responses

        return await self._emit(self._on_send_activities, output, logic())


class FastAdapter(BotAdapter):
    def __init__(self, connector: ConnectorClient, app_id: str = "") -> None:
        super().__init__()
        self.connector = connector
        self.app_id = app_id

    async def process(
        self, activity: Activity, logic: Callable[[TurnContext], Awaitable[None]], identity: Any = None
    ) -> tuple[int, Any]:
        """Run one turn; answer what the HTTP layer returns: (status, JSON body or None)."""
        context = FastTurnContext(self, activity)
        if identity is not None:
            context.turn_state[self.BOT_IDENTITY_KEY] = identity
        await self.run_pipeline(context, logic)
        if activity.delivery_mode == DeliveryModes.expect_replies:
            # The caller (a skill host, Direct Line, the Agents Playground with --delivery-mode) reads the
            # replies from this HTTP answer instead of receiving them through the connector, as botbuilder's
            # own adapter answers it.
            return HTTPStatus.OK, {
                "activities": [activity_json(a) for a in context.buffered_reply_activities]
            }
        if activity.type == ActivityTypes.invoke:
            answer = context.turn_state.get(INVOKE_RESPONSE_KEY)
            if answer is None:
                return HTTPStatus.NOT_IMPLEMENTED, None
            invoke: InvokeResponse = answer.value
            return invoke.status or HTTPStatus.OK, to_json(invoke.body)
        return HTTPStatus.OK, None

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        responses: list[ResourceResponse] = []
        for activity in activities:
            if activity.type == ActivityTypes.invoke_response:
                context.turn_state[INVOKE_RESPONSE_KEY] = activity
                responses.append(ResourceResponse(id=""))
                continue
            if activity.type == "delay":
                await asyncio.sleep((activity.value or 1000) / 1000)
                responses.append(ResourceResponse(id=""))
                continue
            if activity.type == ActivityTypes.trace:
                responses.append(ResourceResponse(id=""))
                continue
            activity.id = None
            body = activity_json(activity)
            new_id = await self.connector.send(activity.service_url, activity.conversation.id, body)
            responses.append(ResourceResponse(id=new_id or ""))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        await self.connector.update(
            activity.service_url, activity.conversation.id, activity.id, activity_json(activity)
        )
        return ResourceResponse(id=activity.id)

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        await self.connector.delete(reference.service_url, reference.conversation.id, reference.activity_id)

    async def continue_conversation(
        self,
        reference: ConversationReference | dict[str, Any],
        callback: Callable[[TurnContext], Awaitable[None]],
        bot_id: str | None = None,
        claims_identity: Any = None,
        audience: str | None = None,
    ) -> None:
        """Run ``callback`` in a proactive turn. Unlike stock botbuilder, errors propagate to the caller."""
        if isinstance(reference, dict):
            reference = ConversationReference().deserialize(reference)
        context = FastTurnContext(self, get_continuation_activity(reference))
        await callback(context)
