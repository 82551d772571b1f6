"""The case team: professionals per agency (Teams users) and guardians/the youth (external contacts).

Professionals are identified by Entra object id (the Teams people picker submits it); guardians and
the youth exist only in the database: the replies name them "Vårdnadshavare 2", never by name.
Whether an agency may join the case's meetings is the consent's business: see
``store.queries.consent.meeting_team`` / ``may_join_meetings`` (used by the booking flow).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from bot.cards.team import ContactRow, MemberRow, team_form
from bot.dialogs.cases import (
    contact_labels,
    notify_team,
    personnummer_fields,
    refuse_if_frozen,
    show_case,
    texts_of,
)
from bot.registry import registry
from bot.turn import Turn
from domain.agencies import Agency
from domain.case_rules import personnummer_refusal
from domain.choices import parse_choice
from domain.refusal import Refusal
from store.models import CaseContact, CaseMember, SspfCase
from store.queries.audit import display_names
from store.queries.cases import add_contact, add_member, contacts_of, find_member, members_of
from store.queries.consent import GUARDIAN, YOUTH

MEMBER_FIELDS = ("agency", "person", "aad_id", "member_name", "member_email", "member_id")
CONTACT_FIELDS = ("contact_kind", "contact_name", "contact_email", "contact_phone", "contact_id")
NAME_MAX = 200
EMAIL_MAX = 320  # the e-mail columns' size (and the card's maxLength); longer failed on PostgreSQL
KEPT_MAX = 400  # an entry longer than any input of the form allows is not put back on it
KNOWN_PEOPLE_LIMIT = 25

_AAD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s\-()]{6,20}$")


async def known_people(turn: Turn) -> list[tuple[str, str]]:
    """Professionals already on some team of this tenant: ready choices next to the directory search."""
    rows = await turn.session.execute(
        select(CaseMember.aad_object_id, CaseMember.display_name)
        .join(SspfCase, SspfCase.id == CaseMember.case_id)
        .where(SspfCase.tenant_id == turn.tenant_id)
        .order_by(CaseMember.added_at.desc())
        .limit(200)
    )
    seen: dict[str, str] = {}
    for aad, name in rows:
        seen.setdefault(aad, name)
    return sorted(seen.items(), key=lambda item: item[1].casefold())[:KNOWN_PEOPLE_LIMIT]


def directory_has_no_email(turn: Turn) -> bool:
    """Local runs (no Graph): nothing can look a picked person's address up, so the form asks for it."""
    calendar = turn.services.extras.get("calendar")
    return calendar is None or not getattr(calendar, "sends_real_invitations", False)


async def show_form(
    turn: Turn,
    case: SspfCase,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    *,
    replace: bool | None = None,
) -> None:
    contacts = await contacts_of(turn.session, case.id)
    members = await members_of(turn.session, case.id)
    labels = contact_labels(turn, contacts)
    card = team_form(
        turn.t,
        case.id,
        case.code,
        known_people=await known_people(turn),
        values=values,
        errors=errors,
        members=[MemberRow(m.id, m.display_name, m.agency, m.email) for m in members],
        contacts=[ContactRow(c.id, labels[c.id], c.name, c.email, c.phone) for c in contacts],
        email_needed=directory_has_no_email(turn),
    )
    if (values is None) if replace is None else not replace:
        turn.show(card, summary=turn.t("team_form.title", code=case.code))
    else:
        turn.replace(card)


@registry.verb(
    "team.form",
    "lägg till i teamet",
    "teamet",
    "team",
    "add to team",
    resource="case",
    access="read",
    coordinator=True,
    personal=True,
    help_key="help.cmd.team",
)
async def team(turn: Turn) -> None:
    case = turn.case
    assert case is not None
    if refuse_if_frozen(turn, case):
        return
    await show_form(turn, case)


def _keepable(values: dict[str, Any]) -> dict[str, Any]:
    """Entries to put back on the form: text no longer than the form's inputs allow (a forged 200 KB
    value would make a card Teams refuses to show); the refusal under the field says what to fix."""
    return {k: v for k, v in values.items() if isinstance(v, str) and len(v) <= KEPT_MAX}


def _text(turn: Turn, name: str) -> str:
    value = turn.data.get(name)
    return " ".join(str(value).split()) if isinstance(value, str | int) else ""


async def _name_of(turn: Turn, aad_id: str) -> str | None:
    """A picked person's name: from the directory (if a lookup is configured) or what the bot knows."""
    lookup = turn.services.extras.get("user_name_lookup")
    if lookup is not None:
        try:
            name = await lookup(aad_id)
            if name:
                return str(name)
        except Exception:  # the directory is a convenience; typing the name still works
            pass
    return (await display_names(turn.session, turn.tenant_id, [aad_id])).get(aad_id)


