"""Normalising what users type in Teams so commands match however they are written.

Teams wraps @-mentions in <at>…</at> and sends HTML; Swedish users mix "möte", "mote" and
"Möte." -- all must reach the same verb.

i18n keys emitted: none.
"""

from __future__ import annotations

import html
import re
import unicodedata

I18N_KEYS: frozenset[str] = frozenset()

_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
_TRAILING_PUNCT = ".,;:!?…"


def strip_diacritics(text: str) -> str:
    """ä→a, å→a, ö→o, é→e: users without a Swedish keyboard must still be understood."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def strip_markup(text: str) -> str:
    """Remove the bot's own mention and any HTML, keeping the words between tags apart."""
    without_mentions = _MENTION.sub(" ", text)
    without_tags = _TAG.sub(" ", without_mentions)
    return html.unescape(without_tags)


def normalize_command(text: str) -> str:
    """One comparable form of a typed command."""
    plain = strip_markup(text or "")
    folded = strip_diacritics(plain.casefold())
    collapsed = _SPACES.sub(" ", folded).strip()
    return collapsed.rstrip(_TRAILING_PUNCT + " ").strip()
