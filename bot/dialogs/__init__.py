"""Conversation flows, one module each; importing them registers their verbs in the registry."""

from bot.dialogs import agenda, booking, cases, consent, figures, help, language, reminders, team  # noqa: F401
