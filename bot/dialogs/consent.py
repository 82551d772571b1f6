"""Consent: ``samtycke SSPF-…`` records a guardian's written consent; ``återkalla samtycke …`` withdraws it.

Withdrawal stops everything at once, in the same transaction: the case pauses, upcoming meetings are
flagged ``cancel_pending`` (the booking flow cancels them in Graph), pending reminders are cancelled;
after commit the team is told in their 1:1 chats, by case code only. Every consent recorded ends with
the reminder that SSPF never replaces the duty to file an orosanmälan.
"""

from __future__ import annotations

from bot.cards.consent import ALL_GUARDIANS, consent_form, no_guardians_card, withdraw_form
from bot.dialogs.cases import (
    contact_labels,
    notify_team,
    personnummer_fields,
    refuse_forged,
    refuse_if_frozen,
    show_case,
    stop_case,
    texts_of,
    today,
)
from bot.registry import registry
from bot.turn import Turn
from domain.agencies import CaseStatus
from domain.case_rules import personnummer_refusal
from domain.choices import parse_iso_date
from domain.consent import validate_consent_entry
from domain.refusal import Refusal
from store.models import CaseContact, SspfCase
from store.queries.cases import contacts_of, members_of, set_status
from store.queries.consent import (
    GUARDIAN,
    active_consents,
    consent_decision,
    record_consent,
    withdraw_consents,
)

FORM_FIELDS = ("guardian_id", "signed_on", "agencies", "filed_at", "valid_until")


async def _guardians(turn: Turn, case: SspfCase) -> tuple[list[CaseContact], dict[str, str]]:
    guardians = await contacts_of(turn.session, case.id, GUARDIAN)
    return guardians, contact_labels(turn, guardians)


async def _guardian_choices(turn: Turn, case: SspfCase) -> list[tuple[str, str]]:
    guardians, labels = await _guardians(turn, case)
    with_consent = {c.guardian_id for c in await active_consents(turn.session, case.id)}
    return [
        (g.id, labels[g.id] + (f" – {turn.t('consent_form.has_consent')}" if g.id in with_consent else ""))
        for g in guardians
    ]


@registry.verb(
    "consent.form",
    "samtycke",
    "registrera samtycke",
    "consent",
    resource="case",
    access="read",
    coordinator=True,
    personal=True,
    help_key="help.cmd.consent",
)
async def ask_consent(turn: Turn) -> None:
    case = turn.case
    assert case is not None
    if refuse_if_frozen(turn, case, allow_paused=True):
        return
    choices = await _guardian_choices(turn, case)
    if not choices:
        turn.show(no_guardians_card(turn.t, case.id, case.code))
        return
    agencies = ",".join(sorted({m.agency for m in await members_of(turn.session, case.id)}))
    values = {"signed_on": today(turn).isoformat(), "agencies": agencies}
    turn.show(
        consent_form(turn.t, case.id, case.code, choices, values=values),
        summary=turn.t("consent_form.title", code=case.code),
    )


@registry.verb(
    "consent.record",
    resource="case",
    access="write",
    coordinator=True,
    personal=True,
    screens_personnummer=True,
)
async def save_consent(turn: Turn) -> None:
    case = turn.case
    assert case is not None
    if refuse_if_frozen(turn, case, allow_paused=True):
        return
    raw = {k: turn.data.get(k) for k in FORM_FIELDS}
    guardians, labels = await _guardians(turn, case)
    guardian_id = str(raw.get("guardian_id") or "").strip()
    if guardian_id and guardian_id not in labels:
        refuse_forged(turn, "consent", reason="guardian_not_on_case", asked_guardian=guardian_id[:40])
        return

    clean, errors = validate_consent_entry(raw, today(turn))
    field_errors: dict[str, Refusal] = dict(errors)
    tainted = personnummer_fields(turn)
    for name in tainted:
        field_errors[name] = personnummer_refusal(name)
    if field_errors:
        turn.case_audit = "read"
        kept = {k: v for k, v in raw.items() if k not in tainted}
        choices = await _guardian_choices(turn, case)
        turn.replace(
            consent_form(
                turn.t, case.id, case.code, choices, values=kept, errors=texts_of(turn, field_errors)
            )
        )
        return

    guardian = next(g for g in guardians if g.id == guardian_id)
    consent = await record_consent(
        turn.session,
        case,
        guardian,
        signed_on=clean["signed_on"],
        agencies=clean["agencies"],
        filed_at=clean["filed_at"],
        valid_until=clean["valid_until"],
        recorded_by=turn.user_id,
    )
    turn.audit(
        "consent", "create", consent_id=consent.id, agencies=sorted(a.value for a in clean["agencies"])
    )
    number = list(labels).index(guardian.id) + 1
    turn.say("consent.recorded", guardian=number, code=case.code)

    decision = await consent_decision(turn.session, case.id, [], today(turn))
    if decision.allowed and case.status == CaseStatus.PAUSED.value:
        await set_status(turn.session, case, CaseStatus.OPEN)
        turn.audit("case", "update", status="open", reason="consent_renewed")
        turn.say("consent.reopened")
    elif not decision.allowed:
        turn.say("consent.still_missing")
    turn.say("help.orosanmalan")
    await show_case(turn, case, replace=True)


