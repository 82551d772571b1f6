"""Cards of the consent flow: recording a written consent (a guardian's or the young person's own),
confirming a withdrawal.

Guardians are offered by number ("Vårdnadshavare 1"), never by name: the card is a Teams message. The
card asks how many custodians the child has, and names the parties the consent covers: agencies, and
named others (Region/BUP, förening, a relative) with their role.
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
from domain.consent import PARTY_KINDS, PARTY_ROWS

ALL_GUARDIANS = "all"


def consent_form(
    t: Translator,
    case_id: str,
    code: str,
    guardians: list[tuple[str, str]],
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    who_line: str | None = None,
) -> Element:
    """``guardians``: the signers as (contact id, label) pairs, e.g. ("c1…", "Vårdnadshavare 1 – har
    redan samtycke"), the young person included when their own consent is recorded. ``who_line`` says
    whose consent is needed (by the child's age and the custodians recorded)."""
    values = values or {}
    errors = errors or {}

    def v(name: str) -> str | None:
        return kept(values, name)

    body: list[Element] = heading(t("consent_form.title", code=code), subtle=t("consent_form.intro"))
    if who_line:
        body.append(text(who_line))
    if errors:
        body.append(error_text(t("consent_form.fix_errors")))
    # named others are named below, with their role: "annan verksamhet" is no longer one bucket
    agencies = [(a.value, label(t, "agency", a.value)) for a in Agency if a is not Agency.ANNAN]
    kinds = [(k, t(f"party_kind.{k}")) for k in PARTY_KINDS]
    parties: list[Element] = [text(t("consent_form.parties"), weight="Bolder")]
    for n in range(1, PARTY_ROWS + 1):
        parties += [
            input_choice(
                f"party{n}_kind", t("consent_form.party_kind", number=n), kinds, v(f"party{n}_kind")
            ),
            input_text(
                f"party{n}_name",
                t("consent_form.party_name"),
                v(f"party{n}_name"),
                placeholder=t("consent_form.party_name_placeholder"),
                max_length=120,
            ),
            input_text(
                f"party{n}_role",
                t("consent_form.party_role"),
                v(f"party{n}_role"),
                placeholder=t("consent_form.party_role_placeholder"),
                max_length=120,
            ),
            *field_error(errors, f"party{n}_name"),
        ]
    default_guardian = guardians[0][0] if len(guardians) == 1 else None
    custodians = [("1", t("consent_form.custodians_1")), ("2", t("consent_form.custodians_2"))]
    body += [
        input_choice("custodians", t("consent_form.custodians"), custodians, v("custodians"), expanded=True),
        *field_error(errors, "custodians"),
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
        *parties,
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
