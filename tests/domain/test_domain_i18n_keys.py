"""The Swedish key file must cover every key the domain can emit, so no user ever sees a raw key."""

import importlib
import json
import pkgutil
import re
import string
from pathlib import Path

import domain

ROOT = Path(__file__).parents[2]
SV: dict[str, str] = json.loads((ROOT / "bot" / "i18n" / "sv" / "domain.json").read_text(encoding="utf-8"))


def emitted_keys() -> set[str]:
    keys: set[str] = set()
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        keys |= set(getattr(module, "I18N_KEYS", frozenset()))
    return keys


def test_every_emitted_key_has_swedish_text() -> None:
    missing = emitted_keys() - SV.keys()
    assert not missing, f"missing Swedish text for {sorted(missing)}"


def test_every_refusal_key_literal_in_the_code_is_declared() -> None:
    literal = re.compile(r'Refusal\(\s*"([a-z_]+\.[a-z_]+)"')
    declared = emitted_keys()
    for path in (ROOT / "domain").glob("*.py"):
        for key in literal.findall(path.read_text(encoding="utf-8")):
            assert key in declared, f"{path.name} emits undeclared {key}"
            assert key in SV


def test_every_declared_key_is_listed_in_its_module_docstring() -> None:
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        doc = module.__doc__ or ""
        for key in getattr(module, "I18N_KEYS", frozenset()):
            prefix = key.split(".")[0]
            assert key in doc or f"{prefix}.<value>" in doc or f"{prefix}.{{" in doc, (info.name, key)


def test_texts_are_swedish_sentences_with_simple_placeholders() -> None:
    for key, text in SV.items():
        assert text.strip(), key
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f]
        assert all(re.fullmatch(r"[a-z_]+", f) for f in fields), key
