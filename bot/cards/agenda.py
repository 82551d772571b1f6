"""The agenda card (one per meeting chat, refreshed in place) and the protokoll card.

Two kinds of each (issue 12 §3):

- the **neutral** card, the one posted or updated in the chat and so kept in its history for every
  member: meeting type, case code, current step title, progress, which agencies have contributed, and
  buttons. Nothing about the child: no notes, action texts, comments, outcomes, names of the family.
- the **viewer's own view**, answered to one person's Universal Actions ``refresh`` (Teams asks for it
  for each of the card's ``refresh.userIds``, at most 60) or to their "Visa för mig" press. Teams shows
  it to that person only and does not keep it in the chat. Case content appears only here, and only for
  whom ``bot.dialogs.agenda`` found entitled; everyone else gets the neutral card and a sentence on why.

Both show the case CODE only: never the child's initials or name, never a guardian. Texts people
write are capped per entry (``ENTRY_MAX``, said on the card) and, if a card would still pass the
28 KB budget, shown shortened with a note that the full text is kept (``fit_card``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.cards.budget import CARD_LIMIT_BYTES
from bot.cards.elements import (
    Element,
    action_text,
    card,
    container,
    error_text,
    execute,
    facts,
    heading,
    input_choice,
    input_date,
    input_text,
    new_nonce,
    people_picker,
    text,
)
from bot.i18n import Translator
from domain.actions import ActionKind, ActionStatus
from domain.agencies import Agency
from domain.agenda import AgendaStep, StepKind
from store.models import ActionItem

ENTRY_MAX = 600  # characters per written entry; the card says so next to the field
CARD_BUDGET = (
    CARD_LIMIT_BYTES - 2 * 1024
)  # fitted below the card budget, leaving room for the activity wrapper
SHORTEN_STEPS = (None, 400, 200, 100, 50)
MAX_USER_IDS = 60  # Teams refreshes user-specific views automatically for at most 60 users


@dataclass
class EntryView:
    agency: str
    author: str
    text: str
    mine: bool = False


@dataclass
class ActionView:
    id: str
    kind: str
    text: str
    agency: str
    responsible: str
    due_on: str
    follow_up_on: str | None
    status: str
    comment: str | None
    version: int

    @classmethod
    def of(cls, item: ActionItem) -> ActionView:
        return cls(
            id=item.id,
            kind=item.kind,
            text=item.text,
            agency=item.agency,
            responsible=item.responsible_name,
            due_on=item.due_on.isoformat(),
            follow_up_on=item.follow_up_on.isoformat() if item.follow_up_on else None,
            status=item.status,
            comment=item.status_comment,
            version=item.version,
        )


@dataclass
class CaseNotes:
    id: str
    code: str
    notes: list[EntryView] = field(default_factory=list)
    allowed: bool = True  # False: the viewer may see the code, not the notes (and gets no input)


@dataclass
class AgendaView:
    run_id: str
    version: int
    title: str
    case_code: str | None
    steps: list[AgendaStep]
    step_index: int
    ended: bool
    entries: list[EntryView] = field(default_factory=list)  # the current step's entries
    new_actions: list[ActionView] = field(default_factory=list)
    review_actions: list[ActionView] = field(default_factory=list)
    cases: list[CaseNotes] = field(default_factory=list)  # one page of the individnivå's cases
    cases_page: int = 0
    cases_pages: int = 1
    cases_total: int = 0
    team: list[tuple[str, str]] = field(default_factory=list)  # (aad id, "Name (Skola)")
    team_more: int = 0  # who else may be named responsible: found with the people search, not listed
    consent_agencies: list[str] | None = None  # None: no valid consent (or no case)
    # the neutral card (posted in the chat, or the view of someone who may not see the content)
    neutral: bool = False
    contributors: list[str] = field(default_factory=list)  # agencies that wrote at the current step
    withheld: str | None = None  # why this viewer sees the neutral card (a Swedish sentence)
    # individnivå of a group meeting: the viewer is not one of the group (no codes for them)
    cases_withheld: bool = False
    # what the view shows of each case (for the audit row; None: a group meeting's general notes)
    shown_case_ids: list[str | None] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    # the viewer's own view (None on the card posted for everyone)
    viewer_agency: str | None = None
    is_chair: bool = False
    note: str | None = None
    kept: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def step(self) -> AgendaStep | None:
        return None if self.ended else self.steps[self.step_index]


@dataclass
class ProtokollView:
    run_id: str
    title: str
    case_code: str | None
    held_on: str
    attendees: list[tuple[str, str]]  # (name, agency label)
    sections: list[tuple[str, list[str]]]  # (step title, lines)
    actions: list[ActionView]
    decision: str | None = None
    next_meeting: str | None = None
    neutral: bool = False  # the copy posted in the chat: no notes, actions, names or decision
    agencies: list[str] = field(default_factory=list)  # who took part, by agency (the neutral copy)
    withheld: str | None = None  # why this viewer sees the neutral copy
    note: str | None = None  # e.g. that notes on cases outside the viewer's teams are left out
    user_ids: list[str] = field(default_factory=list)
    shown_case_ids: list[str | None] = field(default_factory=list)


def _short(value: str, cap: int | None) -> str:
    if cap is None or len(value) <= cap:
        return value
    return value[: max(cap - 1, 1)].rstrip() + "…"


def fit_card(build: Callable[[int | None], Element], budget: int = CARD_BUDGET) -> Element:
    """The card with full texts, or with each entry shortened just enough to fit the budget."""
    result: Element = {}
    for cap in SHORTEN_STEPS:
        result = build(cap)
        if len(json.dumps(result, ensure_ascii=False).encode("utf-8")) <= budget:
            return result
    return result


def agency_label(t: Translator, agency: str | None) -> str:
    if not agency:
        return ""
    return t(f"agency.{agency}") if agency in Agency._value2member_map_ else agency


def agency_choices(t: Translator) -> list[tuple[str, str]]:
    return [(a.value, t(f"agency.{a.value}")) for a in Agency]


# --- the agenda card ------------------------------------------------------------------------------


def agenda_card(t: Translator, view: AgendaView) -> Element:
    return fit_card(lambda cap: _agenda_card(t, view, cap))


def _header(t: Translator, view: AgendaView) -> list[Element]:
    case = t("agenda.case_line", code=view.case_code) if view.case_code else t("agenda.no_case")
    if view.ended:
        where = t("agenda.ended_line")
    else:
        where = t("agenda.progress", n=view.step_index + 1, m=len(view.steps))
    return heading(view.title, subtle=f"{case} · {where}")


def _progress(view: AgendaView) -> Element:
    items: list[Element] = []
    for i, step in enumerate(view.steps):
        done = view.ended or i < view.step_index
        current = not view.ended and i == view.step_index
        mark = "✓" if done else ("▶" if current else "○")
        items.append(
            text(
                f"{mark} {i + 1}. {step.title}",
                size="Small",
                spacing="None",
                weight="Bolder" if current else "Default",
                isSubtle=not current,
            )
        )
    return container(items, separator=True)


def refresh_clause(run_id: str, user_ids: list[str], *, which: str = "agenda") -> dict[str, Any]:
    """Universal Actions ``refresh``: Teams asks the bot (adaptiveCard/action, trigger "automatic") for
    the own view of each listed user (Teams user ids, at most 60) when they see the card; everyone else
    sees the posted card and can press "Visa för mig" (the same verb, trigger "manual").

    Without ``userIds`` Teams would ask for every member of a chat of up to 60; with an empty list for
    nobody. The list is who has used the agenda; the bot decides per request what each one sees."""
    data = {"verb": "agenda.refresh", "run_id": run_id}
    if which != "agenda":
        data["card"] = which
    refresh: dict[str, Any] = {"action": {"type": "Action.Execute", "verb": "agenda.refresh", "data": data}}
    ids = list(dict.fromkeys(u for u in user_ids if u))[:MAX_USER_IDS]
    if ids:
        refresh["userIds"] = ids
    return refresh


def _refresh(view: AgendaView) -> dict[str, Any]:
    return refresh_clause(view.run_id, view.user_ids)


def show_me(t: Translator, run_id: str, *, which: str = "agenda") -> Element:
    """ "Visa för mig": the viewer's own view on demand (chats over 60, or before Teams refreshed)."""
    data: dict[str, Any] = {"run_id": run_id}
    if which != "agenda":
        data["card"] = which
    return execute(t("agenda.show_me"), "agenda.refresh", **data)


