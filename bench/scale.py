"""Cost per turn as the municipality grows: SQL statements, card bytes and turn time per verb.

    python -m bench.scale                 # 10, 100, 1000 items per axis; SQLite and PostgreSQL
    python -m bench.scale --sizes 10,100,1000,10000 --db sqlite --repeat 3
    python -m bench.scale --only my_actions,booking_form

Each scenario seeds ``n`` items along one axis (a person's open actions, a tenant's open cases, a case
team's members, ...), straight into the bot's own migrated database (bulk inserts), then drives the real
bot (``bot.app.create_app`` on a loopback port, the loopback Bot Connector of ``tests/harness``) through
the verb, the way Teams would. Per turn it counts every SQL statement the bot's engine executed (a
``before_cursor_execute`` listener; an executemany is one statement), the largest card the turn built
(measured where the bot checks its card budget, so a card the bot refuses is still measured) and the
wall time. Statements and bytes are exact and repeat identically; times are indicative (median of
``--repeat`` turns, the machine is shared). PostgreSQL is the one at 127.0.0.1:5432 (a database is created
and dropped). The same scenarios back ``tests/test_scale_bounds.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, insert, select, update

PG_ADMIN_URL = os.environ.get("SSPF_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SE = ZoneInfo("Europe/Stockholm")
TUESDAY = datetime(2027, 3, 9, 9, 0, tzinfo=SE)  # an ordinary working Tuesday, 09:00
MONDAY = datetime(2027, 3, 8, 9, 0, tzinfo=SE)
DUE = date(2027, 3, 11)
ALL_AGENCIES = ["skola", "socialtjanst", "polis", "fritid"]
CONSENT_EVERY = 10  # in the group-meeting scenarios one open case in ten has consent


# --- measuring ---------------------------------------------------------------------------------------


@dataclass
class Probe:
    """Statements and card sizes seen while ``active``."""

    active: bool = False
    statements: int = 0
    cards: list[int] = field(default_factory=list)

    def on_execute(self, *args: Any) -> None:
        if self.active:
            self.statements += 1

    def card(self, size: int) -> None:
        if self.active:
            self.cards.append(size)


PROBE = Probe()


def _install_card_hooks() -> None:
    """Measure every card where the bot checks its budget: replies (``bot.turn.fits``) and proactive
    sends (``bot.proactive.oversized_cards``), whether or not it then sends them."""
    import bot.proactive as proactive
    import bot.turn as turn_mod
    from bot.cards.budget import card_bytes

    if getattr(turn_mod, "_scale_probe", False):
        return
    real_fits = turn_mod.fits
    real_oversized = proactive.oversized_cards

    def fits(card: Any) -> bool:
        PROBE.card(card_bytes(card))
        return real_fits(card)

    def oversized(activity: dict[str, Any]) -> list[int]:
        for attachment in activity.get("attachments") or []:
            if isinstance(attachment, dict) and str(attachment.get("contentType", "")).endswith("adaptive"):
                PROBE.card(card_bytes(attachment.get("content")))
        return real_oversized(activity)

    turn_mod.fits = fits  # type: ignore[assignment]
    proactive.oversized_cards = oversized  # type: ignore[assignment]
    turn_mod._scale_probe = True  # type: ignore[attr-defined]


@contextlib.contextmanager
def counting(bot: Any) -> Iterator[Probe]:
    engine = bot.services.db.engine.sync_engine
    PROBE.statements, PROBE.cards, PROBE.active = 0, [], True
    event.listen(engine, "before_cursor_execute", PROBE.on_execute)
    try:
        yield PROBE
    finally:
        PROBE.active = False
        event.remove(engine, "before_cursor_execute", PROBE.on_execute)


@dataclass
class Measure:
    statements: int
    card_bytes: int
    ms: float
    cards: int


# --- seeding (bulk, straight into the tables) -----------------------------------------------------------


def _users() -> dict[str, Any]:
    from tests.conftest import COORDINATOR, OUTSIDER, POLICE, PRINCIPAL, SOCIAL, YOUTH_WORKER

    return {
        "coordinator": COORDINATOR,
        "principal": PRINCIPAL,
        "social": SOCIAL,
        "police": POLICE,
        "youth": YOUTH_WORKER,
        "outsider": OUTSIDER,
    }


def team() -> list[tuple[str, str, str]]:
    u = _users()
    return [
        (u["principal"].aad, u["principal"].name, "skola"),
        (u["social"].aad, u["social"].name, "socialtjanst"),
        (u["police"].aad, u["police"].name, "polis"),
        (u["youth"].aad, u["youth"].name, "fritid"),
    ]


async def seed_cases(
    bot: Any,
    n: int,
    *,
    consented: Callable[[int], bool] = lambda i: True,
    members: list[tuple[str, str, str]] | None = None,
    action_for: tuple[str, str] | None = None,
    year: int = 2026,
) -> list[dict[str, Any]]:
    """``n`` open cases with ``members`` (default: the four-agency team), one guardian each, a consent
    covering every agency where ``consented(i)``, and with ``action_for`` (aad, name) one open action each."""
    from domain.case_code import format_case_code
    from store.models import ActionItem, CaseContact, CaseMember, Consent, SspfCase, new_id
    from tests.harness.activities import TENANT

    members = team() if members is None else members
    cases, people, guardians, consents, actions = [], [], [], [], []
    signed = date(2026, 11, 1)
    for i in range(n):
        cid, gid = new_id(), new_id()
        code = format_case_code(year, i + 1)
        cases.append(
            {
                "id": cid,
                "tenant_id": TENANT,
                "code": code,
                "initials": "S.C.",
                "birth_year": 2012,
                "school_area": "Skalskolan",
                "signal_source": "skola",
                "concerns": ["skolk"],
                "track": "individuell",
                "status": "open",
                "created_by": "aad-seed",
                **({"custodians": 1} if hasattr(SspfCase, "custodians") else {}),
            }
        )
        for aad, name, agency in members:
            people.append(
                {
                    "case_id": cid,
                    "aad_object_id": aad,
                    "display_name": name,
                    "agency": agency,
                    "added_by": "x",
                }
            )
        guardians.append({"id": gid, "case_id": cid, "kind": "guardian", "name": "Vh Skal", "added_by": "x"})
        if consented(i):
            consents.append(
                {
                    "case_id": cid,
                    "guardian_id": gid,
                    "signed_on": signed,
                    "agencies": ALL_AGENCIES,
                    "filed_at": "Diarium skal",
                    "recorded_by": "x",
                }
            )
        if action_for is not None:
            actions.append(
                {
                    "id": new_id(),
                    "tenant_id": TENANT,
                    "case_id": cid,
                    "kind": "annan",
                    "text": f"Åtgärd {i + 1}: samtal med eleven och vårdnadshavarna om skolgången",
                    "agency": "socialtjanst",
                    "responsible_aad_id": action_for[0],
                    "responsible_name": action_for[1],
                    "due_on": DUE,
                    "status": "open",
                    "created_by": "aad-seed",
                }
            )
    async with bot.services.db.transaction() as s:
        for model, rows in (
            (SspfCase, cases),
            (CaseMember, people),
            (CaseContact, guardians),
            (Consent, consents),
            (ActionItem, actions),
        ):
            for chunk in range(0, len(rows), 2000):
                if rows[chunk : chunk + 2000]:
                    await s.execute(insert(model), rows[chunk : chunk + 2000])
    return [
        {**c, "action_id": a["id"] if action_for else None}
        for c, a in zip(cases, actions or cases, strict=True)
    ]


async def seed_reference(bot: Any, user: Any) -> None:
    from tests.harness.seed_reminders import seed_reference as seed_ref

    async with bot.services.db.transaction() as s:
        await seed_ref(s, user, bot.connector.url)


def fresh(action: dict[str, Any]) -> dict[str, Any]:
    """The same button pressed anew (a new nonce: a repeated nonce is a replay and runs once)."""
    data = dict(action.get("data") or {})
    if "nonce" in data:
        data["nonce"] = uuid.uuid4().hex
    return {**action, "data": data}


# --- scenarios ---------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    label: str
    axis: str
    seed: Callable[[Any, int], Awaitable[dict[str, Any]]]
    turn: Callable[[Any, dict[str, Any]], Awaitable[Any]]
    prepare: Callable[[Any, dict[str, Any]], Awaitable[None]] | None = None


async def _say(bot: Any, user: Any, conv: Any, text: str) -> Any:
    return await bot.say(user, conv, text)


# mina åtgärder: n open actions of one person, one per case
async def seed_my_actions(bot: Any, n: int) -> dict[str, Any]:
    social = _users()["social"]
    await seed_cases(bot, n, action_for=(social.aad, social.name))
    return {}


async def turn_my_actions(bot: Any, ctx: dict[str, Any]) -> Any:
    from tests.harness import activities as acts

    social = _users()["social"]
    return await bot.say(social, acts.personal(social), "mina åtgärder")


# reminder run for one person: n due items
async def seed_reminder_run(bot: Any, n: int) -> dict[str, Any]:
    from bot.reminders.dispatcher import dispatcher_of
    from store.models import Reminder, new_id
    from tests.harness.activities import TENANT

    social = _users()["social"]
    cases = await seed_cases(bot, n, action_for=(social.aad, social.name))
    await seed_reference(bot, social)
    rows = [
        {
            "id": new_id(),
            "tenant_id": TENANT,
            "kind": "due_soon",
            "dedupe_key": f"action:{c['action_id']}:due_soon:{DUE.isoformat()}",
            "case_id": c["id"],
            "subject_id": c["action_id"],
            "recipient_aad_id": social.aad,
            "due_at": (TUESDAY - timedelta(minutes=5)).astimezone(UTC),
            "state": "pending",
            "attempts": 0,
            "payload": {"due_on": DUE.isoformat()},
        }
        for c in cases
    ]
    async with bot.services.db.transaction() as s:
        for chunk in range(0, len(rows), 2000):
            await s.execute(insert(Reminder), rows[chunk : chunk + 2000])
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    return {"dispatcher": dispatcher, "now": TUESDAY}


async def reset_reminders(bot: Any, ctx: dict[str, Any]) -> None:
    from store.models import Reminder

    async with bot.services.db.transaction() as s:
        await s.execute(
            update(Reminder).values(
                state="pending",
                claimed_by=None,
                claimed_until=None,
                attempts=0,
                sent_at=None,
                last_error=None,
            )
        )
    ctx["dispatcher"].limiter.__init__()  # a fresh rate window: each repetition starts alike


async def turn_reminder_run(bot: Any, ctx: dict[str, Any]) -> Any:
    return await ctx["dispatcher"].run_once(now=ctx["now"])


# Monday digest: n cases with an open action, for the coordinator
async def seed_digest(bot: Any, n: int) -> dict[str, Any]:
    from bot.reminders.dispatcher import dispatcher_of
    from store.models import Reminder, new_id
    from tests.harness.activities import TENANT

    u = _users()
    await seed_cases(bot, n, action_for=(u["social"].aad, u["social"].name))
    await seed_reference(bot, u["coordinator"])
    async with bot.services.db.transaction() as s:
        await s.execute(
            insert(Reminder),
            [
                {
                    "id": new_id(),
                    "tenant_id": TENANT,
                    "kind": "weekly_digest",
                    "dedupe_key": f"digest:{u['coordinator'].aad}:2027-W10",
                    "case_id": None,
                    "subject_id": None,
                    "recipient_aad_id": u["coordinator"].aad,
                    "due_at": (MONDAY - timedelta(minutes=5)).astimezone(UTC),
                    "state": "pending",
                    "attempts": 0,
                    "payload": {"week": "2027-W10"},
                }
            ],
        )
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    return {"dispatcher": dispatcher, "now": MONDAY}


# booking form: n cases in the tenant (the coordinator may book for every one)
async def seed_booking(bot: Any, n: int) -> dict[str, Any]:
    await seed_cases(bot, n)
    return {}


async def turn_booking(bot: Any, ctx: dict[str, Any]) -> Any:
    from tests.harness import activities as acts

    c = _users()["coordinator"]
    return await bot.say(c, acts.personal(c), "boka möte")


# Föreslå tider: a case team of n members
async def seed_suggest(bot: Any, n: int) -> dict[str, Any]:
    from domain.worktime import working_days_after
    from tests.harness import activities as acts
    from tests.harness.bot_runner import find_action, input_values

    agencies = ALL_AGENCIES
    members = [(f"aad-member-{i:05d}", f"Medlem {i:05d}", agencies[i % 4]) for i in range(n)]
    [case] = await seed_cases(bot, 1, members=members)
    c = _users()["coordinator"]
    form = (await bot.say(c, acts.personal(c), f"boka möte {case['code']}")).card
    day = working_days_after(date.today(), 5)
    inputs = {k: v for k, v in input_values(form).items() if v is not None}
    inputs.update(date=day.isoformat(), start="09:00", end="10:00")
    return {"action": find_action(form, "Föreslå tider"), "inputs": inputs}


async def turn_suggest(bot: Any, ctx: dict[str, Any]) -> Any:
    from tests.harness import activities as acts

    c = _users()["coordinator"]
    return await bot.press(c, acts.personal(c), fresh(ctx["action"]), ctx["inputs"])


# the group meeting (arbetsgrupp): n open cases, one in ten consented
async def _group_meeting(bot: Any, n: int, *, participants: list[tuple[str, str, str]] | None = None) -> dict:
    from tests.harness import activities as acts
    from tests.harness.seed import seed_meeting

    conv = acts.meeting_chat(f"scale-{uuid.uuid4().hex[:8]}")
    cases = await seed_cases(bot, n, consented=lambda i: i % CONSENT_EVERY == 0)
    async with bot.services.db.transaction() as s:
        await seed_meeting(
            s, acts.TENANT, kind="arbetsgrupp", chat_id=conv.id, participants=participants or team()
        )
    c = _users()["coordinator"]
    card = (await bot.say(c, conv, "starta mötet")).card
    return {"conv": conv, "card": card, "cases": cases}


async def _press_until(bot: Any, ctx: dict[str, Any], title: str, user: Any = None) -> dict[str, Any]:
    """Walk the agenda with Nästa until ``title`` is the current step; returns the card."""
    from tests.harness.bot_runner import card_text, find_action

    user = user or _users()["coordinator"]
    card = ctx["card"]
    for _ in range(8):
        if title in card_text(card).split("\n")[2:4]:
            return card
        card = (await bot.press(user, ctx["conv"], fresh(find_action(card, "Nästa ▶")))).card
    raise AssertionError(f"never reached {title!r}")


async def seed_individniva(bot: Any, n: int) -> dict[str, Any]:
    ctx = await _group_meeting(bot, n)
    ctx["card"] = await _press_until(bot, ctx, "Gruppnivå")
    ctx["before"] = ctx["card"]
    return ctx


async def back_to_before(bot: Any, ctx: dict[str, Any]) -> None:
    from tests.harness.bot_runner import card_text, find_action

    c = _users()["coordinator"]
    card = ctx.get("after")
    if card is not None and card_text(card) != card_text(ctx["before"]):
        ctx["before"] = (await bot.press(c, ctx["conv"], fresh(find_action(card, "◀ Tillbaka")))).card


async def turn_next(bot: Any, ctx: dict[str, Any]) -> Any:
    from tests.harness.bot_runner import find_action

    c = _users()["coordinator"]
    reply = await bot.press(c, ctx["conv"], fresh(find_action(ctx["before"], "Nästa ▶")))
    ctx["after"] = reply.card
    return reply


async def seed_note(bot: Any, n: int) -> dict[str, Any]:
    ctx = await _group_meeting(bot, n)
    ctx["card"] = await _press_until(bot, ctx, "Individnivå")
    ctx["first"] = ctx["cases"][0]["id"]  # consented (i == 0)
    return ctx


async def turn_note(bot: Any, ctx: dict[str, Any]) -> Any:
    from tests.harness.bot_runner import find_action

    police = _users()["police"]
    text = f"Polisen: inget nytt ({uuid.uuid4().hex[:6]})."
    return await bot.press(
        police, ctx["conv"], fresh(find_action(ctx["card"], "Spara")), {f"note_{ctx['first']}": text}
    )


async def seed_end(bot: Any, n: int) -> dict[str, Any]:
    ctx = await _group_meeting(bot, n)
    ctx["card"] = await _press_until(bot, ctx, "Individnivå")
    police = _users()["police"]
    from tests.harness.bot_runner import find_action

    await bot.press(
        police,
        ctx["conv"],
        fresh(find_action(ctx["card"], "Spara")),
        {f"note_{ctx['cases'][0]['id']}": "Ok."},
    )
    return ctx


async def reopen_run(bot: Any, ctx: dict[str, Any]) -> None:
    from store.models import AgendaRun

    async with bot.services.db.transaction() as s:
        await s.execute(
            update(AgendaRun)
            .where(AgendaRun.conversation_id == ctx["conv"].id)
            .values(state="running", ended_at=None)
        )


async def turn_end(bot: Any, ctx: dict[str, Any]) -> Any:
    return await bot.say(_users()["coordinator"], ctx["conv"], "avsluta mötet")


# protokoll of an individual meeting, n consented cases in the tenant
async def seed_protokoll(bot: Any, n: int) -> dict[str, Any]:
    from tests.harness import activities as acts
    from tests.harness.seed import seed_meeting

    cases = await seed_cases(bot, n)
    conv = acts.meeting_chat(f"scale-{uuid.uuid4().hex[:8]}")
    async with bot.services.db.transaction() as s:
        from store.models import SspfCase

        case = await s.get(SspfCase, cases[0]["id"])
        await seed_meeting(
            s, acts.TENANT, kind="individuell", chat_id=conv.id, case=case, participants=team()
        )
    c = _users()["coordinator"]
    await bot.say(c, conv, "starta mötet")
    await bot.say(c, conv, "avsluta mötet")
    return {"code": cases[0]["code"]}


async def turn_protokoll(bot: Any, ctx: dict[str, Any]) -> Any:
    from tests.harness import activities as acts

    c = _users()["coordinator"]
    return await bot.say(c, acts.personal(c), f"protokoll {ctx['code']}")


# Nästa → Nya åtgärder: n people invited to the group meeting and present in the chat
async def seed_new_actions(bot: Any, n: int) -> dict[str, Any]:
    from store.models import AgendaAttendee, AgendaRun, new_id

    people = [(f"aad-person-{i:05d}", f"Person {i:05d}", ALL_AGENCIES[i % 4]) for i in range(n)]
    ctx = await _group_meeting(bot, 10, participants=team() + people)
    async with bot.services.db.transaction() as s:
        run = await s.scalar(select(AgendaRun.id).where(AgendaRun.conversation_id == ctx["conv"].id))
        await s.execute(
            insert(AgendaAttendee),
            [
                {
                    "id": new_id(),
                    "run_id": run,
                    "aad_object_id": aad,
                    "teams_user_id": "29:" + aad,
                    "display_name": name,
                    "agency": agency,
                    "first_seen_at": datetime.now(UTC),
                }
                for aad, name, agency in people
            ],
        )
    ctx["card"] = await _press_until(bot, ctx, "Uppföljning av förra mötets åtgärder")
    ctx["before"] = ctx["card"]
    return ctx


SCENARIOS: list[Scenario] = [
    Scenario("my_actions", "mina åtgärder", "the person's open actions", seed_my_actions, turn_my_actions),
    Scenario(
        "reminder_run",
        "reminder run, one person",
        "their due items",
        seed_reminder_run,
        turn_reminder_run,
        reset_reminders,
    ),
    Scenario(
        "individniva",
        "agenda Nästa → Individnivå",
        "open cases (1 in 10 consented)",
        seed_individniva,
        turn_next,
        back_to_before,
    ),
    Scenario("case_note", "saving a case note", "open cases (1 in 10 consented)", seed_note, turn_note),
    Scenario(
        "end_meeting", "avsluta mötet", "open cases (1 in 10 consented)", seed_end, turn_end, reopen_run
    ),
    Scenario(
        "protokoll", "protokoll SSPF-…", "consented cases in the tenant", seed_protokoll, turn_protokoll
    ),
    Scenario("booking_form", "boka möte", "cases in the tenant", seed_booking, turn_booking),
    Scenario("suggest_times", "Föreslå tider", "team members", seed_suggest, turn_suggest),
    Scenario(
        "new_actions",
        "Nästa → Nya åtgärder",
        "people in the chat",
        seed_new_actions,
        turn_next,
        back_to_before,
    ),
    Scenario(
        "digest", "Monday digest", "cases with open actions", seed_digest, turn_reminder_run, reset_reminders
    ),
]
BY_NAME = {s.name: s for s in SCENARIOS}


# --- databases -----------------------------------------------------------------------------------------


class Databases:
    """A migrated template per engine; each (scenario, size) starts from it empty."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sqlite_template: Path | None = None
        self.pg_db: str | None = None

    async def url(self, kind: str) -> str:
        from store.db import make_engine
        from store.migrate import migrate

        if kind == "sqlite":
            if self.sqlite_template is None:
                self.sqlite_template = self.root / "template.db"
                engine = make_engine(f"sqlite+aiosqlite:///{self.sqlite_template}")
                await migrate(engine)
                await engine.dispose()
            path = self.root / f"{uuid.uuid4().hex}.db"
            shutil.copy(self.sqlite_template, path)
            return f"sqlite+aiosqlite:///{path}"
        if self.pg_db is None:
            self.pg_db = f"sspf_scale_{os.getpid()}"
            await _pg_exec(f'DROP DATABASE IF EXISTS "{self.pg_db}"')
            await _pg_exec(f'CREATE DATABASE "{self.pg_db}"')
            engine = make_engine(_pg_url(self.pg_db))
            await migrate(engine)
            await engine.dispose()
        await _pg_truncate(self.pg_db)
        return _pg_url(self.pg_db)

    async def close(self) -> None:
        if self.pg_db is not None:
            with contextlib.suppress(Exception):
                await _pg_exec(f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)')


