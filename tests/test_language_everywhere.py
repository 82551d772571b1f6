"""Issue 17 item 1: a person's ``språk`` choice is theirs everywhere, not only in typed 1:1 messages.

Someone whose Teams runs in English but who chose Svenska gets the reminder, the weekly digest, a team
notice and the answer to a pressed button in Swedish; someone who chose English in a Swedish Teams gets
them in English. Notices are rendered in the RECIPIENT's language, whoever caused them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.reminders.dispatcher import dispatcher_of
from store.queries.reminders import replan_for_action
from tests.case_steps import open_case_with_team
from tests.conftest import COORDINATOR, POLICE, PRINCIPAL, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, card_text, find_action
from tests.harness.seed_reminders import seed_action, seed_case
from tests.test_reminders_delivery import TUESDAY, at, cards_to

EN, SV = "en-US", "sv-SE"


async def choose(bot: RunningBot, user: acts.User, language: str, *, locale: str) -> None:
    """``språk`` in the 1:1 chat, from a Teams running in ``locale``; then forget that traffic."""
    conv = acts.personal(user)
    asked = await bot.say(user, conv, "språk", locale=locale)
    await press(bot, user, conv, find_action(asked.cards[0], language), locale=locale)
    bot.connector.clear()


async def press(
    bot: RunningBot, user: acts.User, conv: acts.Conversation, action: dict[str, Any], *, locale: str
) -> Any:
    """A button pressed from a Teams running in ``locale`` (the harness's press sends sv-SE)."""
    data = dict(action.get("data", {}))
    if action["type"] == "Action.Execute":
        activity = acts.execute(action["verb"], data, user, conv, bot.connector.url, locale=locale)
    else:
        activity = acts.submit(data, user, conv, bot.connector.url, locale=locale)
    return await bot.send(activity)


async def reminder_for(bot: RunningBot, user: acts.User, code: str) -> dict[str, Any]:
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, code, members=[(user, "socialtjanst")])
        action = await seed_action(s, case, user, date(2027, 3, 11), text="Samtal med familjen")
        await replan_for_action(s, action, now=at(2027, 3, 1))
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    dispatcher.clock = lambda: TUESDAY
    await dispatcher.run_once(now=TUESDAY)
    [card] = cards_to(bot, user)
    return card


async def test_svenska_in_an_english_teams_reminder_and_its_buttons_are_swedish(bot):
    await choose(bot, SOCIAL, "Svenska", locale=EN)
    card = await reminder_for(bot, SOCIAL, "SSPF-2027-040")
    text = card_text(card)
    assert "Påminnelse" in text and "Reminder" not in text
    pressed = await press(bot, SOCIAL, acts.personal(SOCIAL), find_action(card, "Klar"), locale=EN)
    redrawn = card_text(pressed.card)
    assert "Sparat: åtgärden är klar." in redrawn and "Saved" not in redrawn


async def test_english_in_a_swedish_teams_reminder_and_its_buttons_are_english(bot):
    await choose(bot, SOCIAL, "English", locale=SV)
    card = await reminder_for(bot, SOCIAL, "SSPF-2027-041")
    text = card_text(card)
    assert "Reminder" in text and "Påminnelse" not in text
    pressed = await press(bot, SOCIAL, acts.personal(SOCIAL), find_action(card, "Done"), locale=SV)
    redrawn = card_text(pressed.card)
    assert "Sparat" not in redrawn and "Klar" not in redrawn


async def _digest(bot: RunningBot) -> str:
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-042", members=[(SOCIAL, "socialtjanst")])
        await seed_action(s, case, SOCIAL, date(2027, 3, 10), text="Sen åtgärd")
    dispatcher = dispatcher_of(bot.services)
    await dispatcher.run_once(now=at(2027, 3, 14, 12, 0))  # Sunday: plans Monday's digest
    await dispatcher.run_once(now=at(2027, 3, 15, 8, 10))  # Monday morning
    [card] = cards_to(bot, COORDINATOR)
    return card_text(card)


async def test_weekly_digest_follows_the_coordinators_choice_not_teams(bot):
    await choose(bot, COORDINATOR, "Svenska", locale=EN)
    assert "Veckans sammanställning" in await _digest(bot)


async def test_weekly_digest_in_english_when_chosen_in_a_swedish_teams(bot):
    await choose(bot, COORDINATOR, "English", locale=SV)
    text = await _digest(bot)
    assert "Veckans sammanställning" not in text and "week" in text.lower()


async def test_a_team_notice_is_in_each_recipients_language_not_the_actors(bot):
    code, _ = await open_case_with_team(bot)
    await choose(bot, POLICE, "English", locale=SV)  # Swedish Teams, chose English
    await choose(bot, PRINCIPAL, "Svenska", locale=EN)  # English Teams, chose Svenska
    await choose(bot, COORDINATOR, "English", locale=EN)  # the actor chose English
    me = acts.personal(COORDINATOR)
    ask = await bot.say(COORDINATOR, me, f"avsluta ärende {code}", locale=EN)
    await bot.press(COORDINATOR, me, find_action(ask.card, "Close the case"), {"reason": "mal_uppnatt"})
    [to_police] = [m.text for m in bot.connector.messages(acts.personal(POLICE).id)]
    [to_principal] = [m.text for m in bot.connector.messages(acts.personal(PRINCIPAL).id)]
    assert to_police == f"Case **{code}** has been closed. There will be no more meetings or reminders."
    assert to_principal == f"Ärende **{code}** har avslutats. Det blir inga fler möten eller påminnelser."


async def test_a_card_press_in_a_meeting_chat_answers_in_the_pressers_language(bot):
    """Each viewer's own view: the answer to a press in a shared chat is in the presser's language."""
    await choose(bot, POLICE, "English", locale=SV)
    conv = acts.meeting_chat("lang")
    action = {"type": "Action.Execute", "verb": "case.list", "data": {"verb": "case.list"}}
    answer = await press(bot, POLICE, conv, action, locale=SV)
    assert answer.invoke_text.startswith("For confidentiality we do this in a personal chat.")
