"""The reminder card: one per person per run, several items in it, each with what can be done about it.

Items about an action carry Klar / Pågår / Skjut upp / Kan inte genomföras (Action.Execute, so Teams
redraws the card in place). Only the case code identifies the child. Every item is a container whose
``id`` names its reminder row, so a redrawn card keeps its items in the same order.
"""

from __future__ import annotations

from typing import Any

from bot.cards.elements import (
    Element,
    action_text,
    card,
    container,
    error_text,
    execute,
    facts,
    heading,
    new_nonce,
    submit,
    text,
)
from bot.i18n import Translator
from bot.reminders.content import ReminderItem
from domain.actions import COMMENT_MAX
from domain.reminders import ReminderKind

ACTION_VERB = "reminder.action"
BOOK_VERB = "meeting.book"  # registered by the booking flow
DETAILED_MAX = 6  # items with buttons; the rest are listed below them (card stays under 28 KB)
OPS = ("done", "in_progress", "postpone_day", "postpone_week", "not_done")
# At Teams' card width five buttons in a row truncate ("Skjut…", "Kan i…"), and so do three plus the
# overflow button (seen in build/screenshots/reminder.png): what the reminder asks for ("Markera som klar
# eller skjut upp") stays a button, the rest is in the "…" overflow menu (Adaptive Cards 1.5
# ``mode: "secondary"``).
SECONDARY_OPS = frozenset({"in_progress", "postpone_week", "not_done"})
ACTIONABLE = frozenset(
    {ReminderKind.DUE_SOON.value, ReminderKind.OVERDUE.value, ReminderKind.ESCALATION.value}
)


def action_set(actions: list[Element]) -> Element:
    return {"type": "ActionSet", "actions": actions}


COMMENT_PREFIX = "comment_"


def comment_field(reminder_id: str) -> str:
    """The comment input of one item, named by its reminder row so a redrawn card can put back what
    was typed under each item (the flow reads the pressed one through ``comment_field`` in the data)."""
    return COMMENT_PREFIX + reminder_id


