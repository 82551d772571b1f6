"""The case record: ``nytt ärende``, ``mina ärenden``, ``ärende SSPF-…``, ``avsluta ärende``, the audit trail.

A case holds minimum data (initials, birth year, school/area, signal, concerns, track) and is named in
Teams by its code only. A personnummer anywhere in the form is refused, not stored and not echoed.
Access, idempotency and the read/write audit rows come from the middleware (``bot/middleware.py``);
this module adds the rows the middleware cannot know (the created case, one row per listed case).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.booking_service import cancel_pending_meetings
from bot.cards.cases import (
    AuditPage,
    CaseRow,
    CaseView,
    audit_card,
    case_card,
    case_list_card,
    case_summary_card,
    close_form,
    new_case_form,
)
from bot.i18n import Translator
from bot.refusals import refusal_text
from bot.registry import registry
from bot.turn import Turn
from domain.access import case_content_allowed
from domain.agencies import Agency, CaseStatus
from domain.case_rules import change_case_status, personnummer_refusal, validate_new_case
from domain.choices import parse_choice, parse_iso_date
from domain.consent import covers
from domain.outcomes import read_outcomes
from domain.personnummer import contains_personnummer
from domain.refusal import Refusal
from store.models import AuditEvent, SspfCase
from store.queries.access import case_facts_many
from store.queries.audit import case_trail, case_trail_size, display_names
from store.queries.cases import (
    Stopped,
    cases_visible_to,
    contacts_of,
    create_case,
    members_of,
    set_status,
    stop_case_activity,
)
from store.queries.consent import GUARDIAN, agencies_covered, rules
from store.queries.figures import add_outcomes

log = logging.getLogger(__name__)
LIST_LIMIT = 30
AUDIT_LIMIT = 50
FORM_FIELDS = ("initials", "birth_year", "school_area", "signal_source", "concerns", "track", "signal_on")
CONTROL_KEYS = frozenset({"verb", "nonce", "case_id", "case_code"})
REDACTED = "[personnummer]"


# --- helpers shared by the case, team and consent flows ---------------------------------------------------


def local_time(turn: Turn, instant: datetime) -> str:
    return instant.astimezone(turn.services.settings.tz).strftime("%Y-%m-%d %H:%M")


def texts_of(turn: Turn, errors: dict[str, Refusal]) -> dict[str, str]:
    return {name: refusal_text(turn.t, refusal) for name, refusal in errors.items()}


def personnummer_fields(turn: Turn, names: Iterable[str] | None = None) -> set[str]:
    """The submitted fields (of ``names``, or all) that held a personnummer. The door middleware found
    them and emptied them (``bot/middleware.py``): the form shows the refusal under each."""
    found = {f for f in turn.personnummer_fields if not f.startswith("(")} - set(CONTROL_KEYS)
    return found & set(names) if names is not None else found


def refuse_forged(turn: Turn, entity: str, **detail: Any) -> None:
    """A card carried an id that is not this case's: refuse like any access refusal, and log it."""
    log.warning(
        "forged %s in %s by %s on case %s",
        entity,
        turn.verb,
        turn.user_id,
        turn.case.id if turn.case else None,
    )
    turn.case_audit = "denied"
    # what was asked for is kept for the record, unless it holds a personnummer (never stored anywhere)
    kept = {k: REDACTED if isinstance(v, str) and contains_personnummer(v) else v for k, v in detail.items()}
    turn.audit(entity, "denied", **kept)
    turn.say("access.forged")


def refuse_if_frozen(turn: Turn, case: SspfCase, *, allow_paused: bool = False) -> bool:
    """Closed cases take nothing new; paused ones (consent withdrawn) only a new consent."""
    if case.status == CaseStatus.CLOSED.value:
        turn.say("case.closed_no_changes", code=case.code)
    elif case.status == CaseStatus.PAUSED.value and not allow_paused:
        turn.say("case.paused_no_changes", code=case.code)
    else:
        return False
    turn.case_audit = "read"
    return True


def notify_team(turn: Turn, case: SspfCase, aad_ids: Iterable[str], key: str) -> None:
    """After commit, tell each person in their 1:1 chat with the bot; the text names the case code only."""
    recipients = [a for a in dict.fromkeys(aad_ids) if a and a != turn.user_id]
    if not recipients:
        return
    for aad in recipients:
        turn.notify(aad, key, code=case.code)


