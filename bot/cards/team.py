"""The team card: professionals as Teams users (people picker), guardians and the youth as contacts.

The people picker is Teams' extension of ``Input.ChoiceSet`` (``choices.data`` = ``Data.Query`` over
``graph.microsoft.com/users``); Teams submits the chosen person's Entra object id as the value. The
typed id + name pair is the fallback for clients without the picker (and for local runs and tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.cards.cases import actions_row, label
from bot.cards.elements import (
    Element,
    card,
    container,
    error_text,
    field_error,
    heading,
    input_choice,
    input_text,
    kept,
    new_nonce,
    people_picker,
    submit,
    text,
)
from bot.i18n import Translator
from domain.agencies import Agency


@dataclass(frozen=True)
class MemberRow:
    member_id: str
    name: str
    agency: str
    email: str | None


@dataclass(frozen=True)
class ContactRow:
    """A guardian or the youth as the coordinator sees them in 1:1: label, name and contact details."""

    contact_id: str
    label: str
    name: str
    email: str | None
    phone: str | None


def _roster(
    t: Translator, case_id: str, members: list[MemberRow], contacts: list[ContactRow]
) -> list[Element]:
    """Who is on the case, each with Ändra (and Ta bort for professionals): the form is the
    coordinator's, in 1:1 only, so guardians are shown by name here and nowhere else."""
    items: list[Element] = [text(t("team_form.members"), weight="Bolder")]
    if not members:
        items.append(text(t("team_form.no_members"), isSubtle=True, spacing="None"))
    for m in members:
        line = t(
            "team_form.member_line",
            name=m.name,
            agency=label(t, "agency", m.agency),
            email=m.email or t("team_form.no_email"),
        )
        items.append(text(line, spacing="Small"))
        items.append(
            actions_row(
                [
                    submit(t("team_form.edit"), "team.edit_member", case_id=case_id, member_id=m.member_id),
                    submit(
                        t("team_form.remove"),
                        "team.remove_member",
                        nonce=new_nonce(),
                        case_id=case_id,
                        member_id=m.member_id,
                    ),
                ],
                spacing="None",
            )
        )
    if contacts:
        items.append(text(t("team_form.contacts"), weight="Bolder"))
        for c in contacts:
            line = t(
                "team_form.contact_line",
                label=c.label,
                name=c.name,
                email=c.email or "–",
                phone=c.phone or "–",
            )
            items.append(text(line, spacing="Small"))
            items.append(
                actions_row(
                    [
                        submit(
                            t("team_form.edit"),
                            "team.edit_contact",
                            case_id=case_id,
                            contact_id=c.contact_id,
                        )
                    ],
                    spacing="None",
                )
            )
    return items


def team_form(
    t: Translator,
    case_id: str,
    code: str,
    *,
    known_people: list[tuple[str, str]],
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    members: list[MemberRow] | None = None,
    contacts: list[ContactRow] | None = None,
    email_needed: bool = False,
) -> Element:
    values = values or {}
    errors = errors or {}

    def v(name: str) -> str | None:
        return kept(values, name)

    body: list[Element] = heading(t("team_form.title", code=code))
    if errors:
        body.append(error_text(t("team_form.fix_errors")))
    if members is not None:
        body.append(container(_roster(t, case_id, members, contacts or []), separator=True))
    member_id = v("member_id")
    editing = next((m for m in members or [] if m.member_id == member_id), None)
    contact_id = v("contact_id")
    editing_contact = next((c for c in contacts or [] if c.contact_id == contact_id), None)
    member_data: dict[str, Any] = {"case_id": case_id}
    if editing is not None:
        member_data["member_id"] = editing.member_id
    contact_data: dict[str, Any] = {"case_id": case_id}
    if editing_contact is not None:
        contact_data["contact_id"] = editing_contact.contact_id
    agencies = [(a.value, label(t, "agency", a.value)) for a in Agency]
    professional = [
        text(t("team_form.professional"), weight="Bolder"),
        input_choice("agency", t("team_form.agency"), agencies, v("agency")),
        *field_error(errors, "agency"),
    ]
    if editing is None:
        professional += [
            people_picker("person", t("team_form.person"), known_people, v("person")),
            *field_error(errors, "person"),
            text(t("team_form.or_type"), isSubtle=True, size="Small"),
            input_text("aad_id", t("team_form.aad_id"), v("aad_id"), max_length=64),
            *field_error(errors, "aad_id"),
        ]
    else:
        professional.insert(1, text(t("team_form.editing_member", name=editing.name), isSubtle=True))
    email_label = t("team_form.member_email_local" if email_needed else "team_form.member_email")
    professional += [
        input_text("member_name", t("team_form.name"), v("member_name"), max_length=200),
        *field_error(errors, "member_name"),
        input_text("member_email", email_label, v("member_email"), max_length=320),
        *field_error(errors, "member_email"),
        actions_row(
            [
                submit(
                    t("team_form.save_member" if editing else "team_form.add_member"),
                    "team.add_member",
                    nonce=new_nonce(),
                    **member_data,
                )
            ]
        ),
    ]
    contact = [
        text(t("team_form.contact"), weight="Bolder"),
        text(t("team_form.contact_note"), isSubtle=True, size="Small", spacing="None"),
    ]
    if editing_contact is None:
        contact += [
            input_choice(
                "contact_kind",
                t("team_form.contact_kind"),
                [("guardian", t("team_form.kind_guardian")), ("youth", t("team_form.kind_youth"))],
                v("contact_kind") or "guardian",
                expanded=True,
            ),
            *field_error(errors, "contact_kind"),
        ]
    else:
        contact.append(text(t("team_form.editing_contact", label=editing_contact.label), isSubtle=True))
    contact += [
        input_text("contact_name", t("team_form.contact_name"), v("contact_name"), max_length=200),
        *field_error(errors, "contact_name"),
        input_text("contact_email", t("team_form.email"), v("contact_email"), max_length=320),
        *field_error(errors, "contact_email"),
        input_text("contact_phone", t("team_form.phone"), v("contact_phone"), max_length=40),
        *field_error(errors, "contact_phone"),
        actions_row(
            [
                submit(
                    t("team_form.save_contact" if editing_contact else "team_form.add_contact"),
                    "team.add_contact",
                    nonce=new_nonce(),
                    **contact_data,
                )
            ]
        ),
    ]
    body.append(container(professional, separator=True))
    body.append(container(contact, separator=True))
    return card(body, [submit(t("team_form.back"), "case.open", case_id=case_id)])