def _act(title: str, verb: str, view: AgendaView, *, style: str | None = None, **data: Any) -> Element:
    step = view.step
    return execute(
        title,
        verb,
        style=style,
        run_id=view.run_id,
        version=view.version,
        step_key=step.key if step else "",
        **data,
    )


def _nav(t: Translator, view: AgendaView) -> list[Element]:
    last = view.step_index == len(view.steps) - 1
    actions: list[Element] = []
    if view.step_index > 0:
        actions.append(_act(t("agenda.back"), "agenda.back", view))
    if not last:
        actions.append(_act(t("agenda.next"), "agenda.next", view, style="positive"))
    actions.append(_act(t("agenda.end"), "agenda.end", view, style="destructive" if not last else "positive"))
    return actions


def _neutral_agenda_card(t: Translator, view: AgendaView) -> Element:
    """What the chat keeps: no case content, whoever looks (issue 12 §3)."""
    body: list[Element] = _header(t, view)
    if view.note:
        body.append(text(view.note, color="Attention", weight="Bolder"))
    for message in view.errors.values():
        body.append(error_text(message))
    step = view.step
    if step is None:
        body.append(text(t("agenda.ended_body")))
        body.append(_progress(view))
        result = card(body)
        result["refresh"] = _refresh(view)
        return result
    body.append(text(step.title, size="Large", weight="Bolder", separator=True))
    if view.contributors:
        who = ", ".join(agency_label(t, a) for a in view.contributors)
        body.append(text(t("agenda.contributed", agencies=who), spacing="Small"))
    else:
        body.append(text(t("agenda.no_contributions"), isSubtle=True, spacing="Small"))
    body.append(_progress(view))
    if view.withheld:
        body.append(text(view.withheld, weight="Bolder", separator=True))
    else:
        body.append(text(t("agenda.neutral_privacy"), isSubtle=True, size="Small", separator=True))
    body.append(text(t("agenda.chair_only_hint"), isSubtle=True, size="Small"))
    actions: list[Element] = []
    if not view.withheld:
        actions.append(show_me(t, view.run_id))
    actions.extend(_nav(t, view))
    result = card(body, actions)
    result["refresh"] = _refresh(view)
    return result