def contact_labels(turn: Turn, contacts: Iterable[Any]) -> dict[str, str]:
    """ "Vårdnadshavare 1", "Vårdnadshavare 2", "Ungdomen": how contacts appear on cards (never by name)."""
    labels: dict[str, str] = {}
    number = 0
    for contact in contacts:
        if contact.kind == GUARDIAN:
            number += 1
            labels[contact.id] = turn.t("case_card.guardian", number=number)
        else:
            labels[contact.id] = turn.t("case_card.youth_contact")
    return labels


async def build_case_view(turn: Turn, case: SspfCase) -> CaseView:
    on = turn.today
    members = await members_of(turn.session, case.id)
    contacts = await contacts_of(turn.session, case.id)
    from bot.dialogs.consent import consent_line as consent_text  # the consent flow words it

    covered = await agencies_covered(turn.session, case.id, on)
    consent_line = await consent_text(turn, case, covered)
    return CaseView(
        case_id=case.id,
        code=case.code,
        status=case.status,
        track=case.track,
        initials=case.initials,
        birth_year=case.birth_year,
        school_area=case.school_area,
        signal_source=case.signal_source,
        signal_on=case.signal_on.isoformat() if case.signal_on else None,
        concerns=list(case.concerns or []),
        closing_reason=case.closing_reason,
        members=[
            (m.display_name, m.agency, covers(covered, parse_choice(Agency, m.agency), m.display_name))
            for m in members
        ],
        contacts=list(contact_labels(turn, contacts).values()),
        consent_line=consent_line,
        coordinator=turn.is_coordinator,
    )


async def show_case(turn: Turn, case: SspfCase, *, replace: bool = False) -> None:
    """The case card in a personal chat; code and status only anywhere else."""
    if not turn.is_personal:
        turn.show(case_summary_card(turn.t, case.code, case.status))
        return
    built = case_card(turn.t, await build_case_view(turn, case))
    if replace:
        turn.replace(built)
    else:
        turn.show(built, summary=turn.t("case_card.title", code=case.code))


# --- nytt ärende ------------------------------------------------------------------------------------------


def stopped_text(turn: Turn, stopped: Stopped) -> str:
    """What stopping touched, only what happened: "1 påminnelse stoppades." — nothing for zeros."""
    parts = []
    if stopped.reminders_cancelled:
        one = stopped.reminders_cancelled == 1
        parts.append(
            turn.t(
                "case.stopped_reminder" if one else "case.stopped_reminders",
                count=stopped.reminders_cancelled,
            )
        )
    if stopped.meetings_flagged:
        one = stopped.meetings_flagged == 1
        parts.append(
            turn.t("case.stopped_meeting" if one else "case.stopped_meetings", count=stopped.meetings_flagged)
        )
    return " ".join(parts)


async def stop_case(turn: Turn, case: SspfCase) -> Stopped:
    """Closing or withdrawal stops everything at once: reminders are cancelled and meetings flagged in
    this turn's transaction, and once it has committed the calendar cancellations go out."""
    stopped = await stop_case_activity(turn.session, case)
    if stopped.meetings_flagged:
        services = turn.services
        turn.later(lambda: cancel_pending_meetings(services))
    return stopped


@registry.verb(
    "case.new",
    "nytt ärende",
    "nytt sspf-ärende",
    "new case",
    resource="case",
    access="create",
    coordinator=True,
    personal=True,
    help_key="help.cmd.case_new",
)
async def new_case(turn: Turn) -> None:
    turn.show(new_case_form(turn.t, {"signal_on": turn.today.isoformat()}), summary=turn.t("case_form.title"))


@registry.verb(
    "case.create",
    resource="case",
    access="create",
    coordinator=True,
    personal=True,
    screens_personnummer=True,
)
async def create(turn: Turn) -> None:
    on = turn.today
    raw = {k: v for k, v in turn.data.items() if k not in CONTROL_KEYS}
    clean, errors = validate_new_case(raw, on, rules())
    field_errors: dict[str, Refusal] = dict(errors)

    signal_text = str(raw.get("signal_on") or "").strip()
    signal_on = parse_iso_date(signal_text) if signal_text else None
    if signal_text and signal_on is None:
        field_errors["signal_on"] = Refusal("case_form.signal_on_invalid")
    elif signal_on is not None and signal_on > on:
        field_errors["signal_on"] = Refusal("case_form.signal_on_future")

    tainted = personnummer_fields(turn)
    for name in tainted:
        field_errors[name] = personnummer_refusal(name)
    stray = tainted - set(FORM_FIELDS)
    if field_errors:
        kept = {k: v for k, v in raw.items() if k in FORM_FIELDS and k not in tainted}
        top = turn.t("case_form.personnummer_elsewhere") if stray else None
        turn.replace(new_case_form(turn.t, kept, texts_of(turn, field_errors), top_error=top))
        return

    case = await create_case(
        turn.session,
        tenant_id=turn.tenant_id,
        year=on.year,
        clean=clean,
        signal_on=signal_on,
        created_by=turn.user_id,
    )
    turn.audit("case", "create", case_id=case.id)
    turn.case = case
    turn.say("case.created", code=case.code)
    await show_case(turn, case, replace=True)


