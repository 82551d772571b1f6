"""``CalendarBackend`` for runs without a Graph tenant: writes .ics files, sends nothing.

Why: a municipality can try the bot (and developers can run it) before an administrator grants Graph
permissions. Bookings must still behave like the real thing — idempotent on ``transaction_id``, cancellable,
reschedulable — and the bot must be able to say plainly that no invitation went out
(``sends_real_invitations = False``). The .ics file (RFC 5545) can be imported into any calendar by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain.free_slots import WorkingHours
from graph.calendar import (
    WEEKDAYS,
    Attendee,
    AttendeeResponse,
    BookedMeeting,
    MeetingRequest,
    Recurrence,
    ScheduleInfo,
    UserHit,
)
from graph.errors import GraphEventNotFound

PRODID = "-//SSPF Teams bot//local calendar//SV"
ICS_DAYS = {d: d[:2].upper() for d in WEEKDAYS}  # monday -> MO
# Europe/Stockholm (EU rules since 1996) so recurring DTSTART can carry TZID and survive DST.
STOCKHOLM_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Stockholm",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _escape(text: str) -> str:
    """RFC 5545 TEXT escaping."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Fold content lines at 75 octets (RFC 5545 §3.1), never splitting a UTF-8 character."""
    out: list[str] = []
    current = ""
    limit = 75
    for ch in line:
        if len((current + ch).encode()) > limit:
            out.append(current)
            current = " " + ch
            limit = 75
        else:
            current += ch
    out.append(current)
    return out


def _strip_html(html: str) -> str:
    import re
    from html import unescape

    text = re.sub(r"<br\s*/?>|</p>|</div>|</li>", "\n", html, flags=re.I)
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


