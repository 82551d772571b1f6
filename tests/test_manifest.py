"""The Teams app package (appPackage/) against Microsoft's official manifest schema, offline."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from tests.harness import manifest as mf

REAL_GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


@pytest.fixture(scope="module", autouse=True)
def _schemas_installed():
    try:
        mf.available_versions()
    except mf.SchemaMissing as e:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(f"Teams manifest schema unavailable: {e}")


# The newest version Microsoft's manifest documentation calls current (GA): a newer schema in the npm
# package may not be accepted by every Teams client or the admin center yet.
GA_VERSION = "1.22"


def test_manifest_uses_the_current_ga_schema_version():
    manifest = mf.load_manifest(REAL_GUID)
    assert manifest["manifestVersion"] == GA_VERSION
    assert manifest["$schema"].endswith(f"/v{GA_VERSION}/MicrosoftTeams.schema.json")
    assert GA_VERSION in mf.available_versions()


def test_package_has_no_problems():
    assert mf.package_problems(REAL_GUID) == []


def test_schema_catches_mistakes():
    manifest = mf.load_manifest("not-a-guid")
    manifest["bots"][0]["scopes"].append("everywhere")
    manifest["name"]["short"] = "x" * 31
    errors = "\n".join(mf.schema_errors(manifest, mf.schema_path(manifest["manifestVersion"])))
    assert "bots/0/botId" in errors and "bots/0/scopes" in errors and "name/short" in errors


def test_placeholders_are_only_bot_id_and_must_be_resolved():
    text = (mf.APP_PACKAGE / "manifest.json").read_text(encoding="utf-8")
    assert set(re.findall(r"\$\{\{(\w+)\}\}", text)) == {"BOT_ID"}
    with pytest.raises(KeyError):
        mf.substitute("${{OTHER}}", {"BOT_ID": REAL_GUID})


def test_icons():
    color = mf.read_png(mf.APP_PACKAGE / "color.png")
    outline = mf.read_png(mf.APP_PACKAGE / "outline.png")
    assert (color.width, color.height) == (192, 192)
    assert (outline.width, outline.height) == (32, 32)
    assert outline.color_type == 6
    assert all(p[:3] == (255, 255, 255) for p in outline.pixels if p[3])
    assert any(p[3] == 0 for p in outline.pixels) and any(p[3] == 255 for p in outline.pixels)
    assert len(set(color.pixels)) > 2  # full colour, not blank


def test_bot_and_permissions():
    m = mf.load_manifest(REAL_GUID)
    bot = m["bots"][0]
    assert bot["botId"] == REAL_GUID == m["webApplicationInfo"]["id"]
    assert {"personal", "team", "groupChat"} <= set(bot["scopes"])
    assert bot["supportsFiles"] is True  # the handlingsplan is sent as a file (FileConsentCard)
    rsc = {p["name"]: p["type"] for p in m["authorization"]["permissions"]["resourceSpecific"]}
    assert rsc.get("OnlineMeeting.ReadBasic.Chat") == "Application"  # meetingStart/End events
    assert not any(
        ".ReadWrite." in name or name.startswith("ChatMessage.") for name in rsc
    )  # least privilege
    personal = next(cl for cl in bot["commandLists"] if cl["scopes"] == ["personal"])
    titles = {c["title"] for c in personal["commands"]}
    assert titles >= {
        "hjälp",
        "nytt ärende",
        "mina ärenden",
        "ärende",
        "samtycke",
        "boka möte",
        "starta mötet",
        "avsluta mötet",
        "mina åtgärder",
    }


def test_localization():
    m = mf.load_manifest(REAL_GUID)
    assert m["localizationInfo"]["defaultLanguageTag"] == "sv-se"
    files = [lang["file"] for lang in m["localizationInfo"]["additionalLanguages"]]
    assert files == ["en.json"]
    en = json.loads((mf.APP_PACKAGE / "en.json").read_text(encoding="utf-8"))
    for key in en:
        if key.startswith("bots["):
            i, j = map(int, re.findall(r"\[(\d+)\]", key)[1:3])
            assert i < len(m["bots"][0]["commandLists"]) and j < len(
                m["bots"][0]["commandLists"][i]["commands"]
            )


def test_build_package(tmp_path: Path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_package", mf.TOOLS / "build_package.py")
    bp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bp)
    out = tmp_path / "appPackage.zip"
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    assert bp.main(["--out", str(out)]) == 2 and not out.exists()  # refuses an empty id
    assert bp.main(["--local", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["color.png", "en.json", "manifest.json", "outline.png"]
        assert json.loads(z.read("manifest.json"))["bots"][0]["botId"] == mf.NIL_GUID
    monkeypatch.setenv("MicrosoftAppId", REAL_GUID)
    assert bp.main(["--out", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        assert REAL_GUID in z.read("manifest.json").decode() and "${{" not in z.read("manifest.json").decode()
