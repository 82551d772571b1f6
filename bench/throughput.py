"""Message → reply throughput: our bot against a bare aiohttp handler, in one run, on this machine.

    python -m bench.throughput [--messages 2000 --concurrency 50 --users 500]

Every server runs in its own process (``bench/contenders.py``), and so does the loopback connector
(``bench/connector.py``) that counts replies; this process is the load generator: an aiohttp client
with a fixed number of concurrent senders posting Teams-shaped ``hjälp`` messages from many users,
each in their own personal conversation. A turn counts when its reply arrived at the connector; its
latency is from the moment the message was sent to the moment its reply arrived.

Contenders: ``bare`` (the floor), ``bare-sqlite`` / ``bare-postgres`` (bare plus the bot's per-turn
replay-guard insert through the bare driver: the floor of a turn that touches the database),
``bot-sqlite`` (a fresh SQLite file under a temp dir), ``bot-postgres`` (a temporary database on
127.0.0.1:5432, created and dropped here, if reachable) and ``stock`` (botbuilder's CloudAdapter, for
the record). Traffic goes to 127.0.0.1 only; every phase is bounded
in count and in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.harness import activities as acts

PG_ADMIN_URL = os.environ.get("SSPF_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REPO_ROOT = str(Path(__file__).resolve().parent.parent)
READY_TIMEOUT = 60.0
DRAIN_TIMEOUT = 15.0


@dataclass
class Result:
    name: str
    sent: int = 0
    replied: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    note: str = ""
    server_cpu: float | None = None  # CPU seconds the server process used during the measured phase

    @property
    def cpu_ms_per_turn(self) -> float | None:
        if self.server_cpu is None or not self.replied:
            return None
        return 1000 * self.server_cpu / self.replied

    @property
    def rate(self) -> float:
        return self.replied / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index] * 1000


# --- processes ------------------------------------------------------------------------------------


@dataclass
class Server:
    process: asyncio.subprocess.Process
    url: str


@asynccontextmanager
async def server(kind: str, *extra: str) -> AsyncIterator[Server]:
    """One contender (or the connector) in its own Python process, stopped however the block ends."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.contenders",
        kind,
        *extra,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT)
        if not line.startswith(b"READY "):
            raise RuntimeError(f"{kind} did not start (said {line!r}, exit {process.returncode})")
        yield Server(process, f"http://127.0.0.1:{int(line.split()[1])}")
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux ``/proc``); None where that is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- load -----------------------------------------------------------------------------------------


def messages(count: int, users: int, prefix: str, service_url: str) -> Iterator[tuple[str, bytes]]:
    """``count`` Teams-shaped ``hjälp`` messages, round robin over ``users`` users' personal chats."""
    people = [acts.User(f"aad-{prefix}-{i:05d}", f"Användare {i}") for i in range(users)]
    for n in range(count):
        user = people[n % len(people)]
        activity = acts.message("hjälp", user, acts.personal(user), service_url)
        activity["id"] = f"{prefix}-{n:06d}"
        yield activity["id"], json.dumps(activity).encode()


async def drive(
    http: aiohttp.ClientSession,
    url: str,
    load: list[tuple[str, bytes]],
    concurrency: int,
    deadline: float,
) -> tuple[dict[str, float], Counter[str]]:
    """Post every message with ``concurrency`` senders; returns when each was sent, and the statuses."""
    sent_at: dict[str, float] = {}
    statuses: Counter[str] = Counter()
    queue = iter(load)
    headers = {"Content-Type": "application/json"}

    async def sender() -> None:
        for activity_id, body in queue:
            if time.monotonic() > deadline:
                statuses["not sent (time bound)"] += 1
                continue
            sent_at[activity_id] = time.monotonic()
            try:
                async with http.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    statuses[str(resp.status)] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                statuses[type(exc).__name__] += 1

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return sent_at, statuses


async def connector_count(http: aiohttp.ClientSession, connector: str) -> int:
    async with http.get(f"{connector}/_bench/count") as resp:
        return (await resp.json())["count"]


