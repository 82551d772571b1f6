"""``språk``: the user picks Svenska or English for everything the bot writes to them.

Teams' own locale decides by default; some users run Teams in English but work in Swedish (or the
other way round). A two-step dialog (question, then confirmation) whose state lives in the database.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import ComponentDialog, WaterfallDialog, WaterfallStepContext
from botbuilder.dialogs.choices import Choice, ListStyle
from botbuilder.dialogs.prompts import ChoicePrompt, PromptOptions

from bot.dialog_host import DialogHost, dialog
from bot.i18n import Translator
from bot.registry import registry
from bot.turn import Turn

DIALOG_ID = "language"
CHOICES = {"Svenska": "sv", "English": "en"}


def _t(step: WaterfallStepContext) -> Translator:
    from bot.handler import TURN_KEY

    return step.context.turn_state[TURN_KEY].t


@dialog
class LanguageDialog(ComponentDialog):
    def __init__(self, host: DialogHost) -> None:
        super().__init__(DIALOG_ID)
        self.host = host
        self.add_dialog(ChoicePrompt("language.choice"))
        self.add_dialog(ChoicePrompt("language.confirm"))
        self.add_dialog(WaterfallDialog("language.steps", [self.ask, self.confirm, self.save]))
        self.initial_dialog_id = "language.steps"

    async def ask(self, step: WaterfallStepContext):
        t = _t(step)
        return await step.prompt(
            "language.choice",
            PromptOptions(
                prompt=MessageFactory.text(t("language.ask")),
                retry_prompt=MessageFactory.text(t("language.retry")),
                choices=[Choice(name) for name in CHOICES],
                style=ListStyle.hero_card,
            ),
        )

    async def confirm(self, step: WaterfallStepContext):
        chosen = step.result.value
        step.values["lang"] = CHOICES[chosen]
        t = Translator(CHOICES[chosen])
        return await step.prompt(
            "language.confirm",
            PromptOptions(
                prompt=MessageFactory.text(t("language.confirm", language=chosen)),
                retry_prompt=MessageFactory.text(t("language.confirm", language=chosen)),
                choices=[Choice(t("common.yes")), Choice(t("common.no"))],
                style=ListStyle.hero_card,
            ),
        )

    async def save(self, step: WaterfallStepContext):
        lang = step.values["lang"]
        t = Translator(lang)
        if step.result.index == 0:
            from bot.handler import TURN_KEY

            turn: Turn = step.context.turn_state[TURN_KEY]
            await self.host.set_language(step.context, turn.user_id, lang)
            await step.context.send_activity(t("language.saved"))
        else:
            await step.context.send_activity(_t(step)("language.unchanged"))
        return await step.end_dialog(lang)


@registry.verb("language", "språk", "sprak", "language", personal=True, help_key="help.cmd.language")
async def choose_language(turn: Turn) -> None:
    await turn.services.dialogs.begin(turn.context, DIALOG_ID)


@registry.verb("dialog.continue", personal=True, idempotent=False)
async def continue_dialog(turn: Turn) -> None:
    """A typed answer to the dialog the user is in (the language prompt)."""
    await turn.services.dialogs.continue_active(turn.context)


@registry.verb("dialog.cancel", "avbryt", "cancel", help_key="help.cmd.cancel")
async def cancel_dialog(turn: Turn) -> None:
    had = await turn.services.dialogs.cancel(turn.context)
    turn.say("dialog.cancelled" if had else "dialog.nothing_to_cancel")
