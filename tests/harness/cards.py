"""Adaptive Card validation for tests, through Microsoft's `adaptivecards` parser (tools/validate_cards.js).

    from tests.harness.cards import assert_valid_cards, validate_cards
    assert_valid_cards([card_a, card_b])          # raises AssertionError naming each bad card and its events
    reports = validate_cards([card_a, card_b])    # list[CardReport], same order

One Node process per call (batch the cards of a test into one call). Needs `npm ci --prefix tools`.
Without Node or the npm packages: with CI=true the call fails loudly; otherwise the test is skipped
with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
NODE_MODULES = TOOLS / "node_modules"
VALIDATOR = TOOLS / "validate_cards.js"

CARD_BUDGET_BYTES = 28 * 1024  # our own budget per card; Teams refuses messages over ~100 KB
TIMEOUT_S = 60


@dataclass(frozen=True)
class CardEvent:
    phase: str
    event: str
    message: str

    def __str__(self) -> str:
        return f"[{self.phase}/{self.event}] {self.message}"


@dataclass(frozen=True)
class CardReport:
    ok: bool
    bytes: int
    events: list[CardEvent] = field(default_factory=list)

    @property
    def within_budget(self) -> bool:
        return self.bytes <= CARD_BUDGET_BYTES


class ToolingMissing(RuntimeError):
    pass


def _unavailable(reason: str) -> None:
    """CI must not silently skip card validation; a developer machine without Node skips visibly."""
    if os.environ.get("CI", "").lower() == "true":
        raise ToolingMissing(f"{reason} (CI=true: card validation must run)")
    import pytest

    pytest.skip(f"Adaptive Card validation unavailable: {reason}")


def _node() -> str | None:
    node = shutil.which("node")
    if node is None:
        _unavailable("`node` not found on PATH (install Node 20+)")
        return None
    if not (NODE_MODULES / "adaptivecards").is_dir() or not (NODE_MODULES / "jsdom").is_dir():
        _unavailable(f"{NODE_MODULES} lacks adaptivecards/jsdom: run `npm ci --prefix tools`")
        return None
    return node


PEOPLE_PICKER_DATA = {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}


def _teams_extensions_stripped(card: Any) -> Any:
    """The card without Teams' people picker extension, which the `adaptivecards` parser cannot judge.

    Teams renders ``Input.ChoiceSet`` with ``choices.data`` = Data.Query on ``graph.microsoft.com/users``
    (optionally ``?scope=currentContext``) in cards of any version it supports; the JS parser files the
    property under 1.6 and wants a static choice. Only that exact shape is accepted; anything else stays
    and is reported.
    """
    import copy

    def fix(node: Any) -> None:
        if isinstance(node, dict):
            data = node.get("choices.data")
            if (
                node.get("type") == "Input.ChoiceSet"
                and isinstance(data, dict)
                and data.get("type") == PEOPLE_PICKER_DATA["type"]
                and str(data.get("dataset", "")).split("?")[0] == PEOPLE_PICKER_DATA["dataset"]
                and set(data) <= {"type", "dataset"}
            ):
                del node["choices.data"]
                if not node.get("choices"):
                    node["choices"] = [{"title": "(people picker)", "value": "_"}]
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)

    if not isinstance(card, dict) or "choices.data" not in json.dumps(card):
        return card
    out = copy.deepcopy(card)
    fix(out)
    return out


def validate_cards(cards: list[dict[str, Any]]) -> list[CardReport]:
    """Validate every card in one Node process; one CardReport per card, in order."""
    if not cards:
        return []
    cards = [_teams_extensions_stripped(c) for c in cards]
    node = _node()
    assert node is not None
    proc = subprocess.run(
        [node, str(VALIDATOR)],
        input=json.dumps(cards, ensure_ascii=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=TOOLS,
        timeout=TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"validate_cards.js exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    raw = json.loads(proc.stdout)
    if len(raw) != len(cards):
        raise RuntimeError(f"validate_cards.js returned {len(raw)} reports for {len(cards)} cards")
    return [
        CardReport(ok=r["ok"], bytes=r["bytes"], events=[CardEvent(**e) for e in r["events"]]) for r in raw
    ]


def _card_label(index: int, card: dict[str, Any]) -> str:
    """A readable name for a card in failure messages: index plus its first text, if any."""
    first = ""
    for el in card.get("body", []) if isinstance(card, dict) else []:
        if isinstance(el, dict) and isinstance(el.get("text"), str):
            first = el["text"][:60]
            break
    return f"card #{index}" + (f" ({first!r})" if first else "")


def card_problems(
    cards: list[dict[str, Any]], reports: list[CardReport], budget: int = CARD_BUDGET_BYTES
) -> list[str]:
    """Human-readable problems for every failing card (validation events, size over budget)."""
    problems = []
    for i, (card, rep) in enumerate(zip(cards, reports, strict=True)):
        lines = [str(e) for e in rep.events if not rep.ok or e.event != "Hint"]
        if rep.bytes > budget:
            lines.append(f"[Size/OverBudget] {rep.bytes} bytes > budget {budget} bytes ({budget // 1024} KB)")
        if not rep.ok or rep.bytes > budget:
            problems.append(
                _card_label(i, card) + ":\n    " + "\n    ".join(lines or ["(no events, ok=false)"])
            )
    return problems


def assert_valid_cards(cards: list[dict[str, Any]], budget: int = CARD_BUDGET_BYTES) -> list[CardReport]:
    """Assert every card parses cleanly as Adaptive Card 1.5 and fits the size budget."""
    reports = validate_cards(cards)
    problems = card_problems(cards, reports, budget)
    if problems:
        raise AssertionError(
            f"{len(problems)} of {len(cards)} Adaptive Cards invalid:\n  " + "\n  ".join(problems)
        )
    return reports
