"""``mina åtgärder``: a professional sees what they promised, overdue first, by case code only."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from store.models import AuditEvent
from tests.conftest import POLICE, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text
from tests.harness.seed import seed_action, seed_case


async def test_my_actions_lists_mine_overdue_first_without_the_child(bot):
    today = date.today()
    async with bot.services.db.transaction() as s:
        case = await seed_case(
            s,
            acts.TENANT,
            "SSPF-2026-031",
            initials="Q.Z.",
            youth_name="Quinn Z",
            members=[(SOCIAL.aad, SOCIAL.name, "socialtjanst")],
            guardians=["Vårdnadshavare"],
            consent_agencies=["socialtjanst"],  # issue 12 §2: action texts only within the consent
        )
        other = await seed_case(
            s, acts.TENANT, "SSPF-2026-032", guardians=["Vårdnadshavare"], consent_agencies=["socialtjanst"]
        )
        await seed_action(
            s,
            acts.TENANT,
            case=case,
            text="Samtalskontakt varannan vecka",
            agency="socialtjanst",
            responsible=(SOCIAL.aad, SOCIAL.name),
            due_on=today + timedelta(days=10),
        )
        await seed_action(
            s,
            acts.TENANT,
            case=other,
            text="Stöd till vårdnadshavare",
            agency="socialtjanst",
            responsible=(SOCIAL.aad, SOCIAL.name),
            due_on=today - timedelta(days=2),
        )
        await seed_action(
            s, acts.TENANT, case=case, text="Hembesök", agency="polis", responsible=(POLICE.aad, POLICE.name)
        )
        await seed_action(
            s,
            acts.TENANT,
            case=case,
            text="Redan klar",
            agency="socialtjanst",
            responsible=(SOCIAL.aad, SOCIAL.name),
            status="done",
        )

    reply = await bot.say(SOCIAL, acts.personal(SOCIAL), "Mina åtgärder")
    shown = card_text(reply.card)
    first, second = shown.index("Stöd till vårdnadshavare"), shown.index("Samtalskontakt varannan vecka")
    assert first < second  # the overdue one first
    assert "Försenad" in shown and "SSPF-2026-032" in shown and "SSPF-2026-031" in shown
    for hidden in ("Hembesök", "Redan klar", "Q.Z.", "Quinn"):
        assert hidden not in shown
    async with bot.services.db.session() as s:
        reads = (
            await s.scalars(
                select(AuditEvent).where(AuditEvent.action == "read", AuditEvent.actor_aad_id == SOCIAL.aad)
            )
        ).all()
    assert {r.case_id for r in reads} == {case.id, other.id}


async def test_nothing_to_do(bot):
    reply = await bot.say(POLICE, acts.personal(POLICE), "mina åtgärder")
    assert "Du har inga öppna åtgärder just nu." in card_text(reply.card)