async def measure(
    name: str,
    srv: Server,
    connector: str,
    http: aiohttp.ClientSession,
    *,
    count: int,
    concurrency: int,
    users: int,
    warmup: int,
    max_seconds: float,
) -> Result:
    target = f"{srv.url}/api/messages"
    run = uuid.uuid4().hex[:6]
    if warmup:
        warm = list(messages(warmup, min(users, warmup), f"warm{run}", connector))
        await drive(http, target, warm, concurrency, time.monotonic() + max_seconds)
    await asyncio.sleep(0.5)  # let the warm-up's replies land before the counter is reset
    await http.post(f"{connector}/_bench/reset")
    load = list(messages(count, users, f"{name}{run}", connector))
    cpu_before = cpu_seconds(srv.process.pid)
    start = time.monotonic()
    sent_at, statuses = await drive(http, target, load, concurrency, start + max_seconds)
    drain_until = time.monotonic() + DRAIN_TIMEOUT
    while await connector_count(http, connector) < len(sent_at) and time.monotonic() < drain_until:  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # the count lives in another process: polling it is the simple way
    cpu_after = cpu_seconds(srv.process.pid)
    async with http.get(f"{connector}/_bench/arrivals") as resp:
        report = await resp.json()
    arrivals: dict[str, float] = report["arrivals"]
    result = Result(name, sent=len(sent_at), statuses=statuses)
    matched = [(sent_at[a], t) for a, t in arrivals.items() if a in sent_at]
    result.replied = len(matched)
    result.latencies = [t - s for s, t in matched]
    if matched:
        result.seconds = max(t for _, t in matched) - start
    if cpu_before is not None and cpu_after is not None:
        result.server_cpu = cpu_after - cpu_before
    if report["rejected"]:
        result.note = f"{report['rejected']} replies without a card"
    return result


# --- PostgreSQL -----------------------------------------------------------------------------------


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def temporary_pg_database(*, enabled: bool = True) -> AsyncIterator[str | None]:
    """A database created for this run and dropped after it; None when PostgreSQL is not reachable."""
    if not enabled:
        yield None
        return
    name = f"sspf_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        await _pg(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # no server, refused, auth
        print(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc!r}; skipping bot-postgres", file=sys.stderr)
        yield None
        return
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    finally:
        await _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the run --------------------------------------------------------------------------------------


def combine(name: str, rounds: list[Result]) -> Result:
    """All rounds of one contender as one figure: replies over the time they took, pooled latencies."""
    total = Result(name)
    for r in rounds:
        total.sent += r.sent
        total.replied += r.replied
        total.seconds += r.seconds
        total.latencies.extend(r.latencies)
        total.statuses.update(r.statuses)
        if r.server_cpu is not None:
            total.server_cpu = (total.server_cpu or 0.0) + r.server_cpu
        if r.note:
            total.note = "; ".join(filter(None, [total.note, r.note]))
    return total


def round_ratios(rounds: dict[str, list[Result]], name: str, base: str = "bare") -> list[float]:
    """``name``/``base`` in each round: the two ran minutes apart at most, under the same outside load."""
    pairs = zip(rounds.get(name, []), rounds.get(base, []), strict=False)
    return [r.rate / b.rate for r, b in pairs if b.rate]


RATIOS = [
    ("bare-sqlite", "bare"),
    ("bot-sqlite", "bare"),
    ("bot-sqlite", "bare-sqlite"),
    ("bare-postgres", "bare"),
    ("bot-postgres", "bare"),
    ("bot-postgres", "bare-postgres"),
    ("stock", "bare"),
]


