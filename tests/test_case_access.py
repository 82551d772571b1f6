"""Who sees what: tenant scope, the case's own team, refusals that reveal nothing, forged card presses."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from store.models import AuditEvent, Consent
from tests.case_steps import (
    GUARDIAN_1,
    add_contact,
    choice_value,
    consent_form,
    open_case_with_team,
    record_consent,
    register_case,
)
from tests.conftest import COORDINATOR, OUTSIDER, POLICE, PRINCIPAL, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, find_action

ME = acts.personal(COORDINATOR)
REFUSAL = "Ärendet finns inte, eller så har du inte behörighet till det."


def press(verb: str, **data) -> dict:
    return {"type": "Action.Submit", "data": {"verb": verb, **data}}


async def denied_rows(bot) -> list[AuditEvent]:
    async with bot.services.db.session() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == "denied").order_by(AuditEvent.id)
        return list(await session.scalars(stmt))


async def test_an_outsider_learns_nothing_not_even_whether_the_case_exists(bot):
    code, case_id = await open_case_with_team(bot)
    year = date.today().year
    existing = await bot.say(OUTSIDER, acts.personal(OUTSIDER), f"ärende {code}")
    missing = await bot.say(OUTSIDER, acts.personal(OUTSIDER), f"ärende SSPF-{year}-999")
    assert existing.texts == missing.texts == [REFUSAL]
    assert existing.cards == missing.cards == []
    mine = await bot.say(OUTSIDER, acts.personal(OUTSIDER), "mina ärenden")
    assert code not in card_text(mine.card)
    rows = await denied_rows(bot)
    assert [(r.actor_aad_id, r.case_id) for r in rows] == [(OUTSIDER.aad, case_id), (OUTSIDER.aad, None)]


async def test_a_professional_sees_only_the_cases_whose_team_they_are_on(bot):
    code_a, _ = await open_case_with_team(bot)  # PRINCIPAL is on A
    code_b, case_b, _ = await register_case(bot, initials="KL")
    # issue 12 §2: on the team is not enough; the guardians' consent must cover the school
    unconsented = await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), f"ärende {code_a}")
    assert unconsented.cards == [] and code_a in unconsented.texts[0] and "samtycke" in unconsented.texts[0]
    for guardian in ("Vårdnadshavare 1", "Vårdnadshavare 2"):
        await record_consent(bot, code_a, guardian, "skola,socialtjanst")
    on_team = await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), f"ärende {code_a}")
    assert f"Ärende {code_a}" in card_text(on_team.card)
    assert "Lägg till i teamet" not in card_text(on_team.card)  # no coordinator buttons for the team
    other = await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), f"ärende {code_b}")
    assert other.texts == [REFUSAL]
    forged = await bot.press(PRINCIPAL, acts.personal(PRINCIPAL), press("case.open", case_id=case_b))
    assert forged.texts == [REFUSAL]
    for command in (f"samtycke {code_a}", f"avsluta ärende {code_a}", f"återkalla samtycke {code_a}"):
        reply = await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), command)
        assert reply.texts == ["Det här kan bara en SSPF-koordinator göra."], command


async def test_forged_case_ids_in_a_card_are_refused_and_logged(bot):
    code, case_id = await open_case_with_team(bot)
    # an outsider replays a real case id
    outsider = await bot.press(OUTSIDER, acts.personal(OUTSIDER), press("case.open", case_id=case_id))
    assert outsider.texts == [REFUSAL]
    # a coordinator of another tenant puts this tenant's case id in a card
    foreign = acts.User(COORDINATOR.aad, COORDINATOR.name, tenant=acts.OTHER_TENANT)
    for verb in ("case.open", "consent.withdraw", "team.add_member", "case.close"):
        reply = await bot.press(
            foreign,
            acts.personal(foreign),
            press(verb, case_id=case_id, nonce=f"n-{verb}"),
            {"reason": "ovrigt"},
        )
        assert reply.texts == [REFUSAL], verb
    rows = await denied_rows(bot)
    assert next((r.tenant_id, r.actor_aad_id) for r in rows) == (acts.TENANT, OUTSIDER.aad)
    assert {(r.tenant_id, r.detail["asked_id"], r.detail["from_card"]) for r in rows[1:]} == {
        (acts.OTHER_TENANT, case_id, True)
    }
    case = await bot.say(COORDINATOR, ME, f"ärende {code}")
    assert "Öppet" in card_text(case.card)  # nothing was closed or withdrawn


async def test_another_cases_guardian_in_a_consent_card_is_refused_and_logged(bot):
    code_a, case_a = await open_case_with_team(bot)
    code_b, case_b, _ = await register_case(bot, initials="KL")
    await add_contact(bot, case_b, GUARDIAN_1)
    guardian_b = choice_value((await consent_form(bot, code_b)).card, "guardian_id", "Vårdnadshavare 1")

    form_a = (await consent_form(bot, code_a)).card
    inputs = {
        "guardian_id": guardian_b,
        "signed_on": date.today().isoformat(),
        "agencies": "skola",
        "filed_at": "Pärm",
    }
    reply = await bot.press(COORDINATOR, ME, find_action(form_a, "Spara samtycket"), inputs)
    assert reply.texts == [REFUSAL]
    async with bot.services.db.session() as session:
        assert list(await session.scalars(select(Consent))) == []
    rows = await denied_rows(bot)
    assert [(r.entity, r.case_id, (r.detail or {}).get("reason")) for r in rows] == [
        ("consent", case_a, "guardian_not_on_case"),
        ("case", case_a, None),
    ]

    # the same in a withdrawal: a guardian of case B named in case A's confirmation
    await record_consent(bot, code_a, "Vårdnadshavare 1", "skola")
    ask = await bot.say(COORDINATOR, ME, f"återkalla samtycke {code_a}")
    forged = await bot.press(
        COORDINATOR, ME, find_action(ask.card, "Återkalla samtycket"), {"who": guardian_b, "withdrawn_on": ""}
    )
    assert forged.texts == [REFUSAL]
    async with bot.services.db.session() as session:
        assert [c.withdrawn_on for c in await session.scalars(select(Consent))] == [None]


async def test_a_forged_guardian_holding_a_personnummer_is_refused_and_not_logged_verbatim(bot):
    code, _ = await open_case_with_team(bot)
    form = (await consent_form(bot, code)).card
    inputs = {"guardian_id": "19121212-1212", "signed_on": date.today().isoformat(), "agencies": "skola"}
    reply = await bot.press(COORDINATOR, ME, find_action(form, "Spara samtycket"), inputs)
    # the door empties the field before the form sees it: the refusal stands under the guardian choice
    assert "Personnummer får inte skrivas här" in card_text(reply.card)
    assert "1212" not in " ".join(reply.texts + [card_text(c) for c in reply.cards])
    async with bot.services.db.session() as session:
        events = list(await session.scalars(select(AuditEvent)))
        assert not list(await session.scalars(select(Consent)))  # nothing recorded
    refused = [e for e in events if (e.entity, e.action) == ("privacy", "personnummer_refused")]
    assert [e.detail for e in refused] == [{"fields": ["guardian_id"]}]  # which field, never what was in it
    assert "19121212" not in " ".join(str(e.detail) for e in events)


async def test_a_case_in_another_tenant_is_invisible(bot):
    code, _ = await open_case_with_team(bot)
    foreign = acts.User(COORDINATOR.aad, COORDINATOR.name, tenant=acts.OTHER_TENANT)
    listing = await bot.say(foreign, acts.personal(foreign), "mina ärenden")
    assert "Det finns inga ärenden som du har tillgång till." in card_text(listing.card)
    assert (await bot.say(foreign, acts.personal(foreign), f"ärende {code}")).texts == [REFUSAL]
    # and codes are per tenant: the other tenant's first case is also number 001
    other_code, _, _ = await register_case(bot, user=foreign)
    assert other_code == code


async def test_the_team_can_read_but_not_change(bot):
    _code, case_id = await open_case_with_team(bot)
    reply = await bot.press(
        POLICE,
        acts.personal(POLICE),
        press("team.add_member", case_id=case_id, nonce="x"),
        {"agency": "socialtjanst", "aad_id": SOCIAL.aad, "member_name": SOCIAL.name},
    )
    assert reply.texts == ["Det här kan bara en SSPF-koordinator göra."]
