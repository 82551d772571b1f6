"""Replies are never lost after the turn committed (bot/replies.py).

What the coordinator would notice before: the case was saved, but the confirmation never came (the
connector refused, or the process died between commit and send, and Teams' re-send of the activity
was dropped as a replay), or worse, they were told "Ingenting har sparats" and registered it twice.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import BOT
from store.models import PendingReply, SspfCase
from store.types import utcnow
from tests.case_steps import case_inputs
from tests.conftest import COORDINATOR
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, find_action, local_settings

NOTHING_SAVED = "Ingenting har sparats"


async def _count(bot: RunningBot, model) -> int:
    async with bot.services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _case_form(bot: RunningBot) -> tuple[acts.Conversation, dict]:
    conv = acts.personal(COORDINATOR)
    form = await bot.say(COORDINATOR, conv, "nytt ärende")
    return conv, form.card


def _later(bot: RunningBot, seconds: float) -> None:
    """Move the replies' clock forward (leases and back-off are measured by it), instead of sleeping."""
    bot.services.replies.clock = lambda: utcnow() + timedelta(seconds=seconds)


def _confirmations(bot: RunningBot, conv: acts.Conversation) -> list[str]:
    return [m.text for m in bot.connector.messages(conv.id) if m.text and "SSPF-" in m.text]


@pytest.fixture
async def quick_bot(database_url, connector, tmp_path):
    """Short reply budget (lease = budget + 2 s), no background sweep: the test decides when to sweep."""
    settings = local_settings(
        database_url, ics_dir=str(tmp_path / "ics"), reply_budget_s=0.5, reply_sweep_s=0
    )
    running = RunningBot(settings, connector)
    await running.start()
    yield running
    await running.stop()


async def test_a_refused_reply_is_owed_and_teams_resend_delivers_it_once(quick_bot: RunningBot):
    bot = quick_bot
    conv, form = await _case_form(bot)
    press = acts.submit(
        {**case_inputs(), **find_action(form, "Spara")["data"]}, COORDINATOR, conv, bot.connector.url
    )
    bot.connector.fail_next(502, times=50)  # the connector is down for every retry of this turn
    status, _ = await bot.post(press)
    assert status == 200
    assert await _count(bot, SspfCase) == 1  # saved
    assert _confirmations(bot, conv) == []  # but not yet confirmed ...
    assert not any(NOTHING_SAVED in (m.text or "") for m in bot.connector.sent)  # ... and no false alarm
    assert await _count(bot, PendingReply) >= 1
    bot.connector.clear()
    bot.connector.faults.clear()

    _later(bot, 15)  # Teams re-sends after 15 s
    status, _ = await bot.post(press)
    assert status == 200
    assert len(_confirmations(bot, conv)) == 1
    assert await _count(bot, SspfCase) == 1  # the re-send created nothing
    assert await _count(bot, PendingReply) == 0

    await bot.post(press)  # and a third copy sends nothing again
    assert len(_confirmations(bot, conv)) == 1


async def test_replies_of_a_process_that_died_after_commit_are_sent_after_restart(quick_bot: RunningBot):
    bot = quick_bot
    conv, form = await _case_form(bot)
    press = acts.submit(
        {**case_inputs(), **find_action(form, "Spara")["data"]}, COORDINATOR, conv, bot.connector.url
    )
    stuck = asyncio.Event()

    async def die_after_commit(turn) -> None:  # the process stops right after the commit
        stuck.set()
        await asyncio.Event().wait()

    bot.app[BOT]._run_outbox = die_after_commit  # type: ignore[method-assign]
    request = asyncio.ensure_future(bot.post(press))
    await asyncio.wait_for(stuck.wait(), 10)
    request.cancel()
    await bot.restart()  # a new process on the same database (Teams got no answer)
    assert await _count(bot, SspfCase) == 1
    assert _confirmations(bot, conv) == []

    assert await bot.services.replies.sweep() == 0  # still leased to the process that died
    _later(bot, 15)
    assert await bot.services.replies.sweep() >= 1  # any replica's sweep
    assert len(_confirmations(bot, conv)) == 1
    assert await bot.services.replies.sweep() == 0
    await bot.post(press)  # Teams' re-send afterwards: nothing twice
    assert len(_confirmations(bot, conv)) == 1
    assert await _count(bot, SspfCase) == 1


