"""``make doctor`` / ``python -m bot.doctor``: does this tenant give the bot what it needs?

Run in the deployed bot's environment (same env vars: ``MicrosoftApp*``, ``GRAPH_*``,
``TEAMS_APP_CATALOG_ID``, ``DATABASE_URL``), it prints a checklist in Swedish (``--lang en`` for English)
with the exact action an administrator must take for each failure, and exits 0 only when nothing failed
(1 otherwise; 2 when the settings cannot even be read). A WARNING line — something the bot's own
permissions cannot check — is shown but does not fail the run.

Every check is HARMLESS: nothing is created, sent, installed or changed anywhere. How each one proves what it
proves without doing the thing:

- Bot Framework token: the bot's own ``AppTokenProvider`` fetches a token (client credentials for
  SingleTenant/MultiTenant, the managed identity endpoint for UserAssignedMSI). A token is only a token.
- Graph token: one client-credentials request to Entra ID, as ``azure-identity`` makes for the bot. Entra's
  answer names a wrong secret (AADSTS7000215), an expired one (AADSTS7000222), an unknown app (AADSTS700016)
  or tenant (AADSTS90002). The token's ``roles`` claim lists the application permissions that have admin
  consent; when the token is a JWT that has it, each permission line below also requires its role there.
  (That is what tells ``TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All`` from
  ``…ReadWriteSelfForChat.All``, which Graph accepts for the same URL but which cannot install our app.)
- User lookup: ``GET /users/{organiser}`` (read).
- getSchedule: ``POST /users/{organiser}/calendar/getSchedule`` for the organiser, for the next hour (read).
- Event creation (Calendars.ReadWrite on the organiser's mailbox): NOT a create. A create, even without
  attendees and deleted at once, puts an item in a real person's calendar, and a create with
  ``isOnlineMeeting`` makes a Teams meeting; with attendees it e-mails them. Instead the check sends the
  write the bot also makes — ``PATCH /users/{organiser}/events/{id}`` — for an event id that cannot exist.
  Graph authorises first: a token without Calendars.ReadWrite, or a mailbox outside the Exchange application
  access policy / RBAC scope, gets 403 ``ErrorAccessDenied``; with both in order the answer is "no such item"
  (404 ``ErrorItemNotFound``, or 400 ``ErrorInvalidIdMalformed`` for the made-up id). Nothing exists to
  change.
- Online-meeting lookup and the Teams access policy: ``GET /users/{organiser}/onlineMeetings?$filter=
  JoinWebUrl eq '<a join URL no meeting has>'`` (read): 403 without the permission, 403 "No application
  access policy found" without the policy, otherwise an empty answer.
- Installing in a chat / for a user: NOT a list of installed apps — listing is allowed by read-only
  permissions (``TeamsAppInstallation.ReadForChat.All`` …), so it passes in a tenant where every install
  fails. Instead the install request the bot makes (``POST /chats/{chat}/installedApps`` with the manifest's
  ``consentedPermissionSet``; ``POST /users/{user}/teamwork/installedApps``) goes to a chat and a user that
  cannot exist (nil GUIDs): Graph refuses it 403 without the permission, and otherwise finds no one to install
  for (404). Nothing is installed anywhere. Together with the token's roles this is exact.
- App catalog: ``GET /appCatalogs/teamsApps?$filter=externalId eq '<manifest id>'`` (read). That needs
  AppCatalog.Read.All, which the bot itself does not: without it the line is a WARNING with the manual check.
- Manifest: the file is read (``SSPF_TEAMS_MANIFEST`` or appPackage/manifest.json), nothing is sent.
- Database: one connection, ``SELECT 1`` and the Alembic revision read from ``alembic_version``; compared
  with the migrations' head. A SQLite file that does not exist is reported, not created.

Secrets are never printed, and a secret or token is sent only over https (or plain http to 127.0.0.1, which is
how the tests run it against local stand-ins for Entra ID and Graph).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from bot.i18n import Translator

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
NIL = "00000000-0000-0000-0000-000000000000"
# Targets that cannot exist: a 1:1 chat between two nil users, the nil user, an event id no mailbox has, a
# join URL no meeting has. The probes below are sent to them so that Graph authorises and then finds nothing.
PROBE_CHAT = f"19:{NIL}_{NIL}@unq.gbl.spaces"
PROBE_USER = NIL
PROBE_EVENT = "sspf-doctor-no-such-event"
PROBE_JOIN_URL = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_sspf-doctor-no-such-meeting%40thread.v2/0"
)
RSC_NEEDED = ("OnlineMeeting.ReadBasic.Chat", "application")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# For each Graph permission line: the application permissions (token roles) any of which lets the bot do it.
ROLES: dict[str, set[str]] = {
    "users": {"User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All"},
    "schedule": {"Calendars.ReadWrite", "Calendars.Read", "Calendars.ReadBasic"},
    "events": {"Calendars.ReadWrite"},
    "online_meetings": {"OnlineMeetings.Read.All", "OnlineMeetings.ReadWrite.All"},
    "install_chat": {
        "TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All",
        "TeamsAppInstallation.ReadWriteAndConsentForChat.All",
    },
    "install_user": {
        "TeamsAppInstallation.ReadWriteSelfForUser.All",
        "TeamsAppInstallation.ReadWriteForUser.All",
        "TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All",
        "TeamsAppInstallation.ReadWriteAndConsentForUser.All",
    },
}
# The permission docs/GRAPH_SETUP.md tells the administrator to grant, per line.
GRANT: dict[str, str] = {
    "users": "User.Read.All",
    "schedule": "Calendars.ReadWrite",
    "events": "Calendars.ReadWrite",
    "online_meetings": "OnlineMeetings.Read.All",
    "install_chat": "TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All",
    "install_user": "TeamsAppInstallation.ReadWriteSelfForUser.All",
}
USER_NOT_FOUND = {
    "ErrorInvalidUser",
    "ErrorMailRecipientNotFound",
    "Request_ResourceNotFound",
    "MailboxNotEnabledForRESTAPI",
}

OK, FAIL, WARN, SKIP = "ok", "fail", "warn", "skip"


@dataclass
class Line:
    """One line of the checklist: ``key`` names its catalog texts (``doctor.<key>.title``)."""

    key: str
    status: str
    title: str
    detail: str = ""
    action: str = ""


@dataclass
class Answer:
    """What Graph (or Entra ID) answered: status 0 when nothing answered."""

    status: int
    code: str = ""
    message: str = ""
    body: Any = None


@dataclass
class DoctorConfig:
    env: Mapping[str, str]
    organizer: str | None = None
    organizer_source: str = ""
    settings: Any = None  # bot.config.Settings
    graph: Any = None  # graph.settings.GraphSettings
    graph_authority: str = DEFAULT_AUTHORITY
    manifest_path: Path = field(default_factory=Path)


def load_config(env: Mapping[str, str], organizer: str | None = None) -> DoctorConfig:
    """The bot's own settings (``Settings.from_env``, ``GraphSettings.from_env``); raises ValueError."""
    from bot.config import Settings
    from graph.graph_calendar import DEFAULT_MANIFEST
    from graph.settings import GraphSettings

    settings = Settings.from_env(dict(env))
    graph = GraphSettings.from_env(env)
    source = "--organizer" if organizer else ""
    if not organizer and graph.organizer_id:
        organizer, source = graph.organizer_id, "GRAPH_ORGANIZER_ID"
    if not organizer:
        # Without a shared mailbox each coordinator organises from their own: check the first one.
        coordinators = [aad for _, aad in settings.coordinators if aad]
        if coordinators:
            organizer, source = coordinators[0], "SSPF_COORDINATORS"
    # azure-identity (the bot's Graph credential) takes its authority from AZURE_AUTHORITY_HOST.
    authority = (env.get("AZURE_AUTHORITY_HOST") or DEFAULT_AUTHORITY).strip().rstrip("/")
    if "://" not in authority:
        authority = "https://" + authority
    manifest = env.get("SSPF_TEAMS_MANIFEST") or str(DEFAULT_MANIFEST)
    return DoctorConfig(
        env=env,
        organizer=organizer,
        organizer_source=source,
        settings=settings,
        graph=graph,
        graph_authority=authority,
        manifest_path=Path(manifest),
    )


