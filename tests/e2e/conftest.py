"""End-to-end fixtures: one bot process + one Agents Playground per test module.

- ``stack``: both processes on free ports, a fresh SQLite file in a temp dir, torn down after the module;
  a test module can give the bot extra environment with ``STACK_ENV`` (e.g. the fake reminder clock).
- ``pg``: the Playground client (users write, press buttons; every bot message is collected).
- Autouse per test: every card the bot emitted during the test is parsed with Microsoft's
  ``adaptivecards`` as 1.5 (no validation events, 28 KB budget), and the bot log must show no traceback.

Without Node or ``npm ci --prefix tools`` the tests skip with the reason; under ``CI=true`` they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.playground import Playground
from tests.e2e.stack import Stack, StackUnavailable, missing_tooling
from tests.harness.cards import assert_valid_cards


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Agents Playground e2e tests cannot run: {reason} (CI=true: they must run)")
    pytest.skip(f"Agents Playground e2e tests skipped: {reason}")


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A module may set ``STACK_ENV`` (a function of the stack's work dir → extra bot environment) and
    ``PLAYGROUND_ARGS`` (extra command-line options for the Playground)."""
    reason = missing_tooling()
    if reason:
        _unavailable(reason)
    workdir = tmp_path_factory.mktemp("e2e")
    extra_env = getattr(request.module, "STACK_ENV", lambda _workdir: {})(workdir)
    running = Stack(
        workdir, extra_env=extra_env, playground_args=getattr(request.module, "PLAYGROUND_ARGS", ())
    )
    try:
        running.start()
    except StackUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def pg(stack: Stack) -> Playground:
    assert stack.client is not None
    return stack.client


@pytest.fixture(autouse=True)
def _cards_valid_and_no_crash(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each e2e test: the cards it produced are valid 1.5 cards; the bot logged no traceback."""
    if "pg" not in request.fixturenames:
        yield
        return
    stack: Stack = request.getfixturevalue("stack")
    client: Playground = request.getfixturevalue("pg")
    mark = client.mark()
    log_start = len(stack.bot_log_text())
    problems_start = len(client.problems)
    yield
    cards = client.cards_since(mark)
    if cards:
        assert_valid_cards(cards)
    new_log = stack.bot_log_text()[log_start:]
    assert "Traceback" not in new_log, f"the bot logged a traceback during the test:\n{new_log[-4000:]}"
    assert client.problems[problems_start:] == [], "the Playground reported problems"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """e2e tests are slower: mark them so ``-m 'not e2e'`` can leave them out locally."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end through the Microsoft 365 Agents Playground")
