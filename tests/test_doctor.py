"""``make doctor``: the tenant check against the local Graph server and a local Entra ID stand-in.

Every address is 127.0.0.1. The Graph server grants exactly what docs/GRAPH_SETUP.md lists (tests withhold
one permission at a time) and checks every request against Microsoft's v1.0 contract; the Entra stand-in
hands out Bot Framework and Graph tokens (a Graph token is a JWT whose ``roles`` are the server's grants, as a
real one lists the consented application permissions; ``opaque`` tokens make the doctor rely on its probes
alone) and refuses a wrong secret as Entra does (401 invalid_client, AADSTS7000215).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web

from bot.doctor import FAIL, OK, SKIP, WARN, Line, amain, database_line, load_config, run_checks
from bot.i18n import Translator
from tests.harness.graph_contract import permissions_in_setup_doc
from tests.harness.graph_fixtures import DEFAULT_USERS, ORGANIZER, TEAMS_APP_ID, assert_within_contract
from tests.harness.graph_server import DirectoryUser, GraphServer

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_ID = json.loads((ROOT / "appPackage" / "manifest.json").read_text(encoding="utf-8"))["id"]
TENANT = "11111111-2222-3333-4444-555555555555"
BOT_APP_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
BOT_SECRET = "bot-secret"
GRAPH_CLIENT = "cccccccc-0000-0000-0000-000000000001"
GRAPH_SECRET = "graph-secret"
DOC_PERMISSIONS = sorted(permissions_in_setup_doc())
GRAPH_LINES = (
    "users",
    "schedule",
    "events",
    "online_meetings",
    "access_policy",
    "install_chat",
    "install_user",
)


class DoctorGraphServer(GraphServer):
    """The local Graph server plus the one call it does not model: the organisation's app catalog
    (``GET /appCatalogs/teamsApps?$filter=externalId eq '…'``, Learn: "List teamsApp", example 2). The
    contract check and the 403 for a missing AppCatalog.Read.All still come from the server."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = [
            {
                "id": TEAMS_APP_ID,
                "externalId": MANIFEST_ID,
                "displayName": "SSPF",
                "distributionMethod": "organization",
            }
        ]

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "GET" and request.path == "/v1.0/appCatalogs/teamsApps":
            handler = self._list_catalog
        return await super()._middleware(request, handler)

    async def _list_catalog(self, request: web.Request) -> web.Response:
        flt = request.query.get("$filter", "")
        found = [a for a in self.catalog if flt == f"externalId eq '{a['externalId']}'"]
        return web.json_response({"value": found})


