"""The HTTP face of the bot: ``POST /api/messages`` for Teams, ``GET /livez`` and ``GET /readyz`` (and
``/healthz``, the same as ``/readyz``) for the orchestrator and the load balancer.

Run it with ``python -m bot.app`` (``make run`` does, after creating the virtualenv).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

import bot.dialogs
import bot.housekeeping
import bot.middleware  # noqa: F401  (registers the middleware chain)
from bot.auth import AuthError
from bot.config import Settings
from bot.handler import SspfBot, on_turn_error
from bot.http_guard import read_activity
from bot.lifecycle import SHUTDOWN_HOOKS, STARTUP_HOOKS  # before the flows, which register hooks
from bot.reminders.dispatcher import dispatcher_of
from bot.services import Services
from store.models import IdempotencyKey
from store.queries import dialect_insert
from store.types import utcnow

log = logging.getLogger(__name__)
SERVICES = web.AppKey("services", Services)
BOT = web.AppKey("bot", SspfBot)


async def messages(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    settings = services.settings
    authorization = request.headers.get("Authorization")
    if not settings.local_mode and not authorization:
        raise web.HTTPUnauthorized(text="missing bearer token")
    activity = await read_activity(request, settings.max_body_bytes)
    claims = None
    if not settings.local_mode:
        try:
            claims = await services.validator.validate(authorization, activity.service_url)
        except AuthError as exc:
            log.info("refused request: %s", exc)
            raise web.HTTPUnauthorized(text="invalid bearer token") from None
    status, body = await services.adapter.process(activity, request.app[BOT].on_turn, claims)
    if body is None:
        return web.Response(status=int(status))
    return web.json_response(body, status=int(status))


async def livez(_: web.Request) -> web.Response:
    """Liveness: the process answers HTTP. No I/O, so a database outage never restarts every replica."""
    return web.json_response({"status": "alive"})


READY_CHECK_TIMEOUT_S = 2.0  # each readiness check; they run side by side, so /readyz answers within it
READY_KEY = f"ready:{socket.gethostname()}:{os.getpid()}"[:400]  # this process's row in idempotency_key
REMINDER_STALL_INTERVALS = 3.0  # the dispatcher is dead after this many safety intervals without a beat

Check = Callable[[Services], Awaitable[tuple[bool, str]]]


async def _database_writable(services: Services) -> tuple[bool, str]:
    """A real committed write, on the table every turn writes to (the replay guard's): a full disk, a
    read-only database or a lost writer lock fail here, where a ``SELECT 1`` would still pass. One row
    per process, refreshed; housekeeping deletes it a week after the process is gone."""
    async with services.db.transaction() as session:
        stmt = dialect_insert(session, IdempotencyKey).values(key=READY_KEY, created_at=utcnow())
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[IdempotencyKey.key], set_={"created_at": stmt.excluded.created_at}
            )
        )
    return True, "writable"


async def _signing_keys(services: Services) -> tuple[bool, str]:
    if services.settings.local_mode:
        return True, "not used in local mode"
    ready = getattr(services.validator, "ready", None)
    if ready is None:
        return True, "not checked"
    answer = ready()
    if inspect.isawaitable(answer):
        answer = await answer
    return bool(answer), "loaded" if answer else "not loaded"


async def _reminders(services: Services) -> tuple[bool, str]:
    if not services.settings.reminders:
        return True, "wake-ups off"
    dispatcher = dispatcher_of(services)
    if dispatcher is None:
        return False, "not started"
    if dispatcher.alive(REMINDER_STALL_INTERVALS):
        return True, "awake"
    return False, "no wake-up lately"


READY_CHECKS: dict[str, Check] = {
    "database": _database_writable,
    "signing_keys": _signing_keys,
    "reminders": _reminders,
}


async def _run_check(check: Check, services: Services) -> dict[str, Any]:
    try:
        async with asyncio.timeout(READY_CHECK_TIMEOUT_S):
            ok, detail = await check(services)
    except TimeoutError:
        ok, detail = False, "timed out"
    except Exception as exc:  # the class only: messages can hold SQL, URLs or parameters
        log.warning("readiness check failed: %s", type(exc).__name__)
        ok, detail = False, f"failed: {type(exc).__name__}"
    return {"ok": ok, "detail": detail}


async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 only when this replica can take a turn (database writable, signing keys loaded,
    reminder dispatcher awake); 503 otherwise, so the load balancer sends Teams elsewhere meanwhile."""
    services = request.app[SERVICES]
    names = list(READY_CHECKS)
    results = await asyncio.gather(*(_run_check(READY_CHECKS[n], services) for n in names))
    checks = dict(zip(names, results, strict=True))
    ready = all(c["ok"] for c in results)
    body = {
        "status": "ok" if ready else "not ready",
        "mode": "local" if services.settings.local_mode else "authenticated",
        "checks": checks,
    }
    return web.json_response(body, status=200 if ready else 503)


def create_app(settings: Settings | None = None, services: Services | None = None) -> web.Application:
    settings = settings or Settings.from_env()
    services = services or Services.build(settings)
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SERVICES] = services
    services.adapter.on_turn_error = on_turn_error
    app[BOT] = SspfBot(services)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/healthz", readyz)  # the older name, kept for existing probes and scripts

    async def start(_: web.Application) -> None:
        await services.start()
        for hook in STARTUP_HOOKS:
            await hook(services)

    async def stop(_: web.Application) -> None:
        for hook in SHUTDOWN_HOOKS:
            await hook(services)
        await services.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every wake-up at INFO
    settings = Settings.from_env()
    log.info("SSPF bot listening on http://%s:%d/api/messages", settings.host, settings.port)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)


if __name__ == "__main__":
    main()
