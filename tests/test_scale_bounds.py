"""Cost that does not grow with the municipality (issue 16): for each verb, the SQL statements of one
turn are the same at 100 and at 1,000 items on its axis, and every card it builds at 1,000 is under
the 28 KB card budget. The scenarios are ``bench/scale.py``'s (the same seeds and turns); statements are
counted with a ``before_cursor_execute`` listener on the bot's engine, so the figures are exact.

Verbs whose way in is not bounded yet are marked xfail with the reason (see BENCHMARKS.md)."""

from __future__ import annotations

import pytest

from bench import scale
from bot.cards.budget import CARD_LIMIT_BYTES

BOUNDED = [
    "my_actions",
    "reminder_run",
    "individniva",
    "case_note",
    "protokoll",
    "digest",
    "end_meeting",
    "booking_form",  # the first step lists the 10 most recent cases; any other is typed by its code
    "suggest_times",  # the case team is one switch ("Hela teamet i ärendet"), resolved on the server
    "new_actions",  # the owner picker: 30 ready choices (team first), the people search for the rest
]
NOT_YET: dict[str, str] = {}


async def _measure(bot, name: str, n: int) -> scale.Measure:
    scale._install_card_hooks()
    scenario = scale.BY_NAME[name]
    ctx = await scenario.seed(bot, n)
    return await scale.measure(bot, scenario, ctx, 2)  # the second turn: warm caches


def _params():
    return [pytest.param(n, id=n) for n in BOUNDED] + [
        pytest.param(n, id=n, marks=pytest.mark.xfail(reason=why, strict=False)) for n, why in NOT_YET.items()
    ]


@pytest.mark.parametrize("name", _params())
async def test_statements_do_not_grow_and_cards_fit(bot, name):
    small = await _measure(bot, name, 100)
    large = await _measure_fresh(bot, name, 1000)
    assert small.statements >= 0 and large.statements >= 0, f"{name}: the way to the verb was refused"
    if name == "reminder_run":  # one card per 20 items: a constant number of statements per card
        assert large.cards > small.cards and large.statements * small.cards <= small.statements * large.cards
    else:
        assert large.statements == small.statements, (
            f"{name}: {small.statements} statements at 100, {large.statements} at 1,000"
        )
    assert 0 < large.card_bytes < CARD_LIMIT_BYTES, f"{name}: card of {large.card_bytes} bytes at 1,000"


async def _measure_fresh(bot, name: str, n: int) -> scale.Measure:
    """Empty the bot's database, then measure at ``n`` (a second world in the same test)."""
    from sqlalchemy import delete

    from store.models import Base

    async with bot.services.db.transaction() as s:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in ("alembic_version", "coordinator", "audit_event"):
                await s.execute(delete(table))
    bot.connector.clear()
    return await _measure(bot, name, n)
