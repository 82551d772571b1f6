"""Issue 17 items 12–14: say less, say it in plain Swedish, and fit Teams' card width."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.cards.agenda import AgendaView, CaseNotes, agenda_card
from bot.cards.figures import figures_card
from bot.i18n import Translator
from domain.agenda import load_templates
from store.models import Meeting, Reminder
from store.queries.figures import RawFigures
from tests.case_steps import open_case_with_team, record_consent, register_case, team_form
from tests.conftest import COORDINATOR, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, fact_value, find_action
from tests.test_cases import case_inputs, meeting, reminder
from tests.test_reminders_card_actions import two_reminders

ME = acts.personal(COORDINATOR)
SV = Translator("sv")
PERSONNUMMER = "20130304-1234"
# what a reminder button may hold and still show whole at Teams' card width (the screenshots)
BUTTON_MAX = 14


def _actions(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            found.append(node)
        for value in node.values():
            found.extend(_actions(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_actions(value))
    return found


# --- item 12: say less -------------------------------------------------------------------------------------


async def test_registering_consent_is_one_message_and_the_orosanmalan_reminder_comes_once(bot):
    code, _case_id = await open_case_with_team(bot)
    first = await record_consent(bot, code, "Vårdnadshavare 1", "skola,polis")
    assert len(first.texts) == 1  # it was three: recorded, still missing, orosanmälan
    assert first.texts[0].startswith(f"Samtycket från Vårdnadshavare 1 är registrerat för **{code}**.")
    assert "orosanmälan" not in first.texts[0]
    second = await record_consent(bot, code, "Vårdnadshavare 2", "skola,polis")
    assert len(second.texts) == 1
    assert second.texts[0].count("orosanmälan") == 1  # once: the consent is complete now
    again = await record_consent(bot, code, "Vårdnadshavare 2", "skola,polis")
    assert len(again.texts) == 1 and "orosanmälan" not in again.texts[0]  # not each time


async def test_closing_a_case_with_nothing_to_stop_does_not_report_zeros(bot):
    code, _, _ = await register_case(bot)
    ask = await bot.say(COORDINATOR, ME, f"avsluta ärende {code}")
    done = await bot.press(
        COORDINATOR, ME, find_action(ask.card, "Avsluta ärendet"), {"reason": "mal_uppnatt"}
    )
    assert done.texts[0] == f"**{code}** är avslutat."


async def test_closing_says_what_was_stopped_in_the_singular_and_plural(bot):
    code, case_id = await open_case_with_team(bot)
    now = datetime.now(UTC)
    async with bot.services.db.transaction() as session:
        session.add(reminder(case_id, now + timedelta(days=1)))
        session.add(reminder(case_id, now + timedelta(days=2)))
        session.add(meeting(case_id, now + timedelta(days=3), "booked"))
    ask = await bot.say(COORDINATOR, ME, f"avsluta ärende {code}")
    done = await bot.press(
        COORDINATOR, ME, find_action(ask.card, "Avsluta ärendet"), {"reason": "mal_uppnatt"}
    )
    assert done.texts[0] == f"**{code}** är avslutat. 2 påminnelser stoppades. 1 kommande möte ställs in."
    assert Reminder and Meeting  # the rows above are the ones stopped


def _raw(**over: Any) -> RawFigures:
    raw = {
        "cases_by_status": {"open": 5},
        "open_by_track": {"individuell": 5},
        "days_signal_to_first_meeting": [4, 9],  # two cases: no median
        "actions_open": 4,
        "actions_overdue": 0,
        "actions_closed": 2,  # two closed actions: no share
        "actions_done_on_time": 1,
        "followups_booked": 3,
        "outcomes": {},
    }
    raw.update(over)
    return RawFigures(**raw)


def test_a_suppressed_median_or_share_cannot_be_read_as_under_3_days_or_3_percent():
    card = figures_card(SV, _raw(), datetime.now(UTC).date())
    median = fact_value(card, "Dagar från signal till första SSPF-möte (median)")
    assert median == "– (färre än 3 ärenden att räkna på)"
    assert fact_value(card, "Andel klara i tid") == "– (färre än 3 avslutade åtgärder)"
    shown = card_text(card)
    assert "En median eller andel som bygger på färre än 3 visas som ”–”." in shown
    small = figures_card(SV, _raw(actions_open=2), datetime.now(UTC).date())
    assert fact_value(small, "Åtgärder som pågår") == "färre än 3"  # a count may say it plainly


# --- item 13: texts ----------------------------------------------------------------------------------------


async def test_the_language_card_says_svenska_in_lower_case(bot):
    await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")
    asked = await bot.say(SOCIAL, acts.personal(SOCIAL), "språk")
    assert "Nu skriver jag på svenska." in card_text(asked.card)
    assert "på Svenska" not in card_text(asked.card)


async def test_an_empty_school_field_asks_to_type_a_name_not_to_choose(bot):
    form = await bot.say(COORDINATOR, ME, "nytt ärende")
    reply = await bot.press(COORDINATOR, ME, find_action(form.card, "Spara"), case_inputs(school_area=""))
    shown = card_text(reply.card)
    assert "Skriv skolans eller områdets namn, till exempel Ekbackeskolan." in shown
    assert "Välj skola eller område." not in shown


async def test_a_personnummer_in_a_guardians_name_or_phone_gets_advice_that_fits_the_field(bot):
    _code, case_id, _ = await register_case(bot)
    form = await team_form(bot, case_id)
    inputs = {
        "contact_kind": "guardian",
        "contact_name": PERSONNUMMER,
        "contact_email": "",
        "contact_phone": PERSONNUMMER,
    }
    reply = await bot.press(COORDINATOR, ME, find_action(form, "Lägg till kontakt"), inputs)
    shown = card_text(reply.card)
    assert "Det här ser ut som ett personnummer. Skriv bara namnet – personnummer sparas aldrig." in shown
    assert (
        "Det här ser ut som ett personnummer, inte ett telefonnummer. Skriv telefonnumret, "
        "till exempel 070-123 45 67." in shown
    )
    assert "initialer och ärendekod" not in shown  # the advice for case fields, wrong here


async def test_a_personnummer_in_a_member_name_gets_the_name_advice(bot):
    _code, case_id, _ = await register_case(bot)
    form = await team_form(bot, case_id)
    inputs = {"agency": "socialtjanst", "aad_id": SOCIAL.aad, "member_name": PERSONNUMMER}
    reply = await bot.press(COORDINATOR, ME, find_action(form, "Lägg till yrkesperson"), inputs)
    shown = card_text(reply.card)
    assert "Skriv bara namnet – personnummer sparas aldrig." in shown
    assert "initialer och ärendekod" not in shown


def test_the_urval_step_says_consented_cases_only_once():
    tpl = load_templates()["urval"]
    step = next(i for i, s in enumerate(tpl.steps) if s.kind == "individual_cases")
    view = AgendaView(
        run_id="r",
        version=1,
        title=tpl.title,
        case_code=None,
        steps=list(tpl.steps),
        step_index=step,
        ended=False,
        user_ids=["29:u"],
        team=[],
        cases=[CaseNotes("c1", "SSPF-2026-014", [])],
    )
    shown = card_text(agenda_card(SV, view))
    assert shown.count("samtycke") == 1, shown
    assert "Bara ärenden med giltigt samtycke visas, med ärendekod." in shown


async def test_reminder_buttons_fit_teams_card_width(bot):
    card, _, _ = await two_reminders(bot)
    buttons = [a for a in _actions(card) if a.get("verb") == "reminder.action"]
    assert buttons
    for button in buttons:
        assert len(button["title"]) <= BUTTON_MAX, button["title"]
    primary = {a["title"] for a in buttons if a.get("mode") != "secondary"}
    secondary = {a["title"] for a in buttons if a.get("mode") == "secondary"}
    assert primary == {"Klar", "Skjut 1 dag"}
    assert secondary == {"Pågår", "Skjut 1 vecka", "Kan inte göras"}  # Teams' "…" menu


async def test_the_case_cards_buttons_come_two_a_row_so_their_labels_fit(bot):
    code, _, _ = await register_case(bot)
    reply = await bot.say(COORDINATOR, ME, f"ärende {code}")
    rows = [el for el in reply.card["body"] if el.get("type") == "ActionSet"]
    assert [[a["title"] for a in row["actions"]] for row in rows] == [
        ["Lägg till i teamet", "Registrera samtycke"],
        ["Boka möte", "Avsluta"],
    ]


# --- issue 16: the owner picker ---------------------------------------------------------------------------


def test_the_owner_picker_lists_a_few_ready_choices_and_says_the_search_finds_the_rest():
    tpl = load_templates()["arbetsgrupp"]
    step = next(i for i, s in enumerate(tpl.steps) if s.kind == "new_actions")
    team = [(f"aad-{i}", f"Person {i} (Skola)") for i in range(30)]
    view = AgendaView(
        run_id="r",
        version=1,
        title=tpl.title,
        case_code=None,
        steps=list(tpl.steps),
        step_index=step,
        ended=False,
        user_ids=["29:u"],
        team=team,
        team_more=970,
        viewer_agency="skola",
    )
    built = agenda_card(SV, view)
    assert "970 till i mötet kan väljas: skriv namnet i fältet för att söka." in card_text(built)
