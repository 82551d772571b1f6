"""Spotting Swedish personnummer and samordningsnummer in free text, so the bot can refuse them.

A personnummer must never be stored or echoed (GDPR art. 9/10, OSL). We err on the side of
refusing: anything date-shaped with a four-digit tail counts, even with a wrong check digit,
because a typo in a personnummer still identifies a child. We do not refuse phone numbers,
bare years, bare dates or case codes, because refusing those would make the bot useless.

Nor identifiers the software made: the bot's own row ids (32 hex digits) and Entra object ids (GUIDs)
come back in card submissions (which guardian, which team member), and about one random id in a
hundred holds ten digits that read as a samordningsnummer ("…e3211741969b…"). Refusing those made a
guardian's consent, or a colleague's place on the team, impossible to record, for ever. They are
masked whole (never a part of a longer token) before anything else is looked at.

How the text is read (issue 11, item 5), in this order:

1. Text that is not plain ASCII is normalised first, because people paste from Word, Excel, PDFs,
   web forms and phones: NFKC (fullwidth ０-９ and －, superscripts, no-break and narrow no-break
   spaces, ideographic space…); invisible characters are dropped (zero-width space/joiners, word
   joiner, BOM, soft hyphen, bidi marks, variation selectors, combining marks such as the keycap in
   "1️⃣"), because they are invisible to the person who reads the card and to us they would split
   a number; every dash a keyboard, Word or Teams can produce becomes "-"; any Unicode decimal
   digit (Arabic-Indic, Devanagari, …) becomes its ASCII digit. Plain ASCII text, the usual case,
   skips all of this.
2. A date part, then a four-digit tail:
   - date: YYMMDD or YYYYMMDD run together; or grouped with one repeated separator, space, tab,
     dot or dash ("12 12 12", "12.12.12", "2012-12-12"); or "YYMM DD";
   - day 01-31, or 61-91 for a samordningsnummer (day + 60); month 01-12; century 18, 19 or 20;
   - join: nothing, any whitespace including line breaks, "-", "+" (over 100 years old) or a
     double dash with spaces around, or a single ".", "/", ",", ":" or "_" (the keys beside "-" on
     a Swedish keyboard, and what spreadsheets and forms turn the dash into).
   The check digit is not required (see above).
3. Deliberate exceptions, each because refusing it made ordinary work impossible:
   - a grouped date with "." or "-" inside followed by a space and four digits is a date and a
     time ("2026-11-25 1400", "30.11.26 1400"); a space-grouped date ("12 12 12 1212") is not;
   - a tail that goes on as a date or number ("2026-11-30 - 2026-12-05", "20261130-20261205",
     "1400-1500") is not a tail;
   - ten digits run together that start 070, 072, 073, 076 or 079 are a Swedish mobile number
     ("0701010241"), whatever their check digit, unless the text also names a personnummer
     ("pnr 0702151234"). Only 070 can be date-shaped at all (072.. would be month 2x..), and a
     10-digit personnummer starting 070 belongs to someone born January-September 1907 or 2007
     (18-19 years old in 2026: at the end of SSPF's age range or past it) and is usually
     written with its dash, which is still refused ("070101-0241"), as is the 12-digit form
     ("19070101-0241").
     About 5.6 % of 070 numbers (0701010241) are date-shaped and pass Luhn: they used to be
     refused for ever, so those people could not leave their number.
   Phone numbers written as people write them ("070-101 02 41", "+46 70 101 02 41",
   "08-123 456 78", "0046701010241") never have the date-then-four-digits shape and pass.

Known limits: digits spelt with letters ("12121O-1212"), one digit per group ("1 2 1 2 1 2 - …"),
HTML entities, and run-together ten-digit landline numbers that happen to be date-shaped
("0311234567": month 11, day 23) are not told apart; the last is refused.

Speed: the function runs on every free-text field of every card, so every pattern is compiled once
at import, ASCII text is not normalised, and text with nothing shaped like a tail returns after one
scan.

i18n keys emitted:
    privacy.personnummer_refused  (params: field)  -- built by the validators that call this
"""

from __future__ import annotations

import re
import unicodedata

I18N_KEYS: frozenset[str] = frozenset({"privacy.personnummer_refused"})

# --- normalisation (only for text that is not plain ASCII) -----------------------------------------

# Invisible characters: zero-width space/non-joiner/joiner, LRM/RLM, bidi embeddings and isolates,
# word joiner and invisible operators, BOM, soft hyphen, combining grapheme joiner, Arabic letter
# mark, Mongolian vowel separator, variation selectors, combining marks (e.g. the keycap U+20E3).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
    "\ufe00-\ufe0f\u0300-\u036f\u20d0-\u20ff]"
)
# Dashes and minus signs (after NFKC, which already maps U+FF0D, U+FE63 and U+2011).
_DASHES = "\u002d\u02d7\u058a\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2796\u2e3a\u2e3b\ufe58"
_PUNCT = str.maketrans({**dict.fromkeys(_DASHES, "-"), "\u2044": "/", "\u2215": "/"})
# Any Unicode decimal digit that is not 0-9 (``\d`` is Unicode-aware on str patterns).
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def _ascii_digit(match: re.Match[str]) -> str:
    return str(unicodedata.decimal(match.group()))


def _normalise(text: str) -> str:
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = text.translate(_PUNCT)
    return _OTHER_DIGIT.sub(_ascii_digit, text)


