"""Reminder delivery at volume, against a loopback connector that throttles like Teams.

    python -m bench.reminders --db postgres --reminders 10000 --users 500 --variant all

Seeds N due reminders (one action each) for one tenant spread over U people, starts the real bot
(``python -m bot.app``) as a separate process with its dispatcher on and a clock set to a working
Tuesday morning, and lets it deliver to a loopback Bot Connector enforcing 7 messages/s per
conversation and 50 requests/s per tenant. Every card names its reminder rows (container ids), so
the connector side counts what arrived: lost = planned − delivered, duplicated = delivered twice.

Variants: ``plain``; ``kill`` (SIGKILL the bot halfway, start a new one: 0 lost, duplicates no
more than the sends in flight at the kill); ``two`` (two bot processes on one PostgreSQL database at
once: 0 duplicates; each paces at half the tenant rate, as a deployment of two replicas would be set).
Cards per person per run are one, so the rate-limit floor counts cards: cards / 50 per s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, insert, select

from bot.cards.reminders import card_item_ids
from store.db import Database, make_engine
from store.migrate import migrate
from store.models import ActionItem, ConversationRef, Reminder, SspfCase, new_id
from tests.harness.connector import LoopbackConnector

ROOT = Path(__file__).resolve().parents[1]
TENANT = "11111111-2222-3333-4444-555555555555"
CLOCK = "2027-03-09T09:00:00+01:00"  # a working Tuesday, 09:00 in Stockholm
PG_ADMIN = os.environ.get("SSPF_BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
TEAMS_TENANT_RATE = 50
TEAMS_CONVERSATION_RATE = 7


@dataclass
class Result:
    variant: str
    db: str
    reminders: int
    users: int
    cards: int
    seconds: float
    first_to_last: float
    floor: float
    throttled: int
    lost: int
    duplicated: int
    rows_not_sent: int
    bot_cpu: float
    note: str = ""

    def line(self) -> str:
        return (
            f"{self.variant:<6} {self.db:<8} reminders={self.reminders} users={self.users} "
            f"cards={self.cards} "
            f"time={self.seconds:.1f}s (first→last send {self.first_to_last:.1f}s) floor={self.floor:.1f}s "
            f"ratio={self.seconds / self.floor:.2f} 429s={self.throttled} lost={self.lost} "
            f"duplicated={self.duplicated} rows-not-sent={self.rows_not_sent} "
            f"bot-cpu={self.bot_cpu:.1f}s ({self.bot_cpu / max(1, self.cards) * 1000:.0f} ms/card) "
            f"{self.note}"
        )


# --- database ------------------------------------------------------------------------------------------


async def _pg_exec(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN.replace("+asyncpg", ""))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def fresh_database(kind: str, workdir: Path) -> tuple[str, Any]:
    """A migrated, empty database; returns its URL and a coroutine function that drops it."""
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite+aiosqlite:///{path}"

        def remove() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)

        async def drop() -> None:
            await asyncio.to_thread(remove)

    else:
        name = f"sspf_bench_{uuid.uuid4().hex[:10]}"
        await _pg_exec(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name

        async def drop() -> None:
            await _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    engine = make_engine(url)
    await migrate(engine)
    await engine.dispose()
    return url, drop


async def seed(url: str, service_url: str, reminders: int, users: int) -> list[str]:
    """``reminders`` open actions due Thursday, each with its due-soon reminder due Tuesday 08:00."""
    db = Database(url)
    now = datetime.now(UTC)
    due_at = datetime.fromisoformat(CLOCK).astimezone(UTC) - timedelta(hours=1)
    people = [f"aad-bench-{i:05d}" for i in range(users)]
    case_ids = [new_id() for _ in range(max(1, reminders // 100))]
    async with db.transaction() as s:
        await s.execute(
            insert(SspfCase),
            [
                {
                    "id": cid,
                    "tenant_id": TENANT,
                    "code": f"SSPF-2027-{i + 1:03d}",
                    "initials": "XY",
                    "birth_year": 2013,
                    "school_area": "Bench",
                    "signal_source": "skola",
                    "concerns": [],
                    "track": "individuell",
                    "status": "open",
                    "created_by": "bench",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, cid in enumerate(case_ids)
            ],
        )
        await s.execute(
            insert(ConversationRef),
            [
                {
                    "conversation_id": f"a:personal-{p}",
                    "tenant_id": TENANT,
                    "conversation_type": "personal",
                    "user_aad_id": p,
                    "updated_at": now,
                    "reference": {
                        "bot": {"id": "28:sspf-bot", "name": "SSPF"},
                        "user": {"id": f"29:{p}", "aadObjectId": p},
                        "conversation": {
                            "id": f"a:personal-{p}",
                            "conversationType": "personal",
                            "tenantId": TENANT,
                        },
                        "channelId": "msteams",
                        "serviceUrl": service_url,
                    },
                }
                for p in people
            ],
        )
    ids: list[str] = []
    for start in range(0, reminders, 2000):
        actions, rows = [], []
        for n in range(start, min(reminders, start + 2000)):
            aid, rid, person = new_id(), new_id(), people[n % users]
            actions.append(
                {
                    "id": aid,
                    "tenant_id": TENANT,
                    "case_id": case_ids[n % len(case_ids)],
                    "kind": "annan",
                    "text": f"Åtgärd {n}",
                    "agency": "skola",
                    "responsible_aad_id": person,
                    "responsible_name": f"Person {n % users}",
                    "due_on": datetime(2027, 3, 11).date(),
                    "status": "open",
                    "created_by": "bench",
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            rows.append(
                {
                    "id": rid,
                    "tenant_id": TENANT,
                    "kind": "due_soon",
                    "dedupe_key": f"action:{aid}:due_soon:2027-03-11",
                    "case_id": actions[-1]["case_id"],
                    "subject_id": aid,
                    "recipient_aad_id": person,
                    "due_at": due_at,
                    "state": "pending",
                    "attempts": 0,
                    "payload": {"due_on": "2027-03-11"},
                    "created_at": now,
                }
            )
            ids.append(rid)
        async with db.transaction() as s:
            await s.execute(insert(ActionItem), actions)
            await s.execute(insert(Reminder), rows)
    await db.dispose()
    return ids


async def row_states(url: str) -> Counter[str]:
    db = Database(url)
    async with db.session() as s:
        rows = (await s.execute(select(Reminder.state, func.count()).group_by(Reminder.state))).all()
    await db.dispose()
    return Counter(dict(rows))


# --- the bot as a process ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BotProcess:
    def __init__(self, url: str, log: Path, *, lease_s: float, tenant_rate: float) -> None:
        self.port = free_port()
        self.log = log
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "SSPF_REMINDERS": "on",
            "SSPF_REMINDER_CLOCK": CLOCK,
            "SSPF_REMINDER_INTERVAL_S": "2",
            "SSPF_REMINDER_LEASE_S": str(lease_s),
            "SSPF_REMINDER_TENANT_RATE": str(tenant_rate),
            "SSPF_COORDINATORS": "",
            "PYTHONPATH": str(ROOT),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.app"], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
        )

    async def ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"bot did not start; see {self.log}")

    def cpu(self) -> float:
        """User + system CPU seconds of the running process (Linux /proc), kept after it ends."""
        if self.proc is not None and self.proc.poll() is None:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            self._cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return getattr(self, "_cpu", 0.0)

    def kill(self) -> None:
        assert self.proc is not None
        self.cpu()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# --- one run ---------------------------------------------------------------------------------------


_seen: dict[int, tuple[int, Counter[str]]] = {}


def delivered(connector: LoopbackConnector) -> Counter[str]:
    """Reminder ids in the cards received so far; parses each message once (the bench polls often)."""
    done, counts = _seen.get(id(connector), (0, Counter()))
    sent = connector.sent
    for message in sent[done:]:
        if message.method == "POST":
            counts.update(i for c in message.cards for i in card_item_ids(c))
    _seen[id(connector)] = (len(sent), counts)
    return counts


async def wait_count(connector: LoopbackConnector, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(delivered(connector)) < count and time.monotonic() < deadline:  # noqa: ASYNC110 (polls items)
        await asyncio.sleep(0.01)


async def wait_all(connector: LoopbackConnector, expected: set[str], timeout: float) -> float:
    """Until every reminder has arrived at least once; returns when that happened (monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if expected <= set(delivered(connector)):
            break
        await asyncio.sleep(0.2)
    return time.monotonic()


async def wait_recorded(url: str, timeout: float) -> None:
    """Until the database says every row was sent (after a kill: the lease expired and it was redone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = await row_states(url)
        if sum(n for state, n in states.items() if state != "sent") == 0:
            return
        await asyncio.sleep(0.5)


async def run(variant: str, db_kind: str, reminders: int, users: int, workdir: Path) -> Result:
    connector = LoopbackConnector(
        per_conversation_per_second=TEAMS_CONVERSATION_RATE, per_tenant_per_second=TEAMS_TENANT_RATE
    )
    service_url = await connector.start()
    url, drop = await fresh_database(db_kind, workdir)
    processes: list[BotProcess] = []
    note = ""
    try:
        ids = await seed(url, service_url, reminders, users)
        expected = set(ids)
        cards = min(users, reminders)
        floor = cards / TEAMS_TENANT_RATE
        timeout = floor * 4 + 120
        log = workdir / f"bot-{variant}-{db_kind}.log"
        count = 2 if variant == "two" else 1
        lease = 10.0 if variant == "kill" else 300.0  # a short lease so the dead process's claims return soon
        # every process is configured with the whole tenant rate: replicas share it among themselves
        processes = [BotProcess(url, log, lease_s=lease, tenant_rate=TEAMS_TENANT_RATE) for _ in range(count)]
        started = time.monotonic()
        for p in processes:
            p.start()
        for p in processes:
            await p.ready()
        if variant == "kill":
            await wait_count(connector, len(expected) // 2, timeout)
            processes[0].kill()
            at_kill = set(delivered(connector))  # a copy: the counter keeps growing
            states = await row_states(url)
            in_flight_bound = states.get("claimed", 0)
            db = Database(url)
            async with db.session() as s:
                sent_rows = set(await s.scalars(select(Reminder.id).where(Reminder.state == "sent")))
            await db.dispose()
            in_flight = len(at_kill - sent_rows)  # delivered by the dead process, not recorded as sent
            note = (
                f"killed at {len(at_kill)} items delivered; "
                f"in flight (delivered, not marked sent)={in_flight}; "
                f"rows claimed at kill={in_flight_bound}"
            )
            restarted = BotProcess(url, log, lease_s=lease, tenant_rate=TEAMS_TENANT_RATE)
            processes.append(restarted)
            restarted.start()
            await restarted.ready()
        all_arrived = await wait_all(connector, expected, timeout)
        seconds = all_arrived - started
        await wait_recorded(url, timeout)
        await asyncio.sleep(1.0)  # a late duplicate would arrive now
        got = Counter(delivered(connector))
        sends = [m.at for m in connector.messages()]
        first_to_last = (max(sends) - min(sends)) if sends else 0.0
        states = await row_states(url)
        bot_cpu = sum(p.cpu() for p in processes)
        return Result(
            variant=variant,
            db=db_kind,
            reminders=reminders,
            users=users,
            cards=len(connector.messages()),
            seconds=seconds,
            first_to_last=first_to_last,
            floor=floor,
            throttled=connector.status_counts.get(429, 0),
            lost=len(expected - set(got)),
            duplicated=sum(n - 1 for n in got.values() if n > 1),
            rows_not_sent=sum(n for state, n in states.items() if state != "sent"),
            bot_cpu=bot_cpu,
            note=note,
        )
    finally:
        for p in processes:
            p.stop()
        await connector.stop()
        await drop()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--variant", choices=["plain", "kill", "two", "all"], default="all")
    args = parser.parse_args()
    workdir = ROOT / "var" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    variants = ["plain", "kill", "two"] if args.variant == "all" else [args.variant]
    if "two" in variants and args.db != "postgres":
        variants.remove("two")
        print("two dispatcher processes need PostgreSQL; skipped on SQLite")
    print(
        f"reminders={args.reminders} users={args.users} db={args.db}; connector limits: "
        f"{TEAMS_CONVERSATION_RATE}/s per conversation, {TEAMS_TENANT_RATE}/s per tenant"
    )
    for variant in variants:
        result = await run(variant, args.db, args.reminders, args.users, workdir)
        print(result.line(), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