def _agenda_card(t: Translator, view: AgendaView, cap: int | None) -> Element:
    if view.neutral:
        return _neutral_agenda_card(t, view)
    body: list[Element] = _header(t, view)
    if view.note:
        body.append(text(view.note, color="Attention", weight="Bolder"))
    step = view.step
    if step is None:
        body.append(text(t("agenda.ended_body")))
        body.append(_progress(view))
        result = card(body)
        result["refresh"] = _refresh(view)
        return result

    body.append(text(step.title, size="Large", weight="Bolder", separator=True))
    if step.hint:
        body.append(text(step.hint, isSubtle=True, spacing="None"))
    body.extend(_step_body(t, view, step, cap))
    body.append(_progress(view))
    body.append(text(t("agenda.privacy"), isSubtle=True, size="Small"))
    body.append(text(t("agenda.own_view"), isSubtle=True, size="Small"))
    body.append(text(t("agenda.chair_only_hint"), isSubtle=True, size="Small"))
    result = card(body, _nav(t, view))
    result["refresh"] = _refresh(view)
    return result


def _entries(t: Translator, entries: list[EntryView], cap: int | None) -> list[Element]:
    items: list[Element] = []
    for e in entries:
        who = f"{agency_label(t, e.agency)} – {e.author}" if e.agency else e.author
        items.append(text(who, spacing="Small", weight="Bolder"))
        items.append(text(_short(e.text, cap), spacing="None"))
    if cap is not None and any(len(e.text) > cap for e in entries):
        items.append(text(t("agenda.shortened"), isSubtle=True, size="Small"))
    return items


def _kept(view: AgendaView, key: str, default: Any = None) -> Any:
    value = view.kept.get(key)
    return default if value in (None, "") else value