def _pg_url(db: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db


async def _pg_exec(sql: str, db: str | None = None) -> None:
    import asyncpg

    url = (_pg_url(db) if db else PG_ADMIN_URL).replace("+asyncpg", "")
    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_truncate(db: str) -> None:
    from store.models import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    await _pg_exec(f"TRUNCATE {tables} RESTART IDENTITY CASCADE", db)


# --- running -------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_bot(url: str, tmp: Path):
    from tests.harness.bot_runner import RunningBot, local_settings
    from tests.harness.connector import SENT_CARDS, LoopbackConnector

    _install_card_hooks()
    connector = LoopbackConnector()
    await connector.start()
    bot = RunningBot(local_settings(url, ics_dir=str(tmp / "ics")), connector)
    await bot.start()
    try:
        yield bot
    finally:
        bot.app = None  # no end-of-test harvest of case content: this is not a test
        await bot.stop()
        await connector.stop()
        SENT_CARDS.clear()


async def measure(bot: Any, scenario: Scenario, ctx: dict[str, Any], repeat: int) -> Measure:
    """The last turn's statements and largest card (exact; with ``repeat`` > 1 after a warm-up turn, as a
    running service sees them), the median time over ``repeat`` turns."""
    times: list[float] = []
    first: tuple[int, int, int] | None = None
    for _ in range(repeat):
        if scenario.prepare is not None and first is not None:
            await scenario.prepare(bot, ctx)
        before = len(bot.connector.sent)
        with counting(bot) as probe:
            t0 = time.perf_counter()
            await scenario.turn(bot, ctx)
            times.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0)
        if first is None or repeat > 1:  # the last turn's figures: warm caches, as in a running service
            from bot.cards.budget import card_bytes

            sizes = probe.cards + [card_bytes(c) for sent in bot.connector.sent[before:] for c in sent.cards]
            first = (probe.statements, max(sizes, default=0), len(probe.cards))
    assert first is not None
    return Measure(first[0], first[1], statistics.median(times), first[2])


