"""Bad or unusual input in the reminder, booking and team flows gets a clear answer, never "Något gick fel".

- the person an action is assigned to can act on their own reminder card even when they are not on
  the case's team (only on that action: nothing else of the case);
- free text on the reminder card is capped and never holds a personnummer, on every button;
- a forged case id on a booking button stops the flow (nothing asked of the calendar);
- two people adding the same colleague to a team at once both get an answer, one row is stored;
- a card press whose value is not the expected shape gets "unknown action", not an error.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from bot.reminders.dispatcher import dispatcher_of
from store.models import ActionItem, AuditEvent
from store.queries.reminders import replan_for_action
from tests.conftest import COORDINATOR, OUTSIDER, POLICE, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import all_actions, card_text, find_action, input_values, nodes
from tests.harness.cards import assert_valid_cards
from tests.harness.seed_reminders import seed_action, seed_case
from tests.test_reminders_delivery import TUESDAY, at, cards_to, know

NURSE = acts.User("aad-school-nurse", "Sara Skolsköterska")  # responsible for one action, not on the team


async def outsider_reminder(bot) -> tuple[dict, str, str, str]:
    """NURSE's reminder card for the one action she is responsible for on a case she is not on.

    Returns (card, her action id, another action id of the case, case id)."""
    await know(bot, NURSE, SOCIAL, COORDINATOR)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-041", members=[(SOCIAL, "socialtjanst"), (POLICE, "polis")])
        hers = await seed_action(s, case, NURSE, date(2027, 3, 11), text="Hälsosamtal med eleven")
        other = await seed_action(s, case, SOCIAL, date(2027, 3, 11), text="Samtal med vårdnadshavare")
        for action in (hers, other):
            await replan_for_action(s, action, now=at(2027, 3, 1))
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    dispatcher.clock = lambda: TUESDAY
    await dispatcher.run_once(now=TUESDAY)
    [card] = cards_to(bot, NURSE)
    bot.connector.clear()
    return card, hers.id, other.id, case.id


async def action_row(bot, action_id: str) -> ActionItem:
    async with bot.services.db.session() as s:
        return await s.get(ActionItem, action_id)


async def audit_rows(bot, case_id: str) -> list[AuditEvent]:
    async with bot.services.db.session() as s:
        return list(await s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)))


# --- a. the responsible person who is not on the team -------------------------------------------


async def test_the_responsible_person_off_the_team_can_mark_their_action_done(bot):
    card, hers, other, case_id = await outsider_reminder(bot)
    assert "Hälsosamtal med eleven" in card_text(card)
    assert "Samtal med vårdnadshavare" not in card_text(card)

    reply = await bot.press(NURSE, acts.personal(NURSE), find_action(card, "Klar"))

    assert reply.status == 200
    assert "Sparat: åtgärden är klar." in card_text(reply.card)
    assert "Något gick fel" not in card_text(reply.card)
    assert (await action_row(bot, hers)).status == "done"
    assert (await action_row(bot, other)).status == "open"
    audit = await audit_rows(bot, case_id)
    update = [a for a in audit if a.entity == "action_item" and a.action == "update"]
    assert [a.actor_aad_id for a in update] == [NURSE.aad]
    assert not [a for a in audit if a.action == "denied"]
    assert_valid_cards([reply.card])


async def test_the_responsible_person_off_the_team_can_postpone_with_a_comment(bot):
    card, hers, _, _ = await outsider_reminder(bot)
    button = find_action(card, "Skjut 1 vecka")
    field = button["data"]["comment_field"]
    reply = await bot.press(NURSE, acts.personal(NURSE), button, {field: "Eleven är sjuk denna vecka"})
    assert "nytt slutdatum 2027-03-18" in card_text(reply.card)
    action = await action_row(bot, hers)
    assert action.due_on == date(2027, 3, 18) and action.status_comment == "Eleven är sjuk denna vecka"


async def test_the_responsible_person_off_the_team_cannot_touch_another_action_of_the_case(bot):
    card, hers, other, case_id = await outsider_reminder(bot)
    button = find_action(card, "Klar")
    forged = {**button, "data": {**button["data"], "action_id": other}}
    reply = await bot.press(NURSE, acts.personal(NURSE), forged)
    said = " ".join([reply.invoke_text, *reply.texts])
    assert "inte behörighet" in said
    assert "Samtal med vårdnadshavare" not in said + (card_text(reply.card) if reply.cards else "")
    assert (await action_row(bot, other)).status == "open"
    assert (await action_row(bot, hers)).status == "open"
    denied = [a for a in await audit_rows(bot, case_id) if a.action == "denied"]
    assert [a.actor_aad_id for a in denied] == [NURSE.aad]


async def test_someone_else_off_the_team_is_still_refused(bot):
    card, hers, _, case_id = await outsider_reminder(bot)
    reply = await bot.press(OUTSIDER, acts.personal(OUTSIDER), find_action(card, "Klar"))
    assert "inte behörighet" in " ".join([reply.invoke_text, *reply.texts])
    assert (await action_row(bot, hers)).status == "open"
    denied = [a for a in await audit_rows(bot, case_id) if a.action == "denied"]
    assert [a.actor_aad_id for a in denied] == [OUTSIDER.aad]


# --- b. free text on the reminder card ------------------------------------------------------------


async def two_items(bot) -> tuple[dict, str, str]:
    """SOCIAL's reminder card with two actions; returns (card, first action id, second action id)."""
    from tests.test_reminders_card_actions import two_reminders

    card, _, _ = await two_reminders(bot)
    pressed = find_action(card, "Skjut 1 vecka")["data"]["action_id"]
    other = next(a["data"]["action_id"] for a in all_actions(card) if a["data"].get("action_id") != pressed)
    bot.connector.clear()
    return card, pressed, other


