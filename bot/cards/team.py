"""The team card: professionals as Teams users (people picker), guardians and the youth as contacts.

The people picker is Teams' extension of ``Input.ChoiceSet`` (``choices.data`` = ``Data.Query`` over
``graph.microsoft.com/users``); Teams submits the chosen person's Entra object id as the value. The
typed id + name pair is the fallback for clients without the picker (and for local runs and tests).
"""

from __future__ import annotations

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


def team_form(
    t: Translator,
    case_id: str,
    code: str,
    *,
    known_people: list[tuple[str, str]],
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Element:
    values = values or {}
    errors = errors or {}

    def v(name: str) -> str | None:
        return kept(values, name)

    body: list[Element] = heading(t("team_form.title", code=code))
    if errors:
        body.append(error_text(t("team_form.fix_errors")))
    agencies = [(a.value, label(t, "agency", a.value)) for a in Agency]
    professional = [
        text(t("team_form.professional"), weight="Bolder"),
        input_choice("agency", t("team_form.agency"), agencies, v("agency")),
        *field_error(errors, "agency"),
        people_picker("person", t("team_form.person"), known_people, v("person")),
        *field_error(errors, "person"),
        text(t("team_form.or_type"), isSubtle=True, size="Small"),
        input_text("aad_id", t("team_form.aad_id"), v("aad_id"), max_length=64),
        *field_error(errors, "aad_id"),
        input_text("member_name", t("team_form.name"), v("member_name"), max_length=200),
        *field_error(errors, "member_name"),
        input_text("member_email", t("team_form.member_email"), v("member_email"), max_length=320),
        *field_error(errors, "member_email"),
        actions_row(
            [submit(t("team_form.add_member"), "team.add_member", nonce=new_nonce(), case_id=case_id)]
        ),
    ]
    contact = [
        text(t("team_form.contact"), weight="Bolder"),
        text(t("team_form.contact_note"), isSubtle=True, size="Small", spacing="None"),
        input_choice(
            "contact_kind",
            t("team_form.contact_kind"),
            [("guardian", t("team_form.kind_guardian")), ("youth", t("team_form.kind_youth"))],
            v("contact_kind") or "guardian",
            expanded=True,
        ),
        *field_error(errors, "contact_kind"),
        input_text("contact_name", t("team_form.contact_name"), v("contact_name"), max_length=200),
        *field_error(errors, "contact_name"),
        input_text("contact_email", t("team_form.email"), v("contact_email"), max_length=320),
        *field_error(errors, "contact_email"),
        input_text("contact_phone", t("team_form.phone"), v("contact_phone"), max_length=40),
        *field_error(errors, "contact_phone"),
        actions_row(
            [submit(t("team_form.add_contact"), "team.add_contact", nonce=new_nonce(), case_id=case_id)]
        ),
    ]
    body.append(container(professional, separator=True))
    body.append(container(contact, separator=True))
    return card(body, [submit(t("team_form.back"), "case.open", case_id=case_id)])
