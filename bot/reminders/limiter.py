"""Outbound pacing for proactive messages, the way Teams counts: sends per sliding one-second window.

Teams throttles a bot at 50 requests/s per app per tenant and 7 messages/s per conversation and
answers 429 above that. A classic token bucket with a burst lets up to twice the rate through in one
window, which Teams would refuse; a sliding window of send times never does. One limiter per tenant
and per conversation (here: per recipient, who has one 1:1 chat with the bot).

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
        self.limit = max(1, int(rate * window))
        self.window = window
        self.spacing = window / self.limit
        self._clock = clock
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()

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

    async def acquire(self, tenant_id: str, conversation_key: str) -> None:
        conversation = self._conversations.get(conversation_key)
        if conversation is None:
            if len(self._conversations) > 10_000:
                self._conversations.clear()
            conversation = self._conversations[conversation_key] = WindowLimiter(self.conversation_rate)
        await conversation.acquire()
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            tenant = self._tenants[tenant_id] = WindowLimiter(self.tenant_rate)
        await tenant.acquire()
