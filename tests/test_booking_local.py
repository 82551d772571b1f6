"""Booking without a tenant: the local calendar writes .ics files and the bot says no invitation was sent.

Also the rules that do not depend on Graph: consent, validation with entries kept, access, privacy.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from bot.booking_service import cancel_pending_meetings
from store.models import Meeting
from store.queries.meetings import mark_case_meetings_cancel_pending
from tests.booking_support import (
    POLICE_MEMBER,
    TEAM,
    assert_cards_valid,
    meeting_day,
    open_form,
    people_picker_of,
    press,
)
from tests.conftest import COORDINATOR, OUTSIDER, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, find_action, input_values, nodes
from tests.harness.cards import assert_valid_cards
from tests.harness.seed_booking import CHILD_NAME, GUARDIAN_NAMES, seed_case


def unfolded(path: Path) -> str:
    """The .ics text with RFC 5545 line folding undone."""
    return path.read_bytes().decode().replace("\r\n ", "")


async def meetings(bot) -> list[Meeting]:
    async with bot.services.db.session() as s:
        return list(await s.scalars(select(Meeting)))


async def test_form_prefills_the_case_team_and_offers_guardians_by_role_only(bot):
    case = await seed_case(
        bot.services.db,
        members=TEAM,
        guardian_emails=["g1@example.org", None],
        consent_agencies=["skola", "socialtjanst"],
    )
    form = await open_form(bot, text=f"boka möte {case.code}")
    text = card_text(form)
    assert "Boka SSPF-möte" in text
    assert "Rita Rektor (Skola)" in text and "Sam Socialsekreterare (Socialtjänst)" in text
    # issue 16: the team comes as a whole (one switch, resolved on the server), not one entry per person
    assert input_values(form)["team"] == "all"
    assert "Hela teamet i ärendet (2 personer)" in text
    assert "Vårdnadshavare 1" in text and "Vårdnadshavare 2 – ingen e-postadress registrerad" in text
    for name in (*GUARDIAN_NAMES, CHILD_NAME):
        assert name not in text
    picker = people_picker_of(form)
    assert picker["choices.data"]["dataset"] == "graph.microsoft.com/users"
    assert_cards_valid([form])


async def test_local_booking_writes_ics_and_says_no_invitation_was_sent(bot):
    case = await seed_case(bot.services.db, members=TEAM, consent_agencies=["skola", "socialtjanst"])
    form = await open_form(bot, text=f"boka möte {case.code}")
    day = meeting_day()
    reply = await press(
        bot, form, "Boka", date=day.isoformat(), start="09:00", end="10:00", guests=case.guardian_ids[0]
    )
    card = reply.card
    text = card_text(card)
    assert "Individuellt SSPF-möte – SSPF-2026-001" in text
    assert "Ingen riktig kallelse skickades" in text
    assert "09:00–10:00" in text
    assert "Rita Rektor" in text and "Vårdnadshavare 1" in text
    assert GUARDIAN_NAMES[0] not in text
    [row] = await meetings(bot)
    assert row.status == "booked" and row.backend == "local"
    ics = Path(bot.settings.ics_dir) / f"{row.graph_event_id}.ics"
    # issue 17 item 11: the coordinator is told the file was written for them, never where on the server
    assert "En kalenderfil (.ics) med kallelsen har skrivits för SSPF-koordinatorn." in text
    assert str(bot.settings.ics_dir) not in text and ".ics" not in text.replace("(.ics)", "")
    assert row.graph_event_id not in text
    content = unfolded(ics)
    # issue 12 §4: a neutral subject, private, no case code anywhere in the calendar file
    assert "SUMMARY:SSPF-möte\r\n" in content
    assert "CLASS:PRIVATE\r\n" in content and "X-MICROSOFT-DISALLOW-COUNTER:TRUE\r\n" in content
    assert "SSPF-2026-001" not in content and "Individuellt" not in content
    assert "greta@example.org" in content and "rita.rektor@kommun.example" in content
    assert "K.B." not in content and GUARDIAN_NAMES[0] not in content
    # no join button for a meeting that does not exist in Teams
    assert all(a["type"] != "Action.OpenUrl" for a in card.get("actions", []))
    assert_cards_valid([form, card])


async def test_validation_errors_keep_the_entries(bot):
    case = await seed_case(bot.services.db, members=TEAM, consent_agencies=["skola", "socialtjanst"])
    form = await open_form(bot, text=f"boka möte {case.code}")
    reply = await press(
        bot,
        form,
        "Boka",
        date="2020-01-07",
        start="09:00",
        end="10:00",
        guest_emails="inte-en-adress, ok@example.org",
    )
    card = reply.card
    text = card_text(card)
    assert "Den tiden har redan varit" in text
    assert '"inte-en-adress" är ingen giltig e-postadress' in text
    kept = input_values(card)
    assert kept["guest_emails"] == "inte-en-adress, ok@example.org"
    assert kept["date"] == "2020-01-07" and kept["team"] == "all"
    day = meeting_day().isoformat()
    reply2 = await press(bot, card, "Boka", date=day, start="10:00", end="09:00", guest_emails="")
    assert "Sluttiden måste vara efter starttiden" in card_text(reply2.card)
    reply3 = await press(bot, reply2.card, "Boka", date=day, start="09:00", end="10:00", team="none")
    assert "Bjud in minst en deltagare eller gäst" in card_text(reply3.card)
    assert input_values(reply3.card)["date"] == day
    assert await meetings(bot) == []
    assert_cards_valid([card, reply2.card, reply3.card])


async def test_no_consent_refuses_an_individual_meeting(bot):
    case = await seed_case(bot.services.db, members=TEAM, consent_agencies=None)
    form = await open_form(bot, text=f"boka möte {case.code}")
    reply = await press(bot, form, "Boka", date=meeting_day().isoformat(), start="09:00", end="10:00")
    assert "Vårdnadshavare 1 har inget giltigt skriftligt samtycke" in card_text(reply.card)
    assert await meetings(bot) == []


async def test_an_agency_outside_the_consent_cannot_be_added(bot):
    case = await seed_case(
        bot.services.db, members=[*TEAM, POLICE_MEMBER], consent_agencies=["skola", "socialtjanst"]
    )
    form = await open_form(bot, text=f"boka möte {case.code}")
    reply = await press(bot, form, "Boka", date=meeting_day().isoformat(), start="09:00", end="10:00")
    text = card_text(reply.card)
    assert "Samtycke saknas för Polis" in text
    assert input_values(reply.card)["team"] == "all"  # entries kept
    # the whole team switched off, the consented two picked in the people picker instead
    ok = await press(
        bot,
        reply.card,
        "Boka",
        date=meeting_day().isoformat(),
        start="09:00",
        end="10:00",
        team="none",
        others="aad-principal,aad-social",
    )
    assert "Bokat" in card_text(ok.card)


async def test_withdrawn_consent_refuses(bot):
    case = await seed_case(
        bot.services.db,
        members=TEAM,
        consent_agencies=["skola", "socialtjanst"],
        consent_withdrawn_on=date.today(),
    )
    form = await open_form(bot, text=f"boka möte {case.code}")
    reply = await press(bot, form, "Boka", date=meeting_day().isoformat(), start="09:00", end="10:00")
    assert "återkallade samtycket" in card_text(reply.card)


async def test_only_coordinators_book_group_meetings(bot):
    await seed_case(bot.services.db, members=TEAM, consent_agencies=["skola", "socialtjanst"])
    form = await open_form(bot, user=SOCIAL)
    kinds = next(el for el in nodes(form) if el.get("id") == "kind")
    assert [c["value"] for c in kinds["choices"]] == ["individuell", "uppfoljning"]  # only what they may book
    reply = await bot.press(  # a card from elsewhere asking for a group meeting anyway
        SOCIAL,
        acts.personal(SOCIAL),
        {
            "type": "Action.Submit",
            "data": {
                "verb": "meeting.confirm",
                "nonce": "forged",
                "kind": "arbetsgrupp",
                "date": meeting_day().isoformat(),
                "start": "09:00",
                "end": "10:00",
                "guest_emails": "a@example.org",
            },
        },
    )
    assert "Bara en SSPF-koordinator kan boka arbetsgrupp" in card_text(reply.card)
    assert await meetings(bot) == []


async def test_someone_outside_the_team_cannot_book_for_the_case(bot):
    case = await seed_case(bot.services.db, members=TEAM, consent_agencies=["skola", "socialtjanst"])
    reply = await bot.press(
        OUTSIDER,
        acts.personal(OUTSIDER),
        {"type": "Action.Submit", "data": {"verb": "meeting.book", "case_id": case.id}},
    )
    assert "Ärendet finns inte, eller så har du inte behörighet" in " ".join(reply.texts)


async def test_booking_card_verb_from_elsewhere_is_personal_only(bot):
    case = await seed_case(bot.services.db, members=TEAM, consent_agencies=["skola", "socialtjanst"])
    reply = await bot.press(
        COORDINATOR,
        acts.group_chat(),
        {"type": "Action.Submit", "data": {"verb": "meeting.book", "case_id": case.id}},
    )
    assert reply.cards == []
    assert "personlig chatt" in " ".join(reply.texts)


async def test_cancel_and_reschedule_locally(bot):
    case = await seed_case(bot.services.db, members=TEAM, consent_agencies=["skola", "socialtjanst"])
    form = await open_form(bot, text=f"boka möte {case.code}")
    booked = (await press(bot, form, "Boka", date=meeting_day().isoformat(), start="09:00", end="10:00")).card
    moved_form = (
        await bot.press(COORDINATOR, acts.personal(COORDINATOR), find_action(booked, "Boka om"))
    ).card
    assert input_values(moved_form)["start"] == "09:00"
    new_day = meeting_day(6).isoformat()
    moved = await press(bot, moved_form, "Spara ny tid", date=new_day, start="13:00", end="14:30")
    assert "Mötet är flyttat" in card_text(moved.card) and "13:00–14:30" in card_text(moved.card)
    cancel_form = (
        await bot.press(COORDINATOR, acts.personal(COORDINATOR), find_action(moved.card, "Avboka"))
    ).card
    done = await press(bot, cancel_form, "Avboka mötet", comment="Vi hittar en ny tid.")
    assert "Mötet är avbokat" in card_text(done.card)
    [row] = await meetings(bot)
    assert row.status == "cancelled"
    ics = unfolded(Path(bot.settings.ics_dir) / f"{row.graph_event_id}.ics")
    assert "METHOD:CANCEL" in ics and "Vi hittar en ny tid." in ics
    assert_cards_valid([booked, moved_form, moved.card, cancel_form, done.card])


async def test_consent_withdrawal_cancels_the_cases_meetings(bot):
    case = await seed_case(bot.services.db, members=TEAM, consent_agencies=["skola", "socialtjanst"])
    form = await open_form(bot, text=f"boka möte {case.code}")
    await press(bot, form, "Boka", date=meeting_day().isoformat(), start="09:00", end="10:00")
    async with bot.services.db.transaction() as s:
        assert await mark_case_meetings_cancel_pending(s, case.id) == 1
    assert await cancel_pending_meetings(bot.services) == 1
    [row] = await meetings(bot)
    assert row.status == "cancelled"
    assert "METHOD:CANCEL" in unfolded(Path(bot.settings.ics_dir) / f"{row.graph_event_id}.ics")


async def test_a_team_built_in_the_chat_can_be_booked_without_a_directory(bot):
    """Locally nothing can look up a professional's mailbox: the e-mail typed on the team form is invited.
    Without one, booking says plainly whose address is missing and where to add it; a malformed address
    is refused on the form."""
    from tests.case_steps import (
        GUARDIAN_1,
        GUARDIAN_2,
        add_contact,
        add_professional,
        record_consent,
        register_case,
        team_form,
    )
    from tests.conftest import POLICE, PRINCIPAL

    code, case_id, _ = await register_case(bot)
    bad = await bot.press(
        COORDINATOR,
        acts.personal(COORDINATOR),
        find_action(await team_form(bot, case_id), "Lägg till yrkesperson"),
        {"agency": "skola", "aad_id": PRINCIPAL.aad, "member_name": PRINCIPAL.name, "member_email": "rita@"},
    )
    assert "E-postadressen ser inte rätt ut." in card_text(bad.card)
    assert input_values(bad.card)["member_name"] == PRINCIPAL.name  # the entries are kept
    await add_professional(bot, case_id, PRINCIPAL, "skola", email="rita.rektor@skola.example")
    await add_professional(bot, case_id, POLICE, "polis")  # no e-mail: nobody can find Per locally
    await add_contact(bot, case_id, GUARDIAN_1)
    await add_contact(bot, case_id, GUARDIAN_2)
    await record_consent(bot, code, "Vårdnadshavare 1", "skola,polis")
    await record_consent(bot, code, "Vårdnadshavare 2", "skola,polis")

    form = await open_form(bot, text=f"boka möte {code}")
    day = meeting_day().isoformat()
    refused = await press(bot, form, "Boka", date=day, start="09:00", end="10:00")
    assert f"{POLICE.name} har ingen e-postadress i teamet" in card_text(refused.card)
    assert "katalog " not in card_text(refused.card).replace("utan katalog", "")
    assert await meetings(bot) == []

    booked = await press(bot, refused.card, "Boka", date=day, start="09:00", end="10:00", team=PRINCIPAL.aad)
    assert "Ingen riktig kallelse skickades" in card_text(booked.card)
    [row] = await meetings(bot)
    assert "rita.rektor@skola.example" in unfolded(Path(bot.settings.ics_dir) / f"{row.graph_event_id}.ics")
    assert_cards_valid([form, refused.card, booked.card])
    assert_valid_cards([bad.card])  # the team form (its people picker picks one person)
