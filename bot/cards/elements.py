"""Adaptive Card 1.5 building blocks: cards are data built by functions, never concatenated strings.

Card actions carry ``{"verb": ..., "nonce": ...}``: the verb routes the press to its handler through
the registry; the nonce (one per rendered card) makes a double click or a replay do nothing twice.
"""

from __future__ import annotations

import secrets
from typing import Any

Element = dict[str, Any]
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def card(body: list[Element], actions: list[Element] | None = None, *, full_width: bool = True) -> Element:
    result: Element = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        result["actions"] = actions
    if full_width:
        result["msteams"] = {"width": "Full"}
    return result


def heading(text: str, *, subtle: str | None = None) -> list[Element]:
    items: list[Element] = [
        {
            "type": "TextBlock",
            "text": text,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "style": "heading",
        }
    ]
    if subtle:
        items.append({"type": "TextBlock", "text": subtle, "isSubtle": True, "spacing": "None", "wrap": True})
    return items


def text(value: str, **props: Any) -> Element:
    return {"type": "TextBlock", "text": value, "wrap": True, **props}


def error_text(value: str) -> Element:
    return {"type": "TextBlock", "text": value, "wrap": True, "color": "Attention", "weight": "Bolder"}


def facts(pairs: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs]}


def container(items: list[Element], **props: Any) -> Element:
    return {"type": "Container", "items": items, **props}


def input_text(
    id_: str,
    label: str,
    value: str | None = None,
    *,
    placeholder: str | None = None,
    multiline: bool = False,
    required: bool = False,
    max_length: int | None = None,
) -> Element:
    el: Element = {"type": "Input.Text", "id": id_, "label": label, "isMultiline": multiline}
    if value:
        el["value"] = value
    if placeholder:
        el["placeholder"] = placeholder
    if required:
        el["isRequired"] = True
    if max_length:
        el["maxLength"] = max_length
    return el


def input_date(id_: str, label: str, value: str | None = None, *, required: bool = False) -> Element:
    el: Element = {"type": "Input.Date", "id": id_, "label": label}
    if value:
        el["value"] = value
    if required:
        el["isRequired"] = True
    return el


def input_time(id_: str, label: str, value: str | None = None) -> Element:
    el: Element = {"type": "Input.Time", "id": id_, "label": label}
    if value:
        el["value"] = value
    return el


def input_choice(
    id_: str,
    label: str,
    choices: list[tuple[str, str]],
    value: str | None = None,
    *,
    multi: bool = False,
    expanded: bool = False,
    required: bool = False,
    placeholder: str | None = None,
) -> Element:
    el: Element = {
        "type": "Input.ChoiceSet",
        "id": id_,
        "label": label,
        "choices": [{"title": title, "value": val} for val, title in choices],
        "isMultiSelect": multi,
        "style": "expanded" if expanded else "compact",
    }
    if placeholder:
        el["placeholder"] = placeholder
    if value:
        el["value"] = value
    if required:
        el["isRequired"] = True
    return el


PEOPLE_DATASET = "graph.microsoft.com/users"


def people_picker(
    id_: str,
    label: str,
    known: list[tuple[str, str]],
    value: str | None = None,
    *,
    multi: bool = False,
    placeholder: str | None = None,
) -> Element:
    """Teams' people picker: ``Input.ChoiceSet`` with ``choices.data`` (Data.Query) searching the
    organisation's directory; Teams submits the chosen people's Entra object ids.
    ``known`` (Entra id, name) pairs are offered as ready choices, and are what clients without the
    picker (and the Agents Playground) show."""
    el = input_choice(id_, label, known, value, multi=multi)
    el["style"] = "filtered"
    el["choices.data"] = {"type": "Data.Query", "dataset": PEOPLE_DATASET}
    if placeholder:
        el["placeholder"] = placeholder
    return el


def kept(values: dict[str, Any], name: str) -> str | None:
    """What the user typed in ``name`` last time, to put back on a card shown again with errors
    (multi-selects come back as Teams sends them: comma separated)."""
    value = values.get(name)
    if isinstance(value, list | tuple):
        value = ",".join(str(x) for x in value)
    return str(value) if value not in (None, "") else None


def field_error(errors: dict[str, str], field: str) -> list[Element]:
    """The Swedish message under a field the user must fix (empty when the field is fine)."""
    return [error_text(errors[field])] if field in errors else []


def submit(
    title: str, verb: str, *, nonce: str | None = None, style: str | None = None, **data: Any
) -> Element:
    action: Element = {"type": "Action.Submit", "title": title, "data": {"verb": verb, **data}}
    if nonce:
        action["data"]["nonce"] = nonce
    if style:
        action["style"] = style
    return action


def execute(title: str, verb: str, *, style: str | None = None, **data: Any) -> Element:
    action: Element = {"type": "Action.Execute", "title": title, "verb": verb, "data": {"verb": verb, **data}}
    if style:
        action["style"] = style
    return action


def open_url(title: str, url: str) -> Element:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def message_activity(card_json: Element, *, summary: str | None = None) -> dict[str, Any]:
    """The Bot Framework attachment wrapper for a card."""
    result: dict[str, Any] = {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card_json}],
    }
    if summary:
        result["summary"] = summary
    return result


def action_text(t: Any, text: str | None, kind: str | None) -> str:
    """What an action says: its own text, or, when it was saved without one, its kind's label in the
    reader's language (the kind is stored, not the label of whoever pressed Spara)."""
    return text or (t(f"action_kind.{kind}") if kind else "")
