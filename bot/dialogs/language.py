"""``språk``: the user picks Svenska or English for everything the bot writes to them.

Teams' own locale decides by default; some users run Teams in English but work in Swedish (or the
other way round). ``språk`` shows a card with the two choices; a press stores the choice in the
user's state (``DialogHost.set_language``, in the turn's transaction) and answers in the new language.

The choice is theirs everywhere: every 1:1 turn, typed or pressed, and the answer to a card press in a
shared chat (``bot/handler.py``); reminders and the weekly digest (``bot/reminders/dispatcher.py``) and
notices about a colleague's action (``Turn.notify``, rendered when delivered) read it by the person's
Entra id through ``bot/preferences.py``.
"""

from __future__ import annotations

from bot.cards.language import language_card
from bot.i18n import LANGUAGES, Translator
from bot.registry import Route, registry
from bot.turn import Turn

# The access gate (bot/registry.py) has every verb name the resource it acts on; these act on none.
# Older registries take no such option: pass it only where the route has the field.
NO_RESOURCE: dict[str, str] = {"resource": "none"} if "resource" in Route.__dataclass_fields__ else {}


async def _current(turn: Turn) -> str:
    chosen = await turn.services.dialogs.preferred_language(turn.context, turn.user_id)
    return chosen if chosen in LANGUAGES else turn.t.lang


@registry.verb(
    "language", "språk", "sprak", "language", personal=True, help_key="help.cmd.language", **NO_RESOURCE
)
async def choose_language(turn: Turn) -> None:
    turn.show(language_card(turn.t, await _current(turn)), summary=turn.t("language.ask"))


@registry.verb("language.set", personal=True, **NO_RESOURCE)
async def set_language(turn: Turn) -> None:
    lang = turn.data.get("language")
    if not isinstance(lang, str) or lang not in LANGUAGES:
        # a forged or outdated press: show the choices again
        turn.show(language_card(turn.t, await _current(turn)), summary=turn.t("language.ask"))
        return
    await turn.services.dialogs.set_language(turn.context, turn.user_id, lang)
    turn.t = Translator(lang)
    turn.say("language.saved")


@registry.verb("dialog.cancel", "avbryt", "cancel", **NO_RESOURCE)
async def cancel_dialog(turn: Turn) -> None:
    """Kept for people who type it from habit: every flow is a card now, so nothing is ever pending."""
    turn.say("dialog.nothing_to_cancel")
