"""No log line of the whole test-suite holds a personnummer or case content.

``tests/conftest.py`` installs a handler on the root logger (at DEBUG, with the third-party loggers held
where production holds them) that checks every record the suite emits, its message and its traceback,
against ``domain.personnummer.contains_personnummer`` and the case content the tests feed the bot
(``tests.harness.seed.CASE_CONTENT_MARKERS``). This test runs last and fails on any hit, naming where it
was logged (never what).
"""

from __future__ import annotations

import logging

import pytest

from domain.personnummer import contains_personnummer
from tests.conftest import SUITE_LOG_SCAN
from tests.harness.seed import CASE_CONTENT_MARKERS


def test_the_scan_sees_what_it_must():
    """The scanner itself: a message argument, an exception message and a traceback are all checked."""
    before = len(SUITE_LOG_SCAN.violations)
    log = logging.getLogger("bot.scan_selftest")
    try:
        log.info("case %s", CASE_CONTENT_MARKERS[0])
        try:
            raise ValueError("pnr 19121212-1212")
        except ValueError:
            log.exception("failed")
        log.debug("plain")
        found = SUITE_LOG_SCAN.violations[before:]
        assert [v["found"] for v in found] == ["case content", "a personnummer"]
        assert all(v["logger"] == "bot.scan_selftest" for v in found)
    finally:
        del SUITE_LOG_SCAN.violations[before:]  # the self-test's own lines are not the suite's
    assert contains_personnummer("19121212-1212")


def test_no_log_line_of_the_suite_holds_case_content(request: pytest.FixtureRequest):
    if len(request.session.items) < 20:
        pytest.skip("checks the logs of the whole suite: run it with the suite")
    assert SUITE_LOG_SCAN.records > 50, "the suite logged almost nothing: the scanner is not installed"
    violations = SUITE_LOG_SCAN.violations
    report = "\n".join(
        f"- {v['found']} logged by {v['logger']} at {v['where']} ({v['format']!r}) in {v['test']}"
        for v in violations[:30]
    )
    assert not violations, f"{len(violations)} log record(s) with case content or a personnummer:\n{report}"
