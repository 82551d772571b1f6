"""A minimal loopback Bot Connector for the benchmark, run in its own process.

It does only what the benchmark needs: accept replies on the v3 conversations API, check that each
one carries a card, and note when it arrived (``time.monotonic`` is the system-wide monotonic clock
on Linux, so the load generator in another process can subtract its own send times from it).
Recording every body as the test harness's connector does would make the counter the bottleneck.
"""

from __future__ import annotations

import itertools
import json
import time

from aiohttp import web

ARRIVALS = web.AppKey("arrivals", dict)
REJECTED = web.AppKey("rejected", list)


async def _reply(request: web.Request) -> web.Response:
    body = json.loads(await request.read())
    reply_to = request.match_info.get("activity_id") or body.get("replyToId") or ""
    if body.get("type") == "message" and body.get("attachments"):
        request.app[ARRIVALS][reply_to] = time.monotonic()
    else:
        request.app[REJECTED].append(reply_to)
    return web.json_response({"id": f"msg-{next(_ids)}"}, status=201)


async def _arrivals(request: web.Request) -> web.Response:
    return web.json_response({"arrivals": request.app[ARRIVALS], "rejected": len(request.app[REJECTED])})


async def _count(request: web.Request) -> web.Response:
    return web.json_response({"count": len(request.app[ARRIVALS])})


async def _reset(request: web.Request) -> web.Response:
    request.app[ARRIVALS].clear()
    request.app[REJECTED].clear()
    return web.json_response({"count": 0})


_ids = itertools.count(1)


def make_app() -> web.Application:
    app = web.Application()
    app[ARRIVALS] = {}
    app[REJECTED] = []
    base = "/v3/conversations/{conversation_id}/activities"
    app.router.add_post(base, _reply)
    app.router.add_post(base + "/{activity_id}", _reply)
    app.router.add_get("/_bench/arrivals", _arrivals)
    app.router.add_get("/_bench/count", _count)
    app.router.add_post("/_bench/reset", _reset)
    return app