class EntraStandIn:
    """Client-credentials token endpoint (both apps) and a managed identity endpoint, on loopback."""

    def __init__(self, graph: GraphServer) -> None:
        self.graph = graph
        self.opaque = False  # Graph tokens without a readable roles claim
        self.requests: list[dict[str, str]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/metadata/identity/oauth2/token", self._imds)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        tenant = request.match_info["tenant"]
        self.requests.append({**{k: str(v) for k, v in form.items()}, "tenant": tenant})
        client, secret = form.get("client_id"), form.get("client_secret")
        known = {BOT_APP_ID: BOT_SECRET, GRAPH_CLIENT: GRAPH_SECRET}
        if client not in known or tenant != TENANT:  # the apps are single-tenant apps of TENANT
            return web.json_response(
                {
                    "error": "unauthorized_client",
                    "error_description": f"AADSTS700016: Application with identifier '{client}' was not "
                    f"found in the directory '{tenant}'.",
                },
                status=400,
            )
        if secret != known[client]:
            return web.json_response(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret "
                    "being sent in the request is the client secret value, not the client secret ID.",
                },
                status=401,
            )
        if client == BOT_APP_ID:
            assert form["scope"] == "https://api.botframework.com/.default"
            return web.json_response({"access_token": "bot-framework-token", "expires_in": 3600})
        assert form["scope"] == "https://graph.microsoft.com/.default"
        token = (
            "opaque-graph-token"
            if self.opaque
            else jwt.encode({"tid": TENANT, "roles": sorted(self.graph.granted)}, "k" * 32, "HS256")
        )
        return web.json_response({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    async def _imds(self, request: web.Request) -> web.Response:
        if request.headers.get("Metadata") != "true" or request.query.get("client_id") != BOT_APP_ID:
            return web.json_response({"error": "invalid_request"}, status=400)
        return web.json_response({"access_token": "msi-token", "expires_in": "3599"})


@pytest.fixture
async def graph() -> AsyncIterator[DoctorGraphServer]:
    server = DoctorGraphServer(
        [DirectoryUser(u.id, u.display_name, u.mail) for u in DEFAULT_USERS], teams_app_id=TEAMS_APP_ID
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    assert_within_contract(server)


@pytest.fixture
async def entra(graph: DoctorGraphServer) -> AsyncIterator[EntraStandIn]:
    server = EntraStandIn(graph)
    await server.start()
    yield server
    assert server.runner is not None
    await server.runner.cleanup()


def doctor_env(
    graph: GraphServer, entra: EntraStandIn, db_url: str, **overrides: str | None
) -> dict[str, str]:
    env = {
        "MicrosoftAppId": BOT_APP_ID,
        "MicrosoftAppPassword": BOT_SECRET,
        "MicrosoftAppType": "SingleTenant",
        "MicrosoftAppTenantId": TENANT,
        "BOT_TOKEN_AUTHORITY": entra.url,
        "AZURE_AUTHORITY_HOST": entra.url,
        "GRAPH_TENANT_ID": TENANT,
        "GRAPH_CLIENT_ID": GRAPH_CLIENT,
        "GRAPH_CLIENT_SECRET": GRAPH_SECRET,
        "GRAPH_BASE_URL": graph.base_url,
        "GRAPH_ORGANIZER_ID": ORGANIZER.mail,
        "GRAPH_TIMEOUT_SECONDS": "5",
        "TEAMS_APP_CATALOG_ID": TEAMS_APP_ID,
        "DATABASE_URL": db_url,
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


async def check(env: dict[str, str], lang: str = "sv", organizer: str | None = None) -> dict[str, Line]:
    t = Translator(lang)
    lines = await run_checks(load_config(env, organizer), t)
    assert len({line.key for line in lines}) == len(lines)
    return {line.key: line for line in lines}


def statuses(lines: dict[str, Line]) -> dict[str, str]:
    return {key: line.status for key, line in lines.items()}


def not_ok(lines: dict[str, Line]) -> set[str]:
    return {key for key, line in lines.items() if line.status != OK and key != "catalog"}


def assert_nothing_changed(graph: GraphServer) -> None:
    """Harmless: no event, no install, no create request, whatever was granted."""
    assert graph.events == {} and graph.transactions == {}
    assert graph.chat_apps == {} and graph.user_apps == {}
    assert graph.requests_to("POST", r"/events$") == []
    assert graph.requests_to("DELETE", r".") == []
    assert all(r.status != 201 for r in graph.requests)


# ---- everything granted -----------------------------------------------------------------------------


async def test_everything_granted_passes_and_changes_nothing(graph, entra, sqlite_url):
    code, text = await amain([], doctor_env(graph, entra, sqlite_url))
    lines = await check(doctor_env(graph, entra, sqlite_url))
    assert code == 0, text
    assert {k for k, s in statuses(lines).items() if s != OK} == {"catalog"}
    # The bot does not need AppCatalog.Read.All, so the catalog is a warning with the manual check.
    assert lines["catalog"].status == WARN
    assert (
        "är App-ID i Teams administrationscenter → Teams-appar → Hantera appar → SSPF"
        in lines["catalog"].action
    )
    assert "[OK]" in text and "[VARNING]" in text and "Allt boten behöver är på plats" in text
    assert_nothing_changed(graph)
    # The probes went where the bot's own calls go, to targets that do not exist.
    assert graph.requests_to("PATCH", r"/users/.+/events/sspf-doctor-no-such-event$")[0].status == 404
    assert graph.requests_to("POST", r"/chats/.+/installedApps$")[0].status == 404
    assert graph.requests_to("POST", r"/users/0{8}-.+/teamwork/installedApps$")[0].status == 404
    # The bot token came from the tenant (SingleTenant), the Graph token with the Graph scope.
    assert {(r["client_id"], r["tenant"]) for r in entra.requests} == {
        (BOT_APP_ID, TENANT),
        (GRAPH_CLIENT, TENANT),
    }


async def test_english_with_lang_en(graph, entra, sqlite_url):
    graph.granted.discard("OnlineMeetings.Read.All")
    code, text = await amain(["--lang", "en"], doctor_env(graph, entra, sqlite_url))
    assert code == 1
    assert "[FAIL]" in text and "[NOT CHECKED]" in text and "Action: Grant the application permission" in text
    assert "Åtgärd" not in text


# ---- each permission withheld in turn ---------------------------------------------------------------

WITHHELD = {
    "Calendars.ReadWrite": {"schedule", "events"},
    "User.Read.All": {"users"},
    "OnlineMeetings.Read.All": {"online_meetings", "access_policy"},
    "TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All": {"install_chat"},
    "TeamsAppInstallation.ReadWriteSelfForUser.All": {"install_user"},
}


def test_the_table_of_withheld_permissions_is_the_setup_page():
    assert set(WITHHELD) == set(DOC_PERMISSIONS)


@pytest.mark.parametrize("token", ["jwt", "opaque"])
@pytest.mark.parametrize("permission", DOC_PERMISSIONS)
async def test_each_permission_withheld_fails_its_line_with_the_grant(
    graph, entra, sqlite_url, permission, token
):
    graph.granted.discard(permission)
    entra.opaque = token == "opaque"
    env = doctor_env(graph, entra, sqlite_url)
    lines = await check(env)
    assert not_ok(lines) == WITHHELD[permission], statuses(lines)
    failing = [line for line in lines.values() if line.status == FAIL]
    assert failing
    for line in failing:
        # The exact Entra action: this permission, on this app, with admin consent.
        assert f"→ Appregistreringar → {GRAPH_CLIENT} → API-behörigheter" in line.action
        assert f"Programbehörigheter → {permission} → Lägg till" in line.action
        assert "Bevilja administratörsmedgivande" in line.action
    if permission == "OnlineMeetings.Read.All":
        assert lines["access_policy"].status == SKIP
    if permission == "Calendars.ReadWrite":  # or the Exchange policy leaves the organiser out
        assert f"Test-ApplicationAccessPolicy -Identity {ORGANIZER.mail} -AppId {GRAPH_CLIENT}" in (
            lines["events"].action
        )
    code, _ = await amain([], env)
    assert code == 1
    assert_nothing_changed(graph)


async def test_a_chat_install_permission_without_consent_is_not_enough(graph, entra, sqlite_url):
    graph.granted.discard("TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All")
    graph.granted.add("TeamsAppInstallation.ReadWriteSelfForChat.All")
    lines = await check(doctor_env(graph, entra, sqlite_url))
    assert not_ok(lines) == {"install_chat"}
    assert "TeamsAppInstallation.ReadWriteSelfForChat.All räcker inte" in lines["install_chat"].action
    assert_nothing_changed(graph)


async def test_the_token_roles_catch_what_graph_lets_through(graph, entra, sqlite_url, monkeypatch):
    """Real Graph may look the made-up chat up before it judges the consent permission; the token's
    roles still tell: a token without the consent role fails the line even when Graph says 404."""
    import bot.doctor as doctor

    real = doctor.token_roles
    monkeypatch.setattr(
        doctor,
        "token_roles",
        lambda token: real(token) - {"TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All"},
    )
    lines = await check(doctor_env(graph, entra, sqlite_url))
    assert not_ok(lines) == {"install_chat"}
    assert "saknar applikationsbehörigheten (rollen)" in lines["install_chat"].detail


async def test_no_teams_access_policy_for_the_organiser(graph, entra, sqlite_url):
    graph.access_policy_users = set()  # a policy exists for nobody
    lines = await check(doctor_env(graph, entra, sqlite_url))
    assert not_ok(lines) == {"access_policy"}
    assert lines["online_meetings"].status == OK
    action = lines["access_policy"].action
    assert f'New-CsApplicationAccessPolicy -Identity SSPF-bot-moten -AppIds "{GRAPH_CLIENT}"' in action
    assert f"Grant-CsApplicationAccessPolicy -PolicyName SSPF-bot-moten -Identity {ORGANIZER.mail}" in action


# ---- tokens -----------------------------------------------------------------------------------------


async def test_a_wrong_graph_secret_fails_the_graph_token_line(graph, entra, sqlite_url):
    env = doctor_env(graph, entra, sqlite_url, GRAPH_CLIENT_SECRET="the-secret-id-not-its-value")
    lines = await check(env)
    line = lines["graph_token"]
    assert line.status == FAIL
    assert "401" in line.detail and "AADSTS7000215" in line.detail
    assert (
        f"Appregistreringar → {GRAPH_CLIENT} → Certifikat och hemligheter → Ny klienthemlighet" in line.action
    )
    assert "GRAPH_CLIENT_SECRET" in line.action
    assert all(lines[key].status == SKIP for key in GRAPH_LINES)
    assert graph.requests == []  # nothing reached Graph without a token
    code, text = await amain([], env)
    assert code == 1 and "the-secret-id-not-its-value" not in text


async def test_graph_not_configured(graph, entra, sqlite_url):
    lines = await check(doctor_env(graph, entra, sqlite_url, GRAPH_CLIENT_SECRET=None))
    assert lines["graph_token"].status == FAIL
    assert "GRAPH_TENANT_ID, GRAPH_CLIENT_ID och GRAPH_CLIENT_SECRET" in lines["graph_token"].action


async def test_a_wrong_graph_client_id_names_the_app(graph, entra, sqlite_url):
    lines = await check(
        doctor_env(graph, entra, sqlite_url, GRAPH_CLIENT_ID="dddddddd-0000-0000-0000-000000000009")
    )
    assert lines["graph_token"].status == FAIL
    assert "dddddddd-0000-0000-0000-000000000009 finns inte i tenanten" in lines["graph_token"].action


async def test_a_wrong_bot_secret_fails_the_bot_token_line(graph, entra, sqlite_url):
    lines = await check(doctor_env(graph, entra, sqlite_url, MicrosoftAppPassword="wrong"))
    line = lines["bot_token"]
    assert line.status == FAIL and "invalid_client" in line.detail
    assert f"Appregistreringar → {BOT_APP_ID} → Certifikat och hemligheter" in line.action
    assert "MicrosoftAppPassword" in line.action
    assert lines["graph_token"].status == OK


async def test_a_single_tenant_app_configured_as_multi_tenant(graph, entra, sqlite_url):
    lines = await check(doctor_env(graph, entra, sqlite_url, MicrosoftAppType="MultiTenant"))
    line = lines["bot_token"]
    assert line.status == FAIL
    assert "MicrosoftAppType=SingleTenant och MicrosoftAppTenantId" in line.action
    assert entra.requests[0]["tenant"] == "botframework.com"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"MicrosoftAppId": None}, "Sätt MicrosoftAppId till botens app-id"),
        (
            {"MicrosoftAppType": "UserAssignedMsi2"},
            "Sätt MicrosoftAppType till SingleTenant, MultiTenant eller",
        ),
        (
            {"MicrosoftAppTenantId": None, "GRAPH_TENANT_ID": TENANT},
            "Sätt MicrosoftAppTenantId till tenantens id",
        ),
        ({"MicrosoftAppPassword": None}, "Sätt MicrosoftAppPassword till en klienthemlighet"),
    ],
)
async def test_bot_settings_that_cannot_give_a_token(graph, entra, sqlite_url, overrides, expected):
    lines = await check(doctor_env(graph, entra, sqlite_url, **overrides))
    assert lines["bot_token"].status == FAIL
    assert expected in lines["bot_token"].action


