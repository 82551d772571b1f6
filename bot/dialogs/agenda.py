"""Running the meeting: one agenda card in the meeting chat, walked through step by step by the chair,
ending in a protokoll and a handlingsplan.

The card uses Universal Actions (``Action.Execute``): every press answers with the presser's own
view of the card, and the one posted card is edited for everyone after each change (its activity id
is stored on the run). Moves are compare-and-set on the run's version; entries are per author and
agency, so people writing at once never overwrite each other. A press from an outdated card is not
applied: the presser gets the current card with their text kept and a short note.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from botbuilder.core import TurnContext
from sqlalchemy import select

from bot.cards.agenda import (
    DECISIONS,
    ENTRY_MAX,
    ActionView,
    AgendaView,
    CaseNotes,
    EntryView,
    agency_label,
    agenda_card,
    protokoll_card,
    setup_card,
)
from bot.middleware import refusal_view
from bot.proactive import card_message
from bot.protokoll import (
    FILE_VERB,
    consent_context_refusal,
    deliver_document,
    neutral_protokoll_view,
    protokoll_view,
    upload_document,
)
from bot.refusals import refusal_text
from bot.registry import registry
from bot.turn import Turn
from domain.access import Access, Resource, RunFacts, group_cases_visible, run_policy
from domain.actions import ActionStatus, change_action_status, responsible_refusal, validate_action
from domain.agencies import Agency
from domain.agenda import (
    AgendaConfigError,
    AgendaState,
    AgendaTemplate,
    MeetingType,
    StepKind,
    advance,
    back,
    end_agenda,
    get_template,
    load_templates,
    may_move_on,
)
from domain.choices import parse_choice, parse_iso_date
from domain.personnummer import contains_personnummer
from domain.refusal import Refusal
from store.models import AgendaRun, Coordinator, SspfCase
from store.queries import actions as action_q
from store.queries import agenda as q
from store.queries.access import find_case, is_coordinator, run_facts
from store.queries.agenda import consent_allows
from store.queries.consent import agencies_covered, consent_decision, individual_work_decision

log = logging.getLogger(__name__)
INDIVIDUAL_KINDS = frozenset({MeetingType.INDIVIDUELL.value, MeetingType.UPPFOLJNING.value})
FORM_FIELDS = ("entry", "agency", "decision", "next_on")
ACTION_FIELDS = ("a_kind", "a_text", "a_agency", "a_responsible", "a_due_on", "a_follow_up_on")


# --- small helpers --------------------------------------------------------------------------------


def _refusal_text(turn: Turn, refusal: Refusal) -> str:
    return refusal_text(turn.t, refusal)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _template(run: AgendaRun) -> AgendaTemplate:
    return get_template(run.template_key)


def _state(run: AgendaRun, template: AgendaTemplate) -> AgendaState:
    return AgendaState(
        template_key=run.template_key,
        step_index=run.step_index,
        version=run.version,
        ended=run.state == "ended",
        step_count=len(template.steps),
    )


async def _facts(turn: Turn, run: AgendaRun) -> RunFacts:
    """What ``domain.access`` decides this viewer's rights on ``run`` from (loaded by the store)."""
    return await run_facts(
        turn.session,
        run,
        tenant_id=turn.tenant_id,
        user_id=turn.user_id,
        coordinator=turn.is_coordinator,
        conversation_id=turn.conversation_id,
        on=turn.today,
    )


async def _may_chair(turn: Turn, run: AgendaRun) -> bool:
    """The rule is ``domain.access.run_policy`` (``domain.agenda.can_chair``, entitled within the consent)."""
    return run_policy(await _facts(turn, run), Access.CHAIR).allowed


async def _may_see_group_cases(turn: Turn, run: AgendaRun) -> bool:
    """``domain.access.group_cases_visible``: coordinators and the booked meeting's invited participants."""
    return group_cases_visible(await _facts(turn, run))


# --- who sees what: the one question the views ask ------------------------------------------------


async def may_see_content(turn: Turn, case: SspfCase) -> str | None:
    """May this turn's user see ``case``'s content (issue 12 §2)? None if so, else the reason
    (``store.queries.agenda.NOT_ON_TEAM`` …). Every view and the protokoll ask here and nowhere else,
    so pointing this at the shared access policy changes all of them."""
    return await q.content_refusal(
        turn.session, case, turn.user_id, coordinator=turn.is_coordinator, on=turn.today
    )


async def _viewer_refusal(turn: Turn, run: AgendaRun) -> str | None:
    """Why this viewer sees only the neutral card of ``run`` (a reason), or None: their view may carry
    the meeting's content. A chat member who is not a participant of the booked meeting sees the neutral
    card whatever else they are; for a case meeting the viewer must also be entitled to the case's
    content. A meeting started without a booking (the coordinator's setup card) has no participants:
    there the case's entitled team (a case meeting) or the coordinators (a group meeting) see it."""
    if turn.is_coordinator:
        return None
    if run.meeting_id:
        meeting = await q.get_meeting(turn.session, turn.tenant_id, run.meeting_id)
        if not await q.is_participant(turn.session, meeting, turn.user_id):
            return q.NOT_PARTICIPANT
    elif not run.case_id:
        return q.NOT_PARTICIPANT
    if run.case_id:
        case = await _case(turn, run.case_id)
        if case is None:
            return q.NOT_ON_TEAM
        return await may_see_content(turn, case)
    return None


