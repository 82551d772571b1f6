"""Dialog state lives in the database: a user keeps their place across a restart and across replicas."""

from __future__ import annotations

import pytest

from bot.state_storage import SqlStorage, StateEtagConflict, decode
from tests.conftest import POLICE, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, local_settings


async def test_language_choice_survives_a_restart_midway(bot):
    conv = acts.personal(SOCIAL)
    asked = await bot.say(SOCIAL, conv, "språk")
    assert "Vilket språk vill du att jag skriver på?" in str(asked.sent[0].body)
    await bot.restart()
    confirm = await bot.say(SOCIAL, conv, "English")
    assert "Shall I write in English from now on?" in str(confirm.sent[0].body)
    saved = await bot.say(SOCIAL, conv, "Yes")
    assert saved.texts == ["Done! I will write to you in English."]
    after = await bot.say(SOCIAL, conv, "vad kan du")
    assert "what I can help with" in str(after.sent[0].body)


async def test_two_replicas_share_the_dialog(bot, database_url, tmp_path):
    replica = RunningBot(local_settings(database_url, ics_dir=str(tmp_path / "ics2")), bot.connector)
    await replica.start()
    try:
        conv = acts.personal(POLICE)
        await bot.say(POLICE, conv, "språk")
        wrong = await replica.say(POLICE, conv, "klingonska")
        assert "Välj ett av alternativen" in str(wrong.sent[0].body)
        await replica.say(POLICE, conv, "Svenska")
        done = await bot.say(POLICE, conv, "ja")
        assert done.texts == ["Klart! Jag skriver på svenska till dig."]
    finally:
        await replica.stop()


async def test_help_mid_dialog_helps_and_cancel_ends_it(bot):
    conv = acts.personal(SOCIAL)
    await bot.say(SOCIAL, conv, "språk")
    helped = await bot.say(SOCIAL, conv, "hjälp")
    assert helped.cards, "help card shown even inside a dialog"
    cancelled = await bot.say(SOCIAL, conv, "avbryt")
    assert cancelled.texts == ["Avbrutet. Skriv **hjälp** om du vill se vad du kan göra."]
    after = await bot.say(SOCIAL, conv, "English")
    assert "Det där förstod jag inte" in str(after.sent[0].body)


async def test_storage_detects_a_concurrent_change(bot):
    storage = SqlStorage(bot.services.db)
    await storage.write({"k": {"value": 1}})
    first = (await storage.read(["k"]))["k"]
    second = (await storage.read(["k"]))["k"]
    first["value"] = 2
    await storage.write({"k": first})
    second["value"] = 3
    with pytest.raises(StateEtagConflict):
        await storage.write({"k": second})
    assert (await storage.read(["k"]))["k"]["value"] == 2
    await storage.delete(["k"])
    assert await storage.read(["k"]) == {}


def test_stored_state_cannot_name_arbitrary_classes():
    with pytest.raises(ValueError):
        decode({"py/object": "os._wrap_close"})
    with pytest.raises(ValueError):
        decode({"x": {"py/reduce": [{"py/function": "os.system"}, {"py/tuple": ["true"]}]}})