def _errors(view: AgendaView, key: str) -> list[Element]:
    return [error_text(view.errors[key])] if key in view.errors else []


def _agency_picker(t: Translator, view: AgendaView) -> list[Element]:
    """Whose part the text is: known from the case team; otherwise the writer picks."""
    if view.viewer_agency:
        return [text(t("agenda.writing_for", agency=agency_label(t, view.viewer_agency)), isSubtle=True)]
    return [
        input_choice(
            "agency", t("agenda.your_agency"), agency_choices(t), value=_kept(view, "agency"), required=False
        ),
        *_errors(view, "agency"),
    ]


def _step_body(t: Translator, view: AgendaView, step: AgendaStep, cap: int | None) -> list[Element]:
    kind = step.kind
    if kind in (StepKind.AGENCY_TEXT, StepKind.FREE_TEXT):
        return _text_step(t, view, step, cap)
    if kind is StepKind.INDIVIDUAL_CASES:
        return _cases_step(t, view, cap)
    if kind is StepKind.ACTION_REVIEW:
        return _review_step(t, view, cap)
    if kind is StepKind.NEW_ACTIONS:
        return _new_actions_step(t, view, cap)
    if kind is StepKind.NEXT_MEETING:
        return _next_meeting_step(t, view, cap)
    if kind is StepKind.DECISION:
        return _decision_step(t, view, cap)
    return _confirm_step(t, view)


def _text_step(t: Translator, view: AgendaView, step: AgendaStep, cap: int | None) -> list[Element]:
    body: list[Element] = []
    if view.entries:
        body.extend(_entries(t, view.entries, cap))
    else:
        body.append(text(t("agenda.no_entries"), isSubtle=True))
    label_key = "agenda.entry_label_agency" if step.kind is StepKind.AGENCY_TEXT else "agenda.entry_label"
    own = next((e.text for e in view.entries if e.mine), None)
    form: list[Element] = [
        *_agency_picker(t, view),
        input_text(
            "entry",
            t(label_key, max=ENTRY_MAX),
            _kept(view, "entry", own),
            multiline=True,
            max_length=ENTRY_MAX,
            placeholder=t("agenda.entry_placeholder"),
        ),
        *_errors(view, "entry"),
        {"type": "ActionSet", "actions": [_act(t("agenda.save"), "agenda.entry", view)]},
    ]
    body.append(container(form, separator=True))
    return body


def _cases_step(t: Translator, view: AgendaView, cap: int | None) -> list[Element]:
    if view.cases_withheld:
        return [text(t("agenda.cases_not_for_you"), isSubtle=True)]
    if not view.cases:
        return [text(t("agenda.no_consented_cases"), isSubtle=True)]
    body: list[Element] = [text(t("agenda.cases_intro"), isSubtle=True)]
    for case in view.cases:
        if not case.allowed:  # the code only: its notes and its input are for the case's team
            body.append(
                container(
                    [
                        text(case.code, weight="Bolder"),
                        text(t("agenda.case_not_your_team"), isSubtle=True, spacing="None"),
                    ],
                    separator=True,
                )
            )
            continue
        own = next((n.text for n in case.notes if n.mine), None)
        items: list[Element] = [text(case.code, weight="Bolder")]
        items.extend(_entries(t, case.notes, cap))
        items.append(
            input_text(
                f"note_{case.id}",
                t("agenda.case_note_label", code=case.code, max=ENTRY_MAX),
                _kept(view, f"note_{case.id}", own),
                multiline=True,
                max_length=ENTRY_MAX,
            )
        )
        items.extend(_errors(view, f"note_{case.id}"))
        items.append(
            {
                "type": "ActionSet",
                "actions": [
                    _act(t("agenda.save"), "agenda.entry", view, case_id=case.id, cases_page=view.cases_page)
                ],
            }
        )
        body.append(container(items, separator=True))
    body.extend(_cases_pager(t, view))
    body.extend(_agency_picker(t, view))
    return body


