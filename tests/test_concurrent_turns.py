"""Many people writing at once: everyone is answered once, replays still do nothing twice.

The hot path was made faster (``bench/throughput.py``); these are the guarantees that must not have
moved with it, under the concurrency the benchmark uses, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio

from tests.conftest import SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text


async def test_fifty_people_asking_for_help_at_once_each_get_one_help_card(bot):
    people = [acts.User(f"aad-many-{i:02d}", f"Person {i}") for i in range(50)]
    activities = [acts.message("hjälp", p, acts.personal(p), bot.connector.url) for p in people]
    statuses = await asyncio.gather(*(bot.post(a) for a in activities))
    assert [s for s, _ in statuses] == [200] * 50
    await bot.connector.wait_for(50)
    for person in people:
        sent = bot.connector.messages(acts.personal(person).id)
        assert len(sent) == 1, person
        assert "SSPF – vad jag kan hjälpa till med" in card_text(sent[0].cards[0])
        assert sent[0].body["replyToId"] == next(a["id"] for a in activities if a["from"]["id"] == person.id)


async def test_the_same_activity_arriving_five_times_at_once_is_answered_once(bot):
    activity = acts.message("hjälp", SOCIAL, acts.personal(SOCIAL), bot.connector.url)
    statuses = await asyncio.gather(*(bot.post(activity) for _ in range(5)))
    assert [s for s, _ in statuses] == [200] * 5
    await asyncio.sleep(0.2)
    assert len(bot.connector.messages(acts.personal(SOCIAL).id)) == 1


async def test_the_stored_reference_follows_the_conversation_not_the_last_message(bot):
    from store.queries.conversations import personal_reference

    conv = acts.personal(SOCIAL)
    await bot.say(SOCIAL, conv, "hjälp")
    await bot.say(SOCIAL, conv, "hjälp")
    async with bot.services.db.session() as session:
        ref = await personal_reference(session, acts.TENANT, SOCIAL.aad)
    assert ref is not None
    assert "activityId" not in ref  # a proactive message starts its own thread of replies
    assert ref["user"]["name"] == SOCIAL.name

    renamed = acts.User(SOCIAL.aad, "Sam Socialsekreterare (ny titel)")
    await bot.say(renamed, conv, "hjälp")
    async with bot.services.db.session() as session:
        ref = await personal_reference(session, acts.TENANT, SOCIAL.aad)
    assert ref["user"]["name"] == "Sam Socialsekreterare (ny titel)"
