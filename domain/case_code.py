"""Pseudonymous case codes (SSPF-2026-014): the only identifier of a child ever shown in Teams."""

from __future__ import annotations

import re

_CODE = re.compile(r"\bsspf[\s_-]*(\d{4})[\s_-]*(\d{1,5})\b", re.IGNORECASE)


def format_case_code(year: int, seq: int) -> str:
    return f"SSPF-{year}-{seq:03d}"


def parse_case_code(text: str) -> str | None:
    match = _CODE.search(text or "")
    return format_case_code(int(match.group(1)), int(match.group(2))) if match else None


find_case_code = parse_case_code
