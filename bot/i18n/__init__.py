"""The message catalog: every text a Teams user reads comes from here, Swedish first.

Each language is a folder of JSON files, one per flow (``sv/core.json``, ``sv/cases.json`` …), merged
at load; a key defined twice is an error. Swedish is complete by construction (a test checks every
key used in the code exists there); English may lag behind, and a missing English text falls back
to the Swedish one rather than showing a key.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"


@cache
def _messages(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((HERE / lang).glob("*.json")):
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"catalog key {key!r} defined twice ({path.name})")
            merged[key] = text
    return merged


def language_of(locale: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """``en-US`` → ``en``; anything we have no catalog for → the default (Swedish)."""
    lang = (locale or "").split("-")[0].lower()
    return lang if lang in LANGUAGES else default


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, **params: Any) -> str:
        text = _messages(self.lang).get(key)
        if text is None:
            text = _messages(DEFAULT_LANGUAGE).get(key)
        if text is None:
            log.error("missing catalog text %r", key)
            return key
        try:
            return text.format(**params) if params else text
        except (KeyError, IndexError, ValueError):
            log.error("catalog text %r lacks a parameter in %r", key, params)
            return text

    def has(self, key: str) -> bool:
        return key in _messages(DEFAULT_LANGUAGE)


def translator(locale: str | None, default_locale: str = "sv-SE") -> Translator:
    """The language of someone who has not chosen one with ``språk``: the product's configured locale
    (``SSPF_LOCALE``, Swedish), whatever locale the client reports. Teams clients and the Agents
    Playground send ``en-US`` on many Swedish desks, so the client's locale is not taken as a choice;
    English is one ``språk`` away. ``locale`` is kept in the signature for the callers that pass it."""
    del locale
    return Translator(language_of(default_locale))
