"""Issue 17 item 3: "Vem har läst?" labels every event in words and pages through all of them.

Adding an action or a meeting showed as "skapade ärendet", agenda edits as the raw word "update", the
reminder job as "okänd användare (system:r)", and only "De senaste 42 händelserna" of 87 were reachable.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.dialogs.cases import AUDIT_LIMIT
from store.models import AuditEvent
from tests.case_steps import open_case_with_team
from tests.conftest import COORDINATOR, POLICE, PRINCIPAL
from tests.harness import activities as acts
from tests.harness.bot_runner import all_actions, card_text, find_action

ME = acts.personal(COORDINATOR)

# (actor, entity, action, detail) -> the words the coordinator reads
EVENTS = [
    (PRINCIPAL.aad, "action", "create", None, "Rita Rektor lade till en åtgärd"),
    (COORDINATOR.aad, "meeting", "create", None, "Kim Koordinator bokade ett möte"),
    (COORDINATOR.aad, "meeting", "delete", None, "Kim Koordinator ställde in ett möte"),
    (
        COORDINATOR.aad,
        "agenda",
        "update",
        None,
        "Kim Koordinator förde dagordningen vidare eller ändrade den",
    ),
    (PRINCIPAL.aad, "agenda_entry", "update", None, "Rita Rektor skrev en anteckning i mötet"),
    (POLICE.aad, "case_content", "read", None, "Per Polis såg ärendets anteckningar i mötet (egen vy)"),
    (
        POLICE.aad,
        "privacy",
        "personnummer_refused",
        None,
        "Per Polis skrev in ett personnummer, som avvisades",
    ),
    (POLICE.aad, "agenda_run", "denied", None, "Per Polis nekades åtkomst till mötets dagordning"),
    (COORDINATOR.aad, "handlingsplan", "read", None, "Kim Koordinator tog fram handlingsplanen som Word-fil"),
    (
        "system:reminders",
        "reminder",
        "read",
        {"to": POLICE.aad},
        "Påminnelsetjänsten skickade en påminnelse till Per Polis",
    ),
    (PRINCIPAL.aad, "member", "delete", None, "Rita Rektor tog bort en person ur teamet"),
]


async def _add(bot, case_id: str, rows: list[tuple[str, str, str, dict | None]], start: datetime) -> None:
    async with bot.services.db.transaction() as s:
        for i, (actor, entity, action, detail) in enumerate(rows):
            s.add(
                AuditEvent(
                    tenant_id=acts.TENANT,
                    at=start + timedelta(seconds=i),
                    actor_aad_id=actor,
                    case_id=case_id,
                    entity=entity,
                    action=action,
                    verb="test",
                    conversation_id="c",
                    detail=detail,
                )
            )


async def test_every_event_reads_as_what_happened(bot):
    code, case_id = await open_case_with_team(bot)
    await bot.say(POLICE, acts.personal(POLICE), "hjälp")  # the bot knows Per Polis's name
    await _add(bot, case_id, [e[:4] for e in EVENTS], datetime.now(UTC) + timedelta(minutes=1))
    shown = card_text((await bot.say(COORDINATOR, ME, f"vem har läst {code}")).card).replace("**", "")
    for *_, words in EVENTS:
        assert words in shown, words
    assert shown.count("skapade ärendet") == 1  # the case's own creation only
    assert "okänd användare" not in shown and "system:" not in shown
    for raw in (" update", " create", " delete", " read", " denied"):
        assert raw not in shown, raw


async def test_the_list_pages_to_older_events_and_back(bot):
    code, case_id = await open_case_with_team(bot)
    async with bot.services.db.session() as s:
        from sqlalchemy import func, select

        before = await s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id)
        )
    extra = 87 - before
    start = datetime.now(UTC) - timedelta(days=30)  # older than the team's own events
    await _add(bot, case_id, [(PRINCIPAL.aad, "consent", "read", None)] * extra, start)

    first = (await bot.say(COORDINATOR, ME, f"vem har läst {code}")).card
    assert f"Händelse 1–{AUDIT_LIMIT} av 87" in card_text(first)
    assert [a["title"] for a in all_actions(first)] == ["Äldre"]
    second = await bot.press(COORDINATOR, ME, find_action(first, "Äldre"))
    shown = card_text(second.card).replace("**", "")
    # 88 now: looking at the list is an event too
    assert f"Händelse {AUDIT_LIMIT + 1}–88 av 88" in shown
    assert "Rita Rektor läste samtycket" in shown  # the oldest events are reachable now
    assert [a["title"] for a in all_actions(second.card)] == ["Nyare"]
    back = await bot.press(COORDINATOR, ME, find_action(second.card, "Nyare"))
    assert f"Händelse 1–{AUDIT_LIMIT} av 89" in card_text(back.card)
    assert [a["title"] for a in all_actions(back.card)] == ["Äldre"]