def comment_fields(card: dict) -> dict[str, str]:
    """action id -> the comment input of its item."""
    return {
        a["data"]["action_id"]: a["data"]["comment_field"]
        for a in all_actions(card)
        if "comment_field" in a.get("data", {})
    }


async def test_a_200_kb_postpone_comment_is_refused_and_the_other_entry_is_kept(bot):
    card, pressed, other = await two_items(bot)
    fields = comment_fields(card)
    huge = "Lang kommentar. " * 12_800  # 200 KB
    typed_elsewhere = "Ringer skolan på måndag"
    button = next(
        a for a in all_actions(card) if a["title"] == "Skjut 1 vecka" and a["data"]["action_id"] == pressed
    )
    reply = await bot.press(
        SOCIAL, acts.personal(SOCIAL), button, {fields[pressed]: huge, fields[other]: typed_elsewhere}
    )

    text = card_text(reply.card)
    assert "Kommentaren får vara högst 600 tecken" in text
    assert "Något gick fel" not in text
    assert len(json.dumps(reply.card).encode()) < 28_000
    assert "Lang kommentar." not in text  # a refused entry is not echoed
    assert input_values(reply.card)[fields[other]] == typed_elsewhere  # the other entry is kept
    action = await action_row(bot, pressed)
    assert action.due_on == date(2027, 3, 11) and action.status_comment is None and action.version == 1
    assert_valid_cards([reply.card])

    # fixed: a short comment is saved
    again = next(
        a
        for a in all_actions(reply.card)
        if a["title"] == "Skjut 1 vecka" and a["data"]["action_id"] == pressed
    )
    saved = await bot.press(SOCIAL, acts.personal(SOCIAL), again, {fields[pressed]: "Eleven är sjuk"})
    assert "nytt slutdatum 2027-03-18" in card_text(saved.card)
    assert (await action_row(bot, pressed)).status_comment == "Eleven är sjuk"


async def test_every_reminder_button_refuses_a_personnummer_in_the_comment(bot):
    card, pressed, _ = await two_items(bot)
    field = comment_fields(card)[pressed]
    for title in ("Pågår", "Skjut 1 dag", "Skjut 1 vecka", "Klar", "Kan inte göras"):
        button = next(
            a for a in all_actions(card) if a["title"] == title and a["data"]["action_id"] == pressed
        )
        reply = await bot.press(
            SOCIAL, acts.personal(SOCIAL), button, {field: "Gäller 20130412-1234 och syskon"}
        )
        # refused by the personnummer door (middleware) or, behind it, by the flow's own check
        said = reply.invoke_text if isinstance(reply.invoke_text, str) else card_text(reply.card)
        said += " ".join(reply.texts)
        assert "personnummer" in said.lower(), title
        assert "Något gick fel" not in said and "20130412" not in said, title
    action = await action_row(bot, pressed)
    assert action.status == "open" and action.status_comment is None and action.version == 1
    assert action.due_on == date(2027, 3, 11)


