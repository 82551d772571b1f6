"""The HTTP face of the bot: ``POST /api/messages`` for Teams, ``GET /healthz`` for the load balancer.

Run it with ``python -m bot.app`` (``make run`` does, after creating the virtualenv).
"""

from __future__ import annotations

import logging

from aiohttp import web

import bot.dialogs
import bot.housekeeping
import bot.middleware  # noqa: F401  (registers the middleware chain)
from bot.auth import AuthError
from bot.config import Settings
from bot.handler import SspfBot, on_turn_error
from bot.http_guard import read_activity
from bot.lifecycle import SHUTDOWN_HOOKS, STARTUP_HOOKS  # before the flows, which register hooks
from bot.services import Services

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


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    database = await services.db.ping()
    body = {
        "status": "ok" if database else "degraded",
        "database": database,
        "mode": "local" if services.settings.local_mode else "authenticated",
    }
    return web.json_response(body, status=200 if database else 503)


def create_app(settings: Settings | None = None, services: Services | None = None) -> web.Application:
    settings = settings or Settings.from_env()
    services = services or Services.build(settings)
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SERVICES] = services
    services.adapter.on_turn_error = on_turn_error
    app[BOT] = SspfBot(services)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)

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
