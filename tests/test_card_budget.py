"""A card over the 28 KB budget is never sent: the person is told the truth, and a too-large card is
never mistaken for a person who cannot be reached (Teams answers 413 MessageSizeTooBig)."""

from __future__ import annotations

from bot.cards.budget import CARD_LIMIT_BYTES, card_bytes
from bot.cards.elements import message_activity
from bot.i18n import Translator
from bot.proactive import send_payload_to_reference
from tests.conftest import PRINCIPAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot
from tests.harness.seed import seed_action, seed_case

SV = Translator("sv")


async def test_a_list_too_long_for_one_card_says_so_instead_of_failing(bot: RunningBot):
    async with bot.services.db.transaction() as s:
        case = await seed_case(
            s,
            acts.TENANT,
            "SSPF-2026-001",
            members=[(PRINCIPAL.aad, PRINCIPAL.name, "skola")],
            guardians=["Vera"],
            consent_agencies=["skola"],
        )
        for n in range(400):
            await seed_action(
                s,
                acts.TENANT,
                case=case,
                text=f"Åtgärd nummer {n} med en ganska lång beskrivning " * 2,
                agency="skola",
                responsible=(PRINCIPAL.aad, PRINCIPAL.name),
            )
    reply = await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), "mina åtgärder")
    assert reply.status == 200
    said = " ".join(reply.texts)
    assert SV("error.unexpected") not in said
    if reply.cards:  # paged or filtered to fit: fine, as long as every card fits
        assert all(card_bytes(c) <= CARD_LIMIT_BYTES for c in reply.cards)
    else:  # told the truth, not left with nothing
        assert SV("card.too_large") in said, said


async def test_a_proactive_card_over_the_budget_is_too_large_not_undeliverable(bot: RunningBot):
    reference = {
        "serviceUrl": bot.connector.url,
        "conversation": {"id": acts.personal(PRINCIPAL).id},
        "user": {"id": PRINCIPAL.id},
        "bot": acts.BOT,
        "channelId": "msteams",
    }
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "x" * (CARD_LIMIT_BYTES + 100), "wrap": True}],
    }
    delivery = await send_payload_to_reference(bot.services, reference, message_activity(card))
    assert delivery.status == "too_large"
    assert bot.connector.sent == []  # nothing went out
    assert not bot.connector.status_counts  # not even an attempt Teams would refuse