async def test_user_assigned_managed_identity(graph, entra, sqlite_url):
    env = doctor_env(
        graph,
        entra,
        sqlite_url,
        MicrosoftAppType="UserAssignedMSI",
        MicrosoftAppPassword=None,
        SSPF_MSI_ENDPOINT=entra.url + "/metadata/identity/oauth2/token",
    )
    assert (await check(env))["bot_token"].status == OK
    env["SSPF_MSI_ENDPOINT"] = "http://127.0.0.1:9/metadata/identity/oauth2/token"  # nothing listens
    line = (await check(env))["bot_token"]
    assert line.status == FAIL
    assert f"hanterade identiteten med klient-id {BOT_APP_ID}" in line.action


# ---- organiser, catalog, manifest -------------------------------------------------------------------


async def test_no_organiser_to_check(graph, entra, sqlite_url):
    lines = await check(doctor_env(graph, entra, sqlite_url, GRAPH_ORGANIZER_ID=None))
    assert lines["organizer"].status == FAIL
    assert "--organizer <en samordnares e-postadress>" in lines["organizer"].action
    assert lines["users"].status == OK  # checked on the directory instead
    assert {
        k for k in ("schedule", "events", "online_meetings", "access_policy") if lines[k].status == SKIP
    } == {
        "schedule",
        "events",
        "online_meetings",
        "access_policy",
    }
    # A coordinator from SSPF_COORDINATORS is checked when there is no shared mailbox.
    env = doctor_env(
        graph, entra, sqlite_url, GRAPH_ORGANIZER_ID=None, SSPF_COORDINATORS=f"{TENANT}/{ORGANIZER.id}"
    )
    lines = await check(env)
    assert not_ok(lines) == set()
    assert "SSPF_COORDINATORS" in lines["organizer"].detail


