"""Outcomes when a case closes: asked on the closing form, kept only as anonymous counts, shown to the
steering group as shares with small numbers suppressed."""

from __future__ import annotations

import json

from sqlalchemy import select

from store.models import Base, OutcomeTally, SspfCase
from store.queries.figures import outcome_counts
from tests.conftest import COORDINATOR
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, fact_value, find_action, input_values, nodes
from tests.harness.seed import seed_case

ME = acts.personal(COORDINATOR)
CLOSE = "Avsluta ärendet"


async def seed_cases(bot, count: int) -> list[str]:
    async with bot.services.db.transaction() as s:
        return [(await seed_case(s, acts.TENANT, f"SSPF-2026-{n:03d}")).code for n in range(1, count + 1)]


async def close(bot, code: str, inputs: dict[str, str]):
    form = await bot.say(COORDINATOR, ME, f"avsluta ärende {code}")
    return await bot.press(COORDINATOR, ME, find_action(form.card, CLOSE), inputs)


async def status_of(bot, code: str) -> str:
    async with bot.services.db.session() as s:
        return await s.scalar(select(SspfCase.status).where(SspfCase.code == code))


async def test_the_closing_form_asks_for_outcomes_and_the_figures_show_shares(bot):
    codes = await seed_cases(bot, 4)
    form = await bot.say(COORDINATOR, ME, f"avsluta ärende {codes[0]}")
    shown = card_text(form.card)
    assert "Utfall (frivilligt)" in shown and "Skolnärvaro" in shown and "Har en fritidsaktivitet" in shown
    assert "bara som anonyma antal" in shown
    skolnarvaro = next(n for n in nodes(form.card) if n.get("id") == "outcome_skolnarvaro")
    assert skolnarvaro["placeholder"] == "Vet ej" and "value" not in skolnarvaro  # optional, nothing preset

    answers = [
        {"outcome_skolnarvaro": "battre", "outcome_fritid": "ja", "outcome_brottslighet": "minskat"},
        {"outcome_skolnarvaro": "battre", "outcome_fritid": "ja", "outcome_brottslighet": "oforandrat"},
        {"outcome_skolnarvaro": "samre", "outcome_brottslighet": "minskat"},
        {},  # nothing known: counts nowhere
    ]
    for code, given in zip(codes, answers, strict=True):
        done = await close(bot, code, {"reason": "mal_uppnatt", **given})
        assert done.texts[0].startswith(f"**{code}** är avslutat.")
        assert await status_of(bot, code) == "closed"

    figures = (await bot.say(COORDINATOR, ME, "statistik")).card
    assert fact_value(figures, "Högre skolnärvaro") == "67 % av 3 med känt utfall"
    assert fact_value(figures, "Mindre brottslighet") == "67 % av 3 med känt utfall"
    assert (
        fact_value(figures, "Har en fritidsaktivitet") == "– (färre än 3 svar)"
    )  # two answers could point at a child; marked so it cannot read as "under 3 %"
    assert fact_value(figures, "Mindre droganvändning") == "–"
    assert "Utfall när ärenden avslutats" in card_text(figures)


async def test_the_answers_exist_only_as_counts_never_with_the_case(bot):
    (code,) = await seed_cases(bot, 1)
    await close(bot, code, {"reason": "flyttat", "outcome_droger": "okat", "outcome_maluppfyllelse": "samre"})
    tally_columns = {c.name for c in OutcomeTally.__table__.columns}
    assert tally_columns == {"tenant_id", "year", "indicator", "answer", "cases"}  # nothing names a case
    async with bot.services.db.session() as s:
        assert await outcome_counts(s, acts.TENANT) == {"droger": {"okat": 1}, "maluppfyllelse": {"samre": 1}}
        for table in Base.metadata.sorted_tables:
            if table.name == OutcomeTally.__tablename__:
                continue
            for row in (await s.execute(select(table))).all():
                stored = " ".join(str(value) for value in row)
                assert "okat" not in stored and "samre" not in stored, (table.name, stored)


async def test_a_forged_answer_is_refused_on_the_card_with_the_other_entries_kept(bot):
    (code,) = await seed_cases(bot, 1)
    given = {"reason": "annan_insats", "outcome_skolnarvaro": "battre", "outcome_droger": "kanske"}
    again = await close(bot, code, given)
    assert "Välj ett av alternativen i listan." in card_text(again.card)
    kept = input_values(again.card)
    assert kept["reason"] == "annan_insats" and kept["outcome_skolnarvaro"] == "battre"
    assert kept["outcome_droger"] is None  # the refused value is not put back on the card
    assert await status_of(bot, code) == "open"
    async with bot.services.db.session() as s:
        assert await outcome_counts(s, acts.TENANT) == {}


async def test_a_missing_reason_keeps_the_outcome_answers(bot):
    (code,) = await seed_cases(bot, 1)
    again = await close(bot, code, {"outcome_fritid": "nej"})
    assert "Ange varför ärendet avslutas." in card_text(again.card)
    assert input_values(again.card)["outcome_fritid"] == "nej"
    done = await bot.press(
        COORDINATOR, ME, find_action(again.card, CLOSE), {"reason": "ovrigt", "outcome_fritid": "nej"}
    )
    assert done.texts[0].startswith(f"**{code}** är avslutat.")
    async with bot.services.db.session() as s:
        assert await outcome_counts(s, acts.TENANT) == {"fritid": {"nej": 1}}


async def test_a_double_click_on_close_counts_the_case_once(bot):
    (code,) = await seed_cases(bot, 1)
    form = await bot.say(COORDINATOR, ME, f"avsluta ärende {code}")
    action = find_action(form.card, CLOSE)
    inputs = {"reason": "mal_uppnatt", "outcome_skolnarvaro": "battre"}
    first = await bot.press(COORDINATOR, ME, action, inputs)
    second = await bot.press(COORDINATOR, ME, action, inputs)
    assert first.texts[0].startswith(f"**{code}** är avslutat.")
    assert not any("är avslutat. " in text for text in second.texts)
    async with bot.services.db.session() as s:
        assert await outcome_counts(s, acts.TENANT) == {"skolnarvaro": {"battre": 1}}


async def test_a_personnummer_forged_into_the_closing_form_is_not_echoed(bot):
    (code,) = await seed_cases(bot, 1)
    again = await close(bot, code, {"reason": "121212-1212", "outcome_fritid": "19121212-1212"})
    dumped = json.dumps(again.card)
    assert "1212" not in dumped, dumped[max(0, dumped.find("1212") - 150) : dumped.find("1212") + 50]
    assert await status_of(bot, code) == "open"