def _cases_pager(t: Translator, view: AgendaView) -> list[Element]:
    """Every consented case is on a page: where this one is, and the way to the others."""
    if view.cases_pages <= 1:
        return []
    page = view.cases_page
    actions: list[Element] = []
    if page > 0:
        actions.append(_act(t("agenda.cases_prev"), "agenda.refresh", view, cases_page=page - 1))
    if page < view.cases_pages - 1:
        actions.append(_act(t("agenda.cases_next"), "agenda.refresh", view, cases_page=page + 1))
    return [
        text(
            t("agenda.cases_page", page=page + 1, pages=view.cases_pages, total=view.cases_total),
            isSubtle=True,
        ),
        {"type": "ActionSet", "actions": actions},
    ]


def _action_lines(t: Translator, a: ActionView, cap: int | None) -> list[Element]:
    meta = t(
        "agenda.action_meta",
        agency=agency_label(t, a.agency),
        responsible=a.responsible,
        due_on=a.due_on,
    )
    if a.follow_up_on:
        meta += " · " + t("agenda.action_follow_up", date=a.follow_up_on)
    items = [
        text(_short(action_text(t, a.text, a.kind), cap), weight="Bolder", spacing="Small"),
        text(meta, isSubtle=True, spacing="None"),
    ]
    return items


def _review_step(t: Translator, view: AgendaView, cap: int | None) -> list[Element]:
    if not view.review_actions:
        return [text(t("agenda.no_open_actions"), isSubtle=True)]
    body: list[Element] = []
    for a in view.review_actions:
        items = _action_lines(t, a, cap)
        status = t(f"action_status.{a.status}") if a.status in ActionStatus._value2member_map_ else a.status
        line = t("agenda.status_line", status=status)
        if a.comment:
            line += f" – {_short(a.comment, cap)}"
        items.append(text(line, spacing="None"))
        items.append(
            input_text(
                f"comment_{a.id}",
                t("agenda.status_comment", max=ENTRY_MAX),
                _kept(view, f"comment_{a.id}"),
                max_length=ENTRY_MAX,
            )
        )
        items.extend(_errors(view, f"comment_{a.id}"))
        buttons = [
            _act(
                t(f"agenda.status_button.{s}"),
                "agenda.action_status",
                view,
                action_id=a.id,
                status=s,
                action_version=a.version,
            )
            for s in (ActionStatus.DONE.value, ActionStatus.IN_PROGRESS.value, ActionStatus.NOT_DONE.value)
        ]
        items.append({"type": "ActionSet", "actions": buttons})
        body.append(container(items, separator=True))
    return body


def _new_actions_step(t: Translator, view: AgendaView, cap: int | None) -> list[Element]:
    body: list[Element] = []
    if view.new_actions:
        for a in view.new_actions:
            items = _action_lines(t, a, cap)
            items.append(
                {
                    "type": "ActionSet",
                    "actions": [
                        _act(t("agenda.remove_action"), "agenda.action_remove", view, action_id=a.id)
                    ],
                }
            )
            body.append(container(items, separator=True))
    else:
        body.append(text(t("agenda.no_new_actions"), isSubtle=True))

    kinds = [(k.value, t(f"action_kind.{k.value}")) for k in ActionKind]
    # The case team and who took part are ready choices; the search finds anyone in the organisation
    # (the responsible person need not be in the meeting). Teams documents the picker on
    # Input.ChoiceSet; the test validator strips it before checking the rest as 1.5.
    people = people_picker(
        "a_responsible",
        t("agenda.action_responsible"),
        view.team,
        value=_kept(view, "a_responsible"),
        placeholder=t("agenda.action_responsible_placeholder"),
    )
    form: list[Element] = [
        text(t("agenda.new_action_heading"), weight="Bolder"),
        input_choice(
            "a_kind", t("agenda.action_kind"), kinds, value=_kept(view, "a_kind", ActionKind.ANNAN.value)
        ),
        *_errors(view, "a_kind"),
        input_text(
            "a_text",
            t("agenda.action_text", max=500),
            _kept(view, "a_text"),
            multiline=True,
            max_length=500,
            placeholder=t("agenda.action_text_placeholder"),
        ),
        *_errors(view, "a_text"),
        input_choice("a_agency", t("agenda.action_agency"), agency_choices(t), value=_kept(view, "a_agency")),
        *_errors(view, "a_agency"),
        people,
        *_errors(view, "a_responsible"),
        *(
            [text(t("agenda.more_people", count=view.team_more), isSubtle=True, size="Small", spacing="None")]
            if view.team_more
            else []
        ),
        input_date("a_due_on", t("agenda.action_due_on"), _kept(view, "a_due_on")),
        *_errors(view, "a_due_on"),
        input_date("a_follow_up_on", t("agenda.action_follow_up_on"), _kept(view, "a_follow_up_on")),
        *_errors(view, "a_follow_up_on"),
        {
            "type": "ActionSet",
            "actions": [
                _act(t("agenda.add_action"), "agenda.action_add", view, style="positive", nonce=new_nonce())
            ],
        },
    ]
    body.append(container(form, separator=True, style="emphasis"))
    return body


