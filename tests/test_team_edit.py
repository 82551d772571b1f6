"""Issue 17 items 4 and 10: the team can be edited and pruned, locally too.

Locally (no Graph) a person picked with the people picker has no e-mail and nothing can look one up:
the form asks for it, ``Ändra`` fills it in, and booking then invites that address. ``Ta bort`` removes a
professional at once (their next ``ärende`` is refused) and is audited; only the coordinator sees and
edits guardians' names and contact details, in 1:1.
"""

from __future__ import annotations

from sqlalchemy import select

from store.models import AuditEvent, CaseContact, CaseMember
from tests.case_steps import GUARDIAN_1, add_contact, add_professional, register_case, team_form
from tests.conftest import COORDINATOR, POLICE, PRINCIPAL
from tests.harness import activities as acts
from tests.harness.bot_runner import all_actions, card_text, input_values
from tests.harness.cards import assert_valid_cards

ME = acts.personal(COORDINATOR)


def member_action(card, verb: str, name: str):
    """The button next to ``name`` in the roster: rows are text, then their ActionSet."""
    body = card["body"]
    items = [i for c in body if c.get("type") == "Container" for i in c.get("items", [])]
    for n, item in enumerate(items):
        if item.get("type") == "TextBlock" and item["text"].startswith(name):
            for action in items[n + 1].get("actions", []):
                if action["data"]["verb"] == verb:
                    return action
    raise AssertionError(f"no {verb} next to {name}: {card_text(card)}")


async def member(bot, case_id: str, aad: str) -> CaseMember | None:
    async with bot.services.db.session() as s:
        return await s.scalar(
            select(CaseMember).where(CaseMember.case_id == case_id, CaseMember.aad_object_id == aad)
        )


async def test_picked_without_email_is_asked_for_one_and_edit_fills_it_in(bot):
    code, case_id, _ = await register_case(bot)
    await bot.say(POLICE, acts.personal(POLICE), "hjälp")  # the bot knows his name, not his address
    added = await add_professional(bot, case_id, POLICE, "polis", typed=False)
    assert any(f"{POLICE.name} har ingen e-postadress" in t and "Ändra" in t for t in added.texts)

    form = await team_form(bot, case_id)
    assert f"{POLICE.name} · Polis · ingen e-post" in card_text(form)
    assert "behövs: utan katalog" in card_text(form)
    edit = await bot.press(COORDINATOR, ME, member_action(form, "team.edit_member", POLICE.name))
    values = input_values(edit.card)
    assert values["member_name"] == POLICE.name and values["agency"] == "polis"
    assert "aad_id" not in values  # the person stays the same person
    saved = await bot.press(
        COORDINATOR,
        ME,
        next(a for a in all_actions(edit.card) if a.get("title") == "Spara ändringar"),
        {**values, "member_email": "per.polis@polisen.example"},
    )
    assert saved.texts[0] == f"Uppgifterna för {POLICE.name} (Polis) är sparade i **{code}**."
    assert (await member(bot, case_id, POLICE.aad)).email == "per.polis@polisen.example"
    assert f"{POLICE.name} · Polis · per.polis@polisen.example" in card_text(saved.card)
    assert_valid_cards([form, edit.card, saved.card])


async def test_picking_someone_again_with_an_email_updates_instead_of_refusing(bot):
    _code, case_id, _ = await register_case(bot)
    await add_professional(bot, case_id, PRINCIPAL, "skola")
    again = await add_professional(bot, case_id, PRINCIPAL, "skola", email="rita@skola.example")
    assert "finns redan i teamet" not in " ".join(again.texts)
    assert again.texts[0].startswith(f"Uppgifterna för {PRINCIPAL.name}")
    assert (await member(bot, case_id, PRINCIPAL.aad)).email == "rita@skola.example"


async def test_removed_member_loses_access_at_once_and_it_is_audited(bot):
    code, case_id, _ = await register_case(bot)
    await add_professional(bot, case_id, PRINCIPAL, "skola", email="rita@skola.example")
    form = await team_form(bot, case_id)
    # a professional cannot press the coordinator's button
    denied = await bot.press(
        PRINCIPAL, acts.personal(PRINCIPAL), member_action(form, "team.remove_member", PRINCIPAL.name)
    )
    assert await member(bot, case_id, PRINCIPAL.aad) is not None
    assert denied.status == 200
    removed = await bot.press(COORDINATOR, ME, member_action(form, "team.remove_member", PRINCIPAL.name))
    assert (
        removed.texts[0]
        == f"{PRINCIPAL.name} är borttagen ur teamet för **{code}** och kommer inte längre åt ärendet."
    )
    assert await member(bot, case_id, PRINCIPAL.aad) is None
    assert PRINCIPAL.name not in card_text(removed.card)
    opened = await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), f"ärende {code}")
    assert opened.texts == ["Ärendet finns inte, eller så har du inte behörighet till det."]
    async with bot.services.db.session() as s:
        rows = (await s.scalars(select(AuditEvent).where(AuditEvent.entity == "member"))).all()
    assert [r.action for r in rows if r.actor_aad_id == COORDINATOR.aad][-1] == "delete"


async def test_coordinator_sees_and_edits_guardian_details_in_1to1(bot):
    code, case_id, _ = await register_case(bot)
    await add_contact(bot, case_id, GUARDIAN_1)
    form = await team_form(bot, case_id)
    text = card_text(form)
    assert f"Vårdnadshavare 1: {GUARDIAN_1['name']} · {GUARDIAN_1['email']} · {GUARDIAN_1['phone']}" in text
    edit = await bot.press(COORDINATOR, ME, member_action(form, "team.edit_contact", "Vårdnadshavare 1"))
    values = input_values(edit.card)
    assert values["contact_name"] == GUARDIAN_1["name"]
    saved = await bot.press(
        COORDINATOR,
        ME,
        next(a for a in all_actions(edit.card) if a.get("title") == "Spara kontakt"),
        {**values, "contact_phone": "070-555 00 00"},
    )
    assert saved.texts == [f"Uppgifterna för Vårdnadshavare 1 är sparade i **{code}**."]
    async with bot.services.db.session() as s:
        [row] = (await s.scalars(select(CaseContact).where(CaseContact.case_id == case_id))).all()
    assert row.phone == "070-555 00 00" and row.name == GUARDIAN_1["name"]
    assert_valid_cards([form, edit.card, saved.card])
