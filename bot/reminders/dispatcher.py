"""The reminder dispatcher: claims due rows, sends one card per person, records what Teams answered.

APScheduler 3 (``AsyncIOScheduler``, memory job store) only wakes it: at the next due time and on a
safety interval. What must last is in the ``reminder`` table, so a restart, a missed wake-up or a
second replica changes nothing: rows due while the bot was down are sent once, late.

One run: outside polite time (Swedish working days 08–17 Stockholm) nothing is claimed and the next
wake-up is the next working morning. Otherwise: claim whole recipients in batches, read each card's
content fresh (stale reminders are cancelled, not sent), pace sends per tenant and per conversation,
and mark rows sent only when the connector said 2xx. 403/404 marks them undeliverable and tells the
tenant's coordinators (once per person); other failures go back to pending with backoff.

The clock is injectable: tests call ``await dispatcher.run_once(now=...)`` and move time forward; a bot
running as its own process (the e2e tests) reads it from ``SSPF_FAKE_CLOCK_FILE`` in local mode.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import insert

from bot import telemetry
from bot.cards.budget import fits
from bot.cards.elements import message_activity
from bot.cards.reminders import reminder_card
from bot.lifecycle import SHUTDOWN_HOOKS, STARTUP_HOOKS
from bot.logging_setup import correlation
from bot.preferences import chosen_languages, recipient_translator
from bot.proactive import Delivery, send_payload_to_reference, send_payload_to_user
from bot.reminders.content import ReminderItem, load_items, person_name
from bot.reminders.limiter import SendLimiter
from domain.reminders import ReminderSettings
from domain.worktime import is_polite_time, next_polite_time
from store.models import AuditEvent, Reminder
from store.queries import reminders as q
from store.queries.conversations import personal_references
from store.types import utcnow

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.services import Services

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
EXTRAS_KEY = "reminders"
SYSTEM_ACTOR = "system:reminders"
CARD_ITEMS = 20  # items per reminder card; more due for one person go out as further cards
NOTICE_DELAY = timedelta(minutes=1)  # the coordinator's note goes out with the next run, not this one
SHARE_REFRESH_S = 0.25  # how often a sending dispatcher re-counts the replicas it shares a tenant's rate with


def offset_clock(start: datetime) -> Clock:
    """A clock that starts at ``start`` and runs at real speed (demos and benchmarks on any weekday)."""
    real_start = utcnow()
    return lambda: start + (utcnow() - real_start)


def file_clock(path: Path) -> Clock:
    """A clock a test moves from outside the process: ``path`` holds an ISO instant, and time runs on from
    it at real speed from the moment the file was written. No file, or an empty one: real time.

    Why a file: an end-to-end test drives the bot as a separate process and must not sleep for days; it
    writes the instant it wants and the next wake-up (and every card press) sees it.
    """

    def now() -> datetime:
        try:
            text = path.read_text(encoding="utf-8").strip()
            written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            return utcnow()
        if not text:
            return utcnow()
        start = datetime.fromisoformat(text)
        if start.tzinfo is None:
            raise ValueError(f"{path}: the instant needs a time zone, e.g. 2026-12-01T09:00:00+00:00")
        return start.astimezone(UTC) + max(timedelta(0), utcnow() - written)

    return now


def clock_for(settings: Settings) -> Clock | None:
    """The configured clock: a fake clock file (local mode only), a fixed start instant, or real time."""
    if settings.reminder_clock_file:
        if settings.local_mode:
            log.warning("reminder clock read from %s (SSPF_FAKE_CLOCK_FILE)", settings.reminder_clock_file)
            return file_clock(Path(settings.reminder_clock_file))
        log.warning(
            "SSPF_FAKE_CLOCK_FILE ignored: a fake clock is for local runs only (MicrosoftAppId is set)"
        )
    if settings.reminder_clock_start:
        return offset_clock(datetime.fromisoformat(settings.reminder_clock_start).astimezone(UTC))
    return None


@dataclass
class RunReport:
    started: datetime
    waiting_until: datetime | None = None  # outside polite time: when sending resumes
    claimed: int = 0
    cards: int = 0
    items_sent: int = 0
    failed: int = 0
    undeliverable: int = 0
    stale: int = 0
    recipients: list[str] = field(default_factory=list)


class ReminderDispatcher:
    def __init__(
        self,
        services: Services,
        *,
        clock: Clock | None = None,
        worker_id: str | None = None,
        batch_size: int = 200,
        concurrency: int = 16,
        lease: timedelta | None = None,
        interval: float | None = None,
        max_attempts: int = 12,
        digests: bool = True,
    ) -> None:
        settings = services.settings
        self.services = services
        self.clock: Clock = clock or utcnow
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.batch_size = batch_size
        self.lease = lease or timedelta(seconds=settings.reminder_lease_s)
        self.interval = interval if interval is not None else settings.reminder_interval_s
        self.max_attempts = max_attempts
        self.digests = digests
        self.limiter = SendLimiter(settings.reminder_tenant_rate, settings.reminder_conversation_rate)
        self._share_counted: dict[str, float] = {}
        self._sends = asyncio.Semaphore(concurrency)
        self._run_lock = asyncio.Lock()
        self._again = False
        self._stopping = False
        self._scheduler: AsyncIOScheduler | None = None
        self.runs: list[RunReport] = []
        self.beat: float | None = None  # time.monotonic() of the last finished wake-up or batch (readiness)

    # --- wake-ups ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Wake at once, at every next due time and every ``interval`` seconds (the safety net)."""
        scheduler = AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        scheduler.add_job(self.wake, "interval", seconds=self.interval, id="reminders-safety")
        scheduler.add_job(self.wake, "date", run_date=datetime.now(UTC), id="reminders-next")
        scheduler.start()
        self._scheduler = scheduler
        self.beat = time.monotonic()
        log.info("reminder dispatcher %s started (safety wake-up every %ss)", self.worker_id, self.interval)

    async def stop(self) -> None:
        self._stopping = True
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        async with self._run_lock:  # let a run in progress finish its batch
            pass

    async def wake(self) -> None:
        """A wake-up while a run is in progress asks for one more run instead of a parallel one."""
        if self._run_lock.locked():
            self._again = True
            self.beat = time.monotonic()
            return
        while True:
            self._again = False
            try:
                with correlation("reminders"), telemetry.span("reminders.run"):
                    telemetry.record_reminder_run(await self.run_once())
            except Exception:
                log.exception("reminder run failed; the rows stay and the next wake-up retries")
            self.beat = time.monotonic()
            if not self._again or self._stopping:
                return

    def alive(self, intervals: float = 3.0) -> bool:
        """Wake-ups are scheduled and happen: a wake-up or a batch of a long run finished within the
        last ``intervals`` safety intervals. (A long run keeps the safety job's own wake-ups from firing:
        its batches count.)"""
        if self._scheduler is None or not self._scheduler.running or self.beat is None:
            return False
        return time.monotonic() - self.beat < intervals * self.interval

    def _schedule_next(self, at: datetime | None) -> None:
        if self._scheduler is None or at is None:
            return
        delay = max(0.0, (at - self.clock()).total_seconds())
        run_date = datetime.now(UTC) + timedelta(seconds=delay)
        self._scheduler.add_job(
            self.wake, "date", run_date=run_date, id="reminders-next", replace_existing=True
        )

    # --- one run ---------------------------------------------------------------------------------------

    async def run_once(self, now: datetime | None = None) -> RunReport:
        """Send what is due at ``now`` (default: the clock). Safe to call from tests at any moment."""
        async with self._run_lock:
            started = (now or self.clock()).astimezone(UTC)
            t0 = time.monotonic()
            report = RunReport(started)

            def current() -> datetime:
                return started + timedelta(seconds=time.monotonic() - t0)

            async with self.services.db.transaction() as session:  # planning needs no polite time
                if self.digests:
                    await q.ensure_weekly_digests(session, started)
                await q.ensure_meeting_preparations(session, started)
            if not is_polite_time(started):
                report.waiting_until = next_polite_time(started)
                self._schedule_next(report.waiting_until)
                self.runs.append(report)
                return report
            while not self._stopping:
                at = current()
                if not is_polite_time(at):
                    break
                async with self.services.db.transaction() as session:
                    rows = await q.claim_due(session, at, self.worker_id, self.batch_size, self.lease)
                if not rows:
                    break
                report.claimed += len(rows)
                await self._deliver_batch(rows, current, report)
                self.beat = time.monotonic()
            async with self.services.db.session() as session:
                upcoming = await q.next_wake(session)
            if upcoming is not None:
                self._schedule_next(next_polite_time(max(upcoming, current())))
            self.runs.append(report)
            log.info("reminder run: %s", report)
            return report

    async def _deliver_batch(
        self, rows: list[Reminder], current: Callable[[], datetime], report: RunReport
    ) -> None:
        """Read the batch's content and chats in one go, then send one card per person concurrently."""
        try:
            async with self.services.db.transaction() as session:
                loaded = await load_items(session, rows, current())
                for reason in set(loaded.stale.values()):
                    await q.cancel(session, [i for i, why in loaded.stale.items() if why == reason], reason)
                report.stale += len(loaded.stale)
                recipients = {(r.tenant_id, r.recipient_aad_id) for r in rows}
                references = await personal_references(session, recipients)
                languages = await chosen_languages(session, references)  # each person's språk choice
                await self._count_senders(session, {r.tenant_id for r in rows}, current())
        except Exception as exc:
            log.exception("reading a reminder batch failed")
            async with self.services.db.transaction() as session:
                ids = [r.id for r in rows]
                await q.mark_failed(
                    session, ids, self.worker_id, current(), repr(exc), max_attempts=self.max_attempts
                )
            report.failed += len(rows)
            return
        by_id = {item.reminder_id: item for item in loaded.items}
        groups: dict[tuple[str, str], list[tuple[Reminder, ReminderItem]]] = {}
        for row in rows:
            if row.id in by_id:
                groups.setdefault((row.tenant_id, row.recipient_aad_id), []).append((row, by_id[row.id]))
        await asyncio.gather(
            *(
                self._deliver(
                    tenant,
                    recipient,
                    group,
                    references.get((tenant, recipient)),
                    current,
                    report,
                    lang=languages.get((tenant, recipient)),
                )
                for (tenant, recipient), group in groups.items()
            )
        )

    async def _deliver(
        self,
        tenant_id: str,
        recipient: str,
        group: list[tuple[Reminder, ReminderItem]],
        reference: dict[str, Any] | None,
        current: Callable[[], datetime],
        report: RunReport,
        *,
        lang: str | None = None,
    ) -> None:
        """One card per ``CARD_ITEMS`` of a person's items, in order, halved again while a card would be
        over the card budget (long texts): however many are due, none is left out and no card is built
        that Teams would refuse; each card is recorded on its own (a constant number of statements)."""
        t = recipient_translator(lang, reference, self.services.settings.locale)
        pages = [group[i : i + CARD_ITEMS] for i in range(0, len(group), CARD_ITEMS)]
        while pages:
            page = pages.pop(0)
            if len(page) > 1 and not fits(reminder_card(t, [i for _, i in page], head=page[0][0].id)):
                half = len(page) // 2
                pages[:0] = [page[:half], page[half:]]
                continue
            await self._deliver_page(tenant_id, recipient, page, reference, current, report, lang=lang)

    async def _deliver_page(
        self,
        tenant_id: str,
        recipient: str,
        group: list[tuple[Reminder, ReminderItem]],
        reference: dict[str, Any] | None,
        current: Callable[[], datetime],
        report: RunReport,
        *,
        lang: str | None = None,
    ) -> None:
        items = [item for _, item in group]
        try:
            async with self._sends:
                settings = self.services.settings
                # The recipient's ``språk`` choice, else the locale Teams reported in their chat (botbuilder
                # stores it in the reference), else the default (bot/preferences.py).
                t = recipient_translator(lang, reference, settings.locale)
                head_row = group[0][0]
                card = reminder_card(t, items, head=head_row.id)
                count = len(items)
                summary = t("reminders.title_one") if count == 1 else t("reminders.title_many", count=count)
                payload = message_activity(card, summary=summary)
                await self.refresh_share(tenant_id, current())
                await self.limiter.acquire(tenant_id, recipient)
                if reference is not None:
                    delivery = await send_payload_to_reference(self.services, reference, payload)
                else:  # no 1:1 chat yet: open one (stores its reference)
                    async with self.services.db.transaction() as session:
                        delivery = await send_payload_to_user(
                            self.services, session, tenant_id, recipient, payload
                        )
                async with self.services.db.transaction() as session:
                    await self._record(
                        session, tenant_id, recipient, items, delivery, head_row, current(), report
                    )
        except Exception as exc:  # a bug or the database: give the claim back with an attempt counted
            log.exception("delivering reminders to %s failed", recipient)
            ids = [item.reminder_id for item in items]
            async with self.services.db.transaction() as session:
                await q.mark_failed(
                    session, ids, self.worker_id, current(), repr(exc), max_attempts=self.max_attempts
                )
            report.failed += len(ids)

    async def refresh_share(self, tenant_id: str, now: datetime) -> None:
        """Every SHARE_REFRESH_S per tenant: how many replicas send to it now (this one included)."""
        if time.monotonic() - self._share_counted.get(tenant_id, -SHARE_REFRESH_S) < SHARE_REFRESH_S:
            return
        self._share_counted[tenant_id] = time.monotonic()  # the other sends in flight need not ask too
        async with self.services.db.session() as session:
            await self._count_senders(session, {tenant_id}, now)

    async def _count_senders(self, session, tenant_ids: set[str], now: datetime) -> None:
        counts = await q.senders_per_tenant(session, tenant_ids, now)
        for tenant_id in tenant_ids:
            self._share_counted[tenant_id] = time.monotonic()
            self.limiter.set_share(tenant_id, counts.get(tenant_id, 0))

    async def _record(
        self,
        session,
        tenant_id: str,
        recipient: str,
        items: list[ReminderItem],
        delivery: Delivery,
        head: Reminder,
        now: datetime,
        report: RunReport,
    ) -> None:
        ids = [item.reminder_id for item in items]
        if delivery.sent:
            marked = await q.mark_sent(
                session,
                ids,
                self.worker_id,
                now,
                card_head=head.id,
                head_payload=head.payload,
                activity_id=delivery.activity_id,
            )
            if marked < len(ids):
                log.warning(
                    "%d of %d reminders were no longer ours when marked sent", len(ids) - marked, len(ids)
                )
            report.cards += 1
            report.items_sent += marked
            report.recipients.append(recipient)
            audit = [
                {
                    "tenant_id": tenant_id,
                    "at": now,
                    "actor_aad_id": SYSTEM_ACTOR,
                    "case_id": case_id,
                    "entity": "reminder",
                    "action": "read",
                    "verb": "reminder.sent",
                    "detail": {"reminder_id": item.reminder_id, "kind": item.kind, "to": recipient},
                }
                for item in items
                for case_id in ([c.case_id for c in item.digest] if item.digest else [item.case_id])
                if case_id
            ]
            if audit:  # the recipient now sees case data: recorded like any other read
                await session.execute(insert(AuditEvent), audit)
        elif delivery.status == "too_large":  # the card's fault, never the person's: not undeliverable
            again, gave_up = await q.mark_failed(
                session,
                ids,
                self.worker_id,
                now,
                delivery.error or "too_large",
                max_attempts=self.max_attempts,
            )
            report.failed += again + gave_up
        elif delivery.status == "undeliverable":
            await q.mark_undeliverable(session, ids, self.worker_id, now, delivery.error or "undeliverable")
            report.undeliverable += len(ids)
            if any(item.kind != q.UNDELIVERABLE_NOTICE for item in items):
                codes = [item.case_code for item in items if item.case_code]
                await q.notify_undeliverable(
                    session,
                    tenant_id,
                    recipient,
                    person_name=await person_name(session, recipient),
                    case_codes=codes,
                    due_at=now + NOTICE_DELAY,
                )
        else:
            again, gave_up = await q.mark_failed(
                session,
                ids,
                self.worker_id,
                now,
                delivery.error or delivery.status,
                max_attempts=self.max_attempts,
            )
            report.failed += again
            report.undeliverable += gave_up


# --- app wiring ------------------------------------------------------------------------------------------


def dispatcher_of(services: Services) -> ReminderDispatcher | None:
    found = services.extras.get(EXTRAS_KEY)
    return found if isinstance(found, ReminderDispatcher) else None


def clock_of(services: Services) -> Clock:
    dispatcher = dispatcher_of(services)
    return dispatcher.clock if dispatcher is not None else utcnow


async def start_reminders(services: Services) -> None:
    """STARTUP_HOOK: the dispatcher always exists (tests drive it); wake-ups only if enabled."""
    settings = services.settings
    q.set_default_settings(ReminderSettings(escalate_after_working_days=settings.escalation_days))
    dispatcher = ReminderDispatcher(services, clock=clock_for(settings))
    services.extras[EXTRAS_KEY] = dispatcher
    if settings.reminders:
        dispatcher.start()
    else:
        log.info("reminder wake-ups are off (SSPF_REMINDERS=off); rows wait in the database")


async def stop_reminders(services: Services) -> None:
    dispatcher = dispatcher_of(services)
    if dispatcher is not None:
        await dispatcher.stop()


STARTUP_HOOKS.append(start_reminders)
SHUTDOWN_HOOKS.append(stop_reminders)