def _next_meeting_step(t: Translator, view: AgendaView, cap: int | None) -> list[Element]:
    body: list[Element] = []
    if view.entries:
        for e in view.entries:
            body.append(text(t("agenda.proposal_line", author=e.author, date=e.text), spacing="Small"))
    else:
        body.append(text(t("agenda.no_proposal"), isSubtle=True))
    own = next((e.text for e in view.entries if e.mine), None)
    body.append(
        container(
            [
                input_date("next_on", t("agenda.next_meeting_label"), _kept(view, "next_on", own)),
                *_errors(view, "next_on"),
                {"type": "ActionSet", "actions": [_act(t("agenda.save"), "agenda.entry", view)]},
            ],
            separator=True,
        )
    )
    return body


DECISIONS = ("fortsatta", "avsluta")


def _decision_step(t: Translator, view: AgendaView, cap: int | None) -> list[Element]:
    body: list[Element] = []
    for e in view.entries:
        choice, _, comment = e.text.partition("\n")
        label = t(f"agenda.decision.{choice}") if choice in DECISIONS else choice
        line = t("agenda.decision_line", author=e.author, decision=_short(label, cap))
        if comment:
            line += f" – {_short(comment, cap)}"
        body.append(text(line, spacing="Small"))
    if not view.entries:
        body.append(text(t("agenda.no_decision"), isSubtle=True))
    form: list[Element] = []
    if view.case_code:
        form.append(
            input_choice(
                "decision",
                t("agenda.decision_label"),
                [(d, t(f"agenda.decision.{d}")) for d in DECISIONS],
                value=_kept(view, "decision"),
                expanded=True,
            )
        )
        form.extend(_errors(view, "decision"))
    form.append(
        input_text(
            "entry",
            t("agenda.decision_text", max=ENTRY_MAX),
            _kept(view, "entry"),
            multiline=True,
            max_length=ENTRY_MAX,
        )
    )
    form.extend(_errors(view, "entry"))
    form.append({"type": "ActionSet", "actions": [_act(t("agenda.save_decision"), "agenda.entry", view)]})
    body.append(container(form, separator=True))
    return body


def _confirm_step(t: Translator, view: AgendaView) -> list[Element]:
    body: list[Element] = []
    if view.consent_agencies is None:
        body.append(error_text(t("agenda.consent_missing")))
    else:
        agencies = ", ".join(agency_label(t, a) for a in view.consent_agencies) or "–"
        body.append(text(t("agenda.consent_ok", agencies=agencies)))
    for e in view.entries:
        body.append(text(t("agenda.confirmed_by", author=e.author), color="Good"))
    if not view.entries:
        body.append(
            {"type": "ActionSet", "actions": [_act(t("agenda.confirm"), "agenda.entry", view, confirm=True)]}
        )
    return body


# --- choosing what meeting this is ----------------------------------------------------------------