async def run_one(dbs: Databases, kind: str, scenario: Scenario, n: int, repeat: int) -> Measure:
    url = await dbs.url(kind)
    async with running_bot(url, dbs.root) as bot:
        try:
            ctx = await scenario.seed(bot, n)
        except AssertionError as exc:  # the way to the verb is itself refused (e.g. a card too large)
            print(f"  {scenario.name} n={n}: could not reach the verb: {exc}", file=sys.stderr)
            return Measure(-1, 0, 0.0, 0)
        return await measure(bot, scenario, ctx, repeat)


def _fmt_bytes(size: int) -> str:
    return f"{size / 1024:.1f} K" if size >= 1024 else f"{size} B"


async def main_async(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = args.db.split(",")
    names = args.only.split(",") if args.only else [s.name for s in SCENARIOS]
    root = Path(tempfile.mkdtemp(prefix="sspf-scale-"))
    dbs = Databases(root)
    results: dict[tuple[str, str, int], Measure] = {}
    try:
        for kind in kinds:
            for name in names:
                scenario = BY_NAME[name]
                for n in sizes:
                    t0 = time.perf_counter()
                    m = await run_one(dbs, kind, scenario, n, args.repeat)
                    results[(kind, name, n)] = m
                    print(
                        f"{kind:8} {name:14} n={n:<6} statements={m.statements:<6} "
                        f"card={_fmt_bytes(m.card_bytes):>8} "
                        f"cards={m.cards:<3} median={m.ms:8.1f} ms  ({time.perf_counter() - t0:.1f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        await dbs.close()
        shutil.rmtree(root, ignore_errors=True)
    head = " / ".join(f"{n:,}" for n in sizes)
    for kind in kinds:
        print(f"\n{kind}\n")
        print(
            f"| verb | grows with | SQL per turn at {head} | largest card at {head} | median ms at {head} |"
        )
        print("|---|---|---|---|---|")
        for name in names:
            s = BY_NAME[name]
            row = [results[(kind, name, n)] for n in sizes]
            print(
                f"| {s.label} | {s.axis} | "
                f"{' / '.join(str(m.statements) if m.statements >= 0 else '—' for m in row)} | "
                f"{' / '.join(_fmt_bytes(m.card_bytes) for m in row)} | "
                f"{' / '.join(f'{m.ms:.0f}' for m in row)} |"
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import logging

    logging.disable(logging.WARNING)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
