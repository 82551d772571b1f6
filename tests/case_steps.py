"""What a coordinator does in Teams to open and run a case, as reusable steps for the case tests.

Each step goes through real HTTP (a typed command or a pressed card button) and returns what the
user would see; the database is only read to check what was stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from store.models import CaseContact, SspfCase
from tests.conftest import COORDINATOR
from tests.harness import activities as acts
from tests.harness.bot_runner import Reply, RunningBot, card_text, find_action

GUARDIAN_1 = {"name": "Greta Vårdnadshavarsson", "email": "greta.v@example.se", "phone": "070-111 22 33"}
GUARDIAN_2 = {"name": "Gustav Föräldersson", "email": "gustav.f@example.se", "phone": "+46 70 444 55 66"}
YOUTH = {"name": "Zelmer Quist", "email": "zelmer.q@example.se", "phone": "073-999 88 77"}
INITIALS = "ZQ"
BIRTH_YEAR = "2013"


def case_inputs(**overrides: Any) -> dict[str, Any]:
    values = {
        "initials": "Z.Q.",
        "birth_year": BIRTH_YEAR,
        "school_area": "Ekbackeskolan",
        "signal_source": "skola",
        "concerns": "skolk,droger",
        "track": "individuell",
        "signal_on": date.today().isoformat(),
    }
    values.update(overrides)
    return values


async def register_case(
    bot: RunningBot, user: acts.User = COORDINATOR, **overrides: Any
) -> tuple[str, str, Reply]:
    """``nytt ärende`` → fill in → Spara; returns (code, case id, the reply to Spara)."""
    conv = acts.personal(user)
    form = await bot.say(user, conv, "nytt ärende")
    reply = await bot.press(user, conv, find_action(form.card, "Spara"), case_inputs(**overrides))
    assert reply.status == 200
    code = next(t for t in reply.texts if "SSPF-" in t).split("**")[1]
    case_id = find_action(reply.card, "Lägg till i teamet")["data"]["case_id"]
    return code, case_id, reply


async def team_form(bot: RunningBot, case_id: str, user: acts.User = COORDINATOR) -> dict[str, Any]:
    conv = acts.personal(user)
    reply = await bot.press(
        user, conv, {"type": "Action.Submit", "data": {"verb": "team.form", "case_id": case_id}}
    )
    return reply.card


async def add_professional(
    bot: RunningBot,
    case_id: str,
    person: acts.User,
    agency: str,
    *,
    typed: bool = True,
    email: str | None = None,
) -> Reply:
    """Pick a professional: typed id + name (local), or the people picker's Entra id (``typed=False``);
    ``email`` is the optional typed address for invitations."""
    form = await team_form(bot, case_id)
    inputs = {"agency": agency}
    if email is not None:
        inputs["member_email"] = email
    if typed:
        inputs |= {"aad_id": person.aad, "member_name": person.name}
    else:
        inputs |= {"person": person.aad}
    return await bot.press(
        COORDINATOR, acts.personal(COORDINATOR), find_action(form, "Lägg till yrkesperson"), inputs
    )


async def add_contact(
    bot: RunningBot, case_id: str, contact: dict[str, str], kind: str = "guardian"
) -> Reply:
    form = await team_form(bot, case_id)
    inputs = {
        "contact_kind": kind,
        "contact_name": contact["name"],
        "contact_email": contact["email"],
        "contact_phone": contact["phone"],
    }
    return await bot.press(
        COORDINATOR, acts.personal(COORDINATOR), find_action(form, "Lägg till kontakt"), inputs
    )


async def consent_form(bot: RunningBot, code: str) -> Reply:
    return await bot.say(COORDINATOR, acts.personal(COORDINATOR), f"samtycke {code}")


async def record_consent(
    bot: RunningBot, code: str, guardian_label: str, agencies: str, **overrides: Any
) -> Reply:
    form = (await consent_form(bot, code)).card
    guardian_id = choice_value(form, "guardian_id", guardian_label)
    inputs = {
        "guardian_id": guardian_id,
        "signed_on": date.today().isoformat(),
        "agencies": agencies,
        "filed_at": "Diarium SOC 2026/123",
        "valid_until": "",
        "custodians": "2",  # the lawful model asks how many custodians the child has (issue 15)
    }
    inputs.update(overrides)
    return await bot.press(
        COORDINATOR, acts.personal(COORDINATOR), find_action(form, "Spara samtycket"), inputs
    )


async def consent_of_both_guardians(bot: RunningBot, code: str, agencies: str = "skola,polis") -> None:
    """Both guardians of ``open_case_with_team`` consent to ``agencies``: without it a team member sees
    the case code and why, nothing about the child (issue 12 §2)."""
    for guardian in ("Vårdnadshavare 1", "Vårdnadshavare 2"):
        reply = await record_consent(bot, code, guardian, agencies)
        assert reply.status == 200


def choice_value(card: dict[str, Any], input_id: str, title_prefix: str) -> str:
    """The value of the choice a user would click, found by the start of its visible title."""

    def walk(node: Any) -> dict[str, Any] | None:
        if isinstance(node, dict):
            if node.get("type") == "Input.ChoiceSet" and node.get("id") == input_id:
                return node
            for value in node.values():
                found = walk(value)
                if found:
                    return found
        elif isinstance(node, list):
            for value in node:
                found = walk(value)
                if found:
                    return found
        return None

    element = walk(card)
    assert element is not None, f"no input {input_id} in card: {card_text(card)}"
    for choice in element["choices"]:
        if choice["title"].startswith(title_prefix):
            return choice["value"]
    raise AssertionError(f"no choice {title_prefix!r} in {[c['title'] for c in element['choices']]}")


async def case_row(bot: RunningBot, code: str) -> SspfCase:
    async with bot.services.db.session() as session:
        case = await session.scalar(select(SspfCase).where(SspfCase.code == code))
        assert case is not None
        return case


async def contacts(bot: RunningBot, case_id: str) -> list[CaseContact]:
    async with bot.services.db.session() as session:
        return list(await session.scalars(select(CaseContact).where(CaseContact.case_id == case_id)))


async def open_case_with_team(bot: RunningBot) -> tuple[str, str]:
    """A case with a school and a police officer on the team and two guardians; no consent yet."""
    from tests.conftest import POLICE, PRINCIPAL

    code, case_id, _ = await register_case(bot)
    await add_professional(bot, case_id, PRINCIPAL, "skola")
    await add_professional(bot, case_id, POLICE, "polis")
    await add_contact(bot, case_id, GUARDIAN_1)
    await add_contact(bot, case_id, GUARDIAN_2)
    return code, case_id
