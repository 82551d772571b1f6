"""Spotting Swedish personnummer and samordningsnummer in free text, so the bot can refuse them.

A personnummer must never be stored or echoed (GDPR art. 9/10, OSL). We err on the side of
refusing: anything date-shaped with a four-digit tail counts, even with a wrong check digit,
because a typo in a personnummer still identifies a child. We do not refuse phone numbers,
bare years, bare dates or case codes, because refusing those would make the bot useless.

Nor identifiers the software made: the bot's own row ids (32 hex digits) and Entra object ids (GUIDs)
come back in card submissions (which guardian, which team member), and about one random id in a
hundred holds ten digits that read as a samordningsnummer ("…e3211741969b…"). Refusing those made a
guardian's consent, or a colleague's place on the team, impossible to record, for ever.

i18n keys emitted:
    privacy.personnummer_refused  (params: field)  -- built by the validators that call this
"""

from __future__ import annotations

import re

I18N_KEYS: frozenset[str] = frozenset({"privacy.personnummer_refused"})

# Separators people actually type, including the dashes Word and Teams substitute.
_SEP = r"[-+\u2010\u2011\u2012\u2013\u2014\u2212]"
_SPACE = r"[ \t\u00a0]"
_JOIN = rf"(?:{_SPACE}*{_SEP}{_SPACE}*|{_SPACE}?)"

_TEN = re.compile(rf"(?<!\d)(\d{{2}})(\d{{2}})(\d{{2}})({_JOIN})(\d{{4}})(?!\d)")
_TWELVE = re.compile(rf"(?<!\d)(18|19|20)(\d{{2}})(\d{{2}})(\d{{2}})({_JOIN})(\d{{4}})(?!\d)")
# "2012-03-15-1234": a personnummer typed with an ISO date; a time after a date ("2026-11-25 1400")
# is not taken, so only a dash joins the tail here.
_ISO_DATED = re.compile(
    rf"(?<!\d)(18|19|20)(\d{{2}}){_SEP}(\d{{2}}){_SEP}(\d{{2}}){_SPACE}*{_SEP}{_SPACE}*(\d{{4}})(?!\d)"
)

# Whole identifiers, masked before the search: a GUID, or the 32 hex digits of the bot's own ids.
_IDENTIFIER = re.compile(
    r"(?<![0-9A-Za-z-])(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-f]{32})(?![0-9A-Za-z-])"
)

# Swedish mobile numbers: 070, 072, 073, 076, 079 followed by seven digits.
_MOBILE_PREFIX = re.compile(r"^07[02369]")


def _date_shaped(month: str, day: str) -> bool:
    m, d = int(month), int(day)
    if not 1 <= m <= 12:
        return False
    if d > 60:  # samordningsnummer: day of birth + 60
        d -= 60
    return 1 <= d <= 31


def luhn_ok(ten_digits: str) -> bool:
    """Check digit test; only used to tell a run-together mobile number from a personnummer."""
    total = 0
    for i, ch in enumerate(ten_digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def contains_personnummer(text: str) -> bool:
    """True when the text holds something that looks like a personnummer or samordningsnummer."""
    if not text:
        return False
    text = _IDENTIFIER.sub(" ", text)
    for m in _TWELVE.finditer(text):
        if _date_shaped(m.group(3), m.group(4)):
            return True
    for m in _ISO_DATED.finditer(text):
        if _date_shaped(m.group(3), m.group(4)):
            return True
    for m in _TEN.finditer(text):
        yy, mm, dd, join, tail = m.groups()
        if not _date_shaped(mm, dd):
            continue
        digits = f"{yy}{mm}{dd}{tail}"
        if not join.strip() and _MOBILE_PREFIX.match(digits) and not luhn_ok(digits):
            # 0701234567 is far more likely a mobile number than a typo'd personnummer.
            continue
        return True
    return False