def safe_url(url: str) -> bool:
    """Secrets and tokens go only over https, or plain http to this machine (tests)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and (parts.hostname or "") in LOOPBACK)


def token_roles(token: str) -> set[str] | None:
    """The ``roles`` claim of a JWT access token, unverified (it came straight from Entra ID over TLS and is
    only read, never trusted for access); None when the token is opaque or has no roles claim."""
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except Exception:  # opaque token, or not a JWT we can read: the probes alone decide
        return None
    roles = claims.get("roles") if isinstance(claims, dict) else None
    if not isinstance(roles, list):
        return None
    return {r for r in roles if isinstance(r, str)}


def _aadsts(text: str) -> str:
    m = re.search(r"AADSTS(\d+)", text or "")
    return m.group(1) if m else ""


class Doctor:
    def __init__(self, config: DoctorConfig, t: Translator, http: aiohttp.ClientSession) -> None:
        self.c = config
        self.t = t
        self.http = http
        self.lines: list[Line] = []
        self.graph_token: str | None = None
        self.roles: set[str] | None = None

    # ---- helpers ---------------------------------------------------------------------------------
    def add(self, key: str, status: str, *, detail: str = "", action: str = "", **title: Any) -> Line:
        line = Line(key, status, self.t(f"doctor.{key}.title", **title), detail, action)
        self.lines.append(line)
        return line

    def status_of(self, key: str) -> str | None:
        return next((line.status for line in self.lines if line.key == key), None)

    @property
    def client_id(self) -> str:
        return self.c.graph.client_id or self.t("doctor.unset")

    @property
    def base(self) -> str:
        return self.c.graph.base_url

    async def graph(
        self, method: str, path: str, *, params: dict[str, str] | None = None, body: Any = None
    ) -> Answer:
        url = self.base + path
        headers = {"Authorization": f"Bearer {self.graph_token}"}
        try:
            async with self.http.request(method, url, params=params, json=body, headers=headers) as resp:
                raw = await resp.read()
                try:
                    data = json.loads(raw) if raw else None
                except ValueError:
                    data = None
                err = data.get("error") if isinstance(data, dict) else None
                code = str(err.get("code", "")) if isinstance(err, dict) else ""
                message = str(err.get("message", "")) if isinstance(err, dict) else ""
                return Answer(resp.status, code, message[:300], data)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Answer(0, type(exc).__name__, str(exc)[:200])

    def answer_detail(self, a: Answer) -> str:
        if a.status == 0:
            return self.t("doctor.detail.no_answer", url=self.base, error=a.code)
        return self.t(
            "doctor.detail.graph_answer", status=a.status, code=a.code or "-", message=a.message or "-"
        )

    def grant_action(self, key: str) -> str:
        organizer = self.c.organizer or ""
        if key in ("schedule", "events"):
            return self.t("doctor.action.grant_calendar", client_id=self.client_id, organizer=organizer)
        if key == "install_chat":
            return self.t("doctor.action.grant_chat", client_id=self.client_id)
        return self.t("doctor.action.grant", permission=GRANT[key], client_id=self.client_id)

    def permission_line(self, key: str, a: Answer, authorised: set[int], **title: Any) -> str:
        """The common verdict: 403 → grant; answered but the token lacks the role → grant; Graph away →
        try again; a missing organiser mailbox → say so; an answer in ``authorised`` → OK."""
        if a.status == 403:
            self.add(key, FAIL, detail=self.answer_detail(a), action=self.grant_action(key), **title)
            return FAIL
        if a.status == 404 and a.code in USER_NOT_FOUND and key not in ("install_user",):
            action = self.t("doctor.action.organizer_not_found", organizer=self.c.organizer)
            self.add(key, FAIL, detail=self.answer_detail(a), action=action, **title)
            return FAIL
        if a.status not in authorised:
            action = self.t("doctor.action.graph_unavailable", url=self.base)
            self.add(key, FAIL, detail=self.answer_detail(a), action=action, **title)
            return FAIL
        if self.roles is not None and not self.roles & ROLES[key]:
            detail = self.t(
                "doctor.detail.token_lacks",
                permission=GRANT[key],
                roles=", ".join(sorted(self.roles)) or "-",
            )
            self.add(key, FAIL, detail=detail, action=self.grant_action(key), **title)
            return FAIL
        self.add(key, OK, **title)
        return OK

    # ---- Bot Framework ---------------------------------------------------------------------------
    async def check_bot_token(self) -> None:
        from bot.auth import AppTokenProvider, AuthError

        s = self.c.settings
        app_type = (s.app_type or "MultiTenant").strip()
        title = {"app_id": s.app_id or self.t("doctor.unset"), "app_type": app_type}
        kind = app_type.lower()
        if not s.app_id:
            self.add("bot_token", FAIL, action=self.t("doctor.action.no_app_id"), **title)
            return
        if kind not in AppTokenProvider.APP_TYPES:
            self.add("bot_token", FAIL, action=self.t("doctor.action.bad_app_type"), **title)
            return
        if kind == "singletenant" and not s.app_tenant_id:
            self.add("bot_token", FAIL, action=self.t("doctor.action.single_tenant_no_tenant"), **title)
            return
        if kind != "userassignedmsi" and not s.app_password:
            self.add("bot_token", FAIL, action=self.t("doctor.action.no_password", app_id=s.app_id), **title)
            return
        if kind == "userassignedmsi":
            endpoint = s.identity_endpoint if (s.identity_endpoint and s.identity_header) else s.msi_endpoint
        else:
            endpoint = s.token_authority
        if kind != "userassignedmsi" and not safe_url(endpoint):
            detail = self.t("doctor.detail.insecure_url", url=endpoint)
            action = self.t("doctor.action.insecure_url", variable="BOT_TOKEN_AUTHORITY")
            self.add("bot_token", FAIL, detail=detail, action=action, **title)
            return
        provider = AppTokenProvider(s, self.http)
        try:
            await provider()
        except AuthError as exc:
            text = str(exc)
            status = re.search(r"answered (\d+)", text)
            detail = self.t(
                "doctor.detail.token_error", status=status.group(1) if status else "?", error=text
            )
            if kind == "userassignedmsi":
                action = self.t("doctor.action.bot_msi", app_id=s.app_id)
            elif "invalid_client" in text:
                action = self.t("doctor.action.bot_secret", app_id=s.app_id)
            elif "unauthorized_client" in text or "invalid_request" in text:
                tenant = s.app_tenant_id if kind == "singletenant" else "botframework.com"
                action = self.t("doctor.action.bot_app_not_found", app_id=s.app_id, tenant=tenant)
            else:
                action = self.t("doctor.action.token_other", error=text)
            self.add("bot_token", FAIL, detail=detail, action=action, **title)
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            detail = self.t("doctor.detail.no_answer", url=endpoint, error=type(exc).__name__)
            if kind == "userassignedmsi":
                action = self.t("doctor.action.bot_msi", app_id=s.app_id)
            else:
                action = self.t("doctor.action.unreachable", url=endpoint)
            self.add("bot_token", FAIL, detail=detail, action=action, **title)
            return
        note = self.t("doctor.detail.multi_tenant_note") if kind == "multitenant" else ""
        self.add("bot_token", OK, detail=note, **title)

    # ---- Graph token -----------------------------------------------------------------------------
    async def check_graph_token(self) -> None:
        g = self.c.graph
        title = {"client_id": self.client_id, "tenant": g.tenant_id or self.t("doctor.unset")}
        if not g.configured:
            self.add("graph_token", FAIL, action=self.t("doctor.action.graph_not_configured"), **title)
            return
        url = f"{self.c.graph_authority}/{quote(g.tenant_id, safe='')}/oauth2/v2.0/token"
        for variable, checked in (("AZURE_AUTHORITY_HOST", url), ("GRAPH_BASE_URL", g.base_url)):
            if not safe_url(checked):
                detail = self.t("doctor.detail.insecure_url", url=checked)
                action = self.t("doctor.action.insecure_url", variable=variable)
                self.add("graph_token", FAIL, detail=detail, action=action, **title)
                return
        form = {
            "grant_type": "client_credentials",
            "client_id": g.client_id,
            "client_secret": g.client_secret,
            "scope": GRAPH_SCOPE,
        }
        try:
            async with self.http.post(url, data=form, allow_redirects=False) as resp:
                status = resp.status
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            detail = self.t("doctor.detail.no_answer", url=self.c.graph_authority, error=type(exc).__name__)
            action = self.t("doctor.action.unreachable", url=self.c.graph_authority)
            self.add("graph_token", FAIL, detail=detail, action=action, **title)
            return
        token = body.get("access_token") if isinstance(body, dict) else None
        if status == 200 and isinstance(token, str) and token:
            self.graph_token = token
            self.roles = token_roles(token)
            self.add("graph_token", OK, **title)
            return
        error = str(body.get("error", "")) if isinstance(body, dict) else ""
        description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
        code = _aadsts(description)
        shown = f"{error} AADSTS{code}" if code else error or "-"
        detail = self.t("doctor.detail.token_error", status=status, error=shown)
        if code in ("7000215", "7000222") or (not code and error == "invalid_client"):
            action = self.t("doctor.action.graph_secret", client_id=g.client_id)
        elif code == "700016":
            action = self.t("doctor.action.graph_app_not_found", client_id=g.client_id, tenant=g.tenant_id)
        elif code in ("90002", "900023"):
            action = self.t("doctor.action.tenant_not_found", tenant=g.tenant_id)
        else:
            action = self.t("doctor.action.token_other", error=shown)
        self.add("graph_token", FAIL, detail=detail, action=action, **title)

    # ---- Graph permissions -----------------------------------------------------------------------
    def skip(self, key: str, reason: str, **title: Any) -> None:
        self.add(key, SKIP, detail=self.t(f"doctor.detail.{reason}"), **title)

    async def check_graph(self) -> None:
        organizer = self.c.organizer
        have_token = self.graph_token is not None
        shown = organizer or self.t("doctor.unset")
        if organizer:
            detail = self.t("doctor.detail.organizer_source", source=self.c.organizer_source)
            self.add("organizer", OK, detail=detail, organizer=shown)
        else:
            self.add("organizer", FAIL, action=self.t("doctor.action.no_organizer"), organizer=shown)
        if not have_token:
            for key in ("users", "schedule", "events", "online_meetings", "access_policy"):
                self.skip(key, "skip_graph")
        else:
            await self._users(organizer)
            if organizer:
                await self._schedule(organizer)
                await self._events(organizer)
                await self._online_meetings(organizer)
            else:
                for key in ("schedule", "events", "online_meetings", "access_policy"):
                    self.skip(key, "skip_organizer")
        catalog_id = self.c.graph.teams_app_catalog_id
        for key in ("install_chat", "install_user"):
            if not have_token:
                self.skip(key, "skip_graph")
            elif not catalog_id:
                self.skip(key, "skip_catalog_id")
            else:
                await self._install(key, catalog_id)
        await self._catalog(catalog_id, have_token)

    async def _users(self, organizer: str | None) -> None:
        if organizer:
            a = await self.graph(
                "GET", f"/users/{quote(organizer, safe='@')}", params={"$select": "id,displayName,mail"}
            )
        else:
            a = await self.graph("GET", "/users", params={"$top": "1", "$select": "id"})
        self.permission_line("users", a, {200})

    async def _schedule(self, organizer: str) -> None:
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        body = {
            "schedules": [organizer],
            "startTime": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "endTime": {
                "dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
            "availabilityViewInterval": 30,
        }
        a = await self.graph("POST", f"/users/{quote(organizer, safe='@')}/calendar/getSchedule", body=body)
        if a.status == 200 and isinstance(a.body, dict):
            for item in a.body.get("value") or []:
                err = item.get("error") if isinstance(item, dict) else None
                if isinstance(err, dict):  # getSchedule answers 200 with an error per schedule
                    a = Answer(404, str(err.get("responseCode", "")), str(err.get("message", "")))
        self.permission_line("schedule", a, {200})

    async def _events(self, organizer: str) -> None:
        # A write to an event that cannot exist: authorised → "no such item"; not authorised → 403.
        a = await self.graph(
            "PATCH",
            f"/users/{quote(organizer, safe='@')}/events/{PROBE_EVENT}",
            body={"isReminderOn": False},
        )
        authorised = a.status == 404 and a.code == "ErrorItemNotFound"
        authorised = authorised or (a.status == 400 and a.code == "ErrorInvalidIdMalformed")
        if authorised:
            a = Answer(200, a.code, a.message)
        self.permission_line("events", a, {200})

    async def _online_meetings(self, organizer: str) -> None:
        flt = "JoinWebUrl eq '{}'".format(PROBE_JOIN_URL.replace("'", "''"))
        a = await self.graph(
            "GET", f"/users/{quote(organizer, safe='@')}/onlineMeetings", params={"$filter": flt}
        )
        policy_missing = a.status == 403 and "access policy" in a.message.lower()
        if a.status == 404 and a.code not in USER_NOT_FOUND:
            a = Answer(200, a.code, a.message)  # no meeting with that URL: the lookup itself was allowed
        if policy_missing:
            verdict = self.permission_line("online_meetings", Answer(200), {200})
        else:
            verdict = self.permission_line("online_meetings", a, {200})
        if verdict != OK:
            self.skip("access_policy", "skip_online_meetings")
        elif policy_missing:
            action = self.t("doctor.action.access_policy", client_id=self.client_id, organizer=organizer)
            self.add("access_policy", FAIL, detail=self.answer_detail(a), action=action)
        else:
            self.add("access_policy", OK, detail=organizer)

    async def _install(self, key: str, catalog_id: str) -> None:
        from graph.graph_calendar import manifest_rsc_permissions

        body: dict[str, Any] = {
            "teamsApp@odata.bind": f"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalog_id}"
        }
        if key == "install_chat":
            rsc = manifest_rsc_permissions(self.c.manifest_path)
            if rsc:  # exactly what the bot sends (Learn: "Add app to chat", example 2)
                body["consentedPermissionSet"] = {
                    "resourceSpecificPermissions": [
                        {"permissionValue": name, "permissionType": kind} for name, kind in rsc
                    ]
                }
            path = f"/chats/{quote(PROBE_CHAT, safe='')}/installedApps"
        else:
            path = f"/users/{PROBE_USER}/teamwork/installedApps"
        a = await self.graph("POST", path, body=body)
        if a.status == 400:  # the app bound in the body is not one Graph knows
            self.add(key, FAIL, detail=self.answer_detail(a), action=self.t("doctor.action.no_catalog_id"))
            return
        # 404: authorised, and there is no such chat / user: nothing was installed. (201/409 cannot happen
        # for a target that does not exist; were it to, it is still proof of the permission.)
        self.permission_line(key, a, {404, 201, 409})

    async def _catalog(self, catalog_id: str | None, have_token: bool) -> None:
        if not catalog_id:
            self.add("catalog", FAIL, action=self.t("doctor.action.no_catalog_id"))
            return
        if not have_token:
            self.skip("catalog", "skip_graph")
            return
        external = self._manifest_id()
        a = await self.graph(
            "GET", "/appCatalogs/teamsApps", params={"$filter": f"externalId eq '{external}'"}
        )
        if a.status == 403:
            detail = self.t("doctor.detail.catalog_unverified")
            action = self.t("doctor.action.catalog_unverified", configured=catalog_id)
            self.add("catalog", WARN, detail=detail, action=action)
            return
        if a.status != 200 or not isinstance(a.body, dict):
            action = self.t("doctor.action.graph_unavailable", url=self.base)
            self.add("catalog", FAIL, detail=self.answer_detail(a), action=action)
            return
        apps = [x for x in a.body.get("value") or [] if isinstance(x, dict)]
        if not apps:
            self.add("catalog", FAIL, action=self.t("doctor.action.catalog_missing", external_id=external))
            return
        match = next((x for x in apps if x.get("id") == catalog_id), None)
        if match is None:
            best = next((x for x in apps if x.get("distributionMethod") == "organization"), apps[0])
            action = self.t(
                "doctor.action.catalog_mismatch", catalog_id=best.get("id"), configured=catalog_id
            )
            self.add("catalog", FAIL, action=action)
            return
        detail = self.t(
            "doctor.detail.catalog_found",
            catalog_id=catalog_id,
            name=match.get("displayName", "-"),
            distribution=match.get("distributionMethod", "-"),
        )
        self.add("catalog", OK, detail=detail)

    def _manifest_id(self) -> str:
        try:
            return str(json.loads(self.c.manifest_path.read_text(encoding="utf-8")).get("id", ""))
        except (OSError, ValueError, AttributeError):
            return ""

    # ---- manifest --------------------------------------------------------------------------------
    def check_manifest(self) -> None:
        path = self.c.manifest_path
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            rsc = ((data.get("authorization") or {}).get("permissions") or {}).get("resourceSpecific") or []
            found = {(str(p.get("name")), str(p.get("type", "")).lower()) for p in rsc if isinstance(p, dict)}
        except (OSError, ValueError, AttributeError) as exc:
            detail = self.t("doctor.detail.manifest_unreadable", path=path, error=type(exc).__name__)
            self.add("manifest", FAIL, detail=detail, action=self.t("doctor.action.manifest_unreadable"))
            return
        if RSC_NEEDED not in found:
            detail = self.t("doctor.detail.manifest_missing", path=path)
            self.add(
                "manifest", FAIL, detail=detail, action=self.t("doctor.action.manifest_missing", path=path)
            )
            return
        self.add("manifest", OK, detail=self.t("doctor.detail.manifest_ok", path=path))

    # ---- database --------------------------------------------------------------------------------
    async def check_database(self) -> None:
        self.lines.append(await database_line(self.c.settings.database_url, self.t))


async def database_line(url: str, t: Translator) -> Line:
    """Reachable (``SELECT 1``) and at the migrations' head; reads only, creates no SQLite file."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from store.db import make_engine, normalize_url
    from store.migrate import alembic_config

    title = t("doctor.database.title")
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1].split("?", 1)[0]
        if path and path != ":memory:" and not await asyncio.to_thread(os.path.exists, path):
            detail = t("doctor.detail.db_missing_file", path=path)
            return Line("database", FAIL, title, detail, t("doctor.action.db_missing_file"))
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    try:
        engine = make_engine(url, pool_size=1)
    except Exception as exc:  # a URL the driver cannot take
        detail = t("doctor.detail.db_error", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return Line("database", FAIL, title, detail, t("doctor.action.db_unreachable"))
    try:
        async with asyncio.timeout(15):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                current = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
                dialect = engine.dialect.name
    except Exception as exc:  # refused, DNS, authentication, TLS, timeout: all "not reachable"
        detail = t("doctor.detail.db_error", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return Line("database", FAIL, title, detail, t("doctor.action.db_unreachable"))
    finally:
        await engine.dispose()
    if current != head:
        detail = t("doctor.detail.db_behind", current=current or "-", head=head)
        return Line("database", FAIL, title, detail, t("doctor.action.db_migrate"))
    return Line("database", OK, title, t("doctor.detail.db_head", dialect=dialect, head=head))


async def run_checks(config: DoctorConfig, t: Translator) -> list[Line]:
    """Every check, in the checklist's order."""
    timeout = aiohttp.ClientTimeout(total=float(config.graph.timeout_seconds or 30))
    async with aiohttp.ClientSession(timeout=timeout) as http:
        doctor = Doctor(config, t, http)
        await doctor.check_bot_token()
        await doctor.check_graph_token()
        await doctor.check_graph()
        doctor.check_manifest()
        await doctor.check_database()
        return doctor.lines


def render(lines: list[Line], config: DoctorConfig | None, t: Translator) -> str:
    out = [t("doctor.heading")]
    if config is not None:
        g, s = config.graph, config.settings
        unset = t("doctor.unset")
        out.append(
            t(
                "doctor.settings",
                app_id=s.app_id or unset,
                app_type=s.app_type,
                client_id=g.client_id or unset,
                tenant=g.tenant_id or unset,
                organizer=config.organizer or unset,
                graph_url=g.base_url,
            )
        )
    out.append("")
    labels = {k: t(f"doctor.status.{k}") for k in (OK, FAIL, WARN, SKIP)}
    width = max(len(v) for v in labels.values()) + 2
    for line in lines:
        out.append(f"[{labels[line.status]}]".ljust(width + 1) + " " + line.title)
        pad = " " * (width + 2)
        if line.detail:
            out.append(pad + line.detail)
        if line.action:
            out.append(pad + t("doctor.action_label") + " " + line.action)
    out.append("")
    failed = sum(1 for line in lines if line.status in (FAIL, SKIP))
    warned = sum(1 for line in lines if line.status == WARN)
    passed = sum(1 for line in lines if line.status == OK)
    if failed:
        out.append(t("doctor.summary.fail", failed=failed, total=len(lines)))
    else:
        out.append(t("doctor.summary.ok", passed=passed, total=len(lines)))
    if warned:
        out.append(t("doctor.summary.warnings", warned=warned))
    return "\n".join(out)


def exit_code(lines: list[Line]) -> int:
    """0 only when every check passed (a WARNING is a check the bot's permissions cannot make)."""
    return 0 if all(line.status in (OK, WARN) for line in lines) else 1


async def amain(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="python -m bot.doctor", description="SSPF tenant check")
    parser.add_argument("--lang", choices=("sv", "en"), default="sv")
    parser.add_argument(
        "--organizer", help="an organiser mailbox (UPN or object id) to check the calendar on"
    )
    args = parser.parse_args(argv)
    t = Translator(args.lang)
    env = os.environ if env is None else env
    try:
        config = load_config(env, args.organizer)
    except ValueError as exc:  # bot.config.ConfigError is a ValueError
        return 2, t("doctor.heading") + "\n" + t("doctor.config_error", error=str(exc))
    lines = await run_checks(config, t)
    return exit_code(lines), render(lines, config, t)


def main(argv: list[str] | None = None) -> int:
    code, text = asyncio.run(amain(argv))
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