def test_the_comment_rule_refuses_a_personnummer_and_an_overlong_comment_on_every_path():
    """The flow's own check, behind the personnummer middleware: every button runs ``comment_refusal``
    (the status buttons through ``change_action_status``)."""
    from domain.actions import COMMENT_MAX, ActionStatus, change_action_status, comment_refusal

    assert comment_refusal("Gäller 20130412-1234").key == "privacy.personnummer_refused"
    assert comment_refusal("x" * (COMMENT_MAX + 1)).key == "action.comment_too_long"
    assert comment_refusal("x" * COMMENT_MAX) is None and comment_refusal("  ") is None
    for target in (ActionStatus.DONE, ActionStatus.IN_PROGRESS, ActionStatus.NOT_DONE):
        refused = change_action_status(ActionStatus.OPEN, target, "Gäller 20130412-1234")
        assert refused.key == "privacy.personnummer_refused"
        assert change_action_status(ActionStatus.OPEN, target, "y" * 601).key == "action.comment_too_long"


async def test_a_comment_over_the_limit_is_refused_on_cannot_be_done_too(bot):
    card, pressed, _ = await two_items(bot)
    field = comment_fields(card)[pressed]
    button = next(
        a for a in all_actions(card) if a["title"] == "Kan inte göras" and a["data"]["action_id"] == pressed
    )
    reply = await bot.press(SOCIAL, acts.personal(SOCIAL), button, {field: "x" * 601})
    assert "Kommentaren får vara högst 600 tecken (din har 601)" in card_text(reply.card)
    assert (await action_row(bot, pressed)).status == "open"


async def test_the_comment_field_says_its_limit(bot):
    card, _, _ = await two_items(bot)
    inputs = [n for n in nodes(card) if n.get("type") == "Input.Text"]
    assert inputs and all(n["maxLength"] == 600 for n in inputs)
    assert all("högst 600 tecken" in n["label"] for n in inputs)


# --- c. a forged case id on a booking button ------------------------------------------------------


class CalendarSpy:
    """Wraps the bot's calendar and counts every call (none may happen for a refused press)."""

    def __init__(self, calendar) -> None:
        self.calendar, self.calls = calendar, []

    def __getattr__(self, name):
        target = getattr(self.calendar, name)
        if not callable(target):
            return target

        def call(*args, **kwargs):
            self.calls.append(name)
            return target(*args, **kwargs)

        return call


def _forged(card: dict, title: str, **data: str) -> dict:
    """The card with ``data`` written into the button's own data, as a forged press would carry it."""
    import copy

    forged = copy.deepcopy(card)
    find_action(forged, title).setdefault("data", {}).update(data)
    return forged


async def test_suggest_times_for_a_forged_case_asks_no_calendar_and_shows_no_times(bot):
    from tests.booking_support import TEAM, meeting_day, open_form, press
    from tests.harness.seed_booking import seed_case as seed_booking_case

    case = await seed_booking_case(bot.services.db, members=TEAM, consent_agencies=["skola", "socialtjanst"])
    own = await seed_booking_case(
        bot.services.db, code="SSPF-2026-002", members=[(OUTSIDER, "fritid", "o@example.org")]
    )
    spy = CalendarSpy(bot.services.extras["calendar"])
    bot.services.extras["calendar"] = spy
    # OUTSIDER's own case's form, pressed with another team's case id forged into it
    form = await open_form(bot, user=OUTSIDER, kind="individuell", case_id=own.id)
    spy.calls.clear()
    day = meeting_day()
    reply = await press(
        bot,
        _forged(form, "Föreslå tider", case_id=case.id),  # forged: another team's case
        "Föreslå tider",
        user=OUTSIDER,
        case_id=case.id,
        team="aad-principal,aad-social",
        date=day.isoformat(),
        start="09:00",
        end="10:00",
    )
    await bot.connector.wait_for(0)
    assert spy.calls == []
    text = card_text(reply.card)
    assert "Ärendet finns inte, eller så har du inte behörighet till det." in text
    assert "Lediga tider" not in text and "Rita Rektor" not in text
    assert case.code not in input_values(reply.card).values()  # (the code field's placeholder is an example)
    assert case.id not in str(reply.card)
    assert_valid_cards([reply.card])
    async with bot.services.db.session() as s:
        denied = list(await s.scalars(select(AuditEvent).where(AuditEvent.action == "denied")))
    assert [d.actor_aad_id for d in denied] == [OUTSIDER.aad]


