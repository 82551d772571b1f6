"""Offline validation of the Teams app package (appPackage/) against Microsoft's official JSON schemas.

The schemas come from npm `@microsoft/app-manifest` (installed by `npm ci --prefix tools`), file
`tools/node_modules/@microsoft/app-manifest/build/json-schemas/teams/v<manifestVersion>/MicrosoftTeams.schema.json`.
They declare draft-04 but use draft-06/07 keywords (`const`, `if`/`then`); we validate with jsonschema's
Draft 7 validator, which reads every keyword they use the same way. Their `$ref`s are all local
(`#/definitions/...`); any remote `$ref` is resolved from the schema folder on disk, never from the network.

Also used by tools/build_package.py (stdlib + jsonschema only, no pytest import at module level).
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGE = ROOT / "appPackage"
TOOLS = ROOT / "tools"
SCHEMA_ROOT = TOOLS / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
PLACEHOLDER = re.compile(r"\$\{\{([A-Z0-9_]+)\}\}")
NIL_GUID = "00000000-0000-0000-0000-000000000000"


class SchemaMissing(RuntimeError):
    """The npm schema package is not installed (run `npm ci --prefix tools`)."""


def schema_path(manifest_version: str, kind: str = "MicrosoftTeams") -> Path:
    path = SCHEMA_ROOT / f"v{manifest_version}" / f"{kind}.schema.json"
    if not path.is_file():
        raise SchemaMissing(f"{path} not found: run `npm ci --prefix tools`")
    return path


def available_versions() -> list[str]:
    if not SCHEMA_ROOT.is_dir():
        raise SchemaMissing(f"{SCHEMA_ROOT} not found: run `npm ci --prefix tools`")
    found = [p.name[1:] for p in SCHEMA_ROOT.iterdir() if re.fullmatch(r"v\d+\.\d+", p.name)]
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace `${{NAME}}` placeholders; refuse to leave any unresolved."""

    def repl(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise KeyError(f"no value for placeholder ${{{{{m.group(1)}}}}}")
        return values[m.group(1)]

    return PLACEHOLDER.sub(repl, text)


def load_manifest(bot_id: str = NIL_GUID, folder: Path = APP_PACKAGE) -> dict[str, Any]:
    return json.loads(substitute((folder / "manifest.json").read_text(encoding="utf-8"), {"BOT_ID": bot_id}))


def _validator(schema_file: Path):
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    schema = json.loads(schema_file.read_text(encoding="utf-8"))

    def retrieve(uri: str) -> Resource:  # remote refs -> the same-named file next to the schema, offline
        local = schema_file.parent / uri.rstrip("/").rsplit("/", 1)[-1].split("#", 1)[0]
        if not local.is_file():
            raise FileNotFoundError(f"schema $ref {uri} has no local copy ({local}); refusing to fetch it")
        return Resource.from_contents(
            json.loads(local.read_text(encoding="utf-8")), default_specification=DRAFT7
        )

    return jsonschema.Draft7Validator(
        schema, registry=Registry(retrieve=retrieve), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def schema_errors(document: dict[str, Any], schema_file: Path) -> list[str]:
    """Every schema violation as 'path: message', sorted; empty when valid."""
    errors = _validator(schema_file).iter_errors(document)
    out = []
    for e in errors:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append(f"{where}: {e.message[:300]}")
    return sorted(out)


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    color_type: int  # 2 RGB, 6 RGBA
    pixels: list[tuple[int, ...]]  # row-major, channels per color_type


def read_png(path: Path) -> Png:
    """Minimal PNG reader for 8-bit RGB/RGBA, non-interlaced (enough for our own icons)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path.name}: not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if ihdr is None:
        raise ValueError(f"{path.name}: no IHDR")
    width, height, depth, color_type, _, _, interlace = ihdr
    if depth != 8 or color_type not in (2, 6) or interlace:
        raise ValueError(f"{path.name}: unsupported PNG (depth {depth}, colour type {color_type})")
    ch = 3 if color_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * ch
    prev, pixels, i = bytearray(stride), [], 0
    for _ in range(height):
        ftype, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - ch] if x >= ch else 0
            b = prev[x]
            c = prev[x - ch] if x >= ch else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels.extend(tuple(line[x : x + ch]) for x in range(0, stride, ch))
        prev = line
    return Png(width, height, color_type, pixels)


def package_problems(bot_id: str = NIL_GUID, folder: Path = APP_PACKAGE) -> list[str]:
    """All problems with the app package folder: schema errors (manifest + localization files), icon
    sizes, outline transparency, bot scopes, RSC permission for meeting events.
    Empty when the package is good."""
    manifest = load_manifest(bot_id, folder)
    version = manifest.get("manifestVersion", "?")
    problems = [f"manifest.json {e}" for e in schema_errors(manifest, schema_path(version))]

    loc = manifest.get("localizationInfo", {})
    for lang in loc.get("additionalLanguages", []):
        f = folder / lang["file"]
        if not f.is_file():
            problems.append(f"localization file {lang['file']} missing")
            continue
        doc = json.loads(f.read_text(encoding="utf-8"))
        problems += [
            f"{lang['file']} {e}"
            for e in schema_errors(doc, schema_path(version, "MicrosoftTeams.Localization"))
        ]

    icons = manifest.get("icons", {})
    for key, size in (("color", 192), ("outline", 32)):
        f = folder / icons.get(key, f"<no icons.{key}>")
        if not f.is_file():
            problems.append(f"icon {key}: file {f.name} missing")
            continue
        png = read_png(f)
        if (png.width, png.height) != (size, size):
            problems.append(f"icon {key}: {png.width}x{png.height}, must be {size}x{size}")
        if key == "outline":
            if png.color_type != 6:
                problems.append("icon outline: must have an alpha channel (RGBA)")
            else:
                if any(p[3] and p[:3] != (255, 255, 255) for p in png.pixels):
                    problems.append("icon outline: visible pixels must be white")
                if not any(p[3] == 0 for p in png.pixels):
                    problems.append("icon outline: background must be transparent")

    bots = manifest.get("bots", [])
    scopes = set(bots[0].get("scopes", [])) if bots else set()
    missing = {"personal", "team", "groupChat"} - scopes
    if missing:
        problems.append(f"bot scopes missing {sorted(missing)}")
    rsc = {
        p["name"]
        for p in manifest.get("authorization", {}).get("permissions", {}).get("resourceSpecific", [])
    }
    if "OnlineMeeting.ReadBasic.Chat" not in rsc:
        problems.append("RSC permission OnlineMeeting.ReadBasic.Chat (meetingStart/End events) missing")
    if bots and manifest.get("webApplicationInfo", {}).get("id") != bots[0].get("botId"):
        problems.append("webApplicationInfo.id must equal bots[0].botId (RSC is granted to the bot's app)")
    return problems
