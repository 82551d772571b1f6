"""Start-up and shut-down of the calendar backend (Microsoft Graph or the local .ics stand-in).

Why a hook and not a field on ``Services``: the backend is optional infrastructure like the reminder
dispatcher. Tests (and any embedding) inject their own backend by putting it in
``services.extras["calendar"]`` before the app starts — e.g. the real msgraph-sdk pointed at the local Graph
server with a stub credential; then nothing here builds, warms up or closes one.

``services.extras`` after start:
- ``calendar``: the ``CalendarBackend``;
- ``calendar_organizer``: a shared organiser mailbox (``GRAPH_ORGANIZER_ID``) or None, meaning meetings are
  organised from the booking coordinator's own mailbox;
- ``install_for_user``: ``install_bot_for_user`` (``bot.proactive`` uses it to open 1:1 chats);
- ``user_name_lookup``: a picked person's display name from the directory (the people picker sends ids).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.lifecycle import SHUTDOWN_HOOKS, STARTUP_HOOKS
from graph.factory import calendar_backend
from graph.settings import GraphSettings

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
TASKS = "calendar_tasks"


def repair_interval_seconds() -> float:
    """How often pending bookings and pending cancellations are retried (``SSPF_REPAIR_SECONDS``)."""
    return float(os.environ.get("SSPF_REPAIR_SECONDS") or 300)


async def start_calendar(services: Services) -> None:
    """Build the backend unless one was injected, warm the SDK up in a thread, start the repair loop."""
    extras = services.extras
    if extras.get("calendar") is None:
        settings = GraphSettings.from_env()
        extras["calendar"] = calendar_backend(settings, ics_directory=services.settings.ics_dir)
        extras["calendar_owned"] = True
        extras.setdefault("calendar_organizer", settings.organizer_id)
        kind = (
            "Microsoft Graph" if settings.configured else f"local .ics files in {services.settings.ics_dir}"
        )
        log.info("calendar backend: %s", kind)
    extras.setdefault("calendar_organizer", None)
    calendar = extras["calendar"]
    extras.setdefault("install_for_user", calendar.install_bot_for_user)

    async def user_name(aad_id: str) -> str | None:
        user = await calendar.get_user(aad_id)
        return user.display_name if user else None

    extras.setdefault("user_name_lookup", user_name)
    tasks: list[asyncio.Task[None]] = extras.setdefault(TASKS, [])
    if calendar.sends_real_invitations and extras.get("calendar_owned"):
        from graph.client import warm_up

        async def warm() -> None:
            await warm_up()  # imports in a worker thread; the loop keeps serving turns meanwhile

        tasks.append(asyncio.create_task(warm(), name="graph-warm-up"))
    tasks.append(asyncio.create_task(_repair_loop(services), name="meeting-repair"))


async def _repair_loop(services: Services) -> None:
    """Finish what a crash or a Graph outage left: at start, then every ``repair_interval_seconds``."""
    from bot import telemetry
    from bot.booking_service import cancel_pending_meetings, reconcile_pending_meetings
    from bot.logging_setup import correlation

    while True:
        with correlation("booking-repair"), telemetry.span("booking.repair"):
            try:
                await cancel_pending_meetings(services)
                await reconcile_pending_meetings(services, older_than=timedelta(minutes=2))
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end the loop
                log.exception("meeting repair pass failed")
        await asyncio.sleep(repair_interval_seconds())


async def stop_calendar(services: Services) -> None:
    for task in services.extras.pop(TASKS, []):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    calendar = services.extras.get("calendar")
    if services.extras.pop("calendar_owned", False) and calendar is not None:
        client = getattr(calendar, "client", None)
        if client is not None:
            from graph.client import close_graph_client

            await close_graph_client(client)
        services.extras.pop("calendar", None)


STARTUP_HOOKS.append(start_calendar)
SHUTDOWN_HOOKS.append(stop_calendar)
