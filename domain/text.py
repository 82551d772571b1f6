"""Normalising what people type, so commands are forgiving of case, accents and Teams markup."""

from __future__ import annotations

import re
import unicodedata

_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def normalize_command(text: str) -> str:
    text = _MENTION.sub(" ", text or "")
    text = _TAG.sub(" ", text)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = " ".join(text.split())
    return text.rstrip(".!?")
