"""``CalendarBackend`` on Microsoft Graph through msgraph-sdk (app-only).

Why these choices:
- Teams meetings are created as calendar events in the organiser's mailbox (``POST /users/{id}/events`` with
  ``isOnlineMeeting``/``teamsForBusiness``): that needs only Calendars.ReadWrite, whereas standalone
  ``/onlineMeetings`` also needs an administrator-made application access policy.
- The SDK's RetryHandler re-sends POSTs on 429/503/504, and a timed-out POST may have succeeded; every create
  therefore carries ``transactionId`` so Graph returns the existing event instead of a duplicate.
- Single meetings are sent in UTC. Recurring series are sent in local wall-clock time
  (W. Europe Standard Time): a weekly 09:00 arbetsgrupp defined in UTC would move to 10:00 after the DST
  change.
- No SDK/httpx exception leaves this module: callers get ``graph.errors`` types they can explain to users.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import httpx

from domain.free_slots import BusyInterval, WorkingHours
from graph.calendar import (
    WEEKDAYS,
    AttendeeResponse,
    BookedMeeting,
    MeetingRequest,
    Recurrence,
    ResponseKind,
    ScheduleInfo,
    UserHit,
    chat_id_from_join_url,
)
from graph.errors import (
    GraphError,
    GraphEventNotFound,
    GraphPermissionError,
    GraphUnavailable,
    GraphUserNotFound,
)

if TYPE_CHECKING:
    from msgraph import GraphServiceClient
    from msgraph.generated.models.event import Event

log = logging.getLogger(__name__)
T = TypeVar("T")

GLOBAL_GRAPH = "https://graph.microsoft.com/v1.0"
DEFAULT_MANIFEST = Path(__file__).resolve().parents[1] / "appPackage" / "manifest.json"
FALLBACK_RSC = (("OnlineMeeting.ReadBasic.Chat", "application"),)
# A named MAPI property of our own on every event the bot creates, holding its transactionId: the documented
# way to find the event again without creating anything (Learn: "Get singleValueLegacyExtendedProperty",
# $filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')). The GUID is SSPF's own
# property set; it never changes.
TRANSACTION_PROPERTY = "String {6d1f4c2a-8b3e-4f5a-9c7d-2e0b1a3f5c84} Name SspfTransactionId"

# Windows time-zone names Exchange uses, for the zones we meet in practice.
IANA_TO_WINDOWS = {
    "UTC": "UTC",
    "Europe/Stockholm": "W. Europe Standard Time",
    "Europe/Oslo": "W. Europe Standard Time",
    "Europe/Berlin": "W. Europe Standard Time",
    "Europe/Copenhagen": "Romance Standard Time",
    "Europe/Helsinki": "FLE Standard Time",
    "Europe/London": "GMT Standard Time",
}
WINDOWS_TO_IANA = {
    "UTC": "UTC",
    "W. Europe Standard Time": "Europe/Stockholm",
    "Romance Standard Time": "Europe/Copenhagen",
    "FLE Standard Time": "Europe/Helsinki",
    "GMT Standard Time": "Europe/London",
    "Central Europe Standard Time": "Europe/Budapest",
}

# Application permission and administrator hint per kind of call, for 403s.
PERMISSIONS: dict[str, tuple[str, str]] = {
    "calendar": (
        "Calendars.ReadWrite",
        "An administrator must grant the application permission Calendars.ReadWrite (admin consent in "
        "Entra ID). If Exchange Online restricts the app with an application access policy or RBAC for "
        "Applications, the organiser mailbox must be in the allowed scope.",
    ),
    "schedule": (
        "Calendars.ReadBasic",
        "An administrator must grant Calendars.ReadBasic (or Calendars.Read) as an application permission, "
        "and any Exchange application access policy must include the mailboxes being looked up.",
    ),
    "users": (
        "User.Read.All",
        "An administrator must grant the application permission User.Read.All (or User.ReadBasic.All) so "
        "the bot can search the directory.",
    ),
    # The manifest asks for the resource-specific permission OnlineMeeting.ReadBasic.Chat, and Learn ("Add app
    # to chat") says the …SelfForChat.All / …ForChat.All permissions cannot install such an app: only the
    # …AndConsent… ones can, with a consentedPermissionSet in the body.
    "install_chat": (
        "TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All",
        "An administrator must grant TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All (admin consent "
        "in Entra ID; TeamsAppInstallation.ReadWriteSelfForChat.All is not enough for an app with "
        "resource-specific permissions) and allow the app in Teams admin center (app permission policy).",
    ),
    "online_meeting": (
        "OnlineMeetings.Read.All",
        "An administrator must grant the application permission OnlineMeetings.Read.All, and a Teams "
        "administrator must allow the app to read the organisers' meetings with an application access policy "
        "(New-CsApplicationAccessPolicy and Grant-CsApplicationAccessPolicy, see docs/GRAPH_SETUP.md).",
    ),
    "install_user": (
        "TeamsAppInstallation.ReadWriteSelfForUser.All",
        "An administrator must grant TeamsAppInstallation.ReadWriteSelfForUser.All and allow the app in "
        "Teams admin center so the bot can install itself for users it needs to message.",
    ),
}
RETRYABLE = {429, 503, 504}
EVENT_NOT_FOUND_CODES = {"ErrorItemNotFound", "ErrorInvalidIdMalformed"}


def manifest_rsc_permissions(path: str | os.PathLike[str] | None = None) -> list[tuple[str, str]]:
    """The resource-specific permissions the Teams manifest asks for, as (name, "application"|"delegated").

    ``path`` defaults to ``$SSPF_TEAMS_MANIFEST`` or the repository's ``appPackage/manifest.json``. The chat
    install must consent to exactly these; if the manifest cannot be read we fall back to the one the app
    has always asked for (and say so in the log)."""
    manifest = Path(path or os.environ.get("SSPF_TEAMS_MANIFEST") or DEFAULT_MANIFEST)
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("Teams manifest %s not readable (%s): consenting to %s", manifest, exc, FALLBACK_RSC)
        return list(FALLBACK_RSC)
    rsc = ((data.get("authorization") or {}).get("permissions") or {}).get("resourceSpecific") or []
    return [(str(p["name"]), str(p.get("type", "Application")).lower()) for p in rsc if p.get("name")]


def _parse_retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    try:
        value = headers.get("Retry-After") or headers.get("retry-after")
    except AttributeError:
        return None
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(str(value)) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def _utc_dt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _parse_graph_dt(value: Any) -> datetime:
    """Parse a Graph ``dateTimeTimeZone`` (we ask for UTC; other zones are converted)."""
    text = str(value.date_time)
    naive = datetime.fromisoformat(text[:19])
    zone_name = value.time_zone or "UTC"
    iana = WINDOWS_TO_IANA.get(zone_name, zone_name)
    try:
        zone = ZoneInfo(iana)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return naive.replace(tzinfo=zone).astimezone(UTC)


class GraphCalendar:
    """Microsoft Graph calendar backend (real invitations, real Teams meetings)."""

    sends_real_invitations = True

    def __init__(
        self,
        client: GraphServiceClient,
        *,
        organizer_id: str | None = None,
        teams_app_catalog_id: str | None = None,
        bind_base_url: str = GLOBAL_GRAPH,
        rsc_permissions: list[tuple[str, str]] | None = None,
    ) -> None:
        """``bind_base_url`` prefixes ``teamsApp@odata.bind``; it must be a Graph URL even in tests.
        ``rsc_permissions`` are the manifest's resource-specific permissions as (name, "application" |
        "delegated"), consented to when the bot installs itself in a chat (default: from the manifest)."""
        self._client = client
        self._rsc = rsc_permissions if rsc_permissions is not None else manifest_rsc_permissions()
        self._organizer_id = organizer_id
        self._app_id = teams_app_catalog_id
        self._bind_base = bind_base_url.rstrip("/")

    @property
    def client(self) -> GraphServiceClient:
        return self._client

    # ---- error mapping ---------------------------------------------------------------------------
    async def _call(
        self,
        fn: Callable[[], Awaitable[T]],
        *,
        kind: str,
        user: str | None = None,
        event_id: str | None = None,
    ) -> T:
        """Run one SDK call and translate every failure into a ``graph.errors`` type."""
        from kiota_abstractions.api_error import APIError

        try:
            return await fn()
        except APIError as exc:
            raise self._map_api_error(exc, kind=kind, user=user, event_id=event_id) from exc
        except httpx.TimeoutException as exc:
            raise GraphUnavailable(f"Graph did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise GraphUnavailable(f"Could not reach Graph: {exc!r}") from exc
        except GraphError:
            raise
        except Exception as exc:  # token acquisition (azure-identity), deserialisation, …
            name = type(exc).__name__
            if name in ("ClientAuthenticationError", "CredentialUnavailableError"):
                raise GraphError(
                    "Could not obtain a Graph token: check GRAPH_TENANT_ID, GRAPH_CLIENT_ID and "
                    f"GRAPH_CLIENT_SECRET ({exc})"
                ) from exc
            raise GraphError(f"Unexpected Graph client failure: {name}: {exc}") from exc

    def _map_api_error(self, exc: Any, *, kind: str, user: str | None, event_id: str | None) -> GraphError:
        status = getattr(exc, "response_status_code", None)
        code: str | None = None
        message = ""
        main = getattr(exc, "error", None)
        if main is not None:
            code = getattr(main, "code", None)
            message = getattr(main, "message", None) or ""
        message = message or str(getattr(exc, "message", "") or "")
        retry_after = _parse_retry_after(getattr(exc, "response_headers", None))
        if status == 403:
            permission, hint = PERMISSIONS[kind]
            return GraphPermissionError(permission, hint, code=code, detail=message)
        if status == 404:
            if event_id is not None and (code in EVENT_NOT_FOUND_CODES or user is None):
                return GraphEventNotFound(event_id, code=code)
            return GraphUserNotFound(user or event_id or "?", code=code)
        if status in RETRYABLE:
            return GraphUnavailable(
                f"Graph is throttling or unavailable ({status} {code}) after the SDK's retries",
                retry_after=retry_after,
                status=status,
            )
        if status == 401:
            return GraphError(
                "Graph rejected the app's token (401): check the app registration and tenant id",
                status=status,
                code=code,
            )
        return GraphError(f"Graph error {status} {code}: {message}", status=status, code=code)

    def _organizer(self, organizer_id: str | None) -> str:
        org = organizer_id or self._organizer_id
        if not org:
            raise ValueError("organizer_id is required (no GRAPH_ORGANIZER_ID default configured)")
        return org

    @staticmethod
    def _utc_config() -> Any:
        """Ask Graph to express times in UTC so parsing never guesses a zone."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration

        config: RequestConfiguration[Any] = RequestConfiguration()
        config.headers.add("Prefer", 'outlook.timezone="UTC"')
        return config

    # ---- building requests -----------------------------------------------------------------------
    @staticmethod
    def _dt(value: datetime, zone: str | None) -> Any:
        from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone

        if zone is None or zone == "UTC":
            return DateTimeTimeZone(date_time=_utc_dt(value), time_zone="UTC")
        local = value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S")
        return DateTimeTimeZone(date_time=local, time_zone=IANA_TO_WINDOWS.get(zone, zone))

    @staticmethod
    def _recurrence(rec: Recurrence, start_utc: datetime) -> Any:
        from msgraph.generated.models.day_of_week import DayOfWeek
        from msgraph.generated.models.patterned_recurrence import PatternedRecurrence
        from msgraph.generated.models.recurrence_pattern import RecurrencePattern
        from msgraph.generated.models.recurrence_pattern_type import RecurrencePatternType
        from msgraph.generated.models.recurrence_range import RecurrenceRange
        from msgraph.generated.models.recurrence_range_type import RecurrenceRangeType

        first_local = start_utc.astimezone(ZoneInfo(rec.time_zone))
        days = rec.days_of_week or (WEEKDAYS[first_local.weekday()],)
        pattern = RecurrencePattern(
            type=RecurrencePatternType.Weekly,
            interval=rec.interval,
            days_of_week=[DayOfWeek(d) for d in days],
            first_day_of_week=DayOfWeek.Monday,
        )
        rng = RecurrenceRange(
            start_date=first_local.date(),
            recurrence_time_zone=IANA_TO_WINDOWS.get(rec.time_zone, rec.time_zone),
        )
        if rec.until is not None:
            rng.type = RecurrenceRangeType.EndDate
            rng.end_date = rec.until
        elif rec.count is not None:
            rng.type = RecurrenceRangeType.Numbered
            rng.number_of_occurrences = rec.count
        else:
            rng.type = RecurrenceRangeType.NoEnd
        return PatternedRecurrence(pattern=pattern, range=rng)

    def build_event(self, req: MeetingRequest) -> Event:
        """The Graph ``event`` for a request (public so tests and dry runs can inspect it)."""
        from msgraph.generated.models.attendee import Attendee as GraphAttendee
        from msgraph.generated.models.attendee_type import AttendeeType
        from msgraph.generated.models.body_type import BodyType
        from msgraph.generated.models.email_address import EmailAddress
        from msgraph.generated.models.event import Event
        from msgraph.generated.models.item_body import ItemBody
        from msgraph.generated.models.location import Location
        from msgraph.generated.models.online_meeting_provider_type import OnlineMeetingProviderType
        from msgraph.generated.models.sensitivity import Sensitivity
        from msgraph.generated.models.single_value_legacy_extended_property import (
            SingleValueLegacyExtendedProperty,
        )

        zone = req.recurrence.time_zone if req.recurrence else None
        event = Event(
            subject=req.subject,
            body=ItemBody(content_type=BodyType.Html, content=req.body_html),
            start=self._dt(req.start_utc, zone),
            end=self._dt(req.end_utc, zone),
            attendees=[
                GraphAttendee(
                    email_address=EmailAddress(address=a.email, name=a.name or None),
                    type=AttendeeType.Required,
                )
                for a in req.attendees
            ],
            is_online_meeting=True,
            online_meeting_provider=OnlineMeetingProviderType.TeamsForBusiness,
            transaction_id=req.transaction_id,
            # Guardians and the police must not propose new times the bot never sees (the default is true).
            allow_new_time_proposals=False,
            # Private: delegates and people who can read the organiser's calendar see only "busy", not the
            # subject, body, location or attendees (issue 12 §4; the subject is neutral anyway).
            sensitivity=Sensitivity.Private,
            single_value_extended_properties=[
                SingleValueLegacyExtendedProperty(id=TRANSACTION_PROPERTY, value=req.transaction_id)
            ],
        )
        if req.location:
            event.location = Location(display_name=req.location)
        if req.recurrence is not None:
            event.recurrence = self._recurrence(req.recurrence, req.start_utc)
        return event

    # ---- CalendarBackend -------------------------------------------------------------------------
    async def create_meeting(self, request: MeetingRequest) -> BookedMeeting:
        """Create the event; a retry with the same ``transaction_id`` returns the same meeting."""
        org = request.organizer_id
        event = self.build_event(request)
        created = await self._call(
            lambda: self._client.users.by_user_id(org).events.post(
                event, request_configuration=self._utc_config()
            ),
            kind="calendar",
            user=org,
        )
        if created is None or not created.id:
            raise GraphError("Graph created the event but returned no id")
        join_url = created.online_meeting.join_url if created.online_meeting else None
        if created.is_online_meeting is False or not join_url:
            # 201 without a Teams meeting: the organiser's calendar does not allow teamsForBusiness
            # (calendar.allowedOnlineMeetingProviders). The caller decides what to tell the coordinator.
            log.warning(
                "Event %s was created WITHOUT a Teams meeting: %s's calendar does not allow Teams meetings",
                created.id,
                org,
            )
            return BookedMeeting(
                event_id=created.id,
                join_url=None,
                ical_uid=created.i_cal_u_id,
                online_meeting_chat_id=None,
                web_link=created.web_link,
                organizer_id=org,
                teams_meeting=False,
            )
        chat_id, source, missing = await self._meeting_chat(org, join_url)
        return BookedMeeting(
            event_id=created.id,
            join_url=join_url,
            ical_uid=created.i_cal_u_id,
            online_meeting_chat_id=chat_id,
            web_link=created.web_link,
            organizer_id=org,
            chat_source=source,
            chat_lookup_permission=missing,
        )

    async def _meeting_chat(self, org: str, join_url: str) -> tuple[str | None, Any, str | None]:
        """The meeting chat's thread id: ``GET /users/{org}/onlineMeetings?$filter=JoinWebUrl eq '…'`` →
        ``chatInfo.threadId`` (the documented way; works for classic and short ``/meet/`` links; needs
        OnlineMeetings.Read.All and a Teams application access policy). Only if that is refused or finds
        nothing is the thread id parsed from a classic join URL (short links carry none), and the log says so.
        Returns (chat id, source, the permission a refused lookup needed)."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.online_meetings.online_meetings_request_builder import (
            OnlineMeetingsRequestBuilder,
        )

        missing: str | None = None
        config = RequestConfiguration(
            query_parameters=OnlineMeetingsRequestBuilder.OnlineMeetingsRequestBuilderGetQueryParameters(
                filter="JoinWebUrl eq '{}'".format(join_url.replace("'", "''"))
            )
        )
        try:
            found = await self._call(
                lambda: self._client.users.by_user_id(org).online_meetings.get(request_configuration=config),
                kind="online_meeting",
                user=org,
            )
            for meeting in (found.value if found else None) or []:
                if meeting.chat_info and meeting.chat_info.thread_id:
                    return meeting.chat_info.thread_id, "lookup", None
            log.warning("onlineMeetings lookup found no meeting for the join URL of %s's event", org)
        except GraphPermissionError as exc:
            missing = exc.permission
            log.warning("onlineMeetings lookup refused (%s); falling back to parsing the join URL", exc)
        except GraphError as exc:
            log.warning("onlineMeetings lookup failed (%s); falling back to parsing the join URL", exc)
        parsed = chat_id_from_join_url(join_url)
        if parsed:
            log.warning("meeting chat id taken from the classic join URL (fallback; short /meet/ links fail)")
            return parsed, "join_url", missing
        return None, "none", missing

    async def find_event(self, organizer_id: str, transaction_id: str) -> str | None:
        """Find the event created with ``transaction_id`` by the extended property every create carries
        (``GET /users/{org}/events?$filter=singleValueExtendedProperties/Any(…)``, Calendars.ReadWrite).
        Never creates: a create whose first attempt never landed would invite everyone afresh."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.events.events_request_builder import EventsRequestBuilder

        org = self._organizer(organizer_id)
        value = transaction_id.replace("'", "''")
        config = RequestConfiguration(
            query_parameters=EventsRequestBuilder.EventsRequestBuilderGetQueryParameters(
                filter=(
                    f"singleValueExtendedProperties/Any(ep: ep/id eq '{TRANSACTION_PROPERTY}' "
                    f"and ep/value eq '{value}')"
                ),
                select=["id"],
            )
        )
        found = await self._call(
            lambda: self._client.users.by_user_id(org).events.get(request_configuration=config),
            kind="calendar",
            user=org,
        )
        ids = [e.id for e in ((found.value if found else None) or []) if e.id]
        return ids[0] if ids else None

    async def reschedule(
        self,
        event_id: str,
        start_utc: datetime,
        end_utc: datetime,
        *,
        organizer_id: str | None = None,
        time_zone: str = "Europe/Stockholm",
        recurrence: Recurrence | None = None,
    ) -> None:
        """PATCH start/end. Sent as local wall-clock time (``time_zone``, default Europe/Stockholm): the same
        instant as UTC for a single meeting, and for a series master it keeps the series on local time.

        For a series (``recurrence`` given) the PATCH also carries the recurrence with the range's
        ``startDate`` on the new date and the pattern's ``daysOfWeek`` on the new weekday: Exchange derives
        the occurrences from the recurrence, so moving only the master's start/end would leave the series on
        its old dates and weekday."""
        from msgraph.generated.models.event import Event

        if end_utc <= start_utc:
            raise ValueError("end must be after start")
        org = self._organizer(organizer_id)
        patch = Event(start=self._dt(start_utc, time_zone), end=self._dt(end_utc, time_zone))
        if recurrence is not None:
            moved = Recurrence(
                interval=recurrence.interval,
                days_of_week=(),  # the new start's weekday
                until=recurrence.until,
                count=recurrence.count,
                time_zone=recurrence.time_zone,
            )
            patch.recurrence = self._recurrence(moved, start_utc)
        await self._call(
            lambda: self._client.users.by_user_id(org).events.by_event_id(event_id).patch(patch),
            kind="calendar",
            user=org,
            event_id=event_id,
        )

    async def cancel(self, event_id: str, comment: str = "", *, organizer_id: str | None = None) -> None:
        """Cancel as organiser (attendees get a cancellation). Already gone counts as done."""
        from msgraph.generated.users.item.events.item.cancel.cancel_post_request_body import (
            CancelPostRequestBody,
        )

        org = self._organizer(organizer_id)
        body = CancelPostRequestBody(comment=comment)
        try:
            await self._call(
                lambda: self._client.users.by_user_id(org).events.by_event_id(event_id).cancel.post(body),
                kind="calendar",
                user=org,
                event_id=event_id,
            )
        except GraphEventNotFound:
            # A retried cancel (after a timeout) or a meeting deleted in Outlook: the outcome is the same.
            log.info("cancel: event %s already gone", event_id)

    async def responses(self, event_id: str, *, organizer_id: str | None = None) -> list[AttendeeResponse]:
        """Read the attendees' statuses from the organiser's copy of the event."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.events.item.event_item_request_builder import (
            EventItemRequestBuilder,
        )

        org = self._organizer(organizer_id)
        config = RequestConfiguration(
            query_parameters=EventItemRequestBuilder.EventItemRequestBuilderGetQueryParameters(
                select=["attendees"]
            )
        )
        event = await self._call(
            lambda: (
                self._client.users.by_user_id(org)
                .events.by_event_id(event_id)
                .get(request_configuration=config)
            ),
            kind="calendar",
            user=org,
            event_id=event_id,
        )
        out: list[AttendeeResponse] = []
        for a in (event.attendees if event else None) or []:
            raw = a.status.response.value if a.status and a.status.response else "none"
            kind: ResponseKind = raw if raw in ("accepted", "declined", "tentativelyAccepted") else "none"  # type: ignore[assignment]
            email = a.email_address.address if a.email_address else ""
            name = a.email_address.name if a.email_address else ""
            out.append(AttendeeResponse(email=email or "", name=name or "", response=kind))
        return out

    async def get_schedule(
        self, organizer_id: str, users: list[str], window_start: datetime, window_end: datetime
    ) -> dict[str, ScheduleInfo]:
        """``getSchedule`` on the organiser's calendar; free and workingElsewhere are not busy."""
        from msgraph.generated.users.item.calendar.get_schedule.get_schedule_post_request_body import (
            GetSchedulePostRequestBody,
        )

        org = organizer_id or self._organizer(None)
        body = GetSchedulePostRequestBody(
            schedules=list(users),
            start_time=self._dt(window_start, None),
            end_time=self._dt(window_end, None),
            availability_view_interval=15,
        )
        result = await self._call(
            lambda: self._client.users.by_user_id(org).calendar.get_schedule.post(
                body, request_configuration=self._utc_config()
            ),
            kind="schedule",
            user=org,
        )
        out: dict[str, ScheduleInfo] = {u: ScheduleInfo(error="no answer from Graph") for u in users}
        lookup = {u.lower(): u for u in users}
        for info in (result.value if result else None) or []:
            key = lookup.get((info.schedule_id or "").lower(), info.schedule_id or "")
            if info.error is not None:
                out[key] = ScheduleInfo(error=info.error.message or info.error.response_code or "error")
                continue
            busy = []
            for item in info.schedule_items or []:
                status = item.status.value if item.status else "busy"
                if status in ("free", "workingElsewhere") or item.start is None or item.end is None:
                    continue
                busy.append(BusyInterval(_parse_graph_dt(item.start), _parse_graph_dt(item.end), status))
            out[key] = ScheduleInfo(busy=busy, working_hours=self._working_hours(info.working_hours))
        return out

    @staticmethod
    def _working_hours(wh: Any) -> WorkingHours | None:
        if wh is None or wh.start_time is None or wh.end_time is None:
            return None
        days = frozenset(
            WEEKDAYS.index(d.value) + 1 for d in (wh.days_of_week or []) if d and d.value in WEEKDAYS
        ) or frozenset({1, 2, 3, 4, 5})
        zone_name = wh.time_zone.name if wh.time_zone and wh.time_zone.name else "W. Europe Standard Time"
        iana = WINDOWS_TO_IANA.get(zone_name, zone_name)
        try:
            ZoneInfo(iana)
        except (KeyError, ValueError):
            iana = "Europe/Stockholm"
        start: time = wh.start_time
        end: time = wh.end_time
        return WorkingHours(start=start, end=end, days=days, time_zone=iana)

    async def find_user(self, query: str) -> list[UserHit]:
        """Prefix search on name and address (``$filter startswith``; no ConsistencyLevel needed)."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.users_request_builder import UsersRequestBuilder

        q = query.strip()
        if not q:
            return []
        v = q.replace("'", "''")
        if "@" in q:
            flt = f"mail eq '{v}' or userPrincipalName eq '{v}'"
        else:
            flt = " or ".join(
                f"startswith({f},'{v}')" for f in ("displayName", "givenName", "surname", "mail")
            )
        config = RequestConfiguration(
            query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                filter=flt, select=["id", "displayName", "mail", "userPrincipalName"], top=10
            )
        )
        result = await self._call(lambda: self._client.users.get(request_configuration=config), kind="users")
        return [
            UserHit(id=u.id or "", display_name=u.display_name or "", mail=u.mail or u.user_principal_name)
            for u in ((result.value if result else None) or [])
        ]

    async def get_user(self, user_id: str) -> UserHit | None:
        """``GET /users/{id}`` (User.Read.All); a user that does not exist is None, not an error."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder

        config = RequestConfiguration(
            query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
                select=["id", "displayName", "mail", "userPrincipalName"]
            )
        )
        try:
            u = await self._call(
                lambda: self._client.users.by_user_id(user_id).get(request_configuration=config),
                kind="users",
                user=user_id,
            )
        except GraphUserNotFound:
            return None
        if u is None:
            return None
        return UserHit(
            id=u.id or user_id, display_name=u.display_name or "", mail=u.mail or u.user_principal_name
        )

    def _installation(self, *, consent: bool = False) -> Any:
        from msgraph.generated.models.teams_app_installation import TeamsAppInstallation
        from msgraph.generated.models.teams_app_permission_set import TeamsAppPermissionSet
        from msgraph.generated.models.teams_app_resource_specific_permission import (
            TeamsAppResourceSpecificPermission,
        )
        from msgraph.generated.models.teams_app_resource_specific_permission_type import (
            TeamsAppResourceSpecificPermissionType,
        )

        if not self._app_id:
            raise GraphError("TEAMS_APP_CATALOG_ID is not set: cannot install the bot via Graph")
        installation = TeamsAppInstallation(
            additional_data={"teamsApp@odata.bind": f"{self._bind_base}/appCatalogs/teamsApps/{self._app_id}"}
        )
        if consent and self._rsc:
            installation.consented_permission_set = TeamsAppPermissionSet(
                resource_specific_permissions=[
                    TeamsAppResourceSpecificPermission(
                        permission_value=name, permission_type=TeamsAppResourceSpecificPermissionType(kind)
                    )
                    for name, kind in self._rsc
                ]
            )
        return installation

    async def install_bot_in_chat(self, chat_id: str) -> None:
        """Add the app to a chat, consenting to the manifest's resource-specific permissions (Learn: "Add app
        to chat", example 2; needs TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All); 409 (already
        installed) is success."""
        body = self._installation(consent=True)
        try:
            await self._call(
                lambda: self._client.chats.by_chat_id(chat_id).installed_apps.post(body), kind="install_chat"
            )
        except GraphError as exc:
            if exc.status != 409:
                raise

    async def install_bot_for_user(self, user_id: str) -> None:
        """Install the app in a user's personal scope; 409 (already installed) is success."""
        body = self._installation()
        try:
            await self._call(
                lambda: self._client.users.by_user_id(user_id).teamwork.installed_apps.post(body),
                kind="install_user",
                user=user_id,
            )
        except GraphError as exc:
            if exc.status != 409:
                raise