# --- mina ärenden / ärende SSPF-… ------------------------------------------------------------------------


@registry.verb(
    "case.list",
    "mina ärenden",
    "ärenden",
    "alla ärenden",
    "my cases",
    "cases",
    resource="case",
    access="list",
    personal=True,
    help_key="help.cmd.case_list",
)
async def list_cases(turn: Turn) -> None:
    cases, total = await cases_visible_to(
        turn.session, turn.tenant_id, turn.user_id, coordinator=turn.is_coordinator, limit=LIST_LIMIT
    )
    facts = await case_facts_many(
        turn.session,
        cases,
        tenant_id=turn.tenant_id,
        user_id=turn.user_id,
        coordinator=turn.is_coordinator,
        on=turn.today,
    )
    rows = []
    for c in cases:  # each row through the case policy: content only where the consent covers the viewer
        if case_content_allowed(facts[c.id]):
            turn.audit("case", "read", case_id=c.id, via="list")  # every case shown is a read of case data
            rows.append(CaseRow(c.id, c.code, c.status, c.track, c.initials, c.birth_year, c.school_area))
        else:  # the code and why, nothing about the child: not a read of its content
            rows.append(
                CaseRow(c.id, c.code, c.status, None, None, None, None, turn.t("access.withheld_row"))
            )
    turn.show(case_list_card(turn.t, rows, total=total, coordinator=turn.is_coordinator))


@registry.verb(
    "case.open",
    "ärende",
    "visa ärende",
    "case",
    "open case",
    resource="case",
    access="read",
    help_key="help.cmd.case_open",
    bare_case_code=True,
)
async def open_case(turn: Turn) -> None:
    assert turn.case is not None
    await show_case(turn, turn.case)


# --- avsluta ärende ---------------------------------------------------------------------------------------


@registry.verb(
    "case.close_form",
    "avsluta ärende",
    "close case",
    resource="case",
    access="read",
    coordinator=True,
    personal=True,
    help_key="help.cmd.case_close",
)
async def ask_close(turn: Turn) -> None:
    case = turn.case
    assert case is not None
    if case.status == CaseStatus.CLOSED.value:
        turn.say("case.already_closed")
        return
    turn.show(close_form(turn.t, case.id, case.code))


CLOSE_FORM_REFUSALS = ("case.close_reason_required", "case.close_reason_unknown")


@registry.verb(
    "case.close", resource="case", access="write", coordinator=True, personal=True, screens_personnummer=True
)
async def close(turn: Turn) -> None:
    case = turn.case
    assert case is not None
    outcome = change_case_status(
        CaseStatus(case.status), CaseStatus.CLOSED, str(turn.data.get("reason") or "")
    )
    if isinstance(outcome, Refusal) and outcome.key not in CLOSE_FORM_REFUSALS:
        turn.case_audit = "read"
        turn.say_text(refusal_text(turn.t, outcome))
        return
    answers, refusals = read_outcomes(turn.data)
    errors = {name: refusal_text(turn.t, refusal) for name, refusal in refusals.items()}
    if isinstance(outcome, Refusal):
        errors["reason"] = refusal_text(turn.t, outcome)
    for name in personnummer_fields(turn):
        errors[name] = refusal_text(turn.t, personnummer_refusal(name))
    if errors:
        turn.case_audit = "read"
        kept = {k: v for k, v in turn.data.items() if k not in errors}  # a refused value is not echoed
        turn.replace(close_form(turn.t, case.id, case.code, errors, kept))
        return
    assert not isinstance(outcome, Refusal)
    _, reason = outcome
    stopped = await stop_case(turn, case)
    await set_status(turn.session, case, CaseStatus.CLOSED, reason=reason.value if reason else None)
    year = turn.today.year
    await add_outcomes(turn.session, turn.tenant_id, year, {i.value: a for i, a in answers.items()})
    # how many questions were answered, never the answers: they exist only as anonymous counts
    turn.audit(
        "case",
        "update",
        status="closed",
        reason=reason.value if reason else None,
        outcomes_counted=len(answers),
    )
    turn.say_text(
        " ".join(filter(None, (turn.t("case.closed_done", code=case.code), stopped_text(turn, stopped))))
    )
    members = await members_of(turn.session, case.id)
    notify_team(turn, case, (m.aad_object_id for m in members), "notice.case_closed")
    await show_case(turn, case, replace=True)