# --- identifiers the software made ---------------------------------------------------------------

# Whole identifiers, masked before the search: a GUID, the 32 hex digits of the bot's own ids, or the
# 64 of a SHA-256 MAC the bot signs a card with (the file-consent card's ``sig``).
_IDENTIFIER = re.compile(
    r"(?<![0-9A-Za-z-])(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-f]{64}|[0-9a-f]{32})(?![0-9A-Za-z-])"
)

# --- the shapes ----------------------------------------------------------------------------------

# Every shape below ends in a digit, join characters, and four digits that end a number: text
# without that (most text, and dates, times, amounts and phone numbers) is done after one scan.
_MAYBE_TAIL = re.compile(r"[0-9][\s\-+./,:_]*[0-9]{4}(?![0-9])")

_CENTURY = r"(?P<cc>18|19|20)"
# A tail is four digits that do not go on as a number or a date ("2026-11-30 - 2026-12-05").
_TAIL = r"(?P<tail>[0-9]{4})(?![0-9]|[-./:][0-9])"
# Dash or plus, spaces allowed around it ("120315 - 1234", "121212+1212", "121212 -- 1212").
_DASH_JOIN = r"\s*(?:--?|\+)\s*"

# YYMMDD / YYYYMMDD run together, then the tail.
_COMPACT = re.compile(
    rf"(?<![0-9]){_CENTURY}?(?P<yy>[0-9]{{2}})(?P<mm>[0-9]{{2}})(?P<dd>[0-9]{{2}})"
    rf"(?P<join>{_DASH_JOIN}|\s+|[./,:_]|){_TAIL}"
)
# "12 12 12-1212", "12.12.12-1212", "2012-12-12-1212", "2012 12 12 1212": one separator, repeated.
_GROUPED = re.compile(
    rf"(?<![0-9]){_CENTURY}?(?P<yy>[0-9]{{2}})(?P<sep>[ \t.-])(?P<mm>[0-9]{{2}})(?P=sep)(?P<dd>[0-9]{{2}})"
    rf"(?P<join>{_DASH_JOIN}|\s+){_TAIL}"
)
# "1212 12-1212": year and month together, the day apart; only with a dash or plus before the tail.
_SPLIT_DAY = re.compile(
    rf"(?<![0-9]){_CENTURY}?(?P<yy>[0-9]{{2}})(?P<mm>[0-9]{{2}})[ \t](?P<dd>[0-9]{{2}})"
    rf"(?P<join>{_DASH_JOIN}){_TAIL}"
)

# Swedish mobile numbers: 070, 072, 073, 076, 079 followed by seven digits.
_MOBILE_PREFIX = ("070", "072", "073", "076", "079")
# Words that say a number is a personnummer: then a run-together 070… is not taken for a phone.
_NAMES_A_PERSONNUMMER = re.compile(
    r"(?<!\w)(?:p\.?\s?-?\s?nr|pers(?:on)?\.?\s?-?\s?nr|person\s?-?\s?num\w*|samordnings\s?-?\s?n\w*"
    r"|samordn\.?\s?-?\s?nr|födelsenum\w*)",
    re.IGNORECASE,
)


def _date_shaped(month: str, day: str) -> bool:
    m, d = int(month), int(day)
    if not 1 <= m <= 12:
        return False
    if d > 60:  # samordningsnummer: day of birth + 60
        d -= 60
    return 1 <= d <= 31


def luhn_ok(ten_digits: str) -> bool:
    """Check digit test (the last of the ten digits). Not used to decide: a personnummer with a typo
    in it still identifies a child, and a mobile number is a mobile number whatever its digits."""
    total = 0
    for i, ch in enumerate(ten_digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _any_date_shaped(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """First match whose month and day are date-shaped; a match that is not is retried one
    character further on, so it cannot hide an overlapping personnummer."""
    m = pattern.search(text)
    while m is not None:
        if _date_shaped(m.group("mm"), m.group("dd")):
            return m
        m = pattern.search(text, m.start() + 1)
    return None


def _is_mobile_number(m: re.Match[str], text: str) -> bool:
    """Ten digits run together starting like a mobile number, in a text that does not name a
    personnummer."""
    return (
        m.group("cc") is None
        and m.group("join") == ""
        and m.group("yy") + m.group("mm")[0] in _MOBILE_PREFIX
        and _NAMES_A_PERSONNUMMER.search(text) is None
    )


def contains_personnummer(text: str) -> bool:
    """True when the text holds something that looks like a personnummer or samordningsnummer."""
    if not text:
        return False
    text = _normalise(text)
    if _MAYBE_TAIL.search(text) is None:
        return False
    text = _IDENTIFIER.sub(" ", text)

    m = _COMPACT.search(text)
    while m is not None:
        if _date_shaped(m.group("mm"), m.group("dd")) and not _is_mobile_number(m, text):
            return True
        m = _COMPACT.search(text, m.start() + 1)

    m = _GROUPED.search(text)
    while m is not None:
        # "2026-11-25 1400" is a date and a time; "12 12 12 1212" and "2012-12-12-1212" are not.
        date_and_time = m.group("sep") not in " \t" and m.group("join").isspace()
        if not date_and_time and _date_shaped(m.group("mm"), m.group("dd")):
            return True
        m = _GROUPED.search(text, m.start() + 1)

    return _any_date_shaped(_SPLIT_DAY, text) is not None
