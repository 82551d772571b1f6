"""The activity handler: turns every Teams activity into one registry dispatch in one transaction.

Per turn: the replay guard (a re-sent activity does nothing twice), the conversation reference
(kept for proactive messages), the dispatch through the registry's middleware, one commit, then
the queued replies. botbuilder's ``TeamsActivityHandler`` still sorts activities by kind, so meeting
events and member changes arrive where botbuilder users expect them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ChannelAccount, DeliveryModes
from botbuilder.schema.teams import MeetingEndEventDetails, MeetingStartEventDetails, TeamsChannelAccount
from sqlalchemy.ext.asyncio import AsyncSession

from bot import teams
from bot.i18n import Translator, translator
from bot.registry import Route, registry
from bot.replies import Reply
from bot.services import Services
from bot.state_storage import current_session
from bot.turn import Turn
from bot.wire import dumps, from_json, to_json
from store.queries.conversations import first_time, save_reference

log = logging.getLogger(__name__)
TURN_KEY = "sspf.turn"
KNOWN_REFS_MAX = 50_000
INVOKE_CARD = "application/vnd.microsoft.card.adaptive"
INVOKE_MESSAGE = "application/vnd.microsoft.activity.message"


class SspfBot(TeamsActivityHandler):
    def __init__(self, services: Services) -> None:
        self.services = services
        self._known_refs: dict[str, int] = {}
        self._background: set[asyncio.Task[None]] = set()

    # --- the turn ------------------------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        settings = self.services.settings
        tenant = teams.tenant_id(activity) or (teams.LOCAL_TENANT if settings.local_mode else None)
        if tenant is None or activity.conversation is None:
            log.warning("activity without tenant or conversation ignored")
            return
        sender = activity.from_property or ChannelAccount()
        turn = Turn(
            context=turn_context,
            services=self.services,
            tenant_id=tenant,
            user_id=teams.user_aad_id(activity) or teams.anonymous_id(sender.id or ""),
            user_name=sender.name or "",
            conversation_id=activity.conversation.id,
            conversation_kind=teams.conversation_kind(activity),
            t=translator(activity.locale, settings.locale),
        )
        turn_context.turn_state[TURN_KEY] = turn
        replay_key = (
            f"act:{turn.conversation_id}:{activity.id}" if activity.type != "invoke" and activity.id else ""
        )

        async def replay_guard(session: AsyncSession) -> bool:
            return await first_time(session, replay_key) if replay_key else True

        turn.reply_key = replay_key or f"turn:{uuid.uuid4().hex}"
        async with self.services.db.opened(replay_guard) as (session, fresh):
            turn.db = session
            token = current_session.set(session)
            try:
                if fresh:
                    await self._remember_conversation(turn)
                    # The person's own language wherever only they see the answer: their 1:1 chat (typed or
                    # pressed) and a card press's answer in a shared chat (their own view).
                    if turn.is_personal or turn.is_invoke:
                        chosen = await self.services.dialogs.preferred_language(turn_context, turn.user_id)
                        if chosen:
                            turn.t = Translator(chosen)
                    await super().on_turn(turn_context)
                    await turn.flush_audit()  # the turn's audit rows: one INSERT, same commit
                    await self._store_replies(turn)
            finally:
                current_session.reset(token)
        if not fresh:
            # Teams re-sends an activity it got no answer to: if this one's replies are still owed (the
            # process that committed it died, or the connector refused), they go out now.
            log.info("replayed activity %s: only owed replies are sent", activity.id)
            await self.services.replies.sweep(key=replay_key)
            return
        if activity.type == "invoke":
            await self._run_outbox(turn)
            if activity.name == "adaptiveCard/action":
                await self._answer_invoke(turn)
            return
        await self._within_teams_window(turn)

    async def _store_replies(self, turn: Turn) -> None:
        """The replies commit with the turn (bot/replies.py), except where the HTTP answer carries
        them (expectReplies): there the caller sees a failure and asks again."""
        expect_replies = turn.activity.delivery_mode == DeliveryModes.expect_replies
        replies = [
            item
            for item in turn.outbox
            if isinstance(item, Reply) and (item.kind == "notify" or not expect_replies)
        ]
        if replies:
            await self.services.replies.persist(turn.session, turn.reply_key, replies)

    async def _run_outbox(self, turn: Turn) -> None:
        """After commit: the replies and jobs in the order the handler queued them.

        Nothing here may report "nothing was saved": the turn is committed. A reply that cannot be sent
        now stays owed (bot/replies.py) and goes out later; a job that fails is logged, and the user is
        told that what they did was saved but something after it went wrong.
        """
        index = 0
        owed = False  # a reply could not be sent: the later ones wait behind it, in order
        expect_replies = turn.activity.delivery_mode == DeliveryModes.expect_replies
        while index < len(turn.outbox):  # jobs may queue more replies: the list grows while we walk it
            item = turn.outbox[index]
            if isinstance(item, Reply):
                batch: list[Reply] = []
                while index < len(turn.outbox) and isinstance(turn.outbox[index], Reply):
                    batch.append(turn.outbox[index])  # type: ignore[arg-type]
                    index += 1
                if expect_replies:  # the caller reads these from the HTTP answer; notices go out as ever
                    for reply in batch:
                        message = from_json(Activity, reply.payload) if reply.kind != "notify" else None
                        if reply.kind == "update":
                            await turn.context.update_activity(message)
                        elif message is not None:
                            await turn.context.send_activity(message)
                    batch = [r for r in batch if r.kind == "notify"]
                if not batch:
                    continue
                if owed:
                    await self.services.replies.owe(turn.reply_key, batch)
                else:
                    owed = not await self.services.replies.deliver(turn.reply_key, batch)
                continue
            index += 1
            try:
                await item()
            except Exception:
                log.exception("a job after the committed turn %s failed", turn.verb or turn.activity.type)
                turn.outbox.append(Reply("send", turn.addressed(_text(turn.t("error.after_saved")))))

    async def _within_teams_window(self, turn: Turn) -> None:
        """Teams re-sends an activity it got no HTTP answer to within 15 s. Replies that take longer
        (a slow Graph call while booking) go on in the background after the budget, and the HTTP
        answer goes back now; the replay guard drops Teams' re-send meanwhile. Invokes are not
        cut short: their answer is the HTTP body."""
        if turn.activity.delivery_mode == DeliveryModes.expect_replies:
            await self._run_outbox(turn)  # the replies are the HTTP answer: none may go on after it
            return
        task = asyncio.ensure_future(self._run_outbox(turn))
        try:
            await asyncio.wait_for(asyncio.shield(task), self.services.settings.reply_budget_s)
        except TimeoutError:
            log.warning(
                "replies to %s still running; answering Teams now, finishing in the background",
                turn.verb or turn.activity.type,
            )
            self._background.add(task)
            task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background replies failed", exc_info=task.exception())

    async def _remember_conversation(self, turn: Turn) -> None:
        # A stored reference addresses the conversation, not the message that happened to be last:
        # without the incoming activity's id it changes only when the addressing does, so the upsert
        # runs once per conversation and process instead of on every turn. (Proactive sends never used
        # that id: a continuation activity gets a fresh one.)
        reference = to_json(TurnContext.get_conversation_reference(turn.activity))
        reference.pop("activityId", None)
        fingerprint = hash(dumps(reference, sort_keys=True))
        if self._known_refs.get(turn.conversation_id) == fingerprint:
            return
        await save_reference(
            turn.session,
            conversation_id=turn.conversation_id,
            tenant_id=turn.tenant_id,
            kind=turn.conversation_kind,
            user_aad_id=turn.user_id,
            reference=reference,
        )

        async def remember() -> None:  # only once committed: a rolled-back turn saved nothing
            if len(self._known_refs) >= KNOWN_REFS_MAX:
                self._known_refs.clear()  # a cache only: forgetting costs one upsert per conversation
            self._known_refs[turn.conversation_id] = fingerprint

        turn.later(remember)

    async def _answer_invoke(self, turn: Turn) -> None:
        if turn.invoke_body is not None:
            body: dict[str, Any] = {"statusCode": 200, "type": INVOKE_CARD, "value": turn.invoke_body}
        else:
            body = {
                "statusCode": 200,
                "type": INVOKE_MESSAGE,
                "value": " ".join(turn.notes) or turn.t("card.done"),
            }
        await turn.context.send_activity(
            Activity(type="invokeResponse", value=InvokeResponse(status=200, body=body))
        )

    async def dispatch(
        self, turn_context: TurnContext, route: Route, *, args: str = "", data: dict[str, Any] | None = None
    ) -> Any:
        turn: Turn = turn_context.turn_state[TURN_KEY]
        turn.verb, turn.args, turn.data = route.verb, args, data or {}
        return await registry.dispatch(turn, route)

    # --- what arrives --------------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        verb, data = teams.card_action(turn_context.activity)
        if verb is not None:
            await self._dispatch_verb(turn_context, verb, data)
            return
        matched = registry.match_text(turn_context.activity.text or "")
        if matched is None:
            await self.dispatch(turn_context, registry.routes["help"], data={"not_understood": True})
            return
        route, args = matched
        await self.dispatch(turn_context, route, args=args)

    async def on_adaptive_card_invoke(self, turn_context: TurnContext, invoke_value: Any) -> None:
        verb, data = teams.card_action(turn_context.activity)
        await self._dispatch_verb(turn_context, verb, data)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        if turn_context.activity.name == "adaptiveCard/action":
            await self.on_adaptive_card_invoke(turn_context, turn_context.activity.value)
            return None  # answered by on_turn once the transaction committed
        return await super().on_invoke_activity(turn_context)

    async def _dispatch_verb(self, turn_context: TurnContext, verb: str | None, data: dict[str, Any]) -> None:
        route = registry.routes.get(verb or "")
        if route is None:
            turn: Turn = turn_context.turn_state[TURN_KEY]
            turn.say("card.unknown_action")
            return
        await self.dispatch(turn_context, route, data=data)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id == bot_id for m in members_added):
            await self.dispatch(turn_context, registry.routes["help"], data={"welcome": True})

    async def on_teams_members_added_dispatch(  # type: ignore[override]
        self, members_added: list[ChannelAccount], team_info: Any, turn_context: TurnContext
    ) -> None:
        """botbuilder looks each added *user* up with ``TeamsInfo.get_member``, which needs a connector
        client our fast adapter does not provide (a personal install lists user + bot: every install
        failed). The welcome needs no lookup: take the accounts as Teams sent them."""
        members = [TeamsChannelAccount().deserialize(m.serialize()) for m in members_added]
        await self.on_teams_members_added(members, team_info, turn_context)

    async def on_teams_members_added(  # type: ignore[override]
        self, teams_members_added: list[TeamsChannelAccount], team_info: Any, turn_context: TurnContext
    ) -> None:
        await self.on_members_added_activity(teams_members_added, turn_context)  # type: ignore[arg-type]

    async def on_teams_file_consent_accept(self, turn_context: TurnContext, response: Any) -> None:
        """The user said yes to a file: its accept context names the verb that uploads it."""
        context = response.context if isinstance(response.context, dict) else {}
        upload_info = response.upload_info.serialize() if response.upload_info else {}
        await self._dispatch_verb(turn_context, context.get("verb"), {**context, "upload_info": upload_info})

    async def on_teams_file_consent_decline(self, turn_context: TurnContext, response: Any) -> None:
        turn: Turn = turn_context.turn_state[TURN_KEY]
        turn.say("file.declined")

    async def on_teams_meeting_start_event(
        self, meeting: MeetingStartEventDetails, turn_context: TurnContext
    ) -> None:
        route = registry.routes.get("meeting.start")
        if route is not None:
            await self.dispatch(
                turn_context, route, data={"meeting_id": _meeting_id(meeting), "from_event": True}
            )

    async def on_teams_meeting_end_event(
        self, meeting: MeetingEndEventDetails, turn_context: TurnContext
    ) -> None:
        route = registry.routes.get("meeting.end")
        if route is not None:
            await self.dispatch(
                turn_context, route, data={"meeting_id": _meeting_id(meeting), "from_event": True}
            )


def _text(text: str) -> dict[str, Any]:
    return {"type": "message", "text": text, "textFormat": "markdown"}


def _meeting_id(meeting: Any) -> str | None:
    """botbuilder 4.17.1 hands the event's raw ``value`` dict (``{"Id": …}``), not the typed model."""
    if isinstance(meeting, dict):
        return meeting.get("Id") or meeting.get("id")
    return getattr(meeting, "id", None)


async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    """A bug on our side: log it, tell the user plainly, and never leak details into the chat."""
    log.exception("turn failed: %s", error, exc_info=error)
    turn: Turn | None = turn_context.turn_state.get(TURN_KEY)
    t = turn.t if turn else translator(turn_context.activity.locale)
    if turn_context.activity.type == "invoke":
        body = {"statusCode": 200, "type": INVOKE_MESSAGE, "value": t("error.unexpected")}
        await turn_context.send_activity(
            Activity(type="invokeResponse", value=InvokeResponse(status=200, body=body))
        )
        return
    try:
        await turn_context.send_activity(t("error.unexpected"))
    except Exception:  # the connector may be what failed
        log.exception("could not tell the user about the failure")
