"""Activities to and from JSON without msrest's generic (de)serializer on the hot path.

msrest walks every model attribute through regex key splitting, ``eval`` of type names and
per-call class discovery: ~0.4 ms to read an incoming message and ~0.8 ms to write a reply with a
card, more than everything else the bot does for a ``hjälp`` turn outside the database. These
functions produce the same result (``tests/test_wire.py`` compares them with msrest on Teams-shaped
activities) for what botbuilder's schema models actually hold: strings, booleans, numbers, plain
JSON under ``object``, nested models, lists of them and ISO 8601 times. Anything else (an enum in a
``str`` field, a tuple inside a card, a type msrest converts in its own way) makes the fast path give
up and msrest do the whole object, so a surprise costs time, never a different answer.
"""

from __future__ import annotations

import sys
from typing import Any, TypeVar

import orjson
from msrest.serialization import Deserializer, Model, Serializer

M = TypeVar("M", bound=Model)
_PLAIN_SCALARS = (str, int, float, bool, type(None))


class _Fallback(Exception):
    """The value is not one the fast path knows to handle exactly like msrest."""


# --- bytes ------------------------------------------------------------------------------------------


def loads(raw: bytes | str) -> Any:
    """JSON text to data; anything that is not strict JSON (NaN, lone surrogates, >64-bit integers,
    nesting deeper than 1024) raises ``ValueError``, which the HTTP layer answers with 400."""
    return orjson.loads(raw)


def dumps(data: Any, *, sort_keys: bool = False) -> str:
    """Data to compact JSON text, UTF-8 as it is (no ``\\u`` escapes)."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS if sort_keys else 0).decode()


# --- writing ------------------------------------------------------------------------------------------


def to_json(model: Model) -> dict[str, Any]:
    """``model.serialize()``, fast for the shapes botbuilder's models hold."""
    try:
        return _dump_model(model)
    except _Fallback:
        return model.serialize()


def _plain(value: Any) -> Any:
    """JSON data as msrest's ``serialize_object`` would return it (a copy), models inside included."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _Fallback
            out[key] = _plain(item)
        return out
    if kind is list:
        return [_plain(item) for item in value]
    if isinstance(value, Model):
        return _dump_model(value)
    raise _Fallback


_SCALAR_TYPES = {"str": str, "bool": bool, "int": int, "float": float}


def _dump_value(value: Any, kind: str) -> Any:
    exact = _SCALAR_TYPES.get(kind)
    if exact is not None:
        if type(value) is exact:
            return value
        raise _Fallback
    if kind == "object":
        return _plain(value)
    if kind == "iso-8601":
        return Serializer.serialize_iso(value)
    if kind[0] == "[" and kind[-1] == "]":
        if type(value) is not list:
            raise _Fallback
        inner = kind[1:-1]
        return [None if item is None else _dump_value(item, inner) for item in value]
    if kind[0] == "{" and kind[-1] == "}":
        if type(value) is not dict:
            raise _Fallback
        inner = kind[1:-1]
        if any(type(k) is not str for k in value):
            raise _Fallback
        return {k: None if v is None else _dump_value(v, inner) for k, v in value.items()}
    if isinstance(value, Model) and type(value).__name__ == kind:
        return _dump_model(value)
    raise _Fallback


def _dump_model(model: Model) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr, key, kind in _layout(type(model)):
        value = getattr(model, attr, None)
        if value is not None:
            out[key] = _dump_value(value, kind)
    return out


# --- reading ------------------------------------------------------------------------------------------


def from_json(cls: type[M], data: dict[str, Any]) -> M:
    """``cls().deserialize(data)``, fast for well-formed JSON; msrest decides about everything else."""
    try:
        return _load_model(cls, data)
    except _Fallback:
        return cls().deserialize(data)


def _load_value(value: Any, kind: str, owner: type) -> Any:
    if value is None:
        return None
    exact = _SCALAR_TYPES.get(kind)
    if exact is not None:
        if type(value) is exact:
            return value
        raise _Fallback
    if kind == "object":
        return value  # json.loads output: already plain and owned by nobody else
    if kind == "iso-8601":
        if type(value) is not str:
            raise _Fallback
        return Deserializer.deserialize_iso(value)
    if kind[0] == "[" and kind[-1] == "]":
        if type(value) is not list:
            raise _Fallback
        inner = kind[1:-1]
        return [_load_value(item, inner, owner) for item in value]
    if kind[0] == "{" and kind[-1] == "}":
        if type(value) is not dict:
            raise _Fallback
        inner = kind[1:-1]
        return {k: _load_value(v, inner, owner) for k, v in value.items()}
    target = _dependencies(owner).get(kind)
    if target is None or type(value) is not dict:
        raise _Fallback
    return _load_model(target, value)


def _load_model(cls: type[M], data: Any) -> M:
    if type(data) is not dict:
        raise _Fallback
    layout = _layout(cls)
    kwargs = {attr: _load_value(data.get(key), kind, cls) for attr, key, kind in layout}
    model = cls(**kwargs)
    unknown = data.keys() - _KNOWN_KEYS[cls]
    if unknown:  # msrest keeps keys it has no attribute for (e.g. Teams' ``tenantId``) here
        model.additional_properties = {key: data[key] for key in unknown}
    return model


# --- what msrest would look at, once per class ------------------------------------------------------

_LAYOUTS: dict[type, tuple[tuple[str, str, str], ...] | None] = {}  # None: msrest's, always
_KNOWN_KEYS: dict[type, frozenset[str]] = {}
_DEPENDENCIES: dict[type, dict[str, type]] = {}


def _layout(cls: type) -> tuple[tuple[str, str, str], ...]:
    """(attribute, JSON key, msrest type) for every attribute msrest would handle the plain way."""
    if cls in _LAYOUTS:
        known = _LAYOUTS[cls]
        if known is None:
            raise _Fallback
        return known
    attribute_map: dict[str, dict[str, Any]] = getattr(cls, "_attribute_map", None) or {}
    validation: dict[str, dict[str, Any]] = getattr(cls, "_validation", None) or {}
    entries = []
    simple = not cls.is_xml_model() and not getattr(cls, "_subtype_map", None)
    for attr, desc in attribute_map.items():
        key, kind = desc.get("key"), desc.get("type")
        rules = validation.get(attr, {})
        if (
            not isinstance(key, str)
            or not isinstance(kind, str)
            or "." in key
            or not key
            or attr == "additional_properties"
            or rules.get("readonly")
            or rules.get("constant")
            or rules.get("required")
        ):
            simple = False
            break
        entries.append((attr, key, kind))
    if not simple:
        _LAYOUTS[cls] = None
        raise _Fallback
    layout = tuple(entries)
    _LAYOUTS[cls] = layout
    _KNOWN_KEYS[cls] = frozenset(key for _, key, _ in entries)
    return layout


def _dependencies(cls: type) -> dict[str, type]:
    """The model classes msrest resolves type names against: those of the model's package."""
    deps = _DEPENDENCIES.get(cls)
    if deps is None:
        package = sys.modules.get(cls.__module__.rsplit(".", 1)[0])
        names = vars(package) if package is not None else {}
        deps = {k: v for k, v in names.items() if isinstance(v, type) and issubclass(v, Model)}
        _DEPENDENCIES[cls] = deps
    return deps
