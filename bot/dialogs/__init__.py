"""Conversation flows, one module each; importing them registers their verbs in the registry."""

from bot.dialogs import booking, help, language  # noqa: F401
