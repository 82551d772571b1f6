"""Outbound pacing for proactive messages, the way Teams counts: sends per sliding one-second window.

Teams throttles a bot at 50 requests/s per app per tenant and 7 messages/s per conversation and
answers 429 above that. A classic token bucket with a burst lets up to twice the rate through in one
window, which Teams would refuse; a sliding window of send times never does. One limiter per tenant
and per conversation (here: per recipient, who has one 1:1 chat with the bot).

Teams counts per tenant across all of the bot's replicas. Each dispatcher therefore takes its share:
the tenant rate divided by the number of dispatchers that hold claimed reminders of that tenant right
now (``set_share``, refreshed by the dispatcher four times a second while it sends).

We pace 10 % under the limit: we count departures, Teams counts arrivals, and jitter between the two
turned a 50/s pace into thousands of 429s over 10,000 sends (each retried outside this limiter, which
kept the window full). With the headroom the run is slightly longer and almost never throttled.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class WindowLimiter:
    """At most ``rate`` acquisitions in any ``window`` seconds, evenly spaced; served in arrival order.

    Evenly spaced rather than in bursts: a burst sent at the start of a window lands inside the
    receiver's window together with the next burst as soon as one request is delayed a little.
    """

    def __init__(
        self, rate: float, window: float = 1.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self._clock = clock
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        """Takes effect from the next acquisition; sends already made stay in the window."""
        self.limit = max(1, int(rate * self.window))
        self.spacing = self.window / self.limit

    @property
    def rate(self) -> float:
        return self.limit / self.window

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                while self._times and now - self._times[0] >= self.window:
                    self._times.popleft()
                wait = 0.0
                if self._times:
                    wait = self._times[-1] + self.spacing - now
                if len(self._times) >= self.limit:
                    wait = max(wait, self.window - (now - self._times[0]))
                if wait <= 0:
                    self._times.append(now)
                    return
                await asyncio.sleep(wait + 0.0005)


class SendLimiter:
    """Per-tenant and per-conversation windows; idle per-conversation windows are forgotten."""

    def __init__(
        self, tenant_rate: float = 50.0, conversation_rate: float = 7.0, *, headroom: float = 0.9
    ) -> None:
        self.tenant_rate = tenant_rate * headroom
        self.conversation_rate = conversation_rate * headroom
        self._tenants: dict[str, WindowLimiter] = {}
        self._conversations: dict[str, WindowLimiter] = {}

    def set_share(self, tenant_id: str, senders: int) -> None:
        """``senders`` dispatchers (this one included) are sending to this tenant now: pace at 1/senders."""
        self._tenant(tenant_id).set_rate(self.tenant_rate / max(1, senders))

    def rate(self, tenant_id: str) -> float:
        """The pace this process keeps for the tenant now, in sends per second."""
        return self._tenant(tenant_id).rate

    def _tenant(self, tenant_id: str) -> WindowLimiter:
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            tenant = self._tenants[tenant_id] = WindowLimiter(self.tenant_rate)
        return tenant

    async def acquire(self, tenant_id: str, conversation_key: str) -> None:
        conversation = self._conversations.get(conversation_key)
        if conversation is None:
            if len(self._conversations) > 10_000:
                self._conversations.clear()
            conversation = self._conversations[conversation_key] = WindowLimiter(self.conversation_rate)
        await conversation.acquire()
        await self._tenant(tenant_id).acquire()
