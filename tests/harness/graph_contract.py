"""Microsoft's own contract for Graph v1.0, used by the local Graph server to check every request.

Why: a local Graph server written by us can only confirm our own idea of Graph. Microsoft publishes the
v1.0 metadata (CSDL) and the permission map (``permissions.json``) that generate its Learn pages and SDKs;
``/work/shared/graph-metadata/`` holds copies (see its README). Every request the tests make is checked here:

- the path resolves in v1.0: entity set or singleton → keys → navigation properties → one bound action;
- the method fits what the path names (POST to a collection or an action, PATCH/DELETE on one entity, GET);
- the JSON body's properties exist on the resolved type (or its base types; navigation properties for deep
  insert and ``name@odata.bind``), with the right JSON type, and enum values are members of the enum;
  an action's body holds only its parameters (compared case-insensitively, as Graph does);
- ``$select`` names properties of the type;
- the path and method are allowed app-only (scheme ``Application``) by some permission in the map.

``check`` returns a ``Checked`` (with the ``{id}`` path template and the permissions that allow it) or raises
``ContractViolation``. The server answers 400 to a violation and records it; the fixtures fail the test.

Not modelled here (see also the server's list): ``$filter``/``$orderby`` expressions (only their presence),
open types (``event`` and ``onlineMeeting`` are ``OpenType`` in the CSDL, so real Graph would accept unknown
properties silently: we treat them as closed, to catch our typos), ``Nullable``/required properties (Learn
pages, not the CSDL, say what a create needs: the server checks those itself), string formats beyond
Edm.Date, function parameters in the path, type-cast segments, and footnotes that are only on Learn pages
(e.g. which chat-install permissions cannot install an app asking for resource-specific consent: the server
models that one itself).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def metadata_dir() -> Path:
    """``$SSPF_GRAPH_METADATA_DIR`` or ``/work/shared/graph-metadata`` (beside the repository)."""
    env = os.environ.get("SSPF_GRAPH_METADATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "graph-metadata"


class ContractViolation(Exception):
    """The request is not one Microsoft Graph v1.0 defines (or not one allowed app-only)."""


@dataclass
class TypeInfo:
    name: str
    kind: str  # entity | complex | enum
    base: str | None = None
    props: dict[str, str] = field(default_factory=dict)  # name -> type ("Collection(graph.x)" kept)
    navs: dict[str, str] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)
    abstract: bool = False


@dataclass
class Operation:
    name: str
    kind: str  # action | function
    binding: str  # the binding type, "Collection(...)" when bound to a collection
    params: dict[str, str]


@dataclass
class Checked:
    """A request that fits the contract: its ``{id}`` template and the app-only permissions allowing it."""

    template: str
    type_name: str
    permissions: set[str]


class Contract:
    """The parsed CSDL and permission map (build once with ``contract()``)."""

    def __init__(self, csdl: bytes, permissions: dict[str, Any]) -> None:
        self.types: dict[str, TypeInfo] = {}
        self.entity_sets: dict[str, str] = {}
        self.singletons: dict[str, str] = {}
        self.operations: dict[tuple[str, str], list[Operation]] = {}
        self._parse_csdl(csdl)
        self.app_paths: dict[tuple[str, str], set[str]] = {}
        for perm, info in permissions["permissions"].items():
            for ps in info.get("pathSets", []):
                if "Application" not in ps.get("schemeKeys", []):
                    continue
                for path in ps.get("paths", {}):
                    key = re.sub(r"\{[^}]*\}", "{id}", path.lower())
                    for method in ps.get("methods", []):
                        self.app_paths.setdefault((method.upper(), key), set()).add(perm)

    # ---- CSDL ------------------------------------------------------------------------------------
    def _parse_csdl(self, csdl: bytes) -> None:
        root = ET.fromstring(csdl)
        aliases: dict[str, str] = {}
        schemas = list(root.iter(f"{EDM}Schema"))
        for s in schemas:
            if s.get("Alias"):
                aliases[s.get("Alias", "")] = s.get("Namespace", "")

        def full(name: str | None) -> str:
            if not name:
                return ""
            m = re.fullmatch(r"Collection\((.+)\)", name)
            if m:
                return f"Collection({full(m.group(1))})"
            head, _, tail = name.rpartition(".")
            return f"{aliases.get(head, head)}.{tail}" if head else name

        for s in schemas:
            ns = s.get("Namespace", "")
            for el in s:
                tag = el.tag.replace(EDM, "")
                if tag in ("EntityType", "ComplexType"):
                    info = TypeInfo(
                        f"{ns}.{el.get('Name')}",
                        "entity" if tag == "EntityType" else "complex",
                        base=full(el.get("BaseType")) or None,
                        abstract=el.get("Abstract") == "true",
                    )
                    for p in el.findall(f"{EDM}Property"):
                        info.props[p.get("Name", "")] = full(p.get("Type"))
                    for p in el.findall(f"{EDM}NavigationProperty"):
                        info.navs[p.get("Name", "")] = full(p.get("Type"))
                    self.types[info.name] = info
                elif tag == "EnumType":
                    info = TypeInfo(f"{ns}.{el.get('Name')}", "enum")
                    info.members = {m.get("Name", "") for m in el.findall(f"{EDM}Member")}
                    self.types[info.name] = info
                elif tag in ("Action", "Function") and el.get("IsBound") == "true":
                    params = el.findall(f"{EDM}Parameter")
                    if not params:
                        continue
                    binding = full(params[0].get("Type"))
                    op = Operation(
                        el.get("Name", ""),
                        tag.lower(),
                        binding,
                        {p.get("Name", ""): full(p.get("Type")) for p in params[1:]},
                    )
                    self.operations.setdefault((binding, op.name), []).append(op)
                elif tag == "EntityContainer":
                    for es in el.findall(f"{EDM}EntitySet"):
                        self.entity_sets[es.get("Name", "")] = full(es.get("EntityType"))
                    for sg in el.findall(f"{EDM}Singleton"):
                        self.singletons[sg.get("Name", "")] = full(sg.get("Type"))

    def _chain(self, type_name: str) -> list[TypeInfo]:
        out = []
        t = self.types.get(type_name)
        while t is not None:
            out.append(t)
            t = self.types.get(t.base or "")
        return out

    def _prop(self, type_name: str, name: str) -> tuple[str, str] | None:
        for t in self._chain(type_name):
            if name in t.props:
                return "prop", t.props[name]
            if name in t.navs:
                return "nav", t.navs[name]
        return None

    def _operation(self, type_name: str, collection: bool, name: str) -> Operation | None:
        for t in self._chain(type_name):
            key = f"Collection({t.name})" if collection else t.name
            ops = self.operations.get((key, name))
            if ops:
                return ops[0]
        return None

    # ---- requests --------------------------------------------------------------------------------
    def check(self, method: str, path: str, query: dict[str, str], body: Any) -> Checked:
        method = method.upper()
        segments = [s for s in path.strip("/").split("/") if s]
        if not segments:
            raise ContractViolation(f"{method} {path}: empty path")
        first = segments[0]
        template = ["", first]
        if first in self.entity_sets:
            type_name, collection = self.entity_sets[first], True
        elif first in self.singletons:
            type_name, collection = self.singletons[first], False
        else:
            raise ContractViolation(f"{method} {path}: {first!r} is no entity set or singleton in v1.0")
        operation: Operation | None = None
        for i, seg in enumerate(segments[1:], start=1):
            if operation is not None:
                raise ContractViolation(f"{method} {path}: nothing may follow the operation {operation.name}")
            op = self._operation(type_name, collection, seg)
            if op is not None:
                operation = op
                template.append(seg)
                continue
            if collection:  # a key
                collection = False
                template.append("{id}")
                continue
            found = self._prop(type_name, seg)
            if found is None or found[0] != "nav":
                raise ContractViolation(
                    f"{method} {path}: {seg!r} (segment {i}) is no navigation property or bound operation "
                    f"of {type_name}"
                )
            target = found[1]
            m = re.fullmatch(r"Collection\((.+)\)", target)
            type_name, collection = (m.group(1), True) if m else (target, False)
            template.append(seg)
        tpl = "/".join(template)
        if operation is not None:
            if operation.kind == "action" and method != "POST":
                raise ContractViolation(f"{method} {path}: the action {operation.name} takes POST only")
            if operation.kind == "function" and method != "GET":
                raise ContractViolation(f"{method} {path}: the function {operation.name} takes GET only")
            if operation.kind == "action":
                self._check_params(operation, body, path)
        else:
            if method == "POST" and not collection:
                raise ContractViolation(f"{method} {path}: POST needs a collection or an action")
            if method in ("PATCH", "DELETE", "PUT") and collection:
                raise ContractViolation(f"{method} {path}: {method} needs a single entity")
            if method in ("POST", "PATCH"):
                if not isinstance(body, dict):
                    raise ContractViolation(f"{method} {path}: the body must be a JSON object")
                self._check_object(type_name, body, "body")
            if method == "GET" and "$select" in query:
                for name in query["$select"].split(","):
                    if self._prop(type_name, name.strip()) is None:
                        raise ContractViolation(f"{method} {path}: $select {name!r} is not on {type_name}")
        if method == "GET" and "$top" in query and not query["$top"].isdigit():
            raise ContractViolation(f"{method} {path}: $top must be an integer")
        perms = self.app_paths.get((method, tpl.lower()), set())
        if not perms:
            raise ContractViolation(
                f"{method} {tpl}: not allowed app-only by any permission (permissions.json)"
            )
        return Checked(tpl, type_name, perms)

    def _check_params(self, op: Operation, body: Any, path: str) -> None:
        if body is None:
            return
        if not isinstance(body, dict):
            raise ContractViolation(f"POST {path}: the action body must be a JSON object")
        lower = {k.lower(): (k, v) for k, v in op.params.items()}
        for key, value in body.items():
            if key.lower() not in lower:
                raise ContractViolation(f"POST {path}: {key!r} is no parameter of {op.name}")
            self._check_value(lower[key.lower()][1], value, f"{op.name}.{key}")

    def _check_object(self, type_name: str, body: dict[str, Any], where: str) -> None:
        actual = type_name
        odata_type = body.get("@odata.type")
        if isinstance(odata_type, str):
            cast = odata_type.lstrip("#")
            if cast not in self.types or type_name not in {t.name for t in self._chain(cast)}:
                raise ContractViolation(f"{where}: @odata.type {odata_type!r} is not a {type_name}")
            actual = cast
        for key, value in body.items():
            if key.startswith("@odata."):
                continue
            if "@" in key:
                name, _, annotation = key.partition("@")
                found = self._prop(actual, name)
                if annotation != "odata.bind" or found is None or found[0] != "nav":
                    raise ContractViolation(f"{where}: {key!r} binds no navigation property of {actual}")
                continue
            found = self._prop(actual, key)
            if found is None:
                raise ContractViolation(f"{where}: {key!r} is no property of {actual}")
            self._check_value(found[1], value, f"{where}.{key}")

    def _check_value(self, type_name: str, value: Any, where: str) -> None:
        if value is None:
            return
        m = re.fullmatch(r"Collection\((.+)\)", type_name)
        if m:
            if not isinstance(value, list):
                raise ContractViolation(f"{where}: must be a JSON array of {m.group(1)}")
            for i, item in enumerate(value):
                self._check_value(m.group(1), item, f"{where}[{i}]")
            return
        if type_name.startswith("Edm."):
            ok = {
                "Edm.String": lambda v: isinstance(v, str),
                "Edm.Guid": lambda v: isinstance(v, str),
                "Edm.Boolean": lambda v: isinstance(v, bool),
                "Edm.Int32": lambda v: isinstance(v, int) and not isinstance(v, bool),
                "Edm.Int64": lambda v: isinstance(v, int) and not isinstance(v, bool),
                "Edm.Double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
                "Edm.Date": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", v),
                "Edm.DateTimeOffset": lambda v: isinstance(v, str),
                "Edm.TimeOfDay": lambda v: isinstance(v, str),
                "Edm.Duration": lambda v: isinstance(v, str),
                "Edm.Binary": lambda v: isinstance(v, str),
            }.get(type_name, lambda v: True)
            if not ok(value):
                raise ContractViolation(f"{where}: {value!r} is not a valid {type_name}")
            return
        info = self.types.get(type_name)
        if info is None:
            raise ContractViolation(f"{where}: unknown type {type_name}")
        if info.kind == "enum":
            parts = [p.strip() for p in value.split(",")] if isinstance(value, str) else [None]
            bad = [p for p in parts if p not in info.members]
            if bad:
                raise ContractViolation(
                    f"{where}: {value!r} is not a member of {type_name} ({sorted(info.members)})"
                )
            return
        if not isinstance(value, dict):
            raise ContractViolation(f"{where}: must be a JSON object ({type_name})")
        self._check_object(type_name, value, where)


@cache
def contract() -> Contract:
    """Parse the two files once per test process (about a second)."""
    d = metadata_dir()
    csdl_path, perm_path = d / "v1.0-Prod.csdl.gz", d / "permissions.json.gz"
    if not csdl_path.exists() or not perm_path.exists():
        raise RuntimeError(
            f"Graph metadata not found in {d} (set SSPF_GRAPH_METADATA_DIR): the local Graph server checks "
            "every request against Microsoft's contract and cannot run without it"
        )
    return Contract(
        gzip.decompress(csdl_path.read_bytes()), json.loads(gzip.decompress(perm_path.read_bytes()))
    )


def implied(granted: set[str]) -> set[str]:
    """Granted permissions plus what they include: ``X.ReadWrite…`` includes ``X.Read…`` and
    ``X.ReadBasic…``; ``X.Read…`` includes ``X.ReadBasic…``. (The permission map lists, per path, the
    permissions Learn names; e.g. it names only Calendars.Read/ReadBasic for GET /users/{id}/events/{id},
    although Calendars.ReadWrite reads events too.)"""
    out = set(granted)
    for p in granted:
        if ".ReadWrite" in p:
            out.add(p.replace(".ReadWrite", ".Read", 1))
            out.add(p.replace(".ReadWrite", ".ReadBasic", 1))
        elif ".Read." in p or p.endswith(".Read"):
            out.add(re.sub(r"\.Read(\.|$)", r".ReadBasic\1", p, count=1))
    return out


def permissions_in_setup_doc(path: Path | None = None) -> set[str]:
    """The application permissions docs/GRAPH_SETUP.md tells the administrator to grant (its table in
    section 1: the first backticked name of each row). The local server grants exactly these by default."""
    doc = path or Path(__file__).resolve().parents[2] / "docs" / "GRAPH_SETUP.md"
    text = doc.read_text(encoding="utf-8")
    section = text.split("## 1.", 1)[1].split("\n## ", 1)[0]
    out = set()
    for line in section.splitlines():
        m = re.match(r"\|\s*`([A-Za-z.]+)`", line)
        if m:
            out.add(m.group(1))
    return out