async def test_booking_for_a_forged_case_books_nothing_whatever_the_meeting_type(bot):
    from store.models import Meeting
    from tests.booking_support import TEAM, meeting_day, open_form, press
    from tests.harness.seed_booking import seed_case as seed_booking_case

    case = await seed_booking_case(bot.services.db, members=TEAM, consent_agencies=["skola", "socialtjanst"])
    spy = CalendarSpy(bot.services.extras["calendar"])
    bot.services.extras["calendar"] = spy
    # SOCIAL's own case's form (SOCIAL is on this case's team, not on the forged one)
    form = await open_form(bot, user=SOCIAL, kind="individuell", case_id=case.id)
    spy.calls.clear()
    other = await seed_booking_case(bot.services.db, members=[TEAM[0]], code="SSPF-2026-002")
    for kind in ("individuell", "arbetsgrupp"):
        reply = await press(
            bot,
            _forged(form, "Boka", case_id=other.id, kind=kind),
            "Boka",
            user=SOCIAL,
            kind=kind,
            case_id=other.id,
            date=meeting_day().isoformat(),
            start="09:00",
            end="10:00",
        )
        assert "Ärendet finns inte, eller så har du inte behörighet till det." in card_text(reply.card), kind
    assert spy.calls == []
    async with bot.services.db.session() as s:
        assert list(await s.scalars(select(Meeting))) == []
    assert case.code  # the first case was SOCIAL's own: untouched


# --- d. two people adding the same colleague at the same moment -----------------------------------

DEPUTY = acts.User("aad-deputy-coordinator", "Dana Biträdande")


async def answers_to(bot, users: list[acts.User], count: int) -> list[str]:
    """The texts sent to these users' 1:1 chats, once there are ``count`` of them (or 5 s passed)."""
    import asyncio

    for _ in range(100):
        texts = [m.text for u in users for m in bot.connector.messages(acts.personal(u).id) if m.text]
        if len(texts) >= count:
            break
        await asyncio.sleep(0.05)
    return texts


async def test_concurrent_adds_of_the_same_member_answer_everyone_and_store_one_row(bot):
    import asyncio

    from store.models import CaseMember, Coordinator
    from tests.case_steps import register_case, team_form

    _code, case_id, _ = await register_case(bot)
    async with bot.services.db.transaction() as s:
        s.add(Coordinator(tenant_id=acts.TENANT, aad_object_id=DEPUTY.aad, display_name=DEPUTY.name))
    inputs = {"agency": "polis", "aad_id": POLICE.aad, "member_name": POLICE.name}
    for _ in range(3):  # the race is likelier to be hit at least once over a few rounds
        presses = []
        for user in (COORDINATOR, DEPUTY, COORDINATOR, DEPUTY):
            form = await team_form(bot, case_id, user=user)
            button = find_action(form, "Lägg till yrkesperson")
            data = {**inputs, **button["data"]}
            presses.append(acts.submit(data, user, acts.personal(user), bot.connector.url))
        bot.connector.clear()
        statuses = await asyncio.gather(*(bot.post(p) for p in presses))
        assert [s for s, _ in statuses] == [200] * 4
        answers = await answers_to(bot, [COORDINATOR, DEPUTY], 4)
        assert not [a for a in answers if "Något gick fel" in a], answers
        added = [a for a in answers if "är tillagd i teamet" in a]
        already = [a for a in answers if "finns redan i teamet" in a]
        assert len(added) == 1, answers
        assert len(added) + len(already) == 4, answers
        async with bot.services.db.session() as s:
            rows = list(
                await s.scalars(
                    select(CaseMember).where(
                        CaseMember.case_id == case_id, CaseMember.aad_object_id == POLICE.aad
                    )
                )
            )
        assert len(rows) == 1
        await asyncio.gather(*(bot.post(p) for p in presses))  # Teams re-sending them: nothing new
        async with bot.services.db.session() as s:
            count = len(
                list(await s.scalars(select(CaseMember).where(CaseMember.aad_object_id == POLICE.aad)))
            )
        assert count == 1
        async with bot.services.db.transaction() as s:  # the next round races again
            for row in await s.scalars(select(CaseMember).where(CaseMember.aad_object_id == POLICE.aad)):
                await s.delete(row)


# --- e. a card press of the wrong shape -----------------------------------------------------------

UNKNOWN = "Den knappen känner jag inte igen längre."
ODD_VALUES = ["reminder.action", ["reminder.action"], 42, 4.5, True]


