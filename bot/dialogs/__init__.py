"""Conversation flows, one module each; importing them registers their verbs in the registry."""

from bot.dialogs import (  # noqa: F401
    agenda,
    booking,
    cases,
    consent,
    figures,
    help,
    language,
    my_actions,
    reminders,
    team,
)
