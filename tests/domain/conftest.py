"""Shared helpers: render refusals through the shipped Swedish key file, as the bot will."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from domain.refusal import Refusal

SV = json.loads(
    (Path(__file__).parents[2] / "bot" / "i18n" / "sv" / "domain.json").read_text(encoding="utf-8")
)


def render_sv(refusal: Refusal) -> str:
    """The Swedish sentence a social worker would see."""
    return SV[refusal.key].format(**refusal.params)


@pytest.fixture
def render() -> Callable[[Refusal], str]:
    return render_sv


@pytest.fixture
def today() -> date:
    return date(2026, 11, 25)
