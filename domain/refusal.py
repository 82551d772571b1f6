"""Refusals as data, so domain code never holds user-facing Swedish text.

The bot layer renders `Refusal.key` through its catalog with `Refusal.params`.
Parameters named `agency` carry an `Agency` value (e.g. "polis"); the bot may render them
through the `agency.<value>` key before formatting.

i18n keys emitted: none by itself (see the modules that build refusals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

I18N_KEYS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Refusal:
    """A "no" the user must be told about: catalog key plus format parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)

    def __hash__(self) -> int:
        return hash((self.key, tuple(sorted((k, str(v)) for k, v in self.params.items()))))


FieldErrors = dict[str, Refusal]
