"""A local Microsoft Graph stand-in for tests (aiohttp on 127.0.0.1, random port, state in memory).

Why: the real msgraph-sdk (its middleware, retries, serialisation) must be exercised against something that
answers like Graph — including the unpleasant parts: 429 with Retry-After, 503, 403, slow answers — and that
is strict about what we send (transactionId, Teams meeting fields, recurrence shape). Every request is
recorded for assertions. Only the endpoints the bot uses are implemented, under ``/v1.0``.

Microsoft's contract, not our idea of it: every request is first checked by ``tests.harness.graph_contract``
against Graph's v1.0 metadata and permission map (``/work/shared/graph-metadata``): path and method exist,
body properties and enum values exist on the type, and the call is allowed app-only. A request outside the
contract is answered 400 and recorded in ``contract_violations``; the fixtures fail the test on any.
The server then grants exactly the application permissions ``docs/GRAPH_SETUP.md`` tells the administrator
to grant (``granted``; tests withhold some) and answers 403 as Graph does when none of the permissions
allowing a call is granted.

Behaviour modelled on what real Graph does (source in brackets):
- creates deduplicated by ``transactionId`` per mailbox (Learn: event resource, transactionId);
- a mailbox whose calendar does not allow Teams meetings (``teams_disabled_for``) gets 201 with
  ``isOnlineMeeting: false`` and no ``onlineMeeting`` (Learn: calendar.allowedOnlineMeetingProviders;
  ENGINEERING.md "Real Microsoft");
- join URLs in both forms: classic ``/l/meetup-join/19%3ameeting_…`` and short ``/meet/<id>?p=…``
  (``join_url_style``); ``GET /users/{id}/onlineMeetings?$filter=JoinWebUrl eq '…'`` returns the meeting with
  ``chatInfo.threadId`` and needs a Teams application access policy for the organizer
  (``access_policy_users``; None = a policy covering everyone) (Learn: Get onlineMeeting, example 2;
  "Allow applications to access online meetings on behalf of a user");
- chat install of an app whose manifest asks for resource-specific consent (``rsc_permissions``, read from
  appPackage/manifest.json) is 403 without ``TeamsAppInstallation.ReadWriteAndConsent(Self)ForChat.All`` and
  without a ``consentedPermissionSet`` matching the manifest (Learn: Add app to chat, note and example 2);
- ``$filter`` on ``singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')`` for events
  (Learn: Get singleValueLegacyExtendedProperty, example 2);
- getSchedule lists each occurrence of a weekly series in the window, on the series' dates at the master's
  local time of day (Exchange derives occurrences from the recurrence, not from the master's start);
- throttling answers 429 with Retry-After and a code of the real kind (``ApplicationThrottled`` is
  available via ``fail_next(code=…)``).

NOT modelled (keep this list current):
- ``$filter`` beyond the few shapes above (users: startswith/eq; events: one extended property;
  onlineMeetings: JoinWebUrl eq); ``$orderby``, ``$expand``, paging (``@odata.nextLink``), ``$count``;
- recurrence other than weekly in getSchedule; exceptions/cancelled occurrences; ``instances``;
- what Graph does with a repeated transactionId after some time (undocumented: here forever);
- the invitations and cancellations Exchange e-mails to attendees (``requests``/``events`` show the calls);
- Exchange application access policies / RBAC for Applications on mailboxes (only the Teams online-meeting
  access policy is modelled), the Teams app permission policy, licences, the app catalog lookup;
- lobby, recording and other onlineMeeting settings (no PATCH /onlineMeetings);
- token validation: any ``Bearer`` token of some length is accepted; tokens carry no roles — the granted
  permissions are a property of the server;
- per-mailbox concurrency limits and the 10,000 requests / 10 min budget (only injected faults);
- eventual consistency (a created event is visible to every read at once).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import CIMultiDict

from tests.harness.graph_contract import ContractViolation, contract, implied, permissions_in_setup_doc

BODY: web.RequestKey[Any] = web.RequestKey("graph_body", Any)
OWA = "https://outlook.office365.com/owa/"
ALLOWED_TIME_ZONES = {"UTC", "W. Europe Standard Time", "Europe/Stockholm"}
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
RESPONSES = {"none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded"}
CHAT_CONSENT_PERMISSIONS = {
    "TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All",
    "TeamsAppInstallation.ReadWriteAndConsentForChat.All",
}
WEEKDAY_INDEX = {
    d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}


def manifest_rsc_permissions() -> list[dict[str, str]]:
    """The Application RSC permissions appPackage/manifest.json asks for, as Graph's
    teamsAppResourceSpecificPermission objects."""
    from pathlib import Path

    manifest = json.loads(
        (Path(__file__).resolve().parents[2] / "appPackage" / "manifest.json").read_text(encoding="utf-8")
    )
    rsc = ((manifest.get("authorization") or {}).get("permissions") or {}).get("resourceSpecific") or []
    return [{"permissionValue": p["name"], "permissionType": p["type"].lower()} for p in rsc]


@dataclass
class RecordedRequest:
    """One request as the server saw it (after any fault was injected, ``status`` is what we answered)."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]  # case-insensitive, like HTTP
    body: Any
    status: int = 0