async def test_throttled_replies_do_not_hold_teams_past_the_budget(quick_bot: RunningBot):
    """Under 429 the answer to Teams goes back within the reply budget (Teams re-sends after 15 s);
    the reply follows once the connector takes it, and nobody is told nothing was saved."""
    bot = quick_bot
    conv, form = await _case_form(bot)
    press = acts.submit(
        {**case_inputs(), **find_action(form, "Spara")["data"]}, COORDINATOR, conv, bot.connector.url
    )
    bot.connector.fail_next(429, times=50, retry_after=0.2)
    started = time.monotonic()
    status, _ = await bot.post(press)
    answered_in = time.monotonic() - started
    assert status == 200
    # 50 throttled tries at 0.2 s would take 10 s; the budget is 0.5 s. A generous bound: the point is
    # that the HTTP answer does not wait for the connector.
    assert answered_in < 4, answered_in
    bot.connector.faults.clear()
    # The process goes on trying in the background until its lease ends; only then may others send.
    await asyncio.gather(*bot.app[BOT]._background)
    _later(bot, 15)
    await bot.services.replies.sweep()
    assert len(_confirmations(bot, conv)) == 1
    assert not any(NOTHING_SAVED in (m.text or "") for m in bot.connector.sent)


async def test_replies_of_one_turn_keep_their_order_when_the_first_is_owed(quick_bot: RunningBot):
    """A failed first reply is not overtaken by the second: they are sent later in the order queued."""
    bot = quick_bot
    conv, form = await _case_form(bot)
    press = acts.submit(
        {**case_inputs(), **find_action(form, "Spara")["data"]}, COORDINATOR, conv, bot.connector.url
    )
    bot.connector.fail_next(502, times=4)  # exactly the first reply's attempts
    await bot.post(press)
    assert _confirmations(bot, conv) == []
    before = len(bot.connector.messages(conv.id))
    _later(bot, 3)
    assert await bot.services.replies.sweep() == 0  # handed back for 5 s after the failed attempt
    _later(bot, 10)
    assert await bot.services.replies.sweep() >= 2
    later = bot.connector.messages(conv.id)[before:]
    assert later, "the owed replies were not sent"
    assert "SSPF-" in (later[0].text or ""), [m.text for m in later]  # the confirmation still comes first


async def test_a_permanent_refusal_is_not_retried_forever(quick_bot: RunningBot):
    bot = quick_bot
    conv = acts.personal(COORDINATOR)
    bot.connector.fail_next(403, times=1)  # the user removed the app: Teams will never take it
    await bot.say(COORDINATOR, conv, "hjälp")
    assert await _count(bot, PendingReply) == 0


async def test_a_notice_to_a_colleague_is_owed_without_holding_up_the_reply(quick_bot: RunningBot):
    """A team notice whose chat refuses for now goes out later; the actor's own reply is not held up."""
    from bot.turn import Turn

    bot = quick_bot
    conv = acts.personal(COORDINATOR)
    colleague = acts.personal(acts.User("aad-colleague", "Kollega"))
    await bot.say(acts.User("aad-colleague", "Kollega"), colleague, "hjälp")  # the bot knows their chat
    bot.connector.clear()
    calls = {"n": 0}
    real_show = Turn.show

    def show_and_notify(self, card, **kw):  # a handler that tells a colleague first, as withdrawals do
        if calls["n"] == 0:
            self.notify("aad-colleague", "notice.added_to_team", code="SSPF-2026-001")
        calls["n"] += 1
        return real_show(self, card, **kw)

    Turn.show = show_and_notify  # type: ignore[method-assign]
    try:
        bot.connector.fail_next(502, times=4, conversation=colleague.id)
        await bot.say(COORDINATOR, conv, "hjälp")
    finally:
        Turn.show = real_show  # type: ignore[method-assign]
    assert calls["n"] >= 1
    assert bot.connector.messages(conv.id), "the actor's own reply waited for the colleague's notice"
    assert not bot.connector.messages(colleague.id)
    _later(bot, 15)
    assert await bot.services.replies.sweep() == 1
    [notice] = [m.text for m in bot.connector.messages(colleague.id)]
    assert notice.startswith("Du har lagts till i teamet för ärende **SSPF-2026-001**.")