def _withheld_text(turn: Turn, reason: str) -> str:
    return turn.t(f"agenda.view.{reason}")


def _teams_user_id(turn: Turn) -> str:
    sender = turn.activity.from_property
    return (sender.id if sender else None) or turn.user_id


async def _case(turn: Turn, case_id: str | None) -> SspfCase | None:
    return await find_case(turn.session, turn.tenant_id, case_id=case_id) if case_id else None


async def _note_me(turn: Turn, run: AgendaRun, agency: str | None = None) -> None:
    await q.note_attendee(
        turn.session,
        run_id=run.id,
        aad_object_id=turn.user_id,
        teams_user_id=_teams_user_id(turn),
        display_name=turn.user_name,
        agency=agency,
    )


def _kept_inputs(turn: Turn, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """What the user typed, to put back on the card (never lost on an error or a stale press)."""
    keep = {}
    for key, value in turn.data.items():
        if key in ("verb", "run_id", "version", "step_key", "nonce", "action_id", "status", "case_id"):
            continue
        if names is not None and key not in names and not key.startswith(("note_", "comment_")):
            continue
        if isinstance(value, str) and value.strip():
            keep[key] = value
    return keep


# --- building the views ---------------------------------------------------------------------------


async def build_view(
    turn: Turn,
    run: AgendaRun,
    *,
    for_viewer: bool,
    note: str | None = None,
    kept: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> AgendaView:
    """The agenda card's view: ``for_viewer`` False is the neutral card posted in the chat (no case
    content, ever); True is this turn's user's own view, with the content only if they are entitled
    (``_viewer_refusal``), else the neutral card and why. ``view.shown_case_ids`` says which cases'
    content the view holds (for the audit row written when it is shown)."""
    template = _template(run)
    case = await _case(turn, run.case_id)
    view = AgendaView(
        run_id=run.id,
        version=run.version,
        title=template.title,
        case_code=case.code if case else None,
        steps=list(template.steps),
        step_index=run.step_index,
        ended=run.state == "ended",
        note=note,
        kept=kept or {},
        errors=errors or {},
    )
    attendees = await q.attendees_of_run(turn.session, run.id)
    view.user_ids = [a.teams_user_id for a in attendees]
    refusal = await _viewer_refusal(turn, run) if for_viewer else None
    if not for_viewer or refusal is not None:
        view.neutral = True
        view.kept = {}
        view.withheld = _withheld_text(turn, refusal) if refusal else None
        await _contributors(turn, run, view)
        return view
    me = turn.user_id
    view.viewer_agency = await q.known_agency(turn.session, run, turn.user_id)
    view.is_chair = await _may_chair(turn, run)
    step = view.step
    if step is None:
        return view
    entries = await q.entries_of_run(turn.session, run.id)
    view.entries = [
        EntryView(e.agency, e.author_name, e.text, mine=e.author_aad_id == me)
        for e in entries
        if e.step_key == step.key
    ]
    shown = bool(view.entries) and step.kind is not StepKind.CONFIRM
    if step.kind is StepKind.INDIVIDUAL_CASES:
        if not await _may_see_group_cases(turn, run):
            view.cases_withheld = True
            return view
        listed = await q.consented_cases(
            turn.session, turn.tenant_id, turn.today, page=_int(turn.data.get("cases_page")) or 0
        )
        view.cases_page, view.cases_pages, view.cases_total = listed.page, listed.pages, listed.total
        refusals = await q.content_refusals(
            turn.session, listed.cases, turn.user_id, coordinator=turn.is_coordinator, on=turn.today
        )
        for c in listed.cases:
            if refusals[c.id] is not None:
                view.cases.append(CaseNotes(c.id, c.code, allowed=False))
                continue
            key = f"{step.key}#{c.id}"
            notes = [
                EntryView(e.agency, e.author_name, e.text, mine=e.author_aad_id == me)
                for e in entries
                if e.step_key == key
            ]
            view.cases.append(CaseNotes(c.id, c.code, notes))
            if notes:
                view.shown_case_ids.append(c.id)
    elif step.kind is StepKind.ACTION_REVIEW:
        view.review_actions = [ActionView.of(a) for a in await action_q.actions_to_review(turn.session, run)]
        shown = shown or bool(view.review_actions)
    elif step.kind is StepKind.NEW_ACTIONS:
        view.new_actions = [ActionView.of(a) for a in await action_q.actions_of_run(turn.session, run.id)]
        view.team, view.team_more = await _people_choices(turn, run)
        shown = shown or bool(view.new_actions)
    elif step.kind is StepKind.CONFIRM and case is not None:
        if (await consent_decision(turn.session, case.id, [], turn.today)).allowed:
            covered = await agencies_covered(turn.session, case.id, turn.today)
            view.consent_agencies = sorted(a.value for a in covered)
    if shown:
        view.shown_case_ids.insert(0, run.case_id)  # None: a group meeting's general notes
    return view


async def _contributors(turn: Turn, run: AgendaRun, view: AgendaView) -> None:
    """Which agencies have written at the current step (the neutral card says who, never what)."""
    step = view.step
    if step is None:
        return
    agencies = {
        e.agency
        for e in await q.entries_of_run(turn.session, run.id)
        if (e.step_key == step.key or e.step_key.startswith(step.key + "#")) and e.agency != "annan"
    }
    if step.kind is StepKind.NEW_ACTIONS:
        agencies |= {a.agency for a in await action_q.actions_of_run(turn.session, run.id)}
    if step.kind is StepKind.CONFIRM:
        agencies = set()
    view.contributors = sorted(agencies)


def _audit_view(turn: Turn, run: AgendaRun, shown: list[str | None], card: str) -> None:
    """One row per case whose content a delivered view showed: who (the turn's user), which case, when
    (the row's time), which card, and whether Teams asked by itself (refresh) or the person pressed."""
    value = turn.activity.value if isinstance(turn.activity.value, dict) else {}
    trigger = value.get("trigger") if isinstance(value.get("trigger"), str) else None
    for case_id in dict.fromkeys(shown):
        turn.audit(
            "case_content",
            "read",
            case_id=case_id,
            run_id=run.id,
            card=card,
            step=_template(run).steps[run.step_index].key if card == "agenda" else None,
            trigger=trigger,
        )


async def viewer_card(
    turn: Turn,
    run: AgendaRun,
    *,
    note: str | None = None,
    kept: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """This user's own agenda card, audited: call only when it is delivered to them."""
    view = await build_view(turn, run, for_viewer=True, note=note, kept=kept, errors=errors)
    _audit_view(turn, run, view.shown_case_ids, "agenda")
    return agenda_card(turn.t, view)


async def protokoll_viewer_card(turn: Turn, run: AgendaRun) -> dict[str, Any]:
    """This user's own protokoll, audited: the content for the entitled, the neutral copy and why for
    everyone else. The Word document stays with the coordinator (its button is on their view only)."""
    tz = turn.services.settings.tz
    refusal = await _viewer_refusal(turn, run)
    if refusal is not None:
        view = await neutral_protokoll_view(
            turn.session, turn.t, run, tz=tz, withheld=_withheld_text(turn, refusal)
        )
        return protokoll_card(turn.t, view)
    allowed: set[str] | None = None
    if not turn.is_coordinator and run.case_id is None:
        day = run.started_at.astimezone(tz).date()
        noted = await _noted_cases(turn, run, day)
        refusals = await q.content_refusals(
            turn.session, noted, turn.user_id, coordinator=False, on=turn.today
        )
        allowed = {c.id for c in noted if refusals[c.id] is None}
    view = await protokoll_view(turn.session, turn.t, run, tz=tz, allowed_cases=allowed)
    _audit_view(turn, run, view.shown_case_ids, "protokoll")
    return protokoll_card(turn.t, view, with_document_button=turn.is_coordinator)


async def _noted_cases(turn: Turn, run: AgendaRun, day: date) -> list[SspfCase]:
    """The consented cases a group meeting's individnivå holds notes on (not the tenant's whole list)."""
    ids = {
        e.step_key.split("#", 1)[1] for e in await q.entries_of_run(turn.session, run.id) if "#" in e.step_key
    }
    codes = await q.consented_codes(turn.session, turn.tenant_id, ids, day)
    if not codes:
        return []
    return list(await turn.session.scalars(select(SspfCase).where(SspfCase.id.in_(list(codes)))))


async def _responsible_pool(turn: Turn, run: AgendaRun) -> dict[str, tuple[str, str | None]]:
    """Who may be named responsible for an action: the case's team, the booked meeting's invited
    participants (not whoever pressed the card: an attendee is anyone in the chat)."""
    people: dict[str, tuple[str, str | None]] = {}
    if run.case_id:
        for m in await q.case_team(turn.session, run.case_id):
            people[m.aad_object_id] = (m.display_name, m.agency)
    if run.meeting_id:
        for p in await q.meeting_people(turn.session, run.meeting_id):
            if p.aad_object_id and p.aad_object_id not in people:
                people[p.aad_object_id] = (p.display_name, p.agency)
    return people


# Ready choices on the owner picker: the case team first, then the meeting's invitees, then coordinators
# present, up to this many; the people search finds everyone else (issue 16: listing every invited person
# made a 67 KB card at 1,000 people). About 70 bytes a choice: 30 keep the agenda card far under 28 KB.
OWNER_CHOICES_MAX = 30


async def _people_choices(turn: Turn, run: AgendaRun) -> tuple[list[tuple[str, str]], int]:
    """At most ``OWNER_CHOICES_MAX`` ready choices next to the people search, and how many more may be
    named (found by searching). The person already picked on a card shown again stays among them."""
    people = await _responsible_pool(turn, run)
    if len(people) < OWNER_CHOICES_MAX:
        present = {a.aad_object_id: a for a in await q.attendees_of_run(turn.session, run.id)}
        others = [aad for aad in present if aad not in people]
        if others:  # one query for all of them, not one per attendee
            coordinators = set(
                await turn.session.scalars(
                    select(Coordinator.aad_object_id).where(
                        Coordinator.tenant_id == turn.tenant_id, Coordinator.aad_object_id.in_(others)
                    )
                )
            )
            for aad in others:
                if aad in coordinators:
                    people[aad] = (present[aad].display_name, present[aad].agency)
    chosen = list(people)[:OWNER_CHOICES_MAX]
    kept = turn.data.get("a_responsible")
    if isinstance(kept, str) and kept in people and kept not in chosen:
        chosen.append(kept)
    choices = [
        (aad, f"{name} ({agency_label(turn.t, agency)})" if agency else name)
        for aad in chosen
        for name, agency in (people[aad],)
    ]
    return choices, len(people) - len(chosen)


async def _responsible(turn: Turn, run: AgendaRun, aad_id: str) -> tuple[Refusal | None, str]:
    """Whether ``aad_id`` may be made responsible (``domain.actions.responsible_refusal``), and their name."""
    people = await _responsible_pool(turn, run)
    allowed = set(people)
    name = people[aad_id][0] if aad_id in people else ""
    if aad_id not in allowed and await is_coordinator(turn.session, turn.tenant_id, aad_id):
        allowed.add(aad_id)
        attendees = {a.aad_object_id: a.display_name for a in await q.attendees_of_run(turn.session, run.id)}
        name = attendees.get(aad_id) or turn.t("agenda.picked_person")
    return responsible_refusal(aad_id, allowed), name


async def _case_gate(turn: Turn, run: AgendaRun) -> str | None:
    """Nothing new is recorded about a closed case, nor about one whose consent was withdrawn (paused),
    even while an agenda started before that is still running. The Swedish reason, or None."""
    if not run.case_id:
        return None
    case = await _case(turn, run.case_id)
    if case is None:
        return turn.t("access.case_unavailable")
    decision = await individual_work_decision(turn.session, case, [], turn.today)
    if decision.allowed:
        return None
    if case.status == "open" and not decision.must_pause and run.template_key not in INDIVIDUAL_KINDS:
        return None  # a meeting that is not individual-level about an open case needs no consent
    turn.audit("case", "denied", case_id=case.id, run_id=run.id, reason=f"case_{case.status}")
    return " ".join(_refusal_text(turn, r) for r in decision.refusals)


# --- answering ------------------------------------------------------------------------------------


async def _update_posted(turn: Turn, activity_id: str, card: dict[str, Any]) -> None:
    activity = card_message(card)
    ref = TurnContext.get_conversation_reference(turn.activity)
    activity = TurnContext.apply_conversation_reference(activity, ref)
    activity.id = activity_id
    try:
        await turn.context.update_activity(activity)
    except Exception:  # the card is still right for whoever pressed; others refresh on open
        log.exception("could not update the posted agenda card %s", activity_id)


async def answer(
    turn: Turn,
    run: AgendaRun,
    *,
    changed: bool,
    note: str | None = None,
    kept: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> None:
    """The presser's own view as the answer; after a real change the posted card for everyone too."""
    if changed and run.card_activity_id:
        everyone = agenda_card(turn.t, await build_view(turn, run, for_viewer=False))
        activity_id = run.card_activity_id
        turn.later(lambda: _update_posted(turn, activity_id, everyone))
    if turn.is_invoke:
        turn.replace(await viewer_card(turn, run, note=note, kept=kept, errors=errors))
    elif note and not turn.data.get("from_event"):  # Teams' own events get no chatter in the chat
        turn.say_text(note)


def _post_card(turn: Turn, run_id: str, card: dict[str, Any], *, summary: str) -> None:
    """Post the agenda card and remember its id, so later changes edit this one message."""

    async def post() -> None:
        response = await turn.context.send_activity(card_message(card, summary=summary))
        if response is not None and response.id:
            async with turn.services.db.transaction() as session:
                await q.set_card_activity(session, run_id, response.id)

    turn.later(post)


async def _run_from_press(turn: Turn) -> AgendaRun | None:
    """The run the access gate resolved from the press (``resource="agenda_run"``): this tenant's, in
    this chat, and the presser allowed the route's access by ``domain.access.run_policy``."""
    return turn.run


@refusal_view(Resource.AGENDA_RUN)
async def _refused(turn: Turn, text: str) -> None:
    """A refused press gets the presser's own card back with the reason, their entries kept."""
    run = turn.run
    if run is None or run.conversation_id != turn.conversation_id:
        turn.say_text(text)
        return
    await _note_me(turn, run)
    await answer(turn, run, changed=False, note=text, kept=_kept_inputs(turn))


# --- starting -------------------------------------------------------------------------------------


@registry.verb(
    "meeting.start",
    "starta mötet",
    "starta möte",
    "start meeting",
    "starta dagordningen",
    resource="meeting",
    access="read",
    from_chat=True,
    help_key="agenda.help.start",
)
async def start_meeting(turn: Turn) -> None:
    """meetingStart from Teams or `starta mötet`: the chat's agenda, started once."""
    from_event = bool(turn.data.get("from_event"))
    if turn.conversation_kind != "groupChat":
        if not from_event:
            turn.say("agenda.only_in_meeting_chat")
        return
    running = await q.running_run(turn.session, turn.tenant_id, turn.conversation_id)
    if running is not None:
        if from_event and running.card_activity_id:
            return  # Teams told us again; the card is already in the chat
        await _repost(turn, running)
        return
    meeting = turn.meeting  # the chat's booked meeting, resolved and decided by the access gate
    if meeting is None or meeting.kind not in load_templates():
        # No booked meeting behind this chat: only a coordinator may start one here, explicitly.
        if turn.is_coordinator:
            turn.show(await _setup_card(turn), summary=turn.t("agenda.setup_title"))
            return
        turn.audit("agenda", "denied", reason="no_booked_meeting")
        if not from_event:
            turn.say("agenda.needs_booked_meeting")
        return
    await _start(
        turn,
        template_key=meeting.kind,
        case_id=meeting.case_id,
        meeting_id=meeting.id,
        chair=meeting.organizer_aad_id,
    )


async def _setup_card(turn: Turn, **kw: Any) -> dict[str, Any]:
    templates = [(key, tpl.title) for key, tpl in load_templates().items()]
    cases = await q.cases_for_user(turn.session, turn.tenant_id, turn.user_id, turn.is_coordinator)
    return setup_card(turn.t, templates, [(c.id, c.code) for c in cases], **kw)


@registry.verb("agenda.setup", resource="meeting", access="write", from_chat=True, coordinator=True)
async def setup_meeting(turn: Turn) -> None:
    """The choice on the setup card: which meeting type, about which case (optional). Only a coordinator
    starts an agenda in a chat no booked meeting points at (and so chairs it)."""
    kept = _kept_inputs(turn, ("meeting_type", "case_id"))
    kept.update({k: turn.data[k] for k in ("case_id",) if isinstance(turn.data.get(k), str)})
    errors: dict[str, str] = {}
    template_key = str(turn.data.get("meeting_type") or "")
    if template_key not in load_templates():
        errors["meeting_type"] = turn.t("agenda.setup_type_required")
    case_id = str(turn.data.get("case_id") or "") or None
    case = None
    if case_id:  # a coordinator's choice (the route is theirs): an id not of this tenant was forged
        case = await _case(turn, case_id)
        if case is None:
            turn.audit("case", "denied", case_id=None, asked_id=case_id[:40])
            errors["case_id"] = turn.t("access.case_unavailable")
    if template_key in INDIVIDUAL_KINDS and case is None and "case_id" not in errors:
        errors["case_id"] = turn.t("agenda.setup_case_required")
    if errors:
        turn.replace(await _setup_card(turn, kept=kept, errors=errors))
        return
    running = await q.running_run(turn.session, turn.tenant_id, turn.conversation_id)
    if running is not None:
        await _repost(turn, running)
        return
    await _start(
        turn,
        template_key=template_key,
        case_id=case.id if case else None,
        meeting_id=None,
        chair=turn.user_id,
        in_place=True,
    )


async def _start(
    turn: Turn,
    *,
    template_key: str,
    case_id: str | None,
    meeting_id: str | None,
    chair: str,
    in_place: bool = False,
) -> None:
    try:
        template = get_template(template_key)
    except AgendaConfigError:
        log.exception("no agenda template for %s", template_key)
        turn.say("error.unexpected")
        return
    case = await _case(turn, case_id)
    if case is not None:
        refusal = await _case_refusal(turn, case, template_key)
        if refusal is not None:
            turn.say_text(refusal)
            return
    run, created = await q.start_run(
        turn.session,
        tenant_id=turn.tenant_id,
        meeting_id=meeting_id,
        case_id=case_id,
        conversation_id=turn.conversation_id,
        template_key=template.key,
        step_index=0,
        version=1,
        state="running",
        chair_aad_id=chair or turn.user_id,
    )
    if not created:
        await _repost(turn, run)
        return
    await _note_me(turn, run, await q.known_agency(turn.session, run, turn.user_id))
    turn.audit("agenda", "create", case_id=case_id, run_id=run.id, template=template.key)
    everyone = agenda_card(turn.t, await build_view(turn, run, for_viewer=False))
    if in_place and turn.is_invoke and turn.activity.reply_to_id:
        # the setup card becomes the agenda card, for everyone
        await q.set_card_activity(turn.session, run.id, turn.activity.reply_to_id)
        message_id = turn.activity.reply_to_id
        turn.later(lambda: _update_posted(turn, message_id, everyone))
        turn.replace(await viewer_card(turn, run))
        return
    _post_card(turn, run.id, everyone, summary=template.title)
    if turn.is_invoke:
        turn.replace(await viewer_card(turn, run))


async def _case_refusal(turn: Turn, case: SspfCase, template_key: str) -> str | None:
    """No individual-level meeting without consent, and nothing at all once the family withdrew."""
    if case.status != "open":
        return turn.t("agenda.case_not_open", code=case.code)
    decision = await consent_decision(turn.session, case.id, [], turn.today)
    if not decision.allowed and (template_key in INDIVIDUAL_KINDS or decision.must_pause):
        reasons = " ".join(_refusal_text(turn, r) for r in decision.refusals)
        return turn.t("agenda.no_consent", code=case.code, reasons=reasons)
    return None


async def _repost(turn: Turn, run: AgendaRun) -> None:
    """Start asked again while running: the current card, never a second run."""
    await _note_me(turn, run)
    everyone = agenda_card(turn.t, await build_view(turn, run, for_viewer=False))
    if turn.is_invoke:
        await answer(turn, run, changed=False, note=turn.t("agenda.already_running"))
        return
    _post_card(turn, run.id, everyone, summary=_template(run).title)


# --- following along ------------------------------------------------------------------------------


@registry.verb(
    "agenda.refresh",
    resource="agenda_run",
    access="read",
    idempotent=False,
    because="Teams sends the same refresh for every viewer and every time the chat is opened",
)
async def refresh(turn: Turn) -> None:
    """The viewer's own view of the agenda card or the protokoll: Teams asks for it by itself for the
    card's ``refresh.userIds`` (trigger "automatic") when they see the card, and on "Visa för mig" or
    Teams' "Uppdatera kort" (trigger "manual"). Computed for this viewer; audited when it shows content."""
    run = await _run_from_press(turn)
    if run is None:
        return
    if await _viewer_refusal(turn, run) is None:
        await _note_me(turn, run)  # present: their view refreshes by itself from now on
    if turn.data.get("card") == "protokoll" and run.state == "ended":
        turn.replace(await protokoll_viewer_card(turn, run))
        return
    await answer(turn, run, changed=False)


# --- the chair moves the agenda -------------------------------------------------------------------


async def _move(turn: Turn, how: str) -> None:
    run = await _run_from_press(turn)
    if run is None:
        return
    version = _int(turn.data.get("version"))
    await _note_me(turn, run)  # the gate refused whoever may not chair (domain.access.run_policy)
    await _apply_move(turn, run, how, version)


async def _apply_move(turn: Turn, run: AgendaRun, how: str, version: int | None) -> None:
    template = _template(run)
    state = _state(run, template)
    if version is None or run.state == "ended":
        new = state
    else:
        new = {"next": advance, "back": back, "end": end_agenda}[how](state, version)
    if how == "next" and new != state and not await _confirmed(turn, run, template):
        await answer(turn, run, changed=False, note=turn.t("agenda.confirm_first"), kept=_kept_inputs(turn))
        return
    if new == state or not await q.move_run(
        turn.session, run, expected_version=version or 0, step_index=new.step_index, ended=new.ended
    ):
        note = turn.t("agenda.ended_note") if run.state == "ended" else turn.t("agenda.stale_card")
        await answer(turn, run, changed=False, note=note, kept=_kept_inputs(turn))
        return
    turn.audit("agenda", "update", case_id=run.case_id, run_id=run.id, move=how, version=run.version)
    if run.state == "ended":
        await _finish(turn, run)
        return
    await answer(turn, run, changed=True)


async def _confirmed(turn: Turn, run: AgendaRun, template: AgendaTemplate) -> bool:
    """Whether the step on screen may be left with Nästa (a step that asserts something needs its
    confirmation: ``domain.agenda.may_move_on``)."""
    step = template.steps[run.step_index]
    if not step.must_confirm:
        return True
    entries = await q.entries_of_run(turn.session, run.id)
    return may_move_on(step, any(e.step_key == step.key for e in entries))


@registry.verb("agenda.next", resource="agenda_run", access="chair")
async def next_step(turn: Turn) -> None:
    await _move(turn, "next")


@registry.verb("agenda.back", resource="agenda_run", access="chair")
async def previous_step(turn: Turn) -> None:
    await _move(turn, "back")


@registry.verb("agenda.end", resource="agenda_run", access="chair")
async def end_from_card(turn: Turn) -> None:
    await _move(turn, "end")


@registry.verb(
    "meeting.end",
    "avsluta mötet",
    "avsluta motet",
    "end meeting",
    resource="agenda_run",
    access="chair",
    from_chat=True,
    help_key="agenda.help.end",
)
async def end_meeting(turn: Turn) -> None:
    """meetingEnd from Teams, or the chair's `avsluta mötet`: the protokoll, once."""
    from_event = bool(turn.data.get("from_event"))
    run = turn.run  # the chat's running agenda; the gate refused whoever may not chair it
    if run is None:
        if not from_event:
            turn.say("agenda.nothing_running")
        return
    await _apply_move(turn, run, "end", run.version)


async def _finish(turn: Turn, run: AgendaRun) -> None:
    """The meeting ended: the card says so, and the protokoll's neutral copy is posted in the chat; its
    content is in each entitled person's own view of that copy (refresh, or "Visa för mig")."""
    view = await neutral_protokoll_view(turn.session, turn.t, run, tz=turn.services.settings.tz)
    card = protokoll_card(turn.t, view)
    turn.show(card, summary=turn.t("agenda.protokoll_title", title=view.title))
    turn.audit("agenda", "update", case_id=run.case_id, run_id=run.id, ended=True)
    await answer(turn, run, changed=True, note=turn.t("agenda.protokoll_posted") if turn.is_invoke else None)


# --- what participants write ----------------------------------------------------------------------


def _stale(turn: Turn, run: AgendaRun) -> bool:
    step_key = turn.data.get("step_key")
    if run.state == "ended":
        return True
    current = _template(run).steps[run.step_index].key
    return _int(turn.data.get("version")) != run.version or step_key != current


@registry.verb("agenda.entry", resource="agenda_run", access="write")
async def save_entry(turn: Turn) -> None:
    """A participant's part for the current step: saved per author and agency."""
    run = await _run_from_press(turn)
    if run is None:
        return
    kept = _kept_inputs(turn)
    if _stale(turn, run):
        await _note_me(turn, run)
        key = "agenda.ended_not_saved" if run.state == "ended" else "agenda.stale_not_saved"
        await answer(turn, run, changed=False, note=turn.t(key), kept=kept)
        return
    step = _template(run).steps[run.step_index]
    # the gate decided on the run's case, or on the case an individnivå part names (domain.access)
    case_id = turn.data.get("case_id") if step.kind is StepKind.INDIVIDUAL_CASES else None
    gate = await _case_gate(turn, run)
    if gate is not None:
        await answer(turn, run, changed=False, note=gate, kept=kept)
        return
    errors: dict[str, str] = {}
    agency = await q.known_agency(turn.session, run, turn.user_id)
    if agency is None:
        chosen = parse_choice(Agency, str(turn.data.get("agency") or ""))
        agency = chosen.value if chosen else None
    text, step_key = "", step.key

    if step.kind in (StepKind.AGENCY_TEXT, StepKind.FREE_TEXT):
        text = _clean(turn, "entry", errors)
        if agency is None:
            errors["agency"] = turn.t("agenda.agency_required")
        if run.case_id and agency and "entry" not in errors and text:
            if not await consent_allows(turn.session, run.case_id, [agency], turn.today):
                errors["entry"] = turn.t("agenda.agency_not_in_consent", agency=agency_label(turn.t, agency))
    elif step.kind is StepKind.INDIVIDUAL_CASES:
        listed = (
            await q.consented_case(turn.session, turn.tenant_id, case_id, turn.today)
            if isinstance(case_id, str)
            else None
        )
        if listed is None:
            await answer(turn, run, changed=False, note=turn.t("agenda.case_not_listed"), kept=kept)
            return
        field = f"note_{case_id}"
        text = _clean(turn, field, errors)
        step_key = f"{step.key}#{case_id}"
        if agency is None:
            errors["agency"] = turn.t("agenda.agency_required")
        elif text and not await consent_allows(turn.session, case_id, [agency], turn.today):
            errors[field] = turn.t("agenda.agency_not_in_consent", agency=agency_label(turn.t, agency))
    elif step.kind is StepKind.NEXT_MEETING:
        raw = str(turn.data.get("next_on") or "").strip()
        proposed = parse_iso_date(raw) if raw else None
        if raw and proposed is None:
            errors["next_on"] = turn.t("action.date_invalid")
        elif proposed is not None and proposed < turn.today:
            errors["next_on"] = turn.t("agenda.next_in_past")
        text = proposed.isoformat() if proposed else ""
    elif step.kind is StepKind.DECISION:
        comment = _clean(turn, "entry", errors)
        choice = str(turn.data.get("decision") or "")
        if run.case_id:
            if choice not in DECISIONS:
                errors["decision"] = turn.t("agenda.decision_required")
            text = choice + (f"\n{comment}" if comment else "")
        else:
            text = comment
        if not await _may_chair(turn, run):
            await answer(turn, run, changed=False, note=turn.t("agenda.only_chair_decides"), kept=kept)
            return
    else:  # confirm: the chair confirms purpose and consent
        if not await _may_chair(turn, run):
            await answer(turn, run, changed=False, note=turn.t("agenda.only_chair_decides"), kept=kept)
            return
        text = "bekräftat"
    agency = agency or "annan"
    await _note_me(turn, run, agency if agency != "annan" else None)
    if errors:
        await answer(turn, run, changed=False, note=turn.t("agenda.fix_errors"), kept=kept, errors=errors)
        return
    await q.save_entry(
        turn.session,
        run_id=run.id,
        step_key=step_key,
        agency=agency,
        author_aad_id=turn.user_id,
        author_name=turn.user_name,
        text=text,
    )
    turn.audit("agenda_entry", "update", case_id=case_id or run.case_id, run_id=run.id, step=step.key)
    await answer(turn, run, changed=True)


def _clean(turn: Turn, field: str, errors: dict[str, str]) -> str:
    raw = str(turn.data.get(field) or "")
    text = raw.strip()
    if contains_personnummer(text):
        errors[field] = turn.t("privacy.personnummer_refused")
        return ""
    if len(text) > ENTRY_MAX:
        errors[field] = turn.t("agenda.entry_too_long", max=ENTRY_MAX, length=len(text))
        return ""
    return text


# --- the handlingsplan ----------------------------------------------------------------------------


@registry.verb("agenda.action_add", resource="agenda_run", access="write")
async def add_action(turn: Turn) -> None:
    """A new line of the handlingsplan, validated on the card with everything typed kept."""
    run = await _run_from_press(turn)
    if run is None:
        return
    kept = _kept_inputs(turn, ACTION_FIELDS)
    if _stale(turn, run):
        key = "agenda.ended_not_saved" if run.state == "ended" else "agenda.stale_not_saved"
        await answer(turn, run, changed=False, note=turn.t(key), kept=kept)
        return
    gate = await _case_gate(turn, run)
    if gate is not None:
        await answer(turn, run, changed=False, note=gate, kept=kept)
        return
    await _note_me(turn, run)
    raw = {name[2:]: turn.data.get(name) for name in ACTION_FIELDS}
    clean, refusals = validate_action(raw, turn.today)
    errors = {f"a_{name}": _refusal_text(turn, r) for name, r in refusals.items()}
    responsible = str(clean.get("responsible") or "")
    name = ""
    if responsible:
        refusal, name = await _responsible(turn, run, responsible)
        if refusal is not None:
            errors["a_responsible"] = _refusal_text(turn, refusal)
            turn.audit(
                "action", "denied", case_id=run.case_id, run_id=run.id, reason="responsible_not_entitled"
            )
    if run.case_id and "agency" in clean and "a_agency" not in errors:
        if not await consent_allows(turn.session, run.case_id, [clean["agency"].value], turn.today):
            errors["a_agency"] = turn.t(
                "agenda.agency_not_in_consent", agency=agency_label(turn.t, clean["agency"])
            )
    if errors:
        await answer(turn, run, changed=False, note=turn.t("agenda.fix_errors"), kept=kept, errors=errors)
        return
    text = clean.get("text") or ""  # without text the kind says it, in each reader's language
    item = await action_q.create_action(
        turn.session,
        tenant_id=turn.tenant_id,
        case_id=run.case_id,
        run_id=run.id,
        kind=clean["kind"].value,
        text=text,
        agency=clean["agency"].value,
        responsible_aad_id=responsible,
        responsible_name=name,
        due_on=clean["due_on"],
        follow_up_on=clean.get("follow_up_on"),
        created_by=turn.user_id,
    )
    turn.audit("action", "create", case_id=run.case_id, action_id=item.id, run_id=run.id)
    await answer(turn, run, changed=True, note=turn.t("agenda.action_added"))


@registry.verb("agenda.action_remove", resource="agenda_run", access="write")
async def remove_action(turn: Turn) -> None:
    run = await _run_from_press(turn)
    if run is None:
        return
    item = await action_q.get_action(turn.session, turn.tenant_id, str(turn.data.get("action_id") or ""))
    if item is None or item.run_id != run.id or run.state != "running":
        await answer(turn, run, changed=False, note=turn.t("agenda.action_gone"))
        return
    if not (item.created_by == turn.user_id or await _may_chair(turn, run)):
        await answer(turn, run, changed=False, note=turn.t("agenda.only_chair_or_author"))
        return
    await action_q.remove_action(turn.session, item)
    turn.audit("action", "delete", case_id=run.case_id, action_id=item.id, run_id=run.id)
    await answer(turn, run, changed=True)


@registry.verb("agenda.action_status", resource="agenda_run", access="write")
async def review_action(turn: Turn) -> None:
    """klar / pågår / kan inte genomföras for an action from an earlier meeting."""
    run = await _run_from_press(turn)
    if run is None:
        return
    kept = _kept_inputs(turn)
    if run.state == "ended":
        await answer(turn, run, changed=False, note=turn.t("agenda.ended_not_saved"), kept=kept)
        return
    gate = await _case_gate(turn, run)
    if gate is not None:
        await answer(turn, run, changed=False, note=gate, kept=kept)
        return
    await _note_me(turn, run)
    action_id = str(turn.data.get("action_id") or "")
    reviewable = {a.id: a for a in await action_q.actions_to_review(turn.session, run)}
    item = reviewable.get(action_id)
    target = parse_choice(ActionStatus, str(turn.data.get("status") or ""))
    if item is None or target is None:
        await answer(turn, run, changed=False, note=turn.t("agenda.action_gone"), kept=kept)
        return
    field = f"comment_{item.id}"
    comment = str(turn.data.get(field) or "").strip()[:ENTRY_MAX]
    result = change_action_status(ActionStatus(item.status), target, comment)
    if isinstance(result, Refusal):
        errors = {field: _refusal_text(turn, result)}
        await answer(turn, run, changed=False, note=turn.t("agenda.fix_errors"), kept=kept, errors=errors)
        return
    expected = _int(turn.data.get("action_version")) or item.version
    if not await action_q.set_action_status(
        turn.session, item, result.value, comment, expected_version=expected
    ):
        await answer(turn, run, changed=False, note=turn.t("agenda.action_changed_meanwhile"), kept=kept)
        return
    turn.audit("action", "update", case_id=item.case_id, action_id=item.id, status=result.value)
    await answer(turn, run, changed=True)


# --- the record -----------------------------------------------------------------------------------


@registry.verb("agenda.document", resource="document", access="read", coordinator=True)
async def document_from_card(turn: Turn) -> None:
    """The protokoll card's button: the handlingsplan as a Word file, for the coordinator only (the gate:
    ``domain.access.document_policy``)."""
    run = turn.run
    if run is None or run.state != "ended":
        turn.say("agenda.run_unknown")
        return
    await deliver_document(turn, run)


@registry.verb(
    FILE_VERB,
    resource="document",
    access="write",
    coordinator=True,
    personal=True,
    idempotent=False,
    because="Teams' file consent answer carries no nonce; the MAC'd context says which card it was",
)
async def document_accepted(turn: Turn) -> None:
    """Yes on the file consent card: upload the handlingsplan to the coordinator's OneDrive.

    Nothing in the invoke is trusted as is: Teams hands back the card's context, which the sender can
    write. The context carries a MAC (``bot.protokoll``) over the run, the tenant and the user the card
    was made for, checked against *this* turn's user; the upload URL must be https on the tenant's
    SharePoint/OneDrive hosts (``bot.files.upload_url_allowed``)."""
    run_id = str(turn.data.get("run_id") or "")
    refusal = consent_context_refusal(
        turn.services.settings, turn.data, tenant_id=turn.tenant_id, user_id=turn.user_id
    )
    run = await q.get_run(turn.session, turn.tenant_id, run_id) if run_id and refusal is None else None
    if refusal is not None or run is None:
        turn.audit(
            "handlingsplan", "denied", run_id=run_id[:40], reason=refusal.key if refusal else "run_unknown"
        )
        turn.say(refusal.key if refusal else "agenda.run_unknown")
        return
    upload_info = turn.data.get("upload_info")
    await upload_document(turn, run, upload_info if isinstance(upload_info, dict) else {})


@registry.verb(
    "agenda.protokoll",
    "protokoll",
    "handlingsplan",
    "minutes",
    resource="case",
    access="read",
    coordinator=True,
    help_key="agenda.help.protokoll",
)
async def protokoll_command(turn: Turn) -> None:
    """`protokoll SSPF-2026-014`: the latest meeting's protokoll and the handlingsplan document."""
    assert turn.case is not None
    run = await q.latest_ended_run(turn.session, turn.tenant_id, case_id=turn.case.id)
    if run is None:
        turn.say("agenda.no_protokoll", code=turn.case.code)
        return
    view = await protokoll_view(turn.session, turn.t, run, tz=turn.services.settings.tz)
    view.user_ids = []  # a card in the coordinator's 1:1 chat: no refresh (it names the run of another chat)
    turn.show(protokoll_card(turn.t, view, with_document_button=False))
    await deliver_document(turn, run)