@registry.verb(
    "team.add_member",
    resource="case",
    access="write",
    coordinator=True,
    personal=True,
    screens_personnummer=True,
)
async def add_professional(turn: Turn) -> None:
    case = turn.case
    assert case is not None
    if refuse_if_frozen(turn, case):
        return
    errors: dict[str, Refusal] = {}
    agency_text = _text(turn, "agency")
    agency = parse_choice(Agency, agency_text) if agency_text else None
    if not agency_text:
        errors["agency"] = Refusal("team.agency_required")
    elif agency is None:
        errors["agency"] = Refusal("team.agency_unknown", {"value": agency_text[:40]})

    editing: CaseMember | None = None
    member_id = _text(turn, "member_id")
    if member_id:
        editing = await turn.session.get(CaseMember, member_id)
        if editing is None or editing.case_id != case.id:
            turn.case_audit = "read"
            turn.say("team.member_gone")
            await show_form(turn, case, replace=True)
            return
    picked, typed = _text(turn, "person"), _text(turn, "aad_id")
    aad_id = editing.aad_object_id if editing is not None else picked or typed
    if not aad_id:
        errors["person"] = Refusal("team.person_required")
    elif not _AAD_ID.match(aad_id):
        errors["person" if picked else "aad_id"] = Refusal("team.aad_invalid")

    name = _text(turn, "member_name")[:NAME_MAX]
    # Where no directory answers (local runs without Graph), the e-mail typed here is what the booking
    # flow invites; with Graph, the address is looked up from the Entra id when a meeting is booked.
    email = _text(turn, "member_email").replace(" ", "") or None
    if email and (len(email) > EMAIL_MAX or not _EMAIL.match(email)):
        errors["member_email"] = Refusal("team.email_invalid")
    if not errors and not name:
        name = await _name_of(turn, aad_id) or ""
        if not name:
            errors["member_name"] = Refusal("team.name_required")
    for field_name in personnummer_fields(turn, MEMBER_FIELDS):
        errors[field_name] = personnummer_refusal(field_name)

    if errors:
        turn.case_audit = "read"
        kept = {
            k: turn.data.get(k)
            for k in MEMBER_FIELDS
            if k not in errors or errors[k].key != "privacy.personnummer_refused"
        }
        kept.update({k: turn.data.get(k) for k in CONTACT_FIELDS})
        kept = _keepable(kept)
        await show_form(turn, case, kept, texts_of(turn, errors))
        return

    assert agency is not None
    existing = editing or await find_member(turn.session, case.id, aad_id)
    if existing is not None:  # Ändra, or the same person picked again: save what changed
        changed = {
            k: v
            for k, v in (
                ("agency", agency.value),
                ("display_name", _text(turn, "member_name")[:NAME_MAX] or existing.display_name),
                ("email", email or (existing.email if editing is None else None)),
            )
            if getattr(existing, k) != v
        }
        if not changed:
            turn.case_audit = "read"
            turn.say("team.already_member", name=existing.display_name)
            return
        for k, v in changed.items():
            setattr(existing, k, v)
        turn.audit("member", "update", member=aad_id, fields=sorted(changed))
        turn.say(
            "team.member_updated",
            name=existing.display_name,
            agency=turn.t(f"agency.{existing.agency}"),
            code=case.code,
        )
        _ask_for_email(turn, existing.display_name, existing.email)
        await show_form(turn, case, replace=True)
        return
    added = await add_member(
        turn.session,
        case,
        aad_id=aad_id,
        name=name,
        agency=agency.value,
        added_by=turn.user_id,
        email=email,
    )
    if added is None:  # another coordinator added the same person a moment ago
        turn.case_audit = "read"
        turn.say("team.already_member", name=name)
        return
    turn.audit("member", "create", member=aad_id, agency=agency.value)
    turn.say("team.member_added", name=name, agency=turn.t(f"agency.{agency.value}"), code=case.code)
    _ask_for_email(turn, name, email)
    notify_team(turn, case, [aad_id], "notice.added_to_team")
    await show_case(turn, case, replace=True)


def _ask_for_email(turn: Turn, name: str, email: str | None) -> None:
    if not email and directory_has_no_email(turn):
        turn.say("team.member_needs_email", name=name)


@registry.verb("team.edit_member", resource="case", access="read", coordinator=True, personal=True)
async def edit_member(turn: Turn) -> None:
    """``Ändra`` next to a professional: the form again, filled in with what is stored."""
    case = turn.case
    assert case is not None
    if refuse_if_frozen(turn, case):
        return
    member = await turn.session.get(CaseMember, _text(turn, "member_id"))
    if member is None or member.case_id != case.id:
        turn.say("team.member_gone")
        return
    values = {
        "member_id": member.id,
        "agency": member.agency,
        "member_name": member.display_name,
        "member_email": member.email or "",
    }
    await show_form(turn, case, values, replace=True)