def invoke_with(value, user=SOCIAL) -> dict:
    act = acts.execute("reminder.action", {}, user, acts.personal(user), "")
    act["value"] = value
    return act


async def answer_of(bot, activity: dict) -> tuple[int, str]:
    activity["serviceUrl"] = bot.connector.url
    reply = await bot.send(activity)
    said = " ".join([reply.invoke_text if isinstance(reply.invoke_text, str) else "", *reply.texts])
    return reply.status, said


async def test_an_invoke_whose_action_is_not_an_object_is_an_unknown_button(bot):
    shapes = [{"action": v, "trigger": "manual"} for v in [*ODD_VALUES, None]]
    shapes += [
        {"action": {"type": "Action.Execute", "verb": "reminder.action", "data": v}} for v in ODD_VALUES
    ]
    shapes += [{"action": {"type": "Action.Execute", "verb": v, "data": {}}} for v in [["x"], 42, {"a": 1}]]
    shapes += ODD_VALUES  # value itself not an object
    for value in shapes:
        status, said = await answer_of(bot, invoke_with(value))
        assert status == 200, value
        assert UNKNOWN in said, (value, said)
        assert "Något gick fel" not in said, value


async def test_a_submit_whose_value_is_not_an_object_is_an_unknown_button(bot):
    for value in ODD_VALUES:
        activity = acts.submit({}, SOCIAL, acts.personal(SOCIAL), "")
        activity["value"] = value
        status, said = await answer_of(bot, activity)
        assert status == 200, value
        assert UNKNOWN in said, (value, said)
        assert "Något gick fel" not in said, value


async def test_a_submit_whose_verb_is_not_text_is_an_unknown_button(bot):
    for verb in (["reminder.action"], 42, {"x": 1}, None):
        activity = acts.submit({"verb": verb, "nonce": "n"}, SOCIAL, acts.personal(SOCIAL), "")
        status, said = await answer_of(bot, activity)
        assert status == 200, verb
        assert UNKNOWN in said, (verb, said)


# --- b (continued). free text on the team and booking forms ---------------------------------------


async def test_an_overlong_email_on_the_team_form_is_refused_not_an_error(bot):
    from store.models import CaseContact, CaseMember
    from tests.case_steps import register_case, team_form

    _code, case_id, _ = await register_case(bot)
    long_email = "a" * 390 + "@kommun.example"  # looks like an address, longer than the column
    form = await team_form(bot, case_id)
    member = await bot.press(
        COORDINATOR,
        acts.personal(COORDINATOR),
        find_action(form, "Lägg till yrkesperson"),
        {"agency": "polis", "aad_id": POLICE.aad, "member_name": POLICE.name, "member_email": long_email},
    )
    assert "E-postadressen ser inte rätt ut." in card_text(member.card)
    assert input_values(member.card)["member_name"] == POLICE.name  # the other entries are kept
    contact = await bot.press(
        COORDINATOR,
        acts.personal(COORDINATOR),
        find_action(form, "Lägg till kontakt"),
        {"contact_kind": "guardian", "contact_name": "Vårdnadshavare Tre", "contact_email": long_email},
    )
    assert "E-postadressen ser inte rätt ut." in card_text(contact.card)
    async with bot.services.db.session() as s:
        assert not list(await s.scalars(select(CaseMember).where(CaseMember.aad_object_id == POLICE.aad)))
        assert not list(await s.scalars(select(CaseContact).where(CaseContact.name == "Vårdnadshavare Tre")))


async def test_a_200_kb_entry_is_not_echoed_onto_the_team_or_booking_form(bot):
    from tests.booking_support import open_form, press
    from tests.case_steps import register_case, team_form

    huge = "x" * 200_000
    _code, case_id, _ = await register_case(bot)
    form = await team_form(bot, case_id)
    team = await bot.press(
        COORDINATOR,
        acts.personal(COORDINATOR),
        find_action(form, "Lägg till yrkesperson"),
        {"agency": "", "aad_id": POLICE.aad, "member_name": POLICE.name, "member_email": huge},
    )
    assert "Något behöver rättas" in card_text(team.card)
    assert len(json.dumps(team.card).encode()) < 28_000
    assert input_values(team.card)["member_name"] == POLICE.name

    booking = await open_form(bot, kind="arbetsgrupp")
    reply = await press(bot, booking, "Boka", guest_emails=huge, date="2099-13-01")
    assert len(json.dumps(reply.card).encode()) < 28_000
    assert huge[:2000] not in json.dumps(reply.card)
