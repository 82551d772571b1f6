"""The sample agenda and protokoll cards (tools/sample_cards.py, used for screenshots) are valid 1.5 cards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.harness.cards import CARD_BUDGET_BYTES, assert_valid_cards

ROOT = Path(__file__).resolve().parents[1]


def test_sample_cards_print_as_json_and_validate():
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sample_cards.py")], capture_output=True, text=True, check=True
    )
    cards = json.loads(out.stdout)
    assert {"agenda-agency-text", "agenda-new-actions", "agenda-review", "protokoll"} <= cards.keys()
    for name, card in cards.items():
        assert len(json.dumps(card, ensure_ascii=False).encode()) < CARD_BUDGET_BYTES, name
    assert_valid_cards(list(cards.values()))


def test_every_agenda_text_used_in_the_code_is_in_both_catalogs():
    import re

    sv = json.loads((ROOT / "bot/i18n/sv/agenda.json").read_text(encoding="utf-8"))
    en = json.loads((ROOT / "bot/i18n/en/agenda.json").read_text(encoding="utf-8"))
    assert sv.keys() == en.keys()
    domain_sv = json.loads((ROOT / "bot/i18n/sv/domain.json").read_text(encoding="utf-8"))
    used: set[str] = set()
    for path in ("bot/dialogs/agenda.py", "bot/cards/agenda.py", "bot/protokoll.py"):
        source = (ROOT / path).read_text(encoding="utf-8")
        used |= set(re.findall(r'(?:t|say)\(\s*"(agenda\.[a-z_.]+)"', source))
        used |= set(re.findall(r'help_key="(agenda\.[a-z_.]+)"', source))
    used |= {f"agenda.status_button.{s}" for s in ("done", "in_progress", "not_done")}
    used |= {f"agenda.decision.{d}" for d in ("fortsatta", "avsluta")}
    missing = sorted(k for k in used if k not in sv and k not in domain_sv)
    assert not missing, missing
    assert len(used) > 60