def setup_card(
    t: Translator,
    templates: list[tuple[str, str]],
    cases: list[tuple[str, str]],
    *,
    kept: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Element:
    """`starta mötet` in a chat no booked meeting points at: which kind of meeting, about which case."""
    kept = kept or {}
    errors = errors or {}
    body: list[Element] = heading(t("agenda.setup_title"), subtle=t("agenda.setup_subtitle"))
    body.append(
        input_choice("meeting_type", t("agenda.setup_type"), templates, value=kept.get("meeting_type"))
    )
    if "meeting_type" in errors:
        body.append(error_text(errors["meeting_type"]))
    if cases:
        body.append(
            input_choice(
                "case_id",
                t("agenda.setup_case"),
                cases,
                value=kept.get("case_id"),
            )
        )
    else:
        body.append(text(t("agenda.setup_no_cases"), isSubtle=True))
    if "case_id" in errors:
        body.append(error_text(errors["case_id"]))
    body.append(text(t("agenda.privacy"), isSubtle=True, size="Small"))
    return card(body, [execute(t("agenda.setup_start"), "agenda.setup", style="positive", nonce=new_nonce())])


# --- the protokoll --------------------------------------------------------------------------------


def protokoll_card(t: Translator, view: ProtokollView, *, with_document_button: bool = True) -> Element:
    """The protokoll: the neutral copy (``view.neutral``: what the chat keeps) or a viewer's own view."""
    if view.neutral:
        return _neutral_protokoll_card(t, view)
    result = fit_card(lambda cap: _protokoll_card(t, view, cap, with_document_button))
    if view.user_ids:
        result["refresh"] = refresh_clause(view.run_id, view.user_ids, which="protokoll")
    return result


def _neutral_protokoll_card(t: Translator, view: ProtokollView) -> Element:
    case = t("agenda.case_line", code=view.case_code) if view.case_code else t("agenda.no_case")
    body: list[Element] = heading(
        t("agenda.protokoll_title", title=view.title), subtle=f"{case} · {view.held_on}"
    )
    agencies = ", ".join(agency_label(t, a) for a in view.agencies) or "–"
    body.append(text(t("agenda.protokoll_agencies", agencies=agencies), separator=True))
    if view.withheld:
        body.append(text(view.withheld, weight="Bolder"))
    else:
        body.append(text(t("agenda.protokoll_neutral"), isSubtle=True))
    body.append(text(t("agenda.protokoll_privacy"), isSubtle=True, size="Small", separator=True))
    actions = [] if view.withheld else [show_me(t, view.run_id, which="protokoll")]
    result = card(body, actions or None)
    result["refresh"] = refresh_clause(view.run_id, view.user_ids, which="protokoll")
    return result


def _protokoll_card(t: Translator, view: ProtokollView, cap: int | None, button: bool) -> Element:
    case = t("agenda.case_line", code=view.case_code) if view.case_code else t("agenda.no_case")
    body: list[Element] = heading(
        t("agenda.protokoll_title", title=view.title), subtle=f"{case} · {view.held_on}"
    )
    if view.note:
        body.append(text(view.note, isSubtle=True))
    body.append(text(t("agenda.attendees"), weight="Bolder", separator=True))
    if view.attendees:
        body.append(facts([(name, agency or "–") for name, agency in view.attendees]))
    else:
        body.append(text("–", isSubtle=True))
    shortened = False
    for title, lines in view.sections:
        body.append(text(title, weight="Bolder", separator=True))
        if not lines:
            body.append(text(t("agenda.section_empty"), isSubtle=True, spacing="None"))
        for line in lines:
            shortened = shortened or (cap is not None and len(line) > cap)
            body.append(text(_short(line, cap), spacing="Small"))
    body.append(text(t("agenda.action_plan"), weight="Bolder", size="Medium", separator=True))
    if not view.actions:
        body.append(text(t("agenda.no_new_actions"), isSubtle=True))
    for a in view.actions:
        body.extend(_action_lines(t, a, cap))
    if view.decision:
        body.append(text(t("agenda.protokoll_decision", decision=view.decision), separator=True))
    if view.next_meeting:
        body.append(text(t("agenda.protokoll_next", date=view.next_meeting)))
    if shortened:
        body.append(text(t("agenda.shortened"), isSubtle=True, size="Small"))
    body.append(text(t("agenda.protokoll_privacy"), isSubtle=True, size="Small", separator=True))
    actions = []
    if button:
        actions.append(execute(t("agenda.document_button"), "agenda.document", run_id=view.run_id))
    return card(body, actions or None)