@dataclass
class Fault:
    """An injected failure: the next ``times`` matching requests get ``status`` (or are only delayed)."""

    method: str
    path_regex: re.Pattern[str]
    status: int | None
    times: int
    retry_after: float | None
    delay: float | None
    code: str | None = None


@dataclass
class DirectoryUser:
    """A user in the fake tenant directory (has a mailbox)."""

    id: str
    display_name: str
    mail: str
    upn: str = ""
    busy: list[dict[str, Any]] = field(default_factory=list)
    working_hours: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "displayName": self.display_name,
            "mail": self.mail,
            "userPrincipalName": self.upn or self.mail,
            "givenName": self.display_name.split(" ")[0],
            "surname": self.display_name.split(" ")[-1],
        }


DEFAULT_WORKING_HOURS = {
    "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
    "startTime": "08:00:00.0000000",
    "endTime": "17:00:00.0000000",
    "timeZone": {"name": "W. Europe Standard Time"},
}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }
    return web.json_response(body, status=status, headers=headers)


class ValidationError(Exception):
    """The request body is not what Graph (or our contract with it) requires."""


def _parse_dt(value: Any, where: str) -> datetime:
    if not isinstance(value, dict) or "dateTime" not in value or "timeZone" not in value:
        raise ValidationError(f"{where} must be a dateTimeTimeZone with dateTime and timeZone")
    if value["timeZone"] not in ALLOWED_TIME_ZONES:
        raise ValidationError(f"{where}.timeZone {value['timeZone']!r} not supported by the harness")
    text = str(value["dateTime"])
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?", text)
    if not m:
        raise ValidationError(f"{where}.dateTime {text!r} is not an ISO local date-time")
    naive = datetime.fromisoformat(m.group(1))
    if value["timeZone"] == "UTC":
        return naive.replace(tzinfo=UTC)
    from zoneinfo import ZoneInfo

    return naive.replace(tzinfo=ZoneInfo("Europe/Stockholm")).astimezone(UTC)


def _action_params(body: Any) -> Any:
    """Graph action parameters are case-insensitive (the SDK sends "Schedules", "Comment")."""
    if not isinstance(body, dict):
        return body
    return {(k[:1].lower() + k[1:]): v for k, v in body.items()}


