"""Every catalog key the case, team and consent flows use has a Swedish text (and an English one)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
MODULES = [
    *(ROOT / "bot" / "dialogs" / f"{name}.py" for name in ("cases", "team", "consent")),
    *(ROOT / "bot" / "cards" / f"{name}.py" for name in ("cases", "team", "consent")),
    ROOT / "store" / "queries" / "consent.py",
    ROOT / "bot" / "middleware.py",
]
# t("key"), turn.say("key"), Refusal("key"): literal keys only (computed ones are label families below)
LITERAL = re.compile(r'(?:\bt\(|\.say\(|Refusal\()\s*"([a-z_]+\.[a-z_.]+)"')
FAMILIES = ("agency.", "signal_source.", "track.", "case_status.", "concern.", "close_reason.")


def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in (ROOT / "bot" / "i18n" / lang).glob("*.json"):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def test_every_literal_key_has_swedish_text():
    sv = catalog("sv")
    used = {key for path in MODULES for key in LITERAL.findall(path.read_text(encoding="utf-8"))}
    assert used, "the pattern found no keys"
    missing = sorted(key for key in used if key not in sv)
    assert not missing, missing


def test_english_covers_every_case_text():
    sv = json.loads((ROOT / "bot/i18n/sv/cases.json").read_text(encoding="utf-8"))
    en = json.loads((ROOT / "bot/i18n/en/cases.json").read_text(encoding="utf-8"))
    assert sv.keys() == en.keys()
    for key, text in sv.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", en[key])), key


def test_label_families_are_complete_in_swedish():
    from domain.agencies import I18N_KEYS as LABELS
    from domain.case_rules import CloseReason

    sv = catalog("sv")
    assert all(key in sv for key in LABELS)
    assert all(f"close_reason.{r.value}" in sv for r in CloseReason)
    assert all(any(key.startswith(f) for f in FAMILIES) for key in LABELS)


async def test_help_lists_case_commands_as_written_and_hides_coordinator_ones_from_others(bot):
    from tests.conftest import COORDINATOR, PRINCIPAL
    from tests.harness import activities as acts
    from tests.harness.bot_runner import card_text

    coordinator = card_text((await bot.say(COORDINATOR, acts.personal(COORDINATOR), "hjälp")).card)
    for command in (
        "nytt ärende",
        "mina ärenden",
        "samtycke",
        "återkalla samtycke",
        "avsluta ärende",
        "vem har läst",
    ):
        assert command in coordinator.splitlines(), command
    professional = card_text((await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), "hjälp")).card).splitlines()
    assert "mina ärenden" in professional and "ärende" in professional
    assert "nytt ärende" not in professional and "samtycke" not in professional
