"""The HTTP face of the bot: ``POST /api/messages`` for Teams, ``GET /livez`` and ``GET /readyz`` (and
``/healthz``, the same as ``/readyz``) for the orchestrator and the load balancer.

Run it with ``python -m bot.app`` (``make run`` does, after creating the virtualenv).
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import logging
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

import bot.dialogs
import bot.housekeeping
import bot.middleware  # noqa: F401  (registers the middleware chain)
from bot import logging_setup, telemetry
from bot.auth import AuthError
from bot.config import ConfigError, Settings
from bot.handler import SspfBot, on_turn_error
from bot.http_guard import read_activity, server_options
from bot.lifecycle import SHUTDOWN_HOOKS, STARTUP_HOOKS  # before the flows, which register hooks
from bot.reminders.dispatcher import dispatcher_of
from bot.services import Services
from store.db import normalize_url
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
    # The turn's correlation id: the activity id (Teams' re-send of it gets the same) when it is a
    # plain id, else a generated one; every log line of the turn and of its background work has it.
    logging_setup.CORRELATION_ID.set(logging_setup.safe_id(activity.id))
    request[ACTIVITY_TYPE] = activity.type
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


ACTIVITY_TYPE = web.RequestKey("sspf_activity_type", str)


@web.middleware
async def observe_turns(request: web.Request, handler: Any) -> web.StreamResponse:
    """Each ``POST /api/messages``: a correlation scope for its log lines, a span and its latency
    (``bot/telemetry.py``, nothing without a connection string). Probes pass through untouched."""
    if request.path != "/api/messages":
        return await handler(request)
    started = time.monotonic()
    status = 500
    with logging_setup.correlation("turn"), telemetry.span("POST /api/messages") as current:
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            activity_type = request.get(ACTIVITY_TYPE)
            telemetry.record_turn(activity_type, status, time.monotonic() - started)
            if current is not None:
                current.set_attribute("http.response.status_code", status)
                current.set_attribute("activity.type", str(activity_type or ""))
                current.set_attribute("sspf.correlation_id", logging_setup.CORRELATION_ID.get() or "")


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
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[observe_turns])
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


EXIT_CONFIG = 2  # a setting is wrong: fix the environment (a restart will not help)
EXIT_START = 1  # could not start: address in use, database unreachable at start, …


def _check_listen(host: str, port: int) -> None:
    """Raise the OSError that listening on ``host:port`` would (address in use, unknown host)."""
    for family, kind, proto, _, address in socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)


def main() -> None:
    """``python -m bot.app`` (and the ``sspf-bot`` entry point). Logging from ``SSPF_LOG_FORMAT`` and
    ``SSPF_LOG_LEVEL``, telemetry from ``APPLICATIONINSIGHTS_CONNECTION_STRING``; a configuration error
    is one line on stderr and exit status 2, never a traceback."""
    try:
        logging_setup.configure(os.environ)
        settings = Settings.from_env()
        normalize_url(settings.database_url)
        telemetry.configure_from_env(os.environ)
    except (ConfigError, ValueError) as exc:
        print(f"sspf-bot: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    try:
        _check_listen(settings.host, settings.port)  # before migrations and background jobs start
        log.info("SSPF bot listening on http://%s:%d/api/messages", settings.host, settings.port)
        app = create_app(settings)
        web.run_app(app, host=settings.host, port=settings.port, print=None, **server_options(app))
    except OSError as exc:
        where = (
            f" on {settings.host}:{settings.port}"
            if exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)
            else ""
        )
        log.error("could not start%s: %s %s", where, type(exc).__name__, exc.strerror or "")
        raise SystemExit(EXIT_START) from None


if __name__ == "__main__":
    main()
