"""What an operator installs is what was tested: the declared Pythons, the lockfile, the floors that CI
installs, every imported package declared, the console entry point, and the Teams app version."""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
SUPPORTED = ("3.11", "3.12", "3.13")


def _requirements(extras: tuple[str, ...] = ("dev",)) -> list[Requirement]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in PROJECT["optional-dependencies"][extra]]
    return reqs


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if m:
            pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def _floor(req: Requirement) -> str | None:
    for spec in req.specifier:
        if spec.operator in (">=", "=="):
            return spec.version
    return None


def test_python_versions_are_declared_and_found_the_same_way():
    spec = SpecifierSet(PROJECT["requires-python"])
    assert all(f"{v}.0" in spec for v in SUPPORTED) and "3.10.0" not in spec and "3.14.0" not in spec
    classifiers = {
        c.rsplit(" ", 1)[-1]
        for c in PROJECT["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    }
    assert classifiers == set(SUPPORTED)
    script = (ROOT / "tools" / "pythons.sh").read_text(encoding="utf-8")
    assert "SUPPORTED=(3.13 3.12 3.11)" in script
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py311"


def test_newest_python_finder_prints_a_working_supported_interpreter():
    out = subprocess.run([str(ROOT / "tools" / "pythons.sh")], capture_output=True, text=True, check=True)
    found = out.stdout.split()
    assert found
    versions = [
        subprocess.run(
            [p, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
        ).stdout.strip()
        for p in found
    ]
    assert all(v in SUPPORTED for v in versions)
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))), reverse=True)


def test_lockfile_pins_every_declared_package_with_hashes_and_drops_dialogs():
    lock = ROOT / "requirements" / "dev.lock"
    pins = _pins(lock)
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} missing from {lock.name}: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])
    text = lock.read_text(encoding="utf-8")
    for block in re.split(r"\n(?=[a-z0-9])", text):
        if "==" in block.split("\n", 1)[0]:
            assert "--hash=sha256:" in block, block.split("\n", 1)[0]
    for gone in (
        "botbuilder-dialogs",
        "recognizers-text",
        "emoji",
        "babel",
        "botbuilder-integration-aiohttp",
    ):
        assert gone not in pins, gone
    assert "botbuilder-integration-aiohttp" in _pins(ROOT / "requirements" / "bench.lock")


def test_floors_file_pins_exactly_the_declared_minimums():
    from packaging.version import Version

    floors = {k: Version(v) for k, v in _pins(ROOT / "requirements" / "floors.txt").items()}
    declared = {canonicalize_name(r.name): _floor(r) for r in _requirements()}
    assert {k: Version(v) for k, v in declared.items() if v} == floors


SECURITY_FLOORS = {  # advisories the floors must stay past (see pyproject.toml's comments)
    "aiohttp": "3.14.3",
    "pyjwt": "2.12.0",
    "sqlalchemy": "2.0.33",
    "apscheduler": "3.10.4",
    "cryptography": "50.0.0",
    "azure-identity": "1.16.1",
}


@pytest.mark.parametrize(("name", "minimum"), sorted(SECURITY_FLOORS.items()))
def test_no_declared_range_admits_a_version_with_a_known_advisory(name, minimum):
    from packaging.version import Version

    (req,) = [r for r in _requirements() if canonicalize_name(r.name) == name]
    assert Version(_floor(req)) >= Version(minimum)


def test_every_imported_package_is_declared():
    declared = {canonicalize_name(r.name) for r in _requirements(("dev", "bench"))}
    # packages that come with a declared one under its own name (an extra of it)
    declared |= {"greenlet"}  # sqlalchemy[asyncio]
    by_module = md.packages_distributions()
    stdlib = set(sys.stdlib_module_names)
    missing = {}
    for folder in ("bot", "graph", "store", "domain", "tests", "bench", "tools"):
        for path in (ROOT / folder).rglob("*.py"):
            if "node_modules" in path.parts:
                continue
            for m in re.finditer(
                r"^\s*(?:from|import) ([a-zA-Z_]\w*)", path.read_text(encoding="utf-8"), re.M
            ):
                module = m.group(1)
                if module in stdlib or module in {
                    "bot",
                    "graph",
                    "store",
                    "domain",
                    "tests",
                    "bench",
                    "tools",
                }:
                    continue
                if (ROOT / module).exists() or module == "the":
                    continue
                dists = {canonicalize_name(d) for d in by_module.get(module, [])}
                if dists and not dists & declared:
                    missing.setdefault(module, set()).add(f"{folder}/{path.name}")
    assert missing == {}


def test_console_entry_point_runs_bot_app_main():
    assert PROJECT["scripts"] == {"sspf-bot": "bot.app:main"}
    (ep,) = [e for e in md.entry_points(group="console_scripts") if e.name == "sspf-bot"]
    assert ep.value == "bot.app:main"
    assert callable(ep.load())


def test_metadata_and_licence():
    assert PROJECT["license"] == "EUPL-1.2" and PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    assert PROJECT["readme"] == "README.md" and PROJECT["authors"]


def test_warnings_are_errors_in_tests():
    filters = PYPROJECT["tool"]["pytest"]["ini_options"]["filterwarnings"]
    assert filters[0] == "error"


def _build_package_module():
    spec = importlib.util.spec_from_file_location("build_package", ROOT / "tools" / "build_package.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_manifest_version_is_the_package_version(tmp_path):
    bp = _build_package_module()
    assert bp.app_version() == PROJECT["version"]
    for version, expected in (("1.4.2", "1.4.2"), ("2.0.0rc1", "2.0.0"), ("0.10.3.post1", "0.10.3")):
        (tmp_path / "pyproject.toml").write_text(f'[project]\nversion = "{version}"\n', encoding="utf-8")
        assert bp.app_version(tmp_path / "pyproject.toml") == expected
    for bad in ("1.4", "01.2.3", "v1.2.3"):
        (tmp_path / "pyproject.toml").write_text(f'[project]\nversion = "{bad}"\n', encoding="utf-8")
        with pytest.raises(ValueError):
            bp.app_version(tmp_path / "pyproject.toml")
    manifest = '{"version": "0.0.1", "name": {"short": "SSPF åäö"}}'
    assert '"version": "3.2.1"' in bp.with_version(manifest, "3.2.1") and "åäö" in bp.with_version(
        manifest, "3.2.1"
    )


def test_node_tools_target_node_22():
    import json

    engines = json.loads((ROOT / "tools" / "package.json").read_text(encoding="utf-8"))["engines"]["node"]
    assert engines.startswith(">=22")
    assert "NODE_VERSION=22." in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
