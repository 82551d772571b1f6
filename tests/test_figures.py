"""``statistik``: the steering group gets figures, never names; small numbers are suppressed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.i18n import Translator
from domain.figures import count, median_days, share
from store.models import ActionItem
from store.queries.actions import set_action_status
from tests.conftest import COORDINATOR, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, fact_value
from tests.harness.seed import seed_action, seed_case, seed_meeting

OPEN = Translator("sv")("case_status.open")


async def test_coordinator_sees_aggregates_without_names(bot):
    today = date.today()
    worker = (SOCIAL.aad, SOCIAL.name)
    async with bot.services.db.transaction() as s:
        cases = []
        for n, days_to_meeting in enumerate((3, 5, 9, 20), start=1):
            case = await seed_case(
                s, acts.TENANT, f"SSPF-2026-{n:03d}", initials="Z.Q.", youth_name="Zlatan Q"
            )
            case.signal_on = today - timedelta(days=30)
            first = datetime.combine(
                case.signal_on + timedelta(days=days_to_meeting), datetime.min.time(), UTC
            )
            await seed_meeting(s, acts.TENANT, kind="individuell", chat_id=None, case=case, start_at=first)
            cases.append(case)
        await seed_case(s, acts.TENANT, "SSPF-2026-005", track="top5")
        await seed_case(s, acts.TENANT, "SSPF-2026-006", status="closed")
        done = [
            await seed_action(
                s,
                acts.TENANT,
                case=cases[0],
                text=f"Åtgärd {i}",
                agency="socialtjanst",
                responsible=worker,
                due_on=today + timedelta(days=d),
            )
            for i, d in enumerate((5, 5, -3))
        ]
        await seed_action(
            s,
            acts.TENANT,
            case=cases[1],
            text="Försenad",
            agency="skola",
            responsible=worker,
            due_on=today - timedelta(days=2),
        )
    async with bot.services.db.transaction() as s:
        for seeded in done:
            action = await s.get(ActionItem, seeded.id)
            assert await set_action_status(s, action, "done", None, expected_version=action.version)

    reply = await bot.say(COORDINATOR, acts.personal(COORDINATOR), "statistik")
    card = reply.card
    shown = card_text(card)
    assert fact_value(card, OPEN) == "5"
    assert fact_value(card, "Top 5") == "färre än 3"  # one Top 5 youth could be pointed out
    assert fact_value(card, "Dagar från signal till första SSPF-möte (median)") == "7"
    assert fact_value(card, "Avslutade åtgärder") == "3"
    assert fact_value(card, "Andel klara i tid") == "67 %"  # two of three done before their due date
    assert fact_value(card, "Åtgärder som är försenade") == "färre än 3"
    for secret in ("SSPF-2026-00", "Z.Q.", "Zlatan", "Norra skolan", SOCIAL.name):
        assert secret not in shown


async def test_others_may_not_see_figures(bot):
    reply = await bot.say(SOCIAL, acts.personal(SOCIAL), "statistik")
    assert reply.texts == ["Det här kan bara en SSPF-koordinator göra."]
    assert reply.cards == []


def test_small_numbers_are_suppressed_and_shares_need_a_base():
    assert count(0).value == 0 and not count(0).suppressed
    assert count(2).suppressed and count(2).value is None
    assert count(3).value == 3
    assert share(1, 2).suppressed
    assert share(2, 3).value == 67
    assert median_days([1, 2]).suppressed
    assert median_days([1, 2, 10]).value == 2