class LocalCalendar:
    """Stand-in calendar: deterministic ids, fake-but-obvious join URLs, one .ics file per meeting."""

    sends_real_invitations = False

    def __init__(
        self, directory: str | os.PathLike[str] = "./var/ics", *, organizer_id: str | None = None
    ) -> None:
        self.directory = Path(directory)
        self._organizer_id = organizer_id

    # ---- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def event_id_for(transaction_id: str) -> str:
        """Same transaction id → same event id, so a retried booking finds the first one."""
        return "local-" + hashlib.sha256(transaction_id.encode()).hexdigest()[:32]

    def ics_path(self, event_id: str) -> Path:
        return self.directory / f"{event_id}.ics"

    def _meta_path(self, event_id: str) -> Path:
        return self.directory / f"{event_id}.json"

    def _write_atomic(self, path: Path, text: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)

    def _load(self, event_id: str) -> dict[str, Any]:
        try:
            return json.loads(self._meta_path(event_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise GraphEventNotFound(event_id) from None

    def _save(self, meta: dict[str, Any]) -> None:
        self._write_atomic(self._meta_path(meta["event_id"]), json.dumps(meta, ensure_ascii=False, indent=1))
        self._write_atomic(self.ics_path(meta["event_id"]), self.render_ics(meta))

    @staticmethod
    def _booked(meta: dict[str, Any]) -> BookedMeeting:
        return BookedMeeting(
            event_id=meta["event_id"],
            join_url=meta["join_url"],
            ical_uid=meta["uid"],
            online_meeting_chat_id=None,  # no real Teams chat exists behind a local meeting
            web_link=None,
            organizer_id=meta["organizer_id"],
        )

    @staticmethod
    def render_ics(meta: dict[str, Any]) -> str:
        """Render the stored meeting as an RFC 5545 VCALENDAR (METHOD:CANCEL once cancelled)."""
        cancelled = meta.get("cancelled", False)
        start = datetime.fromisoformat(meta["start_utc"])
        end = datetime.fromisoformat(meta["end_utc"])
        rec = meta.get("recurrence")
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:{PRODID}",
            "CALSCALE:GREGORIAN",
            f"METHOD:{'CANCEL' if cancelled else 'REQUEST'}",
        ]
        if rec:
            lines += STOCKHOLM_VTIMEZONE if rec["time_zone"] == "Europe/Stockholm" else []
        lines += [
            "BEGIN:VEVENT",
            f"UID:{meta['uid']}",
            f"DTSTAMP:{_utc(datetime.fromisoformat(meta['updated_utc']))}",
            f"SEQUENCE:{meta['sequence']}",
        ]
        if rec and rec["time_zone"] == "Europe/Stockholm":
            # A series keeps its local wall-clock time across DST, so it is anchored in the local zone.
            zone = ZoneInfo(rec["time_zone"])
            fmt = "%Y%m%dT%H%M%S"
            lines += [
                f"DTSTART;TZID=Europe/Stockholm:{start.astimezone(zone).strftime(fmt)}",
                f"DTEND;TZID=Europe/Stockholm:{end.astimezone(zone).strftime(fmt)}",
            ]
        else:
            lines += [f"DTSTART:{_utc(start)}", f"DTEND:{_utc(end)}"]
        lines.append(f"SUMMARY:{_escape(meta['subject'])}")
        # Private like the Graph event (issue 12 §4): calendar readers other than the attendees see "busy"
        # only; and no counter-proposals of new times, which the bot would never see.
        lines.append("CLASS:PRIVATE")
        lines.append("X-MICROSOFT-DISALLOW-COUNTER:TRUE")
        desc = _strip_html(meta.get("body_html", ""))
        if meta.get("comment"):
            desc = f"{meta['comment']}\n\n{desc}".strip()
        if desc:
            lines.append(f"DESCRIPTION:{_escape(desc)}")
        if meta.get("location"):
            lines.append(f"LOCATION:{_escape(meta['location'])}")
        if rec:
            parts = ["FREQ=WEEKLY", f"INTERVAL={rec['interval']}"]
            if rec["days_of_week"]:
                parts.append("BYDAY=" + ",".join(ICS_DAYS[d] for d in rec["days_of_week"]))
            if rec.get("until"):
                until_local = datetime.combine(
                    date.fromisoformat(rec["until"]), time(23, 59, 59), ZoneInfo(rec["time_zone"])
                )
                parts.append(f"UNTIL={_utc(until_local)}")
            elif rec.get("count"):
                parts.append(f"COUNT={rec['count']}")
            parts.append("WKST=MO")
            lines.append("RRULE:" + ";".join(parts))
        lines.append(
            f"ORGANIZER:mailto:{meta['organizer_id']}"
            if "@" in meta["organizer_id"]
            else f"ORGANIZER;CN={_escape(meta['organizer_id'])}:mailto:noreply@invalid"
        )
        for a in meta["attendees"]:
            cn = f';CN="{a["name"].replace(chr(34), "")}"' if a.get("name") else ""
            lines.append(
                f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE{cn}:mailto:{a['email']}"
            )
        lines.append(f"URL:{meta['join_url']}")
        lines.append(f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}")
        lines += ["END:VEVENT", "END:VCALENDAR"]
        return "".join(f"{part}\r\n" for line in lines for part in _fold(line))

    # ---- CalendarBackend -------------------------------------------------------------------------
    async def create_meeting(self, request: MeetingRequest) -> BookedMeeting:
        """Write the .ics; a second call with the same transaction id returns the first meeting untouched."""
        event_id = self.event_id_for(request.transaction_id)
        if self._meta_path(event_id).exists():
            return self._booked(self._load(event_id))
        now = datetime.now(UTC).isoformat()
        rec: Recurrence | None = request.recurrence
        meta: dict[str, Any] = {
            "event_id": event_id,
            "uid": f"{event_id}@sspf.local",
            "transaction_id": request.transaction_id,
            "organizer_id": request.organizer_id,
            "subject": request.subject,
            "body_html": request.body_html,
            "start_utc": request.start_utc.astimezone(UTC).isoformat(),
            "end_utc": request.end_utc.astimezone(UTC).isoformat(),
            "attendees": [asdict(a) for a in request.attendees],
            "location": request.location,
            "recurrence": None
            if rec is None
            else {
                "interval": rec.interval,
                "days_of_week": list(rec.days_of_week)
                or [WEEKDAYS[request.start_utc.astimezone(ZoneInfo(rec.time_zone)).weekday()]],
                "until": rec.until.isoformat() if rec.until else None,
                "count": rec.count,
                "time_zone": rec.time_zone,
            },
            # .invalid is a reserved TLD: nobody can mistake this for a real Teams link.
            "join_url": f"https://teams.invalid/l/meetup-join/{event_id}/0?no-real-meeting=true",
            "sequence": 0,
            "created_utc": now,
            "updated_utc": now,
            "cancelled": False,
        }
        self._save(meta)
        return self._booked(meta)

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
        """Rewrite the .ics with new times and a higher SEQUENCE; a series moves to the new weekday too
        (its RRULE's BYDAY), as the Graph backend moves the recurrence's start date and daysOfWeek."""
        if end_utc <= start_utc:
            raise ValueError("end must be after start")
        meta = self._load(event_id)
        if meta["cancelled"]:
            raise GraphEventNotFound(event_id)
        rec = meta.get("recurrence")
        if rec:
            zone = ZoneInfo(rec["time_zone"])
            rec["days_of_week"] = [WEEKDAYS[start_utc.astimezone(zone).weekday()]]
            if recurrence is not None:
                rec["interval"] = recurrence.interval
                rec["until"] = recurrence.until.isoformat() if recurrence.until else None
                rec["count"] = recurrence.count
        meta.update(
            start_utc=start_utc.astimezone(UTC).isoformat(),
            end_utc=end_utc.astimezone(UTC).isoformat(),
            sequence=meta["sequence"] + 1,
            updated_utc=datetime.now(UTC).isoformat(),
        )
        self._save(meta)

    async def find_event(self, organizer_id: str, transaction_id: str) -> str | None:
        """The event written for ``transaction_id`` (ids derive from it), or None; creates nothing."""
        event_id = self.event_id_for(transaction_id)
        return event_id if self._meta_path(event_id).exists() else None

    async def cancel(self, event_id: str, comment: str = "", *, organizer_id: str | None = None) -> None:
        """Rewrite as METHOD:CANCEL / STATUS:CANCELLED; cancelling twice (or an unknown id) is a no-op."""
        try:
            meta = self._load(event_id)
        except GraphEventNotFound:
            return
        if meta["cancelled"]:
            return
        meta.update(
            cancelled=True,
            comment=comment,
            sequence=meta["sequence"] + 1,
            updated_utc=datetime.now(UTC).isoformat(),
        )
        self._save(meta)

    async def responses(self, event_id: str, *, organizer_id: str | None = None) -> list[AttendeeResponse]:
        """Nobody was invited, so nobody has answered."""
        meta = self._load(event_id)
        return [
            AttendeeResponse(email=a["email"], name=a.get("name", ""), response="none")
            for a in meta["attendees"]
        ]

    async def get_schedule(
        self, organizer_id: str, users: list[str], window_start: datetime, window_end: datetime
    ) -> dict[str, ScheduleInfo]:
        """Everyone free, working 08:00–17:00 Europe/Stockholm on weekdays."""
        return {u: ScheduleInfo(busy=[], working_hours=WorkingHours()) for u in users}

    async def find_user(self, query: str) -> list[UserHit]:
        """No directory without Graph."""
        return []

    async def get_user(self, user_id: str) -> UserHit | None:
        """No directory without Graph."""
        return None

    async def install_bot_in_chat(self, chat_id: str) -> None:
        """Nothing to install locally."""

    async def install_bot_for_user(self, user_id: str) -> None:
        """Nothing to install locally."""


__all__ = ["Attendee", "LocalCalendar"]
