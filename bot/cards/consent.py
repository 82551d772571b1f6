"""Cards of the consent flow: recording a guardian's written consent, confirming a withdrawal.

Guardians are offered by number ("Vårdnadshavare 1"), never by name: the card is a Teams message.
"""

from __future__ import annotations

from typing import Any

from bot.cards.cases import label
from bot.cards.elements import (
    Element,
    card,
    error_text,
    field_error,
    heading,
    input_choice,
    input_date,
    input_text,
    kept,
    new_nonce,
    submit,
    text,
)
from bot.i18n import Translator
from domain.agencies import Agency

ALL_GUARDIANS = "all"


def consent_form(
    t: Translator,
    case_id: str,
    code: str,
    guardians: list[tuple[str, str]],
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Element:
    """``guardians``: (contact id, label) pairs, e.g. ("c1…", "Vårdnadshavare 1 – har redan samtycke")."""
    values = values or {}
    errors = errors or {}

    def v(name: str) -> str | None:
        return kept(values, name)

    body: list[Element] = heading(t("consent_form.title", code=code), subtle=t("consent_form.intro"))
    if errors:
        body.append(error_text(t("consent_form.fix_errors")))
    agencies = [(a.value, label(t, "agency", a.value)) for a in Agency]
    default_guardian = guardians[0][0] if len(guardians) == 1 else None
    body += [
        input_choice(
            "guardian_id",
            t("consent_form.guardian"),
            guardians,
            v("guardian_id") or default_guardian,
            expanded=True,
        ),
        *field_error(errors, "guardian_id"),
        input_date("signed_on", t("consent_form.signed_on"), v("signed_on")),
        *field_error(errors, "signed_on"),
        input_choice(
            "agencies", t("consent_form.agencies"), agencies, v("agencies"), multi=True, expanded=True
        ),
        *field_error(errors, "agencies"),
        input_text(
            "filed_at",
            t("consent_form.filed_at"),
            v("filed_at"),
            placeholder=t("consent_form.filed_at_placeholder"),
            max_length=300,
        ),
        *field_error(errors, "filed_at"),
        input_date("valid_until", t("consent_form.valid_until"), v("valid_until")),
        *field_error(errors, "valid_until"),
    ]
    return card(
        body,
        [
            submit(
                t("consent_form.save"), "consent.record", nonce=new_nonce(), style="positive", case_id=case_id
            )
        ],
    )


def no_guardians_card(t: Translator, case_id: str, code: str) -> Element:
    body = heading(t("consent_form.title", code=code))
    body.append(text(t("consent_form.no_guardians", code=code)))
    return card(body, [submit(t("case_card.add_team"), "team.form", case_id=case_id)])


def withdraw_form(
    t: Translator,
    case_id: str,
    code: str,
    guardians: list[tuple[str, str]],
    *,
    today: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Element:
    values = values or {}
    errors = errors or {}
    body: list[Element] = heading(t("withdraw_form.title", code=code))
    body.append(text(t("withdraw_form.intro")))
    choices = [(ALL_GUARDIANS, t("withdraw_form.all")), *guardians]
    body += [
        input_choice(
            "who", t("withdraw_form.who"), choices, str(values.get("who") or ALL_GUARDIANS), expanded=True
        ),
        *field_error(errors, "who"),
        input_date("withdrawn_on", t("withdraw_form.on"), str(values.get("withdrawn_on") or today)),
        *field_error(errors, "withdrawn_on"),
    ]
    return card(
        body,
        [
            submit(
                t("withdraw_form.confirm"),
                "consent.withdraw",
                nonce=new_nonce(),
                style="destructive",
                case_id=case_id,
            )
        ],
    )