def _graph_dt(value: datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


class GraphServer:
    """In-memory Graph. Start with ``await server.start()``; ``server.base_url`` ends in ``/v1.0``."""

    def __init__(
        self,
        users: list[DirectoryUser] | None = None,
        *,
        teams_app_id: str = "catalog-app-1",
        granted: set[str] | None = None,
        rsc_permissions: list[dict[str, str]] | None = None,
    ) -> None:
        self.users: list[DirectoryUser] = list(users or [])
        self.teams_app_id = teams_app_id
        # Application permissions with admin consent: by default exactly what docs/GRAPH_SETUP.md asks for.
        self.granted: set[str] = set(permissions_in_setup_doc() if granted is None else granted)
        self.rsc_permissions = manifest_rsc_permissions() if rsc_permissions is None else rsc_permissions
        self.join_url_style = "classic"  # or "short": https://teams.microsoft.com/meet/<id>?p=<passcode>
        self.teams_disabled_for: set[str] = set()  # mailbox ids whose calendar allows no Teams meetings
        self.access_policy_users: set[str] | None = None  # Teams app access policy; None = everyone
        self.online_meetings: dict[str, dict[str, Any]] = {}
        self.contract_violations: list[str] = []
        self.events: dict[str, dict[str, Any]] = {}  # event id -> stored event JSON (+ private keys)
        self.transactions: dict[tuple[str, str], str] = {}  # (mailbox id, transactionId) -> event id
        self.chat_apps: dict[str, set[str]] = {}
        self.user_apps: dict[str, set[str]] = {}
        self.requests: list[RecordedRequest] = []
        self.validation_errors: list[str] = []
        self._faults: list[Fault] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> GraphServer:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_post("/v1.0/users/{user}/events", self._create_event)
        r.add_get("/v1.0/users/{user}/events", self._list_events)
        r.add_get("/v1.0/users/{user}/onlineMeetings", self._list_online_meetings)
        r.add_get("/v1.0/users/{user}/events/{event}", self._get_event)
        r.add_patch("/v1.0/users/{user}/events/{event}", self._patch_event)
        r.add_delete("/v1.0/users/{user}/events/{event}", self._delete_event)
        r.add_post("/v1.0/users/{user}/events/{event}/cancel", self._cancel_event)
        r.add_post("/v1.0/users/{user}/calendar/getSchedule", self._get_schedule)
        r.add_get("/v1.0/users", self._list_users)
        r.add_get("/v1.0/users/{user}", self._get_user)
        r.add_post("/v1.0/chats/{chat}/installedApps", self._install_chat)
        r.add_post("/v1.0/users/{user}/teamwork/installedApps", self._install_user)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1.0"

    # ---- test controls ---------------------------------------------------------------------------
    def add_user(self, user: DirectoryUser) -> DirectoryUser:
        self.users.append(user)
        return user

    def add_busy(self, user: str, start: datetime, end: datetime, status: str = "busy") -> None:
        """Put a busy block (UTC, aware datetimes) into a user's calendar for getSchedule."""
        u = self._user(user)
        assert u is not None, f"unknown user {user}"
        u.busy.append({"start": start, "end": end, "status": status})

    def set_response(self, event_id: str, email: str, response: str) -> None:
        """Simulate an attendee answering the invitation."""
        assert response in RESPONSES
        for a in self.events[event_id]["attendees"]:
            if a["emailAddress"]["address"].lower() == email.lower():
                a["status"] = {"response": response, "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
                return
        raise KeyError(email)

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int | None = None,
        times: int = 1,
        retry_after: float | None = None,
        delay: float | None = None,
        code: str | None = None,
    ) -> None:
        """Make the next ``times`` requests matching ``method`` and ``path_regex`` (searched in the path
        after ``/v1.0``) fail with ``status``. With ``delay`` the answer is held back that many seconds;
        with ``status=None`` and a delay the request IS processed and only the answer is late — the
        realistic "timed out but Graph did it" case."""
        self._faults.append(
            Fault(method.upper(), re.compile(path_regex), status, times, retry_after, delay, code)
        )

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        rx = re.compile(path_regex)
        return [r for r in self.requests if r.method == method.upper() and rx.search(r.path)]

    def live_events(self) -> list[dict[str, Any]]:
        return [e for e in self.events.values() if not e["isCancelled"]]

    # ---- plumbing --------------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        path = request.path[len("/v1.0") :] if request.path.startswith("/v1.0") else request.path
        rec = RecordedRequest(request.method, path, dict(request.query), CIMultiDict(request.headers), body)
        self.requests.append(rec)
        request[BODY] = body
        try:
            checked = contract().check(request.method, path, dict(request.query), body)
        except ContractViolation as exc:
            self.contract_violations.append(str(exc))
            rec.status = 400
            return _error(400, "BadRequest", f"Outside Graph v1.0's contract: {exc}")
        fault = self._take_fault(request.method, path)
        if fault is not None and fault.status is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            rec.status = fault.status
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else None
            code = fault.code or {
                429: "TooManyRequests",
                503: "ServiceNotAvailable",
                504: "GatewayTimeout",
                403: "ErrorAccessDenied",
            }.get(fault.status, "InjectedFault")
            message = {
                403: "Access is denied. Check credentials and try again.",
                429: "Application is over its MailboxConcurrency limit.",
            }.get(fault.status, f"Injected {fault.status}")
            return _error(fault.status, code, message, headers)
        if "//" in request.path:
            rec.status = 400
            return _error(400, "BadRequest", f"Malformed path {request.path!r} (double slash)")
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or len(auth) < 10:
            rec.status = 401
            return _error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if not implied(self.granted) & checked.permissions:
            rec.status = 403
            return self._forbidden(checked.template)
        try:
            response = await handler(request)
        except ValidationError as exc:
            self.validation_errors.append(str(exc))
            response = _error(400, "ErrorInvalidRequest", str(exc))
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)  # processed, but the answer comes late
        rec.status = response.status
        return response

    @staticmethod
    def _forbidden(template: str) -> web.Response:
        """Graph's 403 for a missing application permission, with the code the service behind it uses."""
        if template.startswith("/users/{id}/events") or template.startswith("/users/{id}/calendar"):
            return _error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        if template in ("/users", "/users/{id}"):
            return _error(
                403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
            )
        return _error(
            403,
            "Forbidden",
            "Missing role permissions on the request. API requires one of the "
            "application permissions listed in its documentation.",
        )

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for f in self._faults:
            if f.times > 0 and f.method == method.upper() and f.path_regex.search(path):
                f.times -= 1
                return f
        return None

    def _user(self, key: str) -> DirectoryUser | None:
        k = key.lower()
        for u in self.users:
            if k in (u.id.lower(), u.mail.lower(), (u.upn or u.mail).lower()):
                return u
        return None

    def _user_or_404(self, key: str) -> DirectoryUser | web.Response:
        u = self._user(key)
        if u is None:
            return _error(404, "ErrorInvalidUser", f"The requested user '{key}' is invalid.")
        return u

    def _event_or_404(self, user: DirectoryUser, event_id: str) -> dict[str, Any] | web.Response:
        e = self.events.get(event_id)
        if e is None or e["_mailbox"] != user.id or e["isCancelled"]:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return e

    @staticmethod
    def _public(event: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in event.items() if not k.startswith("_")}

    # ---- events ----------------------------------------------------------------------------------
    def _validate_event(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ValidationError("body must be a JSON object")
        for key in ("subject", "start", "end", "attendees", "transactionId", "body"):
            if key not in body or body[key] in (None, ""):
                raise ValidationError(f"missing required field {key!r}")
        if body.get("isOnlineMeeting") is not True:
            raise ValidationError("isOnlineMeeting must be true")
        if body.get("onlineMeetingProvider") != "teamsForBusiness":
            raise ValidationError("onlineMeetingProvider must be teamsForBusiness")
        if not isinstance(body["body"], dict) or body["body"].get("contentType", "").lower() not in (
            "html",
            "text",
        ):
            raise ValidationError("body must be an itemBody with contentType html|text")
        start = _parse_dt(body["start"], "start")
        end = _parse_dt(body["end"], "end")
        if end <= start:
            raise ValidationError("end must be after start")
        if not isinstance(body["attendees"], list) or not body["attendees"]:
            raise ValidationError("attendees must be a non-empty list")
        for i, a in enumerate(body["attendees"]):
            addr = (a.get("emailAddress") or {}).get("address") if isinstance(a, dict) else None
            if not addr or "@" not in addr:
                raise ValidationError(f"attendees[{i}].emailAddress.address missing or invalid")
            if a.get("type", "required") not in ("required", "optional", "resource"):
                raise ValidationError(f"attendees[{i}].type invalid")
        if body.get("recurrence") is not None:
            self._validate_recurrence(body["recurrence"], body["start"])

    @staticmethod
    def _validate_recurrence(rec: Any, start: dict[str, Any]) -> None:
        if not isinstance(rec, dict) or "pattern" not in rec or "range" not in rec:
            raise ValidationError("recurrence needs pattern and range")
        p, r = rec["pattern"], rec["range"]
        if p.get("type") not in (
            "daily",
            "weekly",
            "absoluteMonthly",
            "relativeMonthly",
            "absoluteYearly",
            "relativeYearly",
        ):
            raise ValidationError(f"recurrence.pattern.type {p.get('type')!r} invalid")
        if not isinstance(p.get("interval"), int) or p["interval"] < 1:
            raise ValidationError("recurrence.pattern.interval must be an integer >= 1")
        if p["type"] == "weekly":
            days = p.get("daysOfWeek")
            if not days or not set(days) <= WEEKDAYS:
                raise ValidationError("weekly recurrence needs daysOfWeek (lower-case English names)")
            if p.get("firstDayOfWeek") not in WEEKDAYS:
                raise ValidationError("weekly recurrence needs firstDayOfWeek")
        rtype = r.get("type")
        if rtype not in ("endDate", "noEnd", "numbered"):
            raise ValidationError(f"recurrence.range.type {rtype!r} invalid")
        try:
            sd = date.fromisoformat(r.get("startDate", ""))
        except (TypeError, ValueError):
            raise ValidationError("recurrence.range.startDate must be YYYY-MM-DD") from None
        if str(sd) != str(start["dateTime"])[:10]:
            raise ValidationError("recurrence.range.startDate must be the date of the first occurrence")
        if rtype == "endDate":
            try:
                ed = date.fromisoformat(r.get("endDate", ""))
            except (TypeError, ValueError):
                raise ValidationError("recurrence.range.endDate must be YYYY-MM-DD") from None
            if ed < sd:
                raise ValidationError("recurrence.range.endDate before startDate")
        if rtype == "numbered" and (
            not isinstance(r.get("numberOfOccurrences"), int) or r["numberOfOccurrences"] < 1
        ):
            raise ValidationError("numbered recurrence needs numberOfOccurrences >= 1")

    async def _create_event(self, request: web.Request) -> web.Response:
        user = self._user_or_404(request.match_info["user"])
        if isinstance(user, web.Response):
            return user
        body = request[BODY]
        self._validate_event(body)
        key = (user.id, body["transactionId"])
        if key in self.transactions:  # Graph deduplicates creates that carry the same transactionId
            return web.json_response(self._public(self.events[self.transactions[key]]), status=201)
        raw_id = uuid.uuid4().bytes + hashlib.sha256(user.id.encode()).digest()[:16]
        event_id = "AAMkA" + base64.urlsafe_b64encode(raw_id).decode().rstrip("=")
        thread = (
            "19:meeting_"
            + base64.b64encode(uuid.uuid4().bytes).decode().rstrip("=").replace("/", "x")
            + "@thread.v2"
        )
        context = quote(json.dumps({"Tid": "tenant-0000", "Oid": user.id}, separators=(",", ":")), safe="")
        if self.join_url_style == "short":
            join_url = (
                f"https://teams.microsoft.com/meet/{uuid.uuid4().int % 10**14:014d}?p={uuid.uuid4().hex[:16]}"
            )
        else:
            join_url = (
                f"https://teams.microsoft.com/l/meetup-join/{quote(thread, safe='')}/0?context={context}"
            )
        online = user.id not in self.teams_disabled_for
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        start = _parse_dt(body["start"], "start")
        end = _parse_dt(body["end"], "end")
        event = {
            "@odata.etag": 'W/"' + uuid.uuid4().hex + '"',
            "id": event_id,
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "iCalUId": "040000008200E00074C5B7101A82E008" + uuid.uuid4().hex.upper(),
            "subject": body["subject"],
            "body": body["body"],
            "start": body["start"],
            "end": body["end"],
            "location": body.get("location") or {"displayName": ""},
            "attendees": [
                {
                    "type": a.get("type", "required"),
                    "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
                    "emailAddress": a["emailAddress"],
                }
                for a in body["attendees"]
            ],
            "organizer": {"emailAddress": {"name": user.display_name, "address": user.mail}},
            # A calendar that does not allow Teams meetings still creates the event: 201, without a meeting.
            "isOnlineMeeting": online,
            "onlineMeetingProvider": "teamsForBusiness" if online else "unknown",
            "onlineMeeting": {"joinUrl": join_url} if online else None,
            "allowNewTimeProposals": body.get("allowNewTimeProposals", True),
            "sensitivity": body.get("sensitivity", "normal"),
            "webLink": f"{OWA}?itemid={quote(event_id, safe='')}&exvsurl=1&path=/calendar/item",
            "recurrence": body.get("recurrence"),
            "type": "seriesMaster" if body.get("recurrence") else "singleInstance",
            "isCancelled": False,
            "transactionId": body["transactionId"],
            "_mailbox": user.id,
            "_start": start,
            "_end": end,
            "_thread": thread if online else None,
            "_svep": list(body.get("singleValueExtendedProperties") or []),
        }
        self.events[event_id] = event
        self.transactions[key] = event_id
        if online:
            self.chat_apps.setdefault(thread, set())
            meeting_id = "MSo" + base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            self.online_meetings[meeting_id] = {
                "id": meeting_id,
                "joinWebUrl": join_url,
                "subject": body["subject"],
                "startDateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "endDateTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "chatInfo": {"threadId": thread, "messageId": "0"},
                "_organizer": user.id,
            }
        return web.json_response(self._public(event), status=201)

    async def _get_event(self, request: web.Request) -> web.Response:
        user = self._user_or_404(request.match_info["user"])
        if isinstance(user, web.Response):
            return user
        e = self._event_or_404(user, request.match_info["event"])
        if isinstance(e, web.Response):
            return e
        return web.json_response(self._public(e))

    async def _patch_event(self, request: web.Request) -> web.Response:
        user = self._user_or_404(request.match_info["user"])
        if isinstance(user, web.Response):
            return user
        e = self._event_or_404(user, request.match_info["event"])
        if isinstance(e, web.Response):
            return e
        body = request[BODY] or {}
        if not isinstance(body, dict) or not body:
            raise ValidationError("PATCH body must be a non-empty object")
        start = _parse_dt(body["start"], "start") if "start" in body else e["_start"]
        end = _parse_dt(body["end"], "end") if "end" in body else e["_end"]
        if end <= start:
            raise ValidationError("end must be after start")
        if "recurrence" in body:
            if e.get("recurrence") is None:
                raise ValidationError("recurrence can only be changed on a series master")
            self._validate_recurrence(body["recurrence"], body.get("start") or e["start"])
        for k in ("subject", "body", "start", "end", "location", "attendees", "recurrence", "sensitivity"):
            if k in body:
                e[k] = body[k]
        e["_start"], e["_end"] = start, end
        e["lastModifiedDateTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        return web.json_response(self._public(e))

    async def _list_events(self, request: web.Request) -> web.Response:
        """Only the lookup the bot makes: by a single-value extended property (id and value)."""
        user = self._user_or_404(request.match_info["user"])
        if isinstance(user, web.Response):
            return user
        flt = request.query.get("$filter", "")
        m = re.fullmatch(
            r"singleValueExtendedProperties/Any\(ep:\s*ep/id eq '((?:[^']|'')+)'"
            r" and ep/value eq '((?:[^']|'')*)'\)",
            flt.strip(),
        )
        if not m:
            raise ValidationError(f"unsupported $filter on events {flt!r}")
        prop_id, value = m.group(1).replace("''", "'"), m.group(2).replace("''", "'")
        if not re.fullmatch(r"String \{[0-9a-fA-F-]{36}\} Name \w+", prop_id):
            raise ValidationError(f"extended property id {prop_id!r} is not 'String {{guid}} Name name'")
        found = [
            self._public(e)
            for e in self.live_events()
            if e["_mailbox"] == user.id
            and any(
                p.get("id", "").lower() == prop_id.lower() and p.get("value") == value for p in e["_svep"]
            )
        ]
        return web.json_response(
            {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('x')/events", "value": found}
        )

    async def _list_online_meetings(self, request: web.Request) -> web.Response:
        """``$filter=JoinWebUrl eq '…'`` only; the organizer needs a Teams application access policy."""
        user = self._user_or_404(request.match_info["user"])
        if isinstance(user, web.Response):
            return user
        if self.access_policy_users is not None and user.id not in self.access_policy_users:
            return _error(403, "Forbidden", "No application access policy found for this app.")
        flt = request.query.get("$filter", "")
        m = re.fullmatch(r"(?i:joinWebUrl) eq '((?:[^']|'')+)'", flt.strip())
        if not m:
            raise ValidationError(f"onlineMeetings needs $filter=JoinWebUrl eq '...', got {flt!r}")
        url = m.group(1).replace("''", "'")
        found = [
            {k: v for k, v in om.items() if not k.startswith("_")}
            for om in self.online_meetings.values()
            if om["_organizer"] == user.id and om["joinWebUrl"] == url
        ]
        return web.json_response(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('x')/onlineMeetings",
                "value": found,
            }
        )

    async def _delete_event(self, request: web.Request) -> web.Response:
        user = self._user_or_404(request.match_info["user"])
        if isinstance(user, web.Response):
            return user
        e = self._event_or_404(user, request.match_info["event"])
        if isinstance(e, web.Response):
            return e
        e["isCancelled"] = True
        return web.Response(status=204)

    async def _cancel_event(self, request: web.Request) -> web.Response:
        user = self._user_or_404(request.match_info["user"])
        if isinstance(user, web.Response):
            return user
        e = self._event_or_404(user, request.match_info["event"])
        if isinstance(e, web.Response):
            return e
        body = _action_params(request[BODY])
        if body is not None and (not isinstance(body, dict) or not isinstance(body.get("comment", ""), str)):
            raise ValidationError("cancel body must be {comment: string}")
        e["isCancelled"] = True
        e["_cancel_comment"] = (body or {}).get("comment", "")
        return web.Response(status=202)

    # ---- schedule --------------------------------------------------------------------------------
    async def _get_schedule(self, request: web.Request) -> web.Response:
        user = self._user_or_404(request.match_info["user"])
        if isinstance(user, web.Response):
            return user
        body = _action_params(request[BODY])
        if not isinstance(body, dict) or not isinstance(body.get("schedules"), list) or not body["schedules"]:
            raise ValidationError("getSchedule needs a non-empty schedules list")
        if len(body["schedules"]) > 100:
            raise ValidationError("getSchedule accepts at most 100 schedules")
        ws = _parse_dt(body.get("startTime"), "startTime")
        we = _parse_dt(body.get("endTime"), "endTime")
        if we <= ws:
            raise ValidationError("endTime must be after startTime")
        if we - ws > timedelta(days=62):
            raise ValidationError("getSchedule window is at most 62 days")
        interval = int(body.get("availabilityViewInterval") or 30)
        if not 5 <= interval <= 1440:
            raise ValidationError("availabilityViewInterval must be 5..1440")
        out = []
        for sched in body["schedules"]:
            u = self._user(sched)
            if u is None:
                out.append(
                    {
                        "scheduleId": sched,
                        "availabilityView": "",
                        "scheduleItems": [],
                        "error": {
                            "message": f"The user '{sched}' could not be found.",
                            "responseCode": "ErrorMailRecipientNotFound",
                        },
                    }
                )
                continue
            items = [dict(b) for b in u.busy]
            for e in self.live_events():
                addrs = {a["emailAddress"]["address"].lower() for a in e["attendees"]}
                if e["_mailbox"] == u.id or u.mail.lower() in addrs:
                    for s0, e0 in self._occurrences(e, we):
                        items.append({"start": s0, "end": e0, "status": "busy", "subject": e["subject"]})
            items = [i for i in items if i["start"] < we and ws < i["end"]]
            items.sort(key=lambda i: i["start"])
            view = []
            t = ws
            while t < we:
                t2 = t + timedelta(minutes=interval)
                code = "0"
                for i in items:
                    if i["start"] < t2 and t < i["end"]:
                        code = max(code, {"tentative": "1", "busy": "2", "oof": "3"}.get(i["status"], "0"))
                view.append(code)
                t = t2
            out.append(
                {
                    "scheduleId": sched,
                    "availabilityView": "".join(view),
                    "scheduleItems": [
                        {
                            "isPrivate": False,
                            "status": i["status"],
                            "subject": i.get("subject", ""),
                            "location": "",
                            "start": _graph_dt(i["start"]),
                            "end": _graph_dt(i["end"]),
                        }
                        for i in items
                    ],
                    "workingHours": u.working_hours or DEFAULT_WORKING_HOURS,
                }
            )
        return web.json_response(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)",
                "value": out,
            }
        )

    @staticmethod
    def _occurrences(event: dict[str, Any], until: datetime) -> list[tuple[datetime, datetime]]:
        """A single event, or each occurrence of a weekly series starting before ``until``: dates from the
        recurrence (range.startDate, pattern.daysOfWeek/interval), time of day from the master's start."""
        rec = event.get("recurrence")
        if not rec:
            return [(event["_start"], event["_end"])]
        from zoneinfo import ZoneInfo

        zone = ZoneInfo("Europe/Stockholm")
        p, r = rec["pattern"], rec["range"]
        if p.get("type") != "weekly":
            return [(event["_start"], event["_end"])]
        local_start = event["_start"].astimezone(zone)
        duration = event["_end"] - event["_start"]
        first = date.fromisoformat(r["startDate"])
        last = date.fromisoformat(r["endDate"]) if r.get("type") == "endDate" else None
        count = r.get("numberOfOccurrences") if r.get("type") == "numbered" else None
        days = sorted(WEEKDAY_INDEX[d] for d in p["daysOfWeek"])
        week = first - timedelta(days=first.weekday())
        out: list[tuple[datetime, datetime]] = []
        while True:
            for d in days:
                day = week + timedelta(days=d)
                if day < first:
                    continue
                start = datetime.combine(day, local_start.time(), zone).astimezone(UTC)
                if (
                    (last is not None and day > last)
                    or (count is not None and len(out) >= count)
                    or start >= until
                ):
                    return out
                out.append((start, start + duration))
            week += timedelta(weeks=int(p["interval"]))

    # ---- users -----------------------------------------------------------------------------------
    async def _get_user(self, request: web.Request) -> web.Response:
        user = self._user_or_404(request.match_info["user"])
        if isinstance(user, web.Response):
            return user
        return web.json_response(user.as_json())

    async def _list_users(self, request: web.Request) -> web.Response:
        q = request.query
        users = list(self.users)
        if "$filter" in q:
            clauses = re.split(r"\s+or\s+", q["$filter"].strip())
            preds = []
            for c in clauses:
                m = re.fullmatch(r"startswith\((\w+),\s*'((?:[^']|'')*)'\)", c.strip())
                m2 = re.fullmatch(r"(\w+)\s+eq\s+'((?:[^']|'')*)'", c.strip())
                if m:
                    preds.append(("sw", m.group(1), m.group(2).replace("''", "'")))
                elif m2:
                    preds.append(("eq", m2.group(1), m2.group(2).replace("''", "'")))
                else:
                    raise ValidationError(f"unsupported $filter clause {c!r}")

            def match(u: DirectoryUser) -> bool:
                j = u.as_json()
                for kind, fld, val in preds:
                    if fld not in j:
                        raise ValidationError(f"unknown property {fld!r} in $filter")
                    have = str(j[fld] or "").lower()
                    if (kind == "sw" and have.startswith(val.lower())) or (
                        kind == "eq" and have == val.lower()
                    ):
                        return True
                return False

            users = [u for u in users if match(u)]
        if "$search" in q:
            if request.headers.get("ConsistencyLevel", "").lower() != "eventual":
                raise ValidationError("$search on users requires the ConsistencyLevel: eventual header")
            terms = re.findall(r'"(\w+):([^"]*)"', q["$search"])
            if not terms:
                raise ValidationError('$search must look like "displayName:term"')
            users = [
                u for u in users if any(t.lower() in str(u.as_json().get(f, "")).lower() for f, t in terms)
            ]
        top = int(q.get("$top", "100"))
        return web.json_response(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
                "value": [u.as_json() for u in users[:top]],
            }
        )

    # ---- app installs ----------------------------------------------------------------------------
    def _app_from_body(self, body: Any) -> str:
        bind = body.get("teamsApp@odata.bind") if isinstance(body, dict) else None
        m = re.fullmatch(r"https://graph\.microsoft\.com/v1\.0/appCatalogs/teamsApps/([^/]+)", bind or "")
        if not m:
            raise ValidationError(
                "body needs teamsApp@odata.bind = https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{id}"
            )
        if m.group(1) != self.teams_app_id:
            raise ValidationError(f"unknown teams app {m.group(1)!r}")
        return m.group(1)

    async def _install_chat(self, request: web.Request) -> web.Response:
        chat = request.match_info["chat"]
        body = request[BODY]
        app = self._app_from_body(body)
        if self.rsc_permissions:
            # Learn, "Add app to chat": the …SelfForChat.All / …ForChat.All permissions cannot install an app
            # that requires resource-specific consent; the consent permissions must be granted and the body
            # must consent to exactly the app's RSC permissions.
            if not implied(self.granted) & CHAT_CONSENT_PERMISSIONS:
                return _error(
                    403,
                    "Forbidden",
                    "The app requires resource-specific consent; the permissions granted to the caller "
                    "cannot install it (requires TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All).",
                )
            consented = (body.get("consentedPermissionSet") or {}).get("resourceSpecificPermissions")
            want = {(p["permissionValue"], p["permissionType"].lower()) for p in self.rsc_permissions}
            have = {
                (p.get("permissionValue"), str(p.get("permissionType", "")).lower())
                for p in (consented or [])
                if isinstance(p, dict)
            }
            if have != want:
                return _error(
                    403,
                    "Forbidden",
                    "consentedPermissionSet must list the resource-specific permissions the app requires.",
                )
        if chat not in self.chat_apps and not re.fullmatch(r"19:.+@thread\.v2", chat):
            return _error(404, "NotFound", f"Chat {chat} not found")
        installed = self.chat_apps.setdefault(chat, set())
        if app in installed:
            return _error(409, "Conflict", "App is already installed in this chat.")
        installed.add(app)
        return web.Response(status=201)

    async def _install_user(self, request: web.Request) -> web.Response:
        user = self._user_or_404(request.match_info["user"])
        if isinstance(user, web.Response):
            return user
        app = self._app_from_body(request[BODY])
        installed = self.user_apps.setdefault(user.id, set())
        if app in installed:
            return _error(409, "Conflict", "App is already installed for this user.")
        installed.add(app)
        return web.Response(status=201)
