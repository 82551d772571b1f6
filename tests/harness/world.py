"""A small, complete world for tests that walk or fuzz the whole bot: a consented case with its team,
a booked meeting with its chat, an earlier action, and a 1:1 chat for each person.

Rows are seeded directly (``tests/harness/seed.py``); each person says ``hjälp`` once so the bot
knows their 1:1 chat, as it would after they installed the app.
"""

from __future__ import annotations

from tests.conftest import COORDINATOR, POLICE, PRINCIPAL, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot
from tests.harness.seed import seed_action, seed_case, seed_meeting

CODE = "SSPF-2026-001"
MEETING_CHAT = acts.meeting_chat("world")
PEOPLE = (COORDINATOR, PRINCIPAL, SOCIAL, POLICE)
CONVERSATIONS = [acts.personal(u) for u in PEOPLE] + [MEETING_CHAT]
TEAM = [
    (PRINCIPAL.aad, PRINCIPAL.name, "skola"),
    (SOCIAL.aad, SOCIAL.name, "socialtjanst"),
    (POLICE.aad, POLICE.name, "polis"),
]


async def build_world(bot: RunningBot) -> str:
    """Seed the world; returns the case id."""
    async with bot.services.db.transaction() as s:
        case = await seed_case(
            s,
            acts.TENANT,
            CODE,
            members=TEAM,
            guardians=["Vera Vårdnadshavare", "Ville Vårdnadshavare"],
            consent_agencies=["skola", "socialtjanst", "polis"],
        )
        await seed_meeting(
            s, acts.TENANT, kind="individuell", chat_id=MEETING_CHAT.id, case=case, participants=TEAM
        )
        await seed_action(
            s,
            acts.TENANT,
            case=case,
            text="Läxhjälp två dagar i veckan",
            agency="skola",
            responsible=(PRINCIPAL.aad, PRINCIPAL.name),
        )
        case_id = case.id
    for user in PEOPLE:
        await bot.say(user, acts.personal(user), "hjälp")
    return case_id
