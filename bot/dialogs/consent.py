"""Consent: ``samtycke SSPF-…`` records a written consent; ``återkalla samtycke …`` withdraws it.

Who signs (``domain.consent``, ages per municipality in ``bot.config``): every custodian (the card asks
how many the child has), from 15 the young person too, from 18 the young person only. A consent names
its parties: agencies and named others with their role.

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
    stopped_text,
    texts_of,
)
from bot.registry import registry
from bot.turn import Turn
from domain.agencies import Agency, CaseStatus
from domain.case_rules import personnummer_refusal
from domain.choices import parse_iso_date
from domain.consent import PARTY_ROWS, Signers, requirement, validate_consent_entry
from domain.refusal import Refusal
from store.models import CaseContact, SspfCase
from store.queries.cases import contacts_of, members_of, set_status
from store.queries.consent import (
    GUARDIAN,
    YOUTH,
    active_consents,
    consent_decision,
    consent_status,
    record_consent,
    rules,
    withdraw_consents,
)

FORM_FIELDS = (
    "guardian_id",
    "signed_on",
    "agencies",
    "filed_at",
    "valid_until",
    "custodians",
    *(f"party{n}_{part}" for n in range(1, PARTY_ROWS + 1) for part in ("kind", "name", "role")),
)


async def _guardians(turn: Turn, case: SspfCase) -> tuple[list[CaseContact], dict[str, str]]:
    """The signers whose consent can be recorded: the guardians (not once the person is an adult) and
    the young person (when their own consent is required by age), with their card labels."""
    contacts = await contacts_of(turn.session, case.id)
    labels = contact_labels(turn, contacts)
    signers = Signers(
        tuple(c.id for c in contacts if c.kind == GUARDIAN),
        next((c.id for c in contacts if c.kind == YOUTH), None),
        case.custodians,
        case.birth_year,
    )
    need = requirement(signers, turn.today, rules())
    chosen = [
        c for c in contacts if (c.kind == GUARDIAN and not need.adult) or (c.kind == YOUTH and need.youth)
    ]
    return chosen, {c.id: labels[c.id] for c in chosen}


async def _guardian_choices(turn: Turn, case: SspfCase) -> list[tuple[str, str]]:
    guardians, labels = await _guardians(turn, case)
    with_consent = {c.guardian_id for c in await active_consents(turn.session, case.id)}
    return [
        (g.id, labels[g.id] + (f" – {turn.t('consent_form.has_consent')}" if g.id in with_consent else ""))
        for g in guardians
    ]


async def who_consents(turn: Turn, case: SspfCase) -> str:
    """One sentence: whose consent is needed and how far it has come (the case card and the form)."""
    status = await consent_status(turn.session, case, turn.today)
    if status.adult:
        done = turn.t("consent.who_done") if status.youth_consented else turn.t("consent.who_missing")
        return turn.t("consent.who_adult", state=done)
    if status.custodians is None:
        line = turn.t("consent.who_custodians_unknown")
    else:
        line = turn.t(
            "consent.who_guardians",
            consented=status.guardians_consented,
            custodians=status.custodians,
            missing=max(status.custodians - status.guardians_consented, 0),
        )
    if status.youth_required:
        done = turn.t("consent.who_done") if status.youth_consented else turn.t("consent.who_missing")
        line += " " + turn.t("consent.who_youth", state=done, age=rules().youth_from_age)
    return line


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
    agencies = ",".join(sorted({m.agency for m in await members_of(turn.session, case.id)} - {"annan"}))
    values = {"signed_on": turn.today.isoformat(), "agencies": agencies}
    if case.custodians is not None:
        values["custodians"] = str(case.custodians)
    turn.show(
        consent_form(
            turn.t, case.id, case.code, choices, values=values, who_line=await who_consents(turn, case)
        ),
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

    clean, errors = validate_consent_entry(raw, turn.today)
    field_errors: dict[str, Refusal] = dict(errors)
    tainted = personnummer_fields(turn)
    for name in tainted:
        field_errors[name] = personnummer_refusal(name)
    guardian_kind = next((g.kind for g in guardians if g.id == guardian_id), GUARDIAN)
    if (
        "custodians" not in field_errors
        and clean.get("custodians") is None
        and case.custodians is None
        and guardian_kind == GUARDIAN
    ):
        field_errors["custodians"] = Refusal("consent.custodians_unknown")
    if field_errors:
        turn.case_audit = "read"
        kept = {k: v for k, v in raw.items() if k not in tainted}
        choices = await _guardian_choices(turn, case)
        turn.replace(
            consent_form(
                turn.t,
                case.id,
                case.code,
                choices,
                values=kept,
                errors=texts_of(turn, field_errors),
                who_line=await who_consents(turn, case),
            )
        )
        return

    guardian = next(g for g in guardians if g.id == guardian_id)
    if clean.get("custodians") is not None and clean["custodians"] != case.custodians:
        case.custodians = clean["custodians"]
        turn.audit("case", "update", custodians=case.custodians)
    # the orosanmälan reminder is said once: when this consent makes the case's consent complete
    complete_before = (await consent_decision(turn.session, case.id, [], turn.today)).allowed
    consent = await record_consent(
        turn.session,
        case,
        guardian,
        signed_on=clean["signed_on"],
        agencies=clean["agencies"],
        filed_at=clean["filed_at"],
        valid_until=clean["valid_until"],
        recorded_by=turn.user_id,
        parties=clean["parties"],
    )
    turn.audit(
        "consent",
        "create",
        consent_id=consent.id,
        agencies=sorted(a.value for a in clean["agencies"]),
        parties=len(clean["parties"]),
        signer=guardian.kind,
    )
    # one message with the updated card: what was recorded, what it means now, and once the reminder
    if guardian.kind == GUARDIAN:
        number = [g.id for g in guardians if g.kind == GUARDIAN].index(guardian.id) + 1
        said = [turn.t("consent.recorded", guardian=number, code=case.code)]
    else:
        said = [turn.t("consent.recorded_youth", code=case.code)]

    decision = await consent_decision(turn.session, case.id, [], turn.today)
    if decision.allowed and case.status == CaseStatus.PAUSED.value:
        await set_status(turn.session, case, CaseStatus.OPEN)
        turn.audit("case", "update", status="open", reason="consent_renewed")
        said.append(turn.t("consent.reopened"))
    elif not decision.allowed:
        said.append(turn.t("consent.still_missing", who=await who_consents(turn, case)))
    if decision.allowed and not complete_before:
        said.append(turn.t("help.orosanmalan"))
    turn.say_text("\n\n".join(said))
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
    turn.show(withdraw_form(turn.t, case.id, case.code, holders, today=turn.today.isoformat()))


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
    withdrawn_on = parse_iso_date(on_text) if on_text else turn.today
    error = None
    if withdrawn_on is None:
        error = "withdraw.date_invalid"
    elif withdrawn_on > turn.today:
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
                today=turn.today.isoformat(),
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
    said = (
        turn.t("withdraw.done", code=case.code),
        stopped_text(turn, stopped),
        turn.t("withdraw.team_told"),
    )
    turn.say_text(" ".join(filter(None, said)))
    members = await members_of(turn.session, case.id)
    notify_team(turn, case, (m.aad_object_id for m in members), "notice.consent_withdrawn")
    await show_case(turn, case, replace=True)


async def consent_line(turn: Turn, case: SspfCase, covered: frozenset) -> str:
    """The case card's consent line: complete (whose, what it covers, until when) or what is missing."""
    status = await consent_status(turn.session, case, turn.today)
    if case.status == CaseStatus.PAUSED.value or status.decision.must_pause:
        return turn.t("case_card.consent_withdrawn")
    who = await who_consents(turn, case)
    if status.decision.allowed and covered:
        names = [turn.t(f"agency.{a.value}") for a in Agency if a in covered]
        names += [
            turn.t("consent.party", name=p.name, role=p.role, kind=turn.t(f"party_kind.{p.kind}"))
            for p in getattr(covered, "others", ())
        ]
        line = turn.t("case_card.consent_ok", who=who, agencies=", ".join(names))
        if status.ends_on is not None:
            line += " " + turn.t("case_card.consent_until", ends_on=status.ends_on.isoformat())
        return line
    return turn.t("case_card.consent_missing", who=who)
