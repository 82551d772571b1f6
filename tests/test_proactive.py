"""Proactive messages report what happened: a reminder is only 'sent' when the connector said 2xx."""

from __future__ import annotations

from bot.proactive import send_to_user, text_message
from tests.conftest import POLICE, SOCIAL
from tests.harness import activities as acts


async def test_message_reaches_the_users_personal_chat(bot):
    await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")
    bot.connector.clear()
    async with bot.services.db.transaction() as session:
        delivery = await send_to_user(
            bot.services, session, acts.TENANT, SOCIAL.aad, text_message("Påminnelse")
        )
    assert delivery.sent
    [msg] = bot.connector.messages()
    assert msg.conversation_id == acts.personal(SOCIAL).id
    assert msg.text == "Påminnelse"


async def test_throttling_is_retried_and_the_message_arrives_once(bot):
    await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")
    bot.connector.clear()
    bot.connector.fail_next(429, times=2, retry_after=0.05)
    async with bot.services.db.transaction() as session:
        delivery = await send_to_user(bot.services, session, acts.TENANT, SOCIAL.aad, text_message("En gång"))
    assert delivery.sent
    assert [m.text for m in bot.connector.messages()] == ["En gång"]
    assert bot.connector.status_counts[429] == 2


async def test_app_removed_is_undeliverable_not_retried_forever(bot):
    await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")
    bot.connector.clear()
    bot.connector.fail_next(403, times=1)
    async with bot.services.db.transaction() as session:
        delivery = await send_to_user(bot.services, session, acts.TENANT, SOCIAL.aad, text_message("x"))
    assert delivery.status == "undeliverable"
    assert bot.connector.messages() == []
    assert bot.connector.status_counts[403] == 1


async def test_a_new_user_gets_a_new_personal_chat(bot):
    await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")  # the bot knows the tenant's service URL
    bot.connector.clear()
    async with bot.services.db.transaction() as session:
        delivery = await send_to_user(bot.services, session, acts.TENANT, POLICE.aad, text_message("Hej"))
    assert delivery.sent
    created = [s for s in bot.connector.sent if s.method == "CREATE"]
    assert created and created[0].body["members"] == [{"id": POLICE.aad}]
    assert bot.connector.messages()[0].text == "Hej"