# --- vem har läst SSPF-… ----------------------------------------------------------------------------------


def one_line_per_turn(events: list[AuditEvent]) -> list[AuditEvent]:
    """A write leaves the middleware's generic row next to the flow's precise one ("registrerade ett
    samtycke"); the coordinator reads one line per action, so the generic row goes when a precise one
    of the same person, command and moment exists. The log itself keeps every row."""
    precise = {
        (e.actor_aad_id, e.verb, e.conversation_id, int(e.at.timestamp()))
        for e in events
        if e.entity != "case" or e.action not in ("read", "write")
    }
    return [
        e
        for e in events
        if not (
            e.entity == "case"
            and e.action in ("read", "write")
            and (e.actor_aad_id, e.verb, e.conversation_id, int(e.at.timestamp())) in precise
        )
    ]


@registry.verb(
    "case.audit",
    "vem har läst",
    "vem har läst ärende",
    "who has read",
    resource="case",
    access="read",
    coordinator=True,
    personal=True,
    help_key="help.cmd.case_audit",
)
async def who_has_read(turn: Turn) -> None:
    """The case's audit trail, a page at a time (Äldre/Nyare), every event with a human label."""
    case = turn.case
    assert case is not None
    page = turn.data.get("page")
    page = page if isinstance(page, int) and 0 <= page < 10_000 else 0
    total = await case_trail_size(turn.session, turn.tenant_id, case.id)
    page = min(page, max(total - 1, 0) // AUDIT_LIMIT)
    rows = await case_trail(
        turn.session, turn.tenant_id, case.id, limit=AUDIT_LIMIT, offset=page * AUDIT_LIMIT
    )
    events = one_line_per_turn(rows)
    people = {e.actor_aad_id for e in events} | {
        str(e.detail["to"])
        for e in events
        if e.entity == "reminder" and isinstance(e.detail, dict) and e.detail.get("to")
    }
    names = await display_names(turn.session, turn.tenant_id, people)
    lines = [
        turn.t(
            "audit_card.row",
            when=local_time(turn, e.at),
            who=_actor(turn, e, names),
            what=audit_label(turn.t, e, names),
        )
        for e in events
    ]
    first = page * AUDIT_LIMIT + 1 if rows else 0
    view = AuditPage(
        case_id=case.id,
        code=case.code,
        lines=lines,
        first=first,
        last=page * AUDIT_LIMIT + len(rows),
        total=total,
        page=page,
        older=(page + 1) * AUDIT_LIMIT < total,
    )
    if "page" in turn.data:
        turn.replace(audit_card(turn.t, view))
    else:
        turn.show(audit_card(turn.t, view))


def _actor(turn: Turn, event: AuditEvent, names: dict[str, str]) -> str:
    """Who did it: a person's name, the reminder service, the system; never "okänd användare (system:r)"."""
    actor = event.actor_aad_id
    if actor.startswith("system:"):
        return turn.t("audit.actor.reminders" if actor == "system:reminders" else "audit.actor.system")
    return names.get(actor) or turn.t("audit.unknown_person", aad=actor[:8])


def audit_label(t: Translator, event: AuditEvent, names: dict[str, str]) -> str:
    """What happened, in words: the (entity, action) label; else the action's plain verb; never a raw word."""
    if event.entity == "reminder" and event.action == "read":
        to = str((event.detail or {}).get("to") or "")
        return t("audit.reminder.read", to=names[to]) if to in names else t("audit.reminder.read_unknown")
    specific = f"audit.{event.entity}.{event.action}"
    if t.has(specific):
        return t(specific)
    generic = f"audit.{event.action}"
    return t(generic) if t.has(generic) else t("audit.update")