async def test_an_organiser_who_is_not_in_the_directory(graph, entra, sqlite_url):
    lines = await check(doctor_env(graph, entra, sqlite_url), organizer="vikarie@kommun.example")
    assert lines["users"].status == FAIL
    assert "vikarie@kommun.example finns inte i katalogen" in lines["users"].action
    assert lines["schedule"].status == FAIL and lines["events"].status == FAIL


async def test_app_catalog_when_the_doctor_may_read_it(graph, entra, sqlite_url):
    graph.granted.add("AppCatalog.Read.All")
    lines = await check(doctor_env(graph, entra, sqlite_url))
    assert lines["catalog"].status == OK and TEAMS_APP_ID in lines["catalog"].detail

    lines = await check(doctor_env(graph, entra, sqlite_url, TEAMS_APP_CATALOG_ID=MANIFEST_ID))
    assert lines["catalog"].status == FAIL
    assert lines["catalog"].action.startswith(f"Sätt TEAMS_APP_CATALOG_ID={TEAMS_APP_ID}:")
    assert lines["install_chat"].status == FAIL and "TEAMS_APP_CATALOG_ID" in lines["install_chat"].action

    graph.catalog = []
    lines = await check(doctor_env(graph, entra, sqlite_url))
    assert lines["catalog"].status == FAIL
    assert "ladda upp build/appPackage.zip i Teams administrationscenter" in lines["catalog"].action


