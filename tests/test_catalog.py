"""The message catalog: every English text has its Swedish original with the same placeholders, so a
user switching language never sees a key or a broken sentence."""

from __future__ import annotations

import re

from bot.i18n import _messages

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_english_texts_match_swedish_ones():
    sv, en = _messages("sv"), _messages("en")
    assert set(en) <= set(sv), sorted(set(en) - set(sv))
    mismatched = [k for k in en if set(PLACEHOLDER.findall(en[k])) != set(PLACEHOLDER.findall(sv[k]))]
    assert mismatched == []


def test_english_covers_the_labels_users_see_on_cards():
    en = _messages("en")
    for prefix in ("agency.", "case_status.", "action_status.", "action_kind.", "track.", "meeting_kind."):
        keys = [k for k in _messages("sv") if k.startswith(prefix)]
        assert keys and all(k in en for k in keys), prefix
