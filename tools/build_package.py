"""Build build/appPackage.zip (the Teams app package) from appPackage/.

    MicrosoftAppId=<bot guid> python tools/build_package.py      # real package for upload
    python tools/build_package.py --local                          # nil GUID, for local tooling only

`${{BOT_ID}}` in the JSON files is replaced by the env `MicrosoftAppId`; the build refuses an empty or
non-GUID id unless `--local` (then 00000000-0000-0000-0000-000000000000). The manifest's `version` is
the package version from pyproject.toml (`[project] version`), so a new release of the bot is a new app
version that Teams admin center accepts as an update without a hand edit. The substituted manifest and
localization files are validated against Microsoft's JSON schema (npm @microsoft/app-manifest,
`npm ci --prefix tools`) before zipping.
Exit code 0 on success, 1 on validation errors, 2 on usage/setup errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.manifest import (  # noqa: E402
    APP_PACKAGE,
    NIL_GUID,
    SchemaMissing,
    package_problems,
    substitute,
)

PYPROJECT = ROOT / "pyproject.toml"
# Teams accepts MAJOR.MINOR.PATCH only (schema pattern), each number without leading zeros.
RELEASE = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Fixed timestamp so the same inputs give the same zip bytes.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def app_version(pyproject: Path = PYPROJECT) -> str:
    """The Teams app version for the package version: its MAJOR.MINOR.PATCH (``1.2.0rc1`` → ``1.2.0``)."""
    version = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    m = RELEASE.match(version)
    if not m or m.group(0).count(".") != 2:
        raise ValueError(f"package version {version!r} has no MAJOR.MINOR.PATCH for the Teams manifest")
    return m.group(0)


def with_version(manifest_text: str, version: str) -> str:
    manifest = json.loads(manifest_text)
    manifest["version"] = version
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def build(bot_id: str, out: Path, src: Path = APP_PACKAGE, version: str | None = None) -> Path:
    files = sorted(p for p in src.iterdir() if p.is_file() and p.suffix in {".json", ".png"})
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp)
        for f in files:
            if f.suffix == ".json":
                text = substitute(f.read_text(encoding="utf-8"), {"BOT_ID": bot_id})
                if f.name == "manifest.json":
                    text = with_version(text, version or app_version())
                (staged / f.name).write_text(text, encoding="utf-8")
            else:
                (staged / f.name).write_bytes(f.read_bytes())
        problems = package_problems(bot_id, staged)
        if problems:
            raise ValueError("app package is invalid:\n  " + "\n  ".join(problems))
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for f in files:  # flat: manifest.json at the zip root, as Teams requires
                info = zipfile.ZipInfo(f.name, ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, (staged / f.name).read_bytes())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--local", action="store_true", help=f"use the nil GUID {NIL_GUID} when MicrosoftAppId is empty"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "appPackage.zip")
    args = ap.parse_args(argv)

    bot_id = os.environ.get("MicrosoftAppId", "").strip()
    if not bot_id:
        if not args.local:
            print(
                "error: MicrosoftAppId is empty; set it to the bot's app id, or pass --local", file=sys.stderr
            )
            return 2
        bot_id = NIL_GUID
    if not GUID.match(bot_id):
        print(f"error: MicrosoftAppId {bot_id!r} is not a GUID", file=sys.stderr)
        return 2
    try:
        out = build(bot_id, args.out)
    except SchemaMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"built {out} (botId {bot_id}, version {app_version()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
