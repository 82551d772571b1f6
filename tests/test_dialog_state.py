"""Bot state (the user's language choice, tests/test_language.py) lives in the database: the storage
detects concurrent changes and refuses stored data that names arbitrary classes."""

from __future__ import annotations

import pytest

from bot.state_storage import SqlStorage, StateEtagConflict, decode


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