async def test_no_catalog_id(graph, entra, sqlite_url):
    lines = await check(doctor_env(graph, entra, sqlite_url, TEAMS_APP_CATALOG_ID=None))
    assert lines["catalog"].status == FAIL and "Sätt TEAMS_APP_CATALOG_ID" in lines["catalog"].action
    assert lines["install_chat"].status == SKIP and lines["install_user"].status == SKIP


async def test_a_manifest_without_the_rsc_permission(graph, entra, sqlite_url, tmp_path):
    manifest = json.loads((ROOT / "appPackage" / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("authorization")
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    lines = await check(doctor_env(graph, entra, sqlite_url, SSPF_TEAMS_MANIFEST=str(path)))
    assert lines["manifest"].status == FAIL
    assert '"resourceSpecific": [{"name": "OnlineMeeting.ReadBasic.Chat", "type": "Application"}]' in (
        lines["manifest"].action
    )
    assert (await check(doctor_env(graph, entra, sqlite_url)))["manifest"].status == OK


# ---- database ---------------------------------------------------------------------------------------


async def test_a_migrated_database_passes(database_url):
    line = await database_line(database_url, Translator("sv"))
    assert line.status == OK, line


async def test_an_unmigrated_database_fails(graph, entra, tmp_path):
    import sqlite3

    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    lines = await check(doctor_env(graph, entra, f"sqlite+aiosqlite:///{path}"))
    assert lines["database"].status == FAIL
    assert "python -m store.migrate" in lines["database"].action
    code, _ = await amain([], doctor_env(graph, entra, f"sqlite+aiosqlite:///{path}"))
    assert code == 1


async def test_a_database_file_that_does_not_exist_is_reported_not_created(tmp_path):
    path = tmp_path / "nowhere" / "sspf.db"
    line = await database_line(f"sqlite+aiosqlite:///{path}", Translator("sv"))
    assert line.status == FAIL and "python -m store.migrate" in line.action
    assert not path.exists() and not path.parent.exists()


async def test_an_unreachable_database():
    line = await database_line("postgresql://nobody@127.0.0.1:9/sspf", Translator("en"))
    assert line.status == FAIL and "check DATABASE_URL" in line.action


# ---- the module as the deployment runs it -----------------------------------------------------------


async def run_module(env: dict[str, str], *args: str) -> tuple[int, str]:
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "SSPF_GRAPH_METADATA_DIR") if k in os.environ}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.doctor",
        *args,
        cwd=ROOT,
        env={**base, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert err.decode() == "", err.decode()
    return proc.returncode or 0, out.decode()


async def test_python_m_bot_doctor(graph, entra, sqlite_url):
    env = doctor_env(graph, entra, sqlite_url)
    code, out = await run_module(env)
    assert code == 0, out
    assert out.startswith("SSPF-boten – kontroll av tenanten")
    assert GRAPH_SECRET not in out and BOT_SECRET not in out

    graph.granted.discard("Calendars.ReadWrite")
    code, out = await run_module(env, "--lang", "en")
    assert code == 1, out
    assert "[FAIL]" in out
    assert "Application permissions → Calendars.ReadWrite → Add, then Grant admin consent" in out
    assert_nothing_changed(graph)


def test_the_catalog_has_the_same_keys_in_swedish_and_english():
    sv = json.loads((ROOT / "bot/i18n/sv/doctor.json").read_text(encoding="utf-8"))
    en = json.loads((ROOT / "bot/i18n/en/doctor.json").read_text(encoding="utf-8"))
    assert sv.keys() == en.keys()
