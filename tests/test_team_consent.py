"""The case team and the consent gate over real HTTP: add people, record consent, try to book, withdraw."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from bot.i18n import Translator
from bot.refusals import refusal_texts
from store.models import CaseContact, CaseMember, Consent, Meeting, Reminder
from store.queries.consent import consent_decision, individual_work_decision, may_join_meetings, meeting_team
from tests.case_steps import (
    GUARDIAN_1,
    GUARDIAN_2,
    YOUTH,
    add_contact,
    add_professional,
    case_row,
    consent_form,
    contacts,
    open_case_with_team,
    record_consent,
    register_case,
    team_form,
)
from tests.conftest import COORDINATOR, POLICE, PRINCIPAL, SOCIAL, YOUTH_WORKER
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, find_action, input_values, nodes
from tests.test_cases import meeting, reminder

ME = acts.personal(COORDINATOR)
SV = Translator("sv")


async def decide(bot, case_id: str, agencies: set[str], on: date | None = None):
    async with bot.services.db.session() as session:
        return await consent_decision(session, case_id, agencies, on or date.today())


async def test_coordinator_adds_a_team_and_records_consent_then_the_gate_opens(bot):
    code, case_id, _ = await register_case(bot)
    added = await add_professional(bot, case_id, PRINCIPAL, "skola")
    assert added.texts[0] == f"Rita Rektor (Skola) är tillagd i teamet för **{code}**."
    await add_professional(bot, case_id, SOCIAL, "socialtjanst")
    guardian = await add_contact(bot, case_id, GUARDIAN_1)
    assert guardian.texts == [
        f"Vårdnadshavare 1 är tillagd i **{code}**. Namn och kontaktuppgifter visas inte i Teams."
    ]
    await add_contact(bot, case_id, GUARDIAN_2)
    await add_contact(bot, case_id, YOUTH, kind="youth")

    stored = {(c.kind, c.name, c.email, c.phone) for c in await contacts(bot, case_id)}
    assert ("guardian", GUARDIAN_1["name"], GUARDIAN_1["email"], GUARDIAN_1["phone"]) in stored
    assert ("youth", YOUTH["name"], YOUTH["email"], YOUTH["phone"]) in stored

    # a booking-like check before any consent: refused, in Swedish, saying what is missing
    before = await decide(bot, case_id, {"skola", "socialtjanst"})
    assert not before.allowed
    assert refusal_texts(SV, before.refusals) == [
        "Det är inte registrerat hur många vårdnadshavare barnet har. Ange det i samtyckeskortet.",
        "Vårdnadshavare 1 har inget giltigt skriftligt samtycke. Registrera det först.",
        "Vårdnadshavare 2 har inget giltigt skriftligt samtycke. Registrera det först.",
    ]

    first = await record_consent(bot, code, "Vårdnadshavare 1", "skola,socialtjanst")
    [said] = first.texts  # one message with the card (it was three)
    assert said.startswith(f"Samtycket från Vårdnadshavare 1 är registrerat för **{code}**.\n\n")
    assert "Samtycke från 1 av 2 vårdnadshavare (1 saknas)." in said
    assert "orosanmälan" not in said  # said once, when the consent is complete
    assert not (await decide(bot, case_id, {"skola"})).allowed  # one guardian is not enough

    second = await record_consent(bot, code, "Vårdnadshavare 2", "skola,socialtjanst,polis")
    [said] = second.texts
    assert said.count("orosanmälan") == 1 and "SSPF ersätter inte orosanmälan" in said
    shown = card_text(second.card)
    assert "Komplett skriftligt samtycke. Samtycke från 2 av 2 vårdnadshavare (0 saknas)." in shown
    assert "Omfattar: Skola, Socialtjänst." in shown
    for secret in (
        GUARDIAN_1["name"],
        GUARDIAN_1["email"],
        GUARDIAN_1["phone"],
        YOUTH["name"],
        GUARDIAN_2["email"],
    ):
        assert secret not in shown  # not even in the coordinator's own chat
    assert "Vårdnadshavare 1, Vårdnadshavare 2, Den unge" in shown

    assert (await decide(bot, case_id, {"skola", "socialtjanst"})).allowed
    police = await decide(bot, case_id, {"skola", "polis"})  # only guardian 2 covered the police
    assert refusal_texts(SV, police.refusals) == [
        "Samtycke saknas för Polis. Registrera vårdnadshavarnas skriftliga samtycke först."
    ]
    async with bot.services.db.session() as session:
        [consent, *_] = list(await session.scalars(select(Consent).order_by(Consent.recorded_at)))
    assert consent.recorded_by == COORDINATOR.aad and consent.filed_at == "Diarium SOC 2026/123"
    assert sorted(consent.agencies) == ["skola", "socialtjanst"]


async def test_an_agency_outside_the_consent_cannot_join_the_meetings(bot):
    code, case_id = await open_case_with_team(bot)  # skola + polis on the team
    await record_consent(bot, code, "Vårdnadshavare 1", "skola")
    reply = await record_consent(bot, code, "Vårdnadshavare 2", "skola,polis")
    shown = card_text(reply.card)
    assert "Rita Rektor – Skola" in shown
    assert "Per Polis – Polis (omfattas inte av samtycket och kan inte kallas)" in shown

    async with bot.services.db.session() as session:
        team = await meeting_team(session, case_id, date.today())
        assert [m.display_name for m in team.allowed] == ["Rita Rektor"]
        assert [m.display_name for m in team.excluded] == ["Per Polis"]
        assert await may_join_meetings(session, case_id, "skola", date.today())
        assert not await may_join_meetings(session, case_id, "polis", date.today())
    assert refusal_texts(SV, team.decision.refusals) == [
        "Samtycke saknas för Polis. Registrera vårdnadshavarnas skriftliga samtycke först."
    ]


async def test_a_guardian_whose_id_has_digits_like_a_samordningsnummer_can_consent(bot):
    """Seen in CI: about one row id in a hundred holds ten digits that read as a samordningsnummer, and the
    consent form refused that guardian as if the coordinator had typed a personnummer, every time."""
    code, case_id = await open_case_with_team(bot)
    unlucky = "7f1af9e3211741969b981d0c14e6b449"  # "3211741969": day 74 = 14 + 60
    async with bot.services.db.transaction() as session:
        second = (
            await session.scalars(
                select(CaseContact).where(CaseContact.case_id == case_id).order_by(CaseContact.added_at)
            )
        ).all()[1]
        await session.execute(update(CaseContact).where(CaseContact.id == second.id).values(id=unlucky))
    await record_consent(bot, code, "Vårdnadshavare 1", "skola")
    saved = await record_consent(bot, code, "Vårdnadshavare 2", "skola")
    assert saved.texts[0].startswith(f"Samtycket från Vårdnadshavare 2 är registrerat för **{code}**.")
    assert (await decide(bot, case_id, {"skola"})).allowed


async def test_consent_end_date_is_respected(bot):
    code, case_id = await open_case_with_team(bot)
    until = (date.today() + timedelta(days=10)).isoformat()
    await record_consent(bot, code, "Vårdnadshavare 1", "skola", valid_until=until)
    await record_consent(bot, code, "Vårdnadshavare 2", "skola")
    assert (await decide(bot, case_id, {"skola"})).allowed
    assert not (await decide(bot, case_id, {"skola"}, date.today() + timedelta(days=11))).allowed


async def test_consent_form_validation_keeps_entries(bot):
    code, _case_id = await open_case_with_team(bot)
    form = (await consent_form(bot, code)).card
    assert "Vårdnadshavare 1" in card_text(form) and GUARDIAN_1["name"] not in card_text(form)
    guardian_id = input_values(form)["guardian_id"] or next(
        c["value"] for el in form["body"] if el.get("id") == "guardian_id" for c in el["choices"]
    )
    signed = (date.today() - timedelta(days=3)).isoformat()
    inputs = {
        "guardian_id": guardian_id,
        "signed_on": signed,
        "agencies": "skola,polis",
        "filed_at": "",
        "valid_until": (date.today() - timedelta(days=5)).isoformat(),
    }
    reply = await bot.press(COORDINATOR, ME, find_action(form, "Spara samtycket"), inputs)
    shown = card_text(reply.card)
    assert "Ange var det underskrivna samtycket förvaras, till exempel diarienummer." in shown
    assert (
        "Samtycket måste gälla längre än till dagen då det skrevs under. "
        "Välj ett senare datum i Giltigt till." in shown
    )
    kept = input_values(reply.card)
    assert (
        kept["guardian_id"] == guardian_id
        and kept["signed_on"] == signed
        and kept["agencies"] == "skola,polis"
    )
    future = await bot.press(
        COORDINATOR,
        ME,
        find_action(reply.card, "Spara samtycket"),
        {
            **inputs,
            "signed_on": (date.today() + timedelta(days=1)).isoformat(),
            "filed_at": "Pärm 3",
            "valid_until": "",
        },
    )
    assert "Undertecknandedatum kan inte ligga i framtiden." in card_text(future.card)
    async with bot.services.db.session() as session:
        assert list(await session.scalars(select(Consent))) == []


async def test_consent_needs_a_guardian_first(bot):
    code, case_id, _ = await register_case(bot)
    reply = await consent_form(bot, code)
    assert f"Ingen vårdnadshavare är registrerad i {code}." in card_text(reply.card)
    find_action(reply.card, "Lägg till i teamet")
    assert not (await decide(bot, case_id, {"skola"})).allowed
    assert refusal_texts(SV, (await decide(bot, case_id, {"skola"})).refusals) == [
        "Ingen vårdnadshavare är registrerad. Lägg till vårdnadshavare och deras samtycke först."
    ]


async def test_withdrawal_pauses_cancels_and_tells_the_team_by_code_only(bot):
    code, case_id = await open_case_with_team(bot)  # PRINCIPAL (skola) and POLICE (polis)
    await record_consent(bot, code, "Vårdnadshavare 1", "skola,polis")
    await record_consent(bot, code, "Vårdnadshavare 2", "skola,polis")
    for person in (PRINCIPAL, POLICE):
        await bot.say(person, acts.personal(person), "hjälp")  # they have talked to the bot before
    now = datetime.now(UTC)
    async with bot.services.db.transaction() as session:
        session.add(meeting(case_id, now + timedelta(days=2), "booked"))
        session.add(meeting(case_id, now + timedelta(days=9), "pending"))
        session.add(meeting(case_id, now - timedelta(days=5), "booked"))  # already held: untouched
        session.add(reminder(case_id, now + timedelta(days=1)))
        session.add(reminder(case_id, now - timedelta(days=1), state="sent"))

    ask = await bot.say(COORDINATOR, ME, f"Återkalla samtycke {code}")
    assert "När du bekräftar pausas ärendet direkt" in card_text(ask.card)
    bot.connector.clear()
    done = await bot.press(
        COORDINATOR, ME, find_action(ask.card, "Återkalla samtycket"), input_values(ask.card)
    )
    assert done.texts[0] == (
        f"Samtycket för **{code}** är återkallat och ärendet är pausat. 1 påminnelse stoppades. "
        "2 kommande möten ställs in. Teamet har fått besked."
    )
    assert "Pausat – samtycket har återkallats eller upphört." in card_text(done.card)  # the one status line

    case = await case_row(bot, code)
    assert case.status == "paused"
    async with bot.services.db.session() as session:
        states = sorted((m.start_at > now, m.status) for m in await session.scalars(select(Meeting)))
        # upcoming meetings are cancelled in the calendar right after the withdrawal committed
        assert states == [(False, "booked"), (True, "cancelled"), (True, "cancelled")]
        assert sorted(r.state for r in await session.scalars(select(Reminder))) == ["cancelled", "sent"]
        consents = list(await session.scalars(select(Consent)))
        assert {(c.withdrawn_on, c.withdrawn_by) for c in consents} == {(date.today(), COORDINATOR.aad)}
        assert all(c.withdrawn_at is not None for c in consents)
        gate = await individual_work_decision(session, case, {"skola"}, date.today() + timedelta(days=2))
    assert not gate.allowed and gate.must_pause
    assert refusal_texts(SV, gate.refusals)[0].startswith(
        f"{code} är pausat eftersom samtycket har återkallats eller gått ut."
    )
    decision = await decide(bot, case_id, {"skola"})
    assert not decision.allowed and decision.must_pause
    assert "återkallade samtycket" in refusal_texts(SV, decision.refusals)[0]

    notice = (
        f"Samtycket för ärende **{code}** har återkallats. Ärendet är pausat: inga möten, "
        "inga påminnelser och inget nytt får registreras."
    )
    for person in (PRINCIPAL, POLICE):
        assert [m.text for m in bot.connector.messages(acts.personal(person).id)] == [notice]

    # nothing new is recorded while paused ...
    form = await bot.press(
        COORDINATOR, ME, {"type": "Action.Submit", "data": {"verb": "team.form", "case_id": case_id}}
    )
    assert "pausat eftersom samtycket har återkallats" in form.texts[0] and form.cards == []
    old_card = {
        "type": "Action.Submit",
        "data": {"verb": "team.add_member", "case_id": case_id, "nonce": "old"},
    }
    inputs = {"agency": "fritid", "aad_id": YOUTH_WORKER.aad, "member_name": YOUTH_WORKER.name}
    paused = await bot.press(COORDINATOR, ME, old_card, inputs)
    assert "pausat eftersom samtycket har återkallats" in paused.texts[0]
    async with bot.services.db.session() as session:
        assert YOUTH_WORKER.aad not in set(await session.scalars(select(CaseMember.aad_object_id)))
    # ... until the family consents again
    await record_consent(bot, code, "Vårdnadshavare 1", "skola")
    back = await record_consent(bot, code, "Vårdnadshavare 2", "skola")
    assert "Samtycket är komplett igen – SSPF-ärendet är öppet." in " ".join(back.texts)  # one message
    assert (await case_row(bot, code)).status == "open"
    assert (await decide(bot, case_id, {"skola"})).allowed


async def test_one_guardian_withdrawing_pauses_the_case(bot):
    code, _case_id = await open_case_with_team(bot)
    await record_consent(bot, code, "Vårdnadshavare 1", "skola")
    await record_consent(bot, code, "Vårdnadshavare 2", "skola")
    ask = await bot.say(COORDINATOR, ME, f"återkalla samtycke {code}")
    from tests.case_steps import choice_value

    who = choice_value(ask.card, "who", "Vårdnadshavare 2")
    bad_date = await bot.press(
        COORDINATOR,
        ME,
        find_action(ask.card, "Återkalla samtycket"),
        {"who": who, "withdrawn_on": "2099-01-01"},
    )
    assert "Återkallelsen kan inte dateras i framtiden." in card_text(bad_date.card)
    assert (await case_row(bot, code)).status == "open"
    await bot.press(
        COORDINATOR,
        ME,
        find_action(bad_date.card, "Återkalla samtycket"),
        {"who": who, "withdrawn_on": date.today().isoformat()},
    )
    assert (await case_row(bot, code)).status == "paused"
    async with bot.services.db.session() as session:
        withdrawn = [
            c.withdrawn_on for c in await session.scalars(select(Consent).order_by(Consent.recorded_at))
        ]
    assert withdrawn == [None, date.today()]
    nothing = await bot.say(COORDINATOR, ME, f"återkalla samtycke {code}")
    assert nothing.cards and "Vårdnadshavare 1" in card_text(
        nothing.card
    )  # guardian 1 still has one to withdraw


async def test_professional_from_the_people_picker(bot):
    code, case_id, _ = await register_case(bot)
    unknown = await add_professional(bot, case_id, SOCIAL, "socialtjanst", typed=False)
    assert "Skriv personens namn – jag kunde inte slå upp det." in card_text(unknown.card)
    assert (
        input_values(unknown.card)["person"] == SOCIAL.aad
        and input_values(unknown.card)["agency"] == "socialtjanst"
    )

    await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")  # now the bot knows her name from her own chat
    bot.connector.clear()
    added = await add_professional(bot, case_id, SOCIAL, "socialtjanst", typed=False)
    assert added.texts[0] == f"Sam Socialsekreterare (Socialtjänst) är tillagd i teamet för **{code}**."
    told = bot.connector.messages(acts.personal(SOCIAL).id)
    assert [m.text for m in told] == [
        f"Du har lagts till i teamet för ärende **{code}**. Skriv **ärende {code}** här för att se det."
    ]
    again = await add_professional(bot, case_id, SOCIAL, "socialtjanst", typed=False)
    assert again.texts == ["Sam Socialsekreterare finns redan i teamet."]

    picker = next(el for el in nodes(await team_form(bot, case_id)) if el.get("id") == "person")
    assert picker["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
    assert {"title": "Sam Socialsekreterare", "value": SOCIAL.aad} in picker["choices"]


async def test_contact_validation_and_personnummer_in_contacts(bot):
    _code, case_id, _ = await register_case(bot)
    form = await team_form(bot, case_id)
    add = find_action(form, "Lägg till kontakt")
    no_reach = await bot.press(COORDINATOR, ME, add, {"contact_kind": "guardian", "contact_name": "Greta V"})
    assert "Ange e-post eller telefon så att vårdnadshavaren kan kallas." in card_text(no_reach.card)
    assert input_values(no_reach.card)["contact_name"] == "Greta V"
    bad = await bot.press(
        COORDINATOR,
        ME,
        find_action(no_reach.card, "Lägg till kontakt"),
        {
            "contact_kind": "guardian",
            "contact_name": "Greta 19800101-1234",
            "contact_email": "greta@",
            "contact_phone": "ring mig",
        },
    )
    shown = card_text(bad.card)
    assert "Det här ser ut som ett personnummer. Skriv bara namnet – personnummer sparas aldrig." in shown
    assert "E-postadressen ser inte rätt ut." in shown and "Telefonnumret ser inte rätt ut." in shown
    assert "19800101" not in str(bad.card) and input_values(bad.card)["contact_name"] in (None, "")
    assert await contacts(bot, case_id) == []


async def test_team_member_without_agency_or_person_is_told_what_to_fix(bot):
    _code, case_id, _ = await register_case(bot)
    form = await team_form(bot, case_id)
    reply = await bot.press(
        COORDINATOR, ME, find_action(form, "Lägg till yrkesperson"), {"member_name": "Nisse"}
    )
    shown = card_text(reply.card)
    assert "Välj vilken verksamhet personen kommer från." in shown
    assert "Välj en person, eller skriv personens Entra-objekt-id." in shown
    assert input_values(reply.card)["member_name"] == "Nisse"
