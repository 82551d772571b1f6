"""Conversation flows, one module each; importing them registers their verbs in the registry."""

from bot.dialogs import cases, consent, help, team  # noqa: F401
