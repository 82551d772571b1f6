"""Every card of the case, team and consent flows parses as Adaptive Card 1.5 and fits the size budget."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.case_steps import consent_form, open_case_with_team, record_consent, register_case, team_form
from tests.conftest import COORDINATOR, PRINCIPAL
from tests.harness import activities as acts
from tests.harness.bot_runner import find_action, input_values
from tests.harness.cards import assert_valid_cards

ME = acts.personal(COORDINATOR)


async def test_every_case_card_is_valid(bot):
    cards: list[dict[str, Any]] = []
    empty_list = await bot.say(COORDINATOR, ME, "mina ärenden")
    cards.append(empty_list.card)
    form = await bot.say(COORDINATOR, ME, "nytt ärende")
    cards.append(form.card)
    errors = await bot.press(
        COORDINATOR, ME, find_action(form.card, "Spara"), {"initials": "1", "school_area": "x" * 90}
    )
    cards.append(errors.card)
    bare_code, _bare_id, created = await register_case(bot)
    cards.append(created.card)
    cards.append((await consent_form(bot, bare_code)).card)  # no guardians yet

    code, case_id = await open_case_with_team(bot)
    team = await team_form(bot, case_id)
    cards.append(team)
    team_errors = await bot.press(
        COORDINATOR, ME, find_action(team, "Lägg till kontakt"), {"contact_email": "nej"}
    )
    cards.append(team_errors.card)

    consent = (await consent_form(bot, code)).card
    cards.append(consent)
    consent_errors = await bot.press(
        COORDINATOR, ME, find_action(consent, "Spara samtycket"), {"signed_on": "igår"}
    )
    cards.append(consent_errors.card)
    await record_consent(bot, code, "Vårdnadshavare 1", "skola,polis")
    consented = await record_consent(bot, code, "Vårdnadshavare 2", "skola")
    cards.append(consented.card)

    cards.append(
        (await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), f"ärende {code}")).card
    )  # team member view
    cards.append((await bot.say(PRINCIPAL, acts.group_chat(), f"ärende {code}")).card)  # group view
    cards.append((await bot.say(COORDINATOR, ME, "mina ärenden")).card)
    cards.append((await bot.say(COORDINATOR, ME, f"vem har läst {code}")).card)

    withdraw = (await bot.say(COORDINATOR, ME, f"återkalla samtycke {code}")).card
    cards.append(withdraw)
    future = (date.today() + timedelta(days=3)).isoformat()
    withdraw_errors = await bot.press(
        COORDINATOR, ME, find_action(withdraw, "Återkalla samtycket"), {"who": "all", "withdrawn_on": future}
    )
    cards.append(withdraw_errors.card)
    paused = await bot.press(
        COORDINATOR, ME, find_action(withdraw_errors.card, "Återkalla samtycket"), input_values(withdraw)
    )
    cards.append(paused.card)

    close = (await bot.say(COORDINATOR, ME, f"avsluta ärende {bare_code}")).card
    cards.append(close)
    close_errors = await bot.press(COORDINATOR, ME, find_action(close, "Avsluta ärendet"), {})
    cards.append(close_errors.card)
    closed = await bot.press(
        COORDINATOR, ME, find_action(close_errors.card, "Avsluta ärendet"), {"reason": "flyttat"}
    )
    cards.append(closed.card)

    assert len(cards) == 20
    assert_valid_cards(cards)
