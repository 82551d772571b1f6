"""``mina åtgärder``: what I have promised to do, overdue first, by case code only."""

from __future__ import annotations

from datetime import date

from bot.cards.elements import Element, action_text, card, container, heading, new_nonce, submit, text
from bot.i18n import Translator
from store.models import ActionItem


def my_actions_card(
    t: Translator,
    actions: list[tuple[ActionItem, str]],
    today: date,
    withheld: dict[str, str] | None = None,
    *,
    page: int = 0,
    pages: int = 1,
    total: int | None = None,
) -> Element:
    """``withheld``: action id -> why its text is not shown (the consent does not cover the viewer).
    ``actions`` is one page (``page`` of ``pages``, ``total`` actions in all): the card says where it is
    and has the buttons to the others, so no action is ever out of reach."""
    withheld = withheld or {}
    body: list[Element] = heading(t("my_actions.title"), subtle=t("my_actions.subtitle"))
    if not actions:
        body.append(text(t("my_actions.none")))
        return card(body)
    for action, code in actions:
        overdue = action.due_on < today
        due = (
            t("my_actions.overdue", due_on=action.due_on.isoformat())
            if overdue
            else t("my_actions.due", due_on=action.due_on.isoformat())
        )
        status_key = f"action_status.{action.status}"
        status = t(status_key) if t.has(status_key) else action.status
        body.append(
            container(
                [
                    text(
                        f"**{code}** · {withheld.get(action.id) or action_text(t, action.text, action.kind)}"
                    ),
                    text(
                        f"{due} · {status}",
                        isSubtle=not overdue,
                        color="Attention" if overdue else "Default",
                        spacing="None",
                    ),
                ],
                separator=True,
            )
        )
    if pages > 1:
        body.append(
            text(t("my_actions.page", page=page + 1, pages=pages, total=total or len(actions)), isSubtle=True)
        )
        buttons = []
        if page > 0:
            buttons.append(submit(t("my_actions.prev"), "actions.mine", nonce=new_nonce(), page=page - 1))
        if page < pages - 1:
            buttons.append(submit(t("my_actions.next"), "actions.mine", nonce=new_nonce(), page=page + 1))
        body.append({"type": "ActionSet", "actions": buttons})
    body.append(text(t("my_actions.how_to_update"), isSubtle=True, size="Small"))
    return card(body)
