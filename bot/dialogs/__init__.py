"""Conversation flows, one module each; importing them registers their verbs in the registry."""

from bot.dialogs import (
    help,  # noqa: F401
    reminders,  # noqa: F401
)
