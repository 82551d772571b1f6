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


def bare_app(database_url: str = "") -> web.Application:
    """With ``database_url``, each message first makes the bot's replay-guard insert, in its own
    transaction through the bare driver (asyncpg / aiosqlite): the floor of a turn that touches the
    database, with no framework and no ORM in between."""
    template = help_card_activity()
    app = web.Application()
    session_key = web.AppKey("session", aiohttp.ClientSession)
    guard = GuardWriter(database_url) if database_url else None

    async def messages(request: web.Request) -> web.Response:
        activity = await request.json()
        conv = activity["conversation"]
        if guard is not None and not await guard.first_time(f"act:{conv['id']}:{activity['id']}"):
            return web.Response(status=200)
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
        if guard is not None:
            await guard.open()

    async def close_session(app: web.Application) -> None:
        await app[session_key].close()
        if guard is not None:
            await guard.close()

    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    app.router.add_post("/api/messages", messages)
    return app


class GuardWriter:
    """The replay-guard row the bot writes per turn, written with nothing but the driver."""

    SQL = "INSERT INTO idempotency_key (key, created_at) VALUES ({0}, {1}) ON CONFLICT DO NOTHING"

    def __init__(self, database_url: str) -> None:
        from store.db import normalize_url

        self.url = normalize_url(database_url)
        self.sqlite = self.url.startswith("sqlite")
        self.pool: Any = None
        self.lock = asyncio.Lock()

    async def open(self) -> None:
        from store.db import make_engine
        from store.migrate import migrate

        engine = make_engine(self.url)  # the same schema as the bot's: its own migrations
        await migrate(engine)
        await engine.dispose()
        if self.sqlite:
            import aiosqlite

            self.pool = await aiosqlite.connect(self.url.split(":///", 1)[1], timeout=30)
            await self.pool.execute("PRAGMA journal_mode=WAL")
            await self.pool.execute("PRAGMA synchronous=NORMAL")
        else:
            import asyncpg

            self.pool = await asyncpg.create_pool(self.url.replace("+asyncpg", ""), min_size=10, max_size=10)

    async def first_time(self, key: str) -> bool:
        from store.types import utcnow

        if self.sqlite:
            async with self.lock:  # one writer, as in the bot
                stamp = utcnow().replace(tzinfo=None).isoformat(" ")  # as the bot's column type stores it
                cursor = await self.pool.execute(self.SQL.format("?", "?"), (key, stamp))
                await self.pool.commit()
                return cursor.rowcount == 1
        status = await self.pool.execute(self.SQL.format("$1", "$2"), key, utcnow())
        return status.endswith(" 1")

    async def close(self) -> None:
        await self.pool.close()


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
    parser.add_argument("kind", choices=["bare", "bare-db", "bot", "stock", "connector"])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--ics-dir", default="var/ics")
    parser.add_argument("--profile", default="", help="write a cProfile of the server's run to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    builders: dict[str, Callable[[], web.Application]] = {
        "bare": bare_app,
        "bare-db": lambda: bare_app(args.database_url),
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
