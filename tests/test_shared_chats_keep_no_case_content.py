"""Nothing about a child in any group chat, meeting chat or channel, in the whole suite (issue 12 §3).

Teams keeps a shared chat's history for every member, forever; members can forward and export it. So
every activity the bot posted or updated in a non-personal conversation while the suite ran is checked
against the case content of the test that made it send it (``tests/harness/case_content.py`` says what
counts: initials, birth year, names of the child and guardians, notes, action texts, comments). Runs last
(``tests/conftest.py``), after the tests whose posts it reads."""

from __future__ import annotations

import pytest

from tests.harness.case_content import leaks
from tests.harness.connector import SHARED_POSTS


def test_no_case_content_in_any_shared_chat_post(request: pytest.FixtureRequest):
    if len(request.session.items) < 20:
        pytest.skip("checks what the rest of the suite made the bot post: run it with the suite")
    checked = [p for p in SHARED_POSTS if p.content]
    assert len(checked) >= 20, "the suite posted almost nothing in shared chats with case content around"
    problems = []
    for post in checked:
        found = leaks(post.body, post.content)
        if found:
            problems.append(
                f"{post.test}: {post.method} in {post.conversation_id} carries {[v[:60] for v in found]}"
            )
    assert not problems, "case content in a shared chat:\n  " + "\n  ".join(sorted(set(problems)))
