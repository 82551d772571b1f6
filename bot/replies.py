"""Replies that are never lost: stored with the turn, sent after commit, retried until Teams took them.

A turn's replies used to live only in memory until its transaction committed. A crash between
the commit and the send, or a connector that refused (429 past every retry, a 502), lost them: Teams'
re-send of the activity is dropped as a replay, so the user never saw the confirmation of what was
saved, and was told "Ingenting har sparats" (inviting them to do it again). Now:

1. ``Turn.say/show/replace`` queue a ``Reply`` (the addressed activity as plain JSON).
2. Before commit the handler writes them to ``pending_reply`` in the turn's own transaction:
   what was saved and what we owe the user about it commit together.
3. After commit this process sends them in order, each within the reply budget, and deletes each
   row once the connector answered 2xx. Its claim on them is a short lease (budget + 2 s).
4. A reply that failed, or whose process died, is sent by whoever comes next once the lease ran
   out: Teams' re-send of the same activity (15 s later) or any replica's sweep (every few
   seconds). ``FOR UPDATE SKIP LOCKED`` keeps two replicas from sending the same row.

Delivery is at least once: a process killed after the connector took a message but before its row
was deleted sends it again. That window is one local DELETE; losing a reply is worse than seeing it
twice. A permanent refusal (403/404: the bot was removed; 413: the card's own fault) is dropped and
logged, since retrying cannot help; nothing is logged of the content.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.connector import ConnectorError
from bot.lifecycle import run_in_background
from bot.logging_setup import correlation
from bot.preferences import translator_for
from bot.proactive import send_payload_to_user
from store.queries import replies as rows
from store.types import utcnow

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
SWEEP_BATCH = 100
MAX_ATTEMPTS = 12  # with the backoff below: about a day of trying (rows older than that are dropped)
TASK_KEY = "reply_sweep_task"


@dataclass
class Reply:
    """One message the turn owes: a new message (``send``), an update of a posted one (``update``), or a
    notice in someone else's 1:1 chat (``notify``: ``{"tenant", "aad", "notice": {"key", "params"}}``,
    addressed and rendered in the recipient's language when sent, since that chat may not exist yet;
    rows stored before that carry the rendered ``activity``)."""

    kind: str
    payload: dict[str, Any]
    row_id: str | None = None
    deadline: float = 0.0  # loop time by which this process must be done sending it (its lease ends)


def lane(key: str, reply: Reply) -> str:
    """What must stay in order: the turn's replies in its chat; its notices, per person."""
    return f"{key}|notify|{reply.payload['aad']}" if reply.kind == "notify" else key


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2**attempts, 3600))