@registry.verb("team.remove_member", resource="case", access="write", coordinator=True, personal=True)
async def remove_member(turn: Turn) -> None:
    """``Ta bort``: the row goes, and with it the person's access (the gate reads ``case_member``)."""
    case = turn.case
    assert case is not None
    member = await turn.session.get(CaseMember, _text(turn, "member_id"))
    if member is None or member.case_id != case.id:
        turn.case_audit = "read"
        turn.say("team.member_gone")
        await show_form(turn, case, replace=True)
        return
    aad_id, name = member.aad_object_id, member.display_name
    await turn.session.delete(member)
    await turn.session.flush()
    turn.audit("member", "delete", member=aad_id, agency=member.agency)
    turn.say("team.member_removed", name=name, code=case.code)
    notify_team(turn, case, [aad_id], "notice.removed_from_team")
    await show_form(turn, case, replace=True)


@registry.verb("team.edit_contact", resource="case", access="read", coordinator=True, personal=True)
async def edit_contact(turn: Turn) -> None:
    """``Ändra`` next to a guardian or the youth: name, e-mail and phone (1:1, the coordinator only)."""
    case = turn.case
    assert case is not None
    if refuse_if_frozen(turn, case, allow_paused=True):
        return
    contact = await turn.session.get(CaseContact, _text(turn, "contact_id"))
    if contact is None or contact.case_id != case.id:
        turn.say("team.contact_gone")
        return
    values = {
        "contact_id": contact.id,
        "contact_kind": contact.kind,
        "contact_name": contact.name,
        "contact_email": contact.email or "",
        "contact_phone": contact.phone or "",
    }
    await show_form(turn, case, values, replace=True)


@registry.verb(
    "team.add_contact",
    resource="case",
    access="write",
    coordinator=True,
    personal=True,
    screens_personnummer=True,
)
async def add_external(turn: Turn) -> None:
    case = turn.case
    assert case is not None
    contact_id = _text(turn, "contact_id")
    editing: CaseContact | None = None
    if contact_id:
        editing = await turn.session.get(CaseContact, contact_id)
        if editing is None or editing.case_id != case.id:
            turn.case_audit = "read"
            turn.say("team.contact_gone")
            return
    if refuse_if_frozen(turn, case, allow_paused=editing is not None):
        return
    errors: dict[str, Refusal] = {}
    kind = editing.kind if editing is not None else _text(turn, "contact_kind")
    if kind not in (GUARDIAN, YOUTH):
        errors["contact_kind"] = Refusal("team.contact_kind_required")
    name = _text(turn, "contact_name")
    if not name:
        errors["contact_name"] = Refusal("team.contact_name_required")
    elif len(name) > NAME_MAX:
        errors["contact_name"] = Refusal("team.contact_name_too_long", {"max_length": NAME_MAX})
    email = _text(turn, "contact_email").replace(" ", "") or None
    if email and (len(email) > EMAIL_MAX or not _EMAIL.match(email)):
        errors["contact_email"] = Refusal("team.email_invalid")
    phone = _text(turn, "contact_phone") or None
    if phone and not _PHONE.match(phone):
        errors["contact_phone"] = Refusal("team.phone_invalid")
    if kind == GUARDIAN and not email and not phone and "contact_email" not in errors:
        errors["contact_email"] = Refusal("team.guardian_needs_reach")
    if (
        editing is None
        and kind == YOUTH
        and any(c.kind == YOUTH for c in await contacts_of(turn.session, case.id))
    ):
        errors["contact_kind"] = Refusal("team.youth_exists")
    tainted = personnummer_fields(turn, CONTACT_FIELDS)
    for field_name in tainted:
        errors[field_name] = personnummer_refusal(field_name)

    if errors:
        turn.case_audit = "read"
        kept = {k: turn.data.get(k) for k in CONTACT_FIELDS if k not in tainted}
        kept.update({k: turn.data.get(k) for k in MEMBER_FIELDS})
        kept = _keepable(kept)
        await show_form(turn, case, kept, texts_of(turn, errors))
        return

    if editing is not None:
        changed = sorted(
            k for k, v in (("name", name), ("email", email), ("phone", phone)) if getattr(editing, k) != v
        )
        editing.name, editing.email, editing.phone = name, email, phone
        turn.audit("contact", "update", contact_id=editing.id, kind=kind, fields=changed)
        labels = contact_labels(turn, await contacts_of(turn.session, case.id))
        turn.say("team.contact_updated", label=labels[editing.id], code=case.code)
        await show_form(turn, case, replace=True)
        return
    contact = await add_contact(
        turn.session, case, kind=kind, name=name, email=email, phone=phone, added_by=turn.user_id
    )
    turn.audit("contact", "create", contact_id=contact.id, kind=kind)
    labels = contact_labels(turn, await contacts_of(turn.session, case.id))
    turn.say("team.contact_added", label=labels[contact.id], code=case.code)
    await show_case(turn, case, replace=True)