def print_table(rounds: dict[str, list[Result]], args: argparse.Namespace) -> None:
    print()
    print(
        f"Message → reply throughput: {args.messages} messages per contender (stock: {args.stock_messages}) "
        f"in {args.rounds} interleaved rounds, concurrency {args.concurrency}, {args.users} users, "
        f"warm-up {args.warmup} per server start; nproc {os.cpu_count()}, Python {platform.python_version()}"
    )
    print()
    print("| contender | replies | replies/s | p50 ms | p99 ms | server CPU ms/turn | HTTP statuses |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, results in rounds.items():
        r = combine(name, results)
        statuses = ", ".join(f"{k}×{v}" for k, v in sorted(r.statuses.items()))
        extra = f" ({r.note})" if r.note else ""
        cpu = f"{r.cpu_ms_per_turn:.2f}" if r.cpu_ms_per_turn is not None else "n/a"
        print(
            f"| {name} | {r.replied}/{r.sent} | {r.rate:,.0f} | {r.percentile(50):.1f} | "
            f"{r.percentile(99):.1f} | {cpu} | {statuses}{extra} |"
        )
    print()
    for name, base in RATIOS:
        ratios = round_ratios(rounds, name, base)
        if ratios:
            each = ", ".join(f"{x:.2f}" for x in ratios)
            print(f"ratio {name}/{base}: median {statistics.median(ratios):.2f} (rounds: {each})")


async def run(args: argparse.Namespace) -> dict[str, list[Result]]:
    rounds: dict[str, list[Result]] = {}
    timeout = aiohttp.ClientTimeout(total=30)
    limit = aiohttp.TCPConnector(limit=args.concurrency + 10)
    per_round = max(1, args.messages // args.rounds)
    stock_per_round = args.stock_messages // args.rounds
    wanted = set(args.only.split(",")) if args.only else None

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    with tempfile.TemporaryDirectory(prefix="sspf-bench-") as tmp:
        async with (
            aiohttp.ClientSession(timeout=timeout, connector=limit) as http,
            server("connector") as connector,
            temporary_pg_database(enabled=want("bot-postgres") or want("bare-postgres")) as pg,
            temporary_pg_database(enabled=want("bare-postgres")) as pg_bare,
        ):

            async def contender(name: str, kind: str, *extra: str, count: int, n: int) -> None:
                print(f"… round {n + 1}/{args.rounds}: {name}", file=sys.stderr, flush=True)
                async with server(kind, *extra) as srv:
                    result = await measure(
                        name,
                        srv,
                        connector.url,
                        http,
                        count=count,
                        concurrency=args.concurrency,
                        users=args.users,
                        warmup=args.warmup,
                        max_seconds=args.max_seconds,
                    )
                rounds.setdefault(name, []).append(result)

            profile = ("--profile", args.profile_bot) if args.profile_bot else ()
            sqlite_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            bare_sqlite_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bare.db'}"
            for n in range(args.rounds):
                if want("bare"):
                    await contender("bare", "bare", count=per_round, n=n)
                if want("bare-sqlite"):
                    db_args = ("--database-url", bare_sqlite_url)
                    await contender("bare-sqlite", "bare-db", *db_args, count=per_round, n=n)
                if want("bot-sqlite"):
                    bot_args = ("--database-url", sqlite_url, "--ics-dir", tmp, *profile)
                    await contender("bot-sqlite", "bot", *bot_args, count=per_round, n=n)
                if pg_bare is not None:
                    db_args = ("--database-url", pg_bare)
                    await contender("bare-postgres", "bare-db", *db_args, count=per_round, n=n)
                if pg is not None and want("bot-postgres"):
                    bot_args = ("--database-url", pg, "--ics-dir", tmp)
                    await contender("bot-postgres", "bot", *bot_args, count=per_round, n=n)
                if want("stock") and stock_per_round:
                    await contender("stock", "stock", count=stock_per_round, n=n)
    return rounds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000, help="per contender, over all rounds")
    parser.add_argument(
        "--rounds", type=int, default=4, help="contenders alternate this often (outside load drifts)"
    )
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--users", type=int, default=500, help="distinct users, each in a personal chat")
    parser.add_argument("--warmup", type=int, default=200, help="messages sent first and not counted")
    parser.add_argument(
        "--stock-messages", type=int, default=500, help="stock botbuilder is slow; 0 skips it"
    )
    parser.add_argument("--max-seconds", type=float, default=120.0, help="time bound per contender")
    parser.add_argument(
        "--only",
        default="",
        help="comma list of: bare,bare-sqlite,bot-sqlite,bare-postgres,bot-postgres,stock",
    )
    parser.add_argument("--profile-bot", default="", help="cProfile the bot-sqlite server into this file")
    parser.add_argument("--json", default="", help="also write the figures to this file")
    args = parser.parse_args(argv)
    rounds = asyncio.run(run(args))
    print_table(rounds, args)
    if args.json:
        figures = []
        for name, results in rounds.items():
            r = combine(name, results)
            ratios = round_ratios(rounds, name)
            figures.append(
                {
                    "name": name,
                    "sent": r.sent,
                    "replied": r.replied,
                    "replies_per_s": round(r.rate, 1),
                    "p50_ms": round(r.percentile(50), 2),
                    "p99_ms": round(r.percentile(99), 2),
                    "server_cpu_ms_per_turn": r.cpu_ms_per_turn,
                    "rounds_replies_per_s": [round(x.rate, 1) for x in results],
                    "ratio_to_bare_median": round(statistics.median(ratios), 3) if ratios else None,
                    "statuses": dict(r.statuses),
                }
            )
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
