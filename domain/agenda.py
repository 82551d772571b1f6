"""Agenda templates and the pure state machine that walks a meeting through them.

Templates are municipal configuration (Swedish titles in JSON, path overridable with
`SSPF_AGENDA_TEMPLATES`), so a municipality can adjust its agenda without a release. The state
carries a version so a card pressed twice, or an old card pressed after the agenda moved on,
moves the meeting at most one step.

i18n keys emitted:
    agenda.only_coordinator
    agenda.stale_card
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from domain.refusal import Refusal

I18N_KEYS: frozenset[str] = frozenset({"agenda.only_coordinator", "agenda.stale_card"})

ENV_TEMPLATES = "SSPF_AGENDA_TEMPLATES"
DEFAULT_TEMPLATES = Path(__file__).with_name("data") / "agenda_templates.json"


class MeetingType(StrEnum):
    ARBETSGRUPP = "arbetsgrupp"
    INDIVIDUELL = "individuell"
    UPPFOLJNING = "uppfoljning"
    STYRGRUPP = "styrgrupp"
    URVAL = "urval"  # police + social services pick Youngsters/Top 5 every 8 weeks


class StepKind(StrEnum):
    """What the bot shows at a step; the card builder dispatches on it."""

    AGENCY_TEXT = "agency_text"
    INDIVIDUAL_CASES = "individual_cases"
    ACTION_REVIEW = "action_review"
    NEW_ACTIONS = "new_actions"
    NEXT_MEETING = "next_meeting"
    CONFIRM = "confirm"
    FREE_TEXT = "free_text"
    DECISION = "decision"


# Steps that name individual children: the caller lists only cases whose consent check passes.
CONSENT_REQUIRED_KINDS = frozenset({StepKind.INDIVIDUAL_CASES})


class AgendaConfigError(ValueError):
    """A broken templates file is an operator error and must stop start-up, not a meeting."""


@dataclass(frozen=True)
class AgendaStep:
    key: str
    kind: StepKind
    title: str
    hint: str = ""
    # The step asserts something ("Syfte och samtycke bekräftat"): Nästa waits for the confirmation,
    # so the minnesanteckningar never state as done what nobody confirmed.
    must_confirm: bool = False

    @property
    def requires_consent(self) -> bool:
        return self.kind in CONSENT_REQUIRED_KINDS


@dataclass(frozen=True)
class AgendaTemplate:
    key: str
    title: str
    steps: tuple[AgendaStep, ...]


def _parse_template(key: str, body: Any) -> AgendaTemplate:
    if not isinstance(body, dict) or not isinstance(body.get("steps"), list) or not body["steps"]:
        raise AgendaConfigError(f"template {key!r} needs a non-empty list of steps")
    steps: list[AgendaStep] = []
    for raw in body["steps"]:
        try:
            step = AgendaStep(
                key=str(raw["key"]),
                kind=StepKind(raw["kind"]),
                title=str(raw["title"]),
                hint=str(raw.get("hint", "")),
                must_confirm=bool(raw.get("must_confirm", raw.get("kind") == StepKind.CONFIRM.value)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise AgendaConfigError(f"template {key!r} has a bad step {raw!r}: {exc}") from exc
        if any(s.key == step.key for s in steps):
            raise AgendaConfigError(f"template {key!r} repeats step key {step.key!r}")
        steps.append(step)
    return AgendaTemplate(key=key, title=str(body.get("title", key)), steps=tuple(steps))


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, AgendaTemplate]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AgendaConfigError(f"cannot read agenda templates at {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise AgendaConfigError("agenda templates must be a JSON object keyed by meeting type")
    templates = {key: _parse_template(key, body) for key, body in data.items()}
    missing = {m.value for m in MeetingType} - templates.keys()
    if missing:
        raise AgendaConfigError(f"agenda templates lack meeting types: {sorted(missing)}")
    return templates


def templates_path() -> Path:
    return Path(os.environ.get(ENV_TEMPLATES) or DEFAULT_TEMPLATES)


def load_templates(path: Path | str | None = None) -> dict[str, AgendaTemplate]:
    """All templates, from `path`, else `$SSPF_AGENDA_TEMPLATES`, else the bundled file."""
    return _load(str(path or templates_path()))


def get_template(meeting_type: str, path: Path | str | None = None) -> AgendaTemplate:
    templates = load_templates(path)
    try:
        return templates[str(meeting_type)]
    except KeyError:
        raise AgendaConfigError(f"no agenda template for {meeting_type!r}") from None


@dataclass(frozen=True)
class AgendaState:
    """Where a meeting is in its agenda; `version` rises by one on every real move."""

    template_key: str
    step_index: int
    version: int
    ended: bool
    step_count: int

    def __post_init__(self) -> None:
        if self.step_count < 1 or not 0 <= self.step_index < self.step_count:
            raise ValueError("step_index must point at a step of the template")


def start_agenda(template: AgendaTemplate) -> AgendaState:
    return AgendaState(template.key, step_index=0, version=1, ended=False, step_count=len(template.steps))


def is_stale(state: AgendaState, card_version: int) -> bool:
    """A card built from an older version must not drive the meeting."""
    return card_version != state.version


def advance(state: AgendaState, expected_version: int) -> AgendaState:
    """Next step (or end after the last); unchanged when the press came from a stale card."""
    if is_stale(state, expected_version) or state.ended:
        return state
    if state.step_index + 1 < state.step_count:
        return replace(state, step_index=state.step_index + 1, version=state.version + 1)
    return replace(state, ended=True, version=state.version + 1)


def may_move_on(step: AgendaStep | None, confirmed: bool) -> bool:
    """Nästa past a step that asserts something needs its confirmation first (back and end do not:
    ending early leaves the step standing as not confirmed)."""
    return step is None or not step.must_confirm or confirmed


def back(state: AgendaState, expected_version: int) -> AgendaState:
    """Previous step; from an ended agenda, back reopens the last step."""
    if is_stale(state, expected_version):
        return state
    if state.ended:
        return replace(state, ended=False, version=state.version + 1)
    if state.step_index == 0:
        return state
    return replace(state, step_index=state.step_index - 1, version=state.version + 1)


def end_agenda(state: AgendaState, expected_version: int) -> AgendaState:
    """The chair may close the meeting early ("avsluta mötet")."""
    if is_stale(state, expected_version) or state.ended:
        return state
    return replace(state, ended=True, version=state.version + 1)


def current_step(state: AgendaState, template: AgendaTemplate) -> AgendaStep | None:
    """The step on screen, or None once the meeting has ended."""
    if template.key != state.template_key:
        raise ValueError("state belongs to another template")
    return None if state.ended else template.steps[state.step_index]


def progress(state: AgendaState) -> tuple[int, int]:
    """ "Punkt n av m" for the card header; an ended agenda reads m of m."""
    return (state.step_count if state.ended else state.step_index + 1), state.step_count


def can_chair(
    user_is_coordinator: bool, *, is_designated_chair: bool = False, entitled: bool = False
) -> bool:
    """Who runs the agenda (Nästa/Tillbaka/Avsluta, decisions): the SSPF coordinator, or the chair the
    booked meeting names (its organiser) -- and that one only while entitled to what the meeting is
    about: on the case's team for a case meeting, organiser or invited participant for a group meeting.
    Everyone else follows along on the same card."""
    return bool(user_is_coordinator) or (is_designated_chair and entitled)


def chair_refusal(
    user_is_coordinator: bool,
    state: AgendaState,
    card_version: int,
    *,
    is_designated_chair: bool = False,
    entitled: bool = False,
) -> Refusal | None:
    """Why a press of Nästa/Tillbaka is ignored, to tell the presser; None when it counts."""
    if not can_chair(user_is_coordinator, is_designated_chair=is_designated_chair, entitled=entitled):
        return Refusal("agenda.only_coordinator")
    if is_stale(state, card_version):
        return Refusal("agenda.stale_card")
    return None
