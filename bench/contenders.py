"""The servers under test, each started in its own process: ``python -m bench.contenders KIND``.

- ``bare``: the floor any Python bot can reach here: parse the activity JSON, POST the reply (the
  same help card the bot sends, built once) back to the connector with one shared ``ClientSession``.
- ``bot``: our bot as shipped (``bot.app.create_app``, local mode) on the database given by
  ``--database-url``; every ``hjälp`` turn runs the replay guard, the reference upsert when it changed,
  the coordinator lookup and the reply, in one transaction.
- ``stock``: botbuilder's own ``CloudAdapter`` (emulator mode) with a trivial handler sending the
  same card, for the record.

Each prints ``READY <port>`` on stdout once it listens on 127.0.0.1 (an OS-chosen port), then serves
until it is terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web


def help_card_activity() -> dict[str, Any]:
    """The reply the bot gives to ``hjälp`` for a non-coordinator, so every contender sends the same bytes."""
    from bot.cards.elements import message_activity
    from bot.cards.help import help_card
    from bot.dialogs import help as _help  # noqa: F401  (registers the routes the card lists)
    from bot.i18n import translator
    from bot.registry import registry

    t = translator("sv-SE")
    lines = [
        (r.phrases[0] if r.phrases else r.verb, t(r.help_key)) for r in registry.routes.values() if r.help_key
    ]
    return message_activity(help_card(t, lines), summary=t("help.title"))


# --- bare aiohttp ---------------------------------------------------------------------------------


def bare_app() -> web.Application:
    template = help_card_activity()
    app = web.Application()
    session_key = web.AppKey("session", aiohttp.ClientSession)

    async def messages(request: web.Request) -> web.Response:
        activity = await request.json()
        conv = activity["conversation"]
        reply = {
            **template,
            "replyToId": activity["id"],
            "conversation": conv,
            "from": activity["recipient"],
            "recipient": activity["from"],
            "serviceUrl": activity["serviceUrl"],
            "channelId": activity["channelId"],
            "locale": activity.get("locale"),
        }
        url = (
            f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{quote(conv['id'], safe='')}"
            f"/activities/{quote(activity['id'], safe='')}"
        )
        async with request.app[session_key].post(url, json=reply) as resp:
            await resp.read()
            if resp.status >= 300:
                return web.Response(status=502)
        return web.Response(status=200)

    async def open_session(app: web.Application) -> None:
        app[session_key] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))

    async def close_session(app: web.Application) -> None:
        await app[session_key].close()

    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    app.router.add_post("/api/messages", messages)
    return app


# --- our bot --------------------------------------------------------------------------------------


def bot_app(database_url: str, ics_dir: str) -> web.Application:
    from bot.app import create_app
    from bot.config import Settings

    settings = Settings(
        database_url=database_url, coordinators=(("*", "aad-bench-coordinator"),), ics_dir=ics_dir
    )
    return create_app(settings)


# --- stock botbuilder -----------------------------------------------------------------------------


def stock_app() -> web.Application:
    from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    class EmulatorConfig:
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    card = help_card_activity()
    content = card["attachments"][0]["content"]

    class TrivialBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            reply = MessageFactory.attachment(CardFactory.adaptive_card(content))
            reply.summary = card["summary"]
            await turn_context.send_activity(reply)

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(EmulatorConfig()))
    bot = TrivialBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


# --- the loopback connector -----------------------------------------------------------------------


def connector_app() -> web.Application:
    from bench.connector import make_app

    return make_app()


async def serve(build: Callable[[], web.Application]) -> None:
    runner = web.AppRunner(build(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"READY {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["bare", "bot", "stock", "connector"])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--ics-dir", default="var/ics")
    parser.add_argument("--profile", default="", help="write a cProfile of the server's run to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    builders: dict[str, Callable[[], web.Application]] = {
        "bare": bare_app,
        "bot": lambda: bot_app(args.database_url, args.ics_dir),
        "stock": stock_app,
        "connector": connector_app,
    }
    run: Callable[[], Awaitable[None]] = lambda: serve(builders[args.kind])  # noqa: E731
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        try:
            asyncio.run(run())
        finally:
            profiler.disable()
            profiler.dump_stats(args.profile)
        return
    asyncio.run(run())


if __name__ == "__main__":
    main()