def _clip(value: str, limit: int) -> str:
    """Stored text shown on the card, never more than ``limit`` characters (keeps the card small even
    for a comment saved before there was a limit)."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _status_label(t: Translator, status: str) -> str:
    key = f"action_status.{status}"
    return t(key) if t.has(key) else status


def _action_item(
    t: Translator,
    item: ReminderItem,
    head: str,
    *,
    error: str | None,
    outcome: str | None,
    comment: str | None,
) -> list[Element]:
    action = item.action
    assert action is not None
    if item.withheld:  # the consent does not cover the recipient: the case code, the date and why
        return [
            facts(
                [
                    (t("reminders.fact_case"), item.case_code or "–"),
                    (t("reminders.fact_action"), t("access.withheld_row")),
                    (t("reminders.fact_due"), action.due_on.isoformat()),
                ]
            )
        ]
    pairs = [
        (t("reminders.fact_case"), item.case_code or "–"),
        (t("reminders.fact_action"), action_text(t, action.text, action.kind)),
    ]
    if item.kind == ReminderKind.ESCALATION.value:
        pairs.append((t("reminders.fact_responsible"), action.responsible_name))
    pairs.append((t("reminders.fact_due"), action.due_on.isoformat()))
    pairs.append((t("reminders.fact_status"), _status_label(t, action.status)))
    if action.status_comment:
        pairs.append((t("reminders.fact_comment"), _clip(action.status_comment, COMMENT_MAX)))
    body: list[Element] = [facts(pairs)]
    if outcome:
        body.append(text(outcome, color="Good", weight="Bolder"))
    if not action.active:
        return body
    field = comment_field(item.reminder_id)
    comment_input: Element = {
        "type": "Input.Text",
        "id": field,
        "label": t("reminders.comment_label", max=COMMENT_MAX),
        "isMultiline": True,
        "maxLength": COMMENT_MAX,
    }
    if comment:
        comment_input["value"] = comment[:COMMENT_MAX]
    body.append(comment_input)
    if error:
        body.append(error_text(error))
    common: dict[str, Any] = {
        "case_id": item.case_id,
        "action_id": action.id,
        "card": head,
        "item": item.reminder_id,
        "comment_field": field,
    }
    buttons = []
    for op in OPS:
        if op == "in_progress" and action.status == "in_progress":
            continue
        style = "positive" if op == "done" else None
        button = execute(
            t(f"reminders.btn_{op}"), ACTION_VERB, style=style, op=op, nonce=new_nonce(), **common
        )
        if op in SECONDARY_OPS:
            button["mode"] = "secondary"
        buttons.append(button)
    body.append(action_set(buttons))
    return body


def _digest_item(t: Translator, item: ReminderItem) -> list[Element]:
    body: list[Element] = []
    for case in item.digest or []:
        body.append(
            text(
                t(
                    "reminders.digest_case",
                    case_code=case.code,
                    open_count=case.open_count,
                    overdue_count=case.overdue_count,
                ),
                weight="Bolder",
                spacing="Small",
            )
        )
        for action, late in case.actions:
            key = "reminders.digest_action_overdue" if late else "reminders.digest_action"
            line = t(
                key,
                text=action_text(t, action.text, action.kind),
                responsible=action.responsible_name,
                due_on=action.due_on.isoformat(),
            )
            body.append(text(line, spacing="None", size="Small", color="Attention" if late else "Default"))
        if case.open_count > len(case.actions):
            more = case.open_count - len(case.actions)
            body.append(
                text(
                    t("reminders.digest_more_actions", count=more),
                    spacing="None",
                    isSubtle=True,
                    size="Small",
                )
            )
    if item.digest_more:
        body.append(text(t("reminders.digest_more", count=item.digest_more), isSubtle=True))
    return body


def headline(t: Translator, item: ReminderItem) -> str:
    params = dict(item.params)
    if item.key == "reminders.undeliverable" and not params.get("person"):
        params["person"] = t("reminders.unknown_person")
    return t(item.key, **params)


def reminder_card(
    t: Translator,
    items: list[ReminderItem],
    *,
    head: str,
    errors: dict[str, str] | None = None,
    outcomes: dict[str, str] | None = None,
    comments: dict[str, str] | None = None,
) -> Element:
    """``head`` is the reminder row that remembers the card's items (for redrawing in place);
    ``errors``, ``outcomes`` and ``comments`` are keyed by reminder id."""
    errors, outcomes, comments = errors or {}, outcomes or {}, comments or {}
    title = t("reminders.title_one") if len(items) == 1 else t("reminders.title_many", count=len(items))
    body: list[Element] = heading(title, subtle=t("reminders.subtitle"))
    compact: list[ReminderItem] = []
    for index, item in enumerate(items):
        if index >= DETAILED_MAX and item.reminder_id not in errors and item.reminder_id not in outcomes:
            compact.append(item)
            continue
        parts: list[Element] = [text(headline(t, item), weight="Bolder")]
        if item.action is not None and item.kind in ACTIONABLE:
            parts += _action_item(
                t,
                item,
                head,
                error=errors.get(item.reminder_id),
                outcome=outcomes.get(item.reminder_id),
                comment=comments.get(item.reminder_id),
            )
        elif item.kind == ReminderKind.FOLLOW_UP_NEARING.value and item.case_id:
            parts.append(facts([(t("reminders.fact_case"), item.case_code or "–")]))
            parts.append(
                action_set(
                    [
                        submit(
                            t("reminders.btn_book_follow_up"),
                            BOOK_VERB,
                            nonce=new_nonce(),
                            case_id=item.case_id,
                            kind="uppfoljning",  # the booking form opens with this meeting type
                        )
                    ]
                )
            )
        elif item.kind == ReminderKind.MEETING_PREPARATION.value:
            parts.append(text(t("reminders.prep_points")))
        elif item.kind == ReminderKind.WEEKLY_DIGEST.value:
            parts += _digest_item(t, item)
        body.append(container(parts, id=f"reminder-{item.reminder_id}", separator=True, spacing="Medium"))
    if compact:
        lines = [text(t("reminders.more_items"), weight="Bolder")]
        for item in compact:
            lines.append(text("• " + headline(t, item), spacing="None"))
        lines.append(text(t("reminders.more_items_hint"), isSubtle=True, size="Small"))
        body.append(
            container(
                lines + [container([], id=f"reminder-{item.reminder_id}") for item in compact],
                separator=True,
                spacing="Medium",
            )
        )
    return card(body)


def card_item_ids(card_json: Element) -> list[str]:
    """The reminder ids a card carries (tests and the benchmark count deliveries with it)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ident = node.get("id")
            if isinstance(ident, str) and ident.startswith("reminder-"):
                found.append(ident[len("reminder-") :])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card_json)
    return found