class ReplyDelivery:
    """Writes, sends and retries a process's replies (one per process, on ``Services.replies``)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.clock = utcnow  # the time leases are measured by (a test moves it instead of sleeping)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self._services.settings.reply_budget_s + 2)

    # --- in the turn -------------------------------------------------------------------------------

    async def persist(self, session: AsyncSession, key: str, replies: list[Reply]) -> None:
        """Write the turn's replies in its own transaction (they commit with what they confirm)."""
        ids = await rows.store_replies(
            session,
            [(lane(key, r), r.kind, r.payload) for r in replies],
            now=self.clock(),
            lease=self.lease,
        )
        deadline = self._deadline()
        for reply, row_id in zip(replies, ids, strict=True):
            reply.row_id = row_id
            reply.deadline = deadline

    def _deadline(self) -> float:
        """A second before the lease taken now ends: after it, another process may send the row."""
        return asyncio.get_running_loop().time() + self.lease.total_seconds() - 1

    # --- after commit ------------------------------------------------------------------------------

    async def deliver(self, key: str, replies: list[Reply]) -> bool:
        """Send replies of the turn ``key`` in order, each within the lease; False when one in the turn's
        own chat could not be sent (the turn's later replies then queue behind it: ``owe``).

        At a failure the rest of that lane (this chat's replies, or one person's notices) is handed back
        with it, to go out later in order; other lanes go on. Replies queued after commit (by a job that
        ran later) are written first, then sent.
        """
        await self._write_unsaved(key, replies)
        stalled: set[str] = set()
        for reply in replies:
            reply_lane = lane(key, reply)
            if reply_lane in stalled:
                continue
            if not await self._send_one(reply):
                stalled.add(reply_lane)
                await self._hand_back(reply_lane, attempts=0)
        return key not in stalled

    async def owe(self, key: str, replies: list[Reply]) -> None:
        """Queue replies behind one of the same turn that could not be sent: they go out after it."""
        await self._write_unsaved(key, replies)
        for reply_lane in {lane(key, r) for r in replies}:
            await self._hand_back(reply_lane, attempts=0)

    async def _write_unsaved(self, key: str, replies: list[Reply]) -> None:
        unsaved = [r for r in replies if r.row_id is None]
        if unsaved:
            async with self._services.db.transaction() as session:
                await self.persist(session, key, unsaved)

    async def _send_one(self, reply: Reply, attempts: int = 0) -> bool:
        """Send one reply within the lease; delete its row if sent (or if it can never be sent)."""
        assert reply.row_id is not None
        try:
            async with asyncio.timeout_at(reply.deadline):
                await self._transmit(reply)
        except ConnectorError as exc:
            if not exc.permanent and attempts + 1 < MAX_ATTEMPTS:
                log.warning("reply not delivered (%s), will retry", exc.status)
                return False
            log.error("reply dropped: the connector refused it for good (%s)", exc.status)
        except TimeoutError:
            log.warning("reply not delivered within the reply budget, will retry")
            return False
        except Exception:
            if attempts + 1 < MAX_ATTEMPTS:
                log.exception("reply not delivered, will retry")
                return False
            log.exception("reply dropped after %d attempts", attempts + 1)
        async with self._services.db.transaction() as session:
            await rows.delivered(session, reply.row_id)
        return True

    async def _transmit(self, reply: Reply) -> None:
        payload = reply.payload
        connector = self._services.connector
        if reply.kind == "notify":
            async with self._services.db.transaction() as session:
                activity = payload.get("activity") or await self._notice(session, payload)
                delivery = await send_payload_to_user(
                    self._services, session, payload["tenant"], payload["aad"], activity
                )
            if delivery.status == "failed":
                raise ConnectorError(503, delivery.error or "", "notice")
            if not delivery.sent:  # no chat with that person, or the app was removed: cannot ever arrive
                log.warning("notice not delivered: %s", delivery.status)
            return
        conversation = payload["conversation"]["id"]
        if reply.kind == "update":
            await connector.update(payload["serviceUrl"], conversation, payload["id"], payload)
        else:
            await connector.send(payload["serviceUrl"], conversation, payload)

    async def _notice(self, session: AsyncSession, payload: dict[str, Any]) -> dict[str, Any]:
        """A notice is stored as a catalog key: rendered now, in the recipient's own language."""
        t = await translator_for(session, payload["tenant"], payload["aad"], self._services.settings.locale)
        notice = payload["notice"]
        text = t(notice["key"], **notice.get("params", {}))
        return {"type": "message", "text": text, "textFormat": "markdown"}

    async def _hand_back(self, key: str, *, attempts: int, hashed: bool = False) -> None:
        """Every owed reply of the turn waits until the next attempt (so they stay in order)."""
        until = self.clock() + backoff(attempts)
        try:
            async with self._services.db.transaction() as session:
                await rows.postpone_turn(session, key if hashed else rows.turn_key(key), until=until)
        except Exception:  # the database may be what failed: the lease runs out and the sweep retries
            log.warning("could not hand owed replies back; the sweep will find them when the lease ends")

    # --- later: Teams' re-send, or the sweep ---------------------------------------------------------

    async def sweep(self, key: str | None = None) -> int:
        """Send the replies whose lease ran out (all, or one turn's); returns how many were sent."""
        async with self._services.db.transaction() as session:
            claimed = await rows.claim_due(
                session, now=self.clock(), lease=self.lease, limit=SWEEP_BATCH, key=key
            )
            deadline = self._deadline()
            batch = [(Reply(r.kind, r.payload, r.id, deadline), r.turn_key, r.attempts) for r in claimed]
        sent = 0
        stalled: set[str] = set()
        for reply, turn, attempts in batch:
            if turn in stalled:  # an earlier reply of that turn failed: it was handed back with it
                continue
            if await self._send_one(reply, attempts):
                sent += 1
            else:
                stalled.add(turn)
                await self._hand_back(turn, attempts=attempts, hashed=True)
        if sent:
            log.info("delivered %d reply(ies) owed from earlier turns", sent)
        return sent

    async def _loop(self) -> None:
        interval = self._services.settings.reply_sweep_s
        while True:
            with correlation("reply-sweep"):  # every log line of this sweep carries one id
                try:
                    await self.sweep()
                except Exception:
                    log.exception("reply sweep failed; will try again")
            await asyncio.sleep(interval)


run_in_background(
    TASK_KEY, lambda services: services.replies._loop(), lambda services: services.settings.reply_sweep_s > 0
)
