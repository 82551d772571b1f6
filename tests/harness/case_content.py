"""Case content, concretely, for the check that shared chats keep nothing about a child (issue 12 §3).

Case content is anything about the child: initials, birth year, school, the names of the child and the
guardians, lägesbild and notes, action texts, status comments, outcomes. At the end of every test that
ran the bot, ``harvest`` reads what that test's database holds of it (what the seed helpers put there and
what the test typed through the bot), and the loopback connector's shared posts of that test are sealed
with it (``tests.harness.connector.seal_shared_posts``). ``tests/test_shared_chats_keep_no_case_content.py``
runs last and fails if any of it appears in an activity the bot posted or updated in a group chat,
meeting chat or channel.

Short values (initials such as "A.B.", a birth year) are looked for in what people can read (texts,
titles, input values), longer ones in every string of the activity, hidden card data included (Teams
keeps that in the chat's history too). Values that are not about one child are left out: the catalog's
own wording (an action kind's default text, "bekräftat"), dates (a proposed next meeting), decisions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from store.models import ActionItem, CaseContact, SspfCase, StepEntry

ROOT = Path(__file__).resolve().parents[2]
SHORT = 8  # values shorter than this are looked for in visible text only
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _catalog_words() -> set[str]:
    words: set[str] = {"bekräftat", "fortsatta", "avsluta"}
    for path in (ROOT / "bot" / "i18n").glob("*/*.json"):
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            if key.startswith(("action_kind.", "concern.", "agency.")) and isinstance(value, str):
                words.add(value)
    return words


_CATALOG = _catalog_words()


def _keep(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) < 4 or text in _CATALOG or _DATE.match(text):
        return None
    return text


async def harvest(db: Any) -> set[str]:
    """Every piece of case content the test's database holds."""
    found: set[str] = set()
    async with db.session() as s:
        for case in await s.scalars(select(SspfCase)):
            found.update(v for v in (_keep(case.initials), _keep(case.birth_year)) if v)
        for contact in await s.scalars(select(CaseContact)):
            if v := _keep(contact.name):
                found.add(v)
        for entry in await s.scalars(select(StepEntry)):
            for line in (entry.text or "").split("\n"):
                if v := _keep(line):
                    found.add(v)
        for item in await s.scalars(select(ActionItem)):
            found.update(v for v in (_keep(item.text), _keep(item.status_comment)) if v)
    return found


def _strings(node: Any, visible_only: bool) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                if not visible_only or key in (
                    "text",
                    "title",
                    "value",
                    "label",
                    "placeholder",
                    "altText",
                    "summary",
                ):
                    yield value
            else:
                yield from _strings(value, visible_only)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, visible_only)


def leaks(body: dict[str, Any], content: frozenset[str] | set[str]) -> list[str]:
    """The pieces of ``content`` that appear in the activity ``body``."""
    visible = list(_strings(body, True))
    every = list(_strings(body, False))
    found = []
    for value in sorted(content):
        if len(value) < SHORT:
            # a short marker (a birth year, initials) counts as a word of its own: "2012" inside a random
            # hex id in a choice's value is chance, not the child's birth year
            token = re.compile(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])")
            if any(token.search(s) for s in visible):
                found.append(value)
        elif any(value in s for s in every):
            found.append(value)
    return found
