"""An action saved without its own text shows its kind in each reader's language (issue 17 item 2): it used to
store the label in the language of whoever pressed Spara ("Homework help" in Swedish minnesanteckningar)."""

from __future__ import annotations

from tests.conftest import PRINCIPAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, card_text, find_action
from tests.harness.seed import seed_action, seed_case


async def test_each_reader_sees_the_kind_in_their_own_language(bot: RunningBot):
    async with bot.services.db.transaction() as s:
        case = await seed_case(
            s,
            acts.TENANT,
            "SSPF-2026-001",
            members=[(PRINCIPAL.aad, PRINCIPAL.name, "skola")],
            guardians=["Vera"],
            consent_agencies=["skola"],
        )
        await seed_action(
            s,
            acts.TENANT,
            case=case,
            text="",
            kind="laxlasning",
            agency="skola",
            responsible=(PRINCIPAL.aad, PRINCIPAL.name),
        )
    conv = acts.personal(PRINCIPAL)
    swedish = await bot.say(PRINCIPAL, conv, "mina åtgärder")
    assert "Läxläsning" in card_text(swedish.card)
    choice = await bot.say(PRINCIPAL, conv, "språk")
    await bot.press(PRINCIPAL, conv, find_action(choice.card, "English"))
    english = await bot.say(PRINCIPAL, conv, "my actions")
    assert "Homework help" in card_text(english.card) and "Läxläsning" not in card_text(english.card)