# --- återkalla samtycke ------------------------------------------------------------------------------


@registry.verb(
    "consent.withdraw_form",
    "återkalla samtycke",
    "withdraw consent",
    resource="case",
    access="read",
    coordinator=True,
    personal=True,
    help_key="help.cmd.consent_withdraw",
)
async def ask_withdraw(turn: Turn) -> None:
    case = turn.case
    assert case is not None
    if refuse_if_frozen(turn, case, allow_paused=True):
        return
    active = await active_consents(turn.session, case.id)
    if not active:
        turn.say("withdraw.nothing", code=case.code)
        return
    _, labels = await _guardians(turn, case)
    holders = [(gid, labels[gid]) for gid in dict.fromkeys(c.guardian_id for c in active) if gid in labels]
    turn.show(withdraw_form(turn.t, case.id, case.code, holders, today=today(turn).isoformat()))


@registry.verb("consent.withdraw", resource="case", access="write", coordinator=True, personal=True)
async def withdraw(turn: Turn) -> None:
    case = turn.case
    assert case is not None
    if refuse_if_frozen(turn, case, allow_paused=True):
        return
    _, labels = await _guardians(turn, case)
    who = str(turn.data.get("who") or ALL_GUARDIANS)
    if who != ALL_GUARDIANS and who not in labels:
        refuse_forged(turn, "consent", reason="guardian_not_on_case", asked_guardian=who[:40])
        return
    on_text = str(turn.data.get("withdrawn_on") or "").strip()
    withdrawn_on = parse_iso_date(on_text) if on_text else today(turn)
    error = None
    if withdrawn_on is None:
        error = "withdraw.date_invalid"
    elif withdrawn_on > today(turn):
        error = "withdraw.date_future"
    active = await active_consents(turn.session, case.id, None if who == ALL_GUARDIANS else who)
    if error is not None or not active:
        turn.case_audit = "read"
        if not active:
            turn.say("withdraw.nothing", code=case.code)
            return
        holders = [
            (gid, labels[gid]) for gid in dict.fromkeys(c.guardian_id for c in active) if gid in labels
        ]
        turn.replace(
            withdraw_form(
                turn.t,
                case.id,
                case.code,
                holders,
                today=today(turn).isoformat(),
                values={"who": who, "withdrawn_on": on_text},
                errors={"withdrawn_on": turn.t(error)},
            )
        )
        return

    assert withdrawn_on is not None
    count = await withdraw_consents(turn.session, active, on=withdrawn_on, by=turn.user_id)
    turn.audit("consent", "update", withdrawn=count, withdrawn_on=withdrawn_on.isoformat())
    stopped = await stop_case(turn, case)
    if case.status == CaseStatus.OPEN.value:
        await set_status(turn.session, case, CaseStatus.PAUSED)
        turn.audit("case", "update", status="paused", reason="consent_withdrawn")
    turn.say(
        "withdraw.done",
        code=case.code,
        meetings=stopped.meetings_flagged,
        reminders=stopped.reminders_cancelled,
    )
    members = await members_of(turn.session, case.id)
    notify_team(turn, case, (m.aad_object_id for m in members), "notice.consent_withdrawn")
    await show_case(turn, case, replace=True)
