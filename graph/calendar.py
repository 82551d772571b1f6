"""Backend-neutral calendar interface and its data types.

Why: the bot books SSPF meetings (samverkansmöten, arbetsgrupper) the same way whether a tenant has
granted Graph permissions or the bot runs locally without one. Dialogs depend on ``CalendarBackend`` only;
``graph.graph_calendar`` (Microsoft Graph) and ``graph.local_calendar`` (.ics files) implement it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import unquote

from domain.free_slots import BusyInterval, WorkingHours

__all__ = [
    "Attendee",
    "AttendeeResponse",
    "BookedMeeting",
    "BusyInterval",
    "CalendarBackend",
    "ChatSource",
    "MeetingRequest",
    "Recurrence",
    "ResponseKind",
    "ScheduleInfo",
    "UserHit",
    "WorkingHours",
    "chat_id_from_join_url",
]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ResponseKind = Literal["accepted", "declined", "tentativelyAccepted", "none"]


@dataclass(frozen=True, slots=True)
class Attendee:
    """A meeting participant. ``external`` marks people outside the tenant (e.g. police on another tenant)."""

    email: str
    name: str = ""
    aad_id: str | None = None
    external: bool = False


@dataclass(frozen=True, slots=True)
class Recurrence:
    """Weekly recurrence: every ``interval`` weeks on ``days_of_week``, ending by ``until`` or ``count``.

    ``days_of_week`` uses Graph's lower-case English names ("tuesday"). With neither ``until`` nor ``count``
    the series has no end. ``time_zone`` is the IANA zone the series keeps its wall-clock time in, so a
    09:00 arbetsgrupp stays at 09:00 across the DST change.
    """

    interval: int = 1
    days_of_week: tuple[str, ...] = ()
    until: date | None = None
    count: int | None = None
    time_zone: str = "Europe/Stockholm"

    def __post_init__(self) -> None:
        if self.interval < 1:
            raise ValueError("interval must be >= 1")
        bad = [d for d in self.days_of_week if d not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown weekday(s) {bad}; use {WEEKDAYS}")
        if self.until is not None and self.count is not None:
            raise ValueError("give until or count, not both")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be >= 1")


@dataclass(frozen=True, slots=True)
class MeetingRequest:
    """What to book. ``transaction_id`` must be stable across retries of the same booking (idempotency)."""

    organizer_id: str
    subject: str
    body_html: str
    start_utc: datetime
    end_utc: datetime
    attendees: list[Attendee]
    transaction_id: str
    recurrence: Recurrence | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        for name in ("start_utc", "end_utc"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.end_utc <= self.start_utc:
            raise ValueError("end_utc must be after start_utc")
        if not self.transaction_id:
            raise ValueError("transaction_id is required (it makes retried creates idempotent)")


ChatSource = Literal["lookup", "join_url", "none"]


@dataclass(frozen=True, slots=True)
class BookedMeeting:
    """A booked meeting. ``online_meeting_chat_id`` is the Teams meeting chat thread when found.

    ``teams_meeting`` is False when the calendar created the event without a Teams meeting (the organiser's
    calendar does not allow ``teamsForBusiness``): then there is no join URL and no chat.
    ``chat_source`` says how the chat id was found: ``lookup`` (Graph's onlineMeetings by join URL, the
    documented way), ``join_url`` (parsed from a classic join URL because the lookup was refused or found
    nothing) or ``none``. ``chat_lookup_permission`` names the permission the refused lookup needed.
    """

    event_id: str
    join_url: str | None
    ical_uid: str | None
    online_meeting_chat_id: str | None
    web_link: str | None
    organizer_id: str = ""
    teams_meeting: bool = True
    chat_source: ChatSource = "none"
    chat_lookup_permission: str | None = None


@dataclass(frozen=True, slots=True)
class AttendeeResponse:
    """One attendee's answer to the invitation."""

    email: str
    name: str
    response: ResponseKind


@dataclass(frozen=True, slots=True)
class ScheduleInfo:
    """Free/busy for one person: busy intervals (UTC), working hours if known, and a per-person error."""

    busy: list[BusyInterval] = field(default_factory=list)
    working_hours: WorkingHours | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class UserHit:
    """A directory user found by ``find_user``."""

    id: str
    display_name: str
    mail: str | None


@runtime_checkable
class CalendarBackend(Protocol):
    """What the bot needs from a calendar. Event operations default to the backend's organiser mailbox."""

    sends_real_invitations: bool

    async def create_meeting(self, request: MeetingRequest) -> BookedMeeting:
        """Create (idempotently, by ``transaction_id``) an online meeting and invite the attendees."""
        ...

    async def reschedule(
        self,
        event_id: str,
        start_utc: datetime,
        end_utc: datetime,
        *,
        organizer_id: str | None = None,
        recurrence: Recurrence | None = None,
    ) -> None:
        """Move a meeting (or a whole series) to new times; attendees get an update. For a series pass its
        ``recurrence``: the series then starts on the new date and repeats on the new weekday."""
        ...

    async def find_event(self, organizer_id: str, transaction_id: str) -> str | None:
        """The event id of the meeting created with ``transaction_id``, or None if there is none. Never
        creates anything (a create would send invitations)."""
        ...

    async def cancel(self, event_id: str, comment: str = "", *, organizer_id: str | None = None) -> None:
        """Cancel as organiser; attendees get a cancellation with ``comment``."""
        ...

    async def responses(self, event_id: str, *, organizer_id: str | None = None) -> list[AttendeeResponse]:
        """Each attendee's current response."""
        ...

    async def get_schedule(
        self, organizer_id: str, users: list[str], window_start: datetime, window_end: datetime
    ) -> dict[str, ScheduleInfo]:
        """Busy intervals and working hours per user (e-mail address) in the window."""
        ...

    async def find_user(self, query: str) -> list[UserHit]:
        """Look people up in the tenant directory by name or address prefix."""
        ...

    async def get_user(self, user_id: str) -> UserHit | None:
        """One directory user by object id (what the Teams people picker returns); None if unknown."""
        ...

    async def install_bot_in_chat(self, chat_id: str) -> None:
        """Install the bot's app in a chat (e.g. the meeting chat) so it can post there; idempotent."""
        ...

    async def install_bot_for_user(self, user_id: str) -> None:
        """Install the bot for a user so it can message them proactively; idempotent."""
        ...


def chat_id_from_join_url(join_url: str | None) -> str | None:
    """Extract the meeting chat thread id (``19:meeting_…@thread.v2``) from a Teams join URL.

    Classic join URLs look like ``https://teams.microsoft.com/l/meetup-join/19%3ameeting_XXX%40thread.v2/0?…``;
    the path segment after ``meetup-join`` is the URL-encoded thread id. Newer short links
    (``/meet/<id>?p=…``) carry no thread id: None then.
    """
    if not join_url:
        return None
    marker = "/meetup-join/"
    idx = join_url.find(marker)
    if idx < 0:
        return None
    segment = join_url[idx + len(marker) :].split("/", 1)[0].split("?", 1)[0]
    thread = unquote(segment)
    if thread.startswith("19:") and thread.endswith("@thread.v2"):
        return thread
    return None
