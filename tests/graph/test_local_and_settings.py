"""LocalCalendar (.ics), settings, factory, join-URL parsing, warm-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from graph.calendar import Attendee, CalendarBackend, MeetingRequest, Recurrence, chat_id_from_join_url
from graph.client import close_graph_client, warm_up
from graph.factory import calendar_backend
from graph.graph_calendar import GraphCalendar
from graph.local_calendar import LocalCalendar
from graph.settings import GraphSettings
from tests.harness.graph_fixtures import StubCredential

START = datetime(2031, 3, 4, 8, 0, tzinfo=UTC)


def req(tx: str = "tx-local", **kw) -> MeetingRequest:
    values = dict(
        organizer_id="anna.samordnare@kommun.example",
        subject="SSPF möte K-7F3Q; uppföljning, vecka 10",
        body_html="<p>Agenda</p><p>1. Läget</p>",
        start_utc=START,
        end_utc=START + timedelta(hours=1),
        attendees=[
            Attendee("sara.skola@kommun.example", "Sara Skola"),
            Attendee("per.polis@polisen.example"),
        ],
        transaction_id=tx,
        location="Rum Ekorren",
    )
    values.update(kw)
    return MeetingRequest(**values)


def unfold(text: str) -> list[str]:
    assert "\r\n" in text and not text.replace("\r\n", "").count("\n")
    lines = text.split("\r\n")
    assert lines[-1] == ""
    out: list[str] = []
    for line in lines[:-1]:
        assert len(line.encode()) <= 75
        if line.startswith(" "):
            out[-1] += line[1:]
        else:
            out.append(line)
    return out


async def test_local_create_writes_valid_ics_and_is_idempotent(tmp_path):
    cal = LocalCalendar(tmp_path)
    assert cal.sends_real_invitations is False
    assert isinstance(cal, CalendarBackend)
    first = await cal.create_meeting(req())
    text = cal.ics_path(first.event_id).read_bytes().decode("utf-8")
    again = await cal.create_meeting(req())
    assert again == first
    assert cal.ics_path(first.event_id).read_bytes().decode("utf-8") == text
    assert len(list(tmp_path.glob("*.ics"))) == 1
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and "METHOD:REQUEST" in lines
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
    assert f"UID:{first.ical_uid}" in lines
    assert "DTSTART:20310304T080000Z" in lines and "DTEND:20310304T090000Z" in lines
    assert "SUMMARY:SSPF möte K-7F3Q\\; uppföljning\\, vecka 10" in lines
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in lines)
    assert (
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;"
        'CN="Sara Skola":mailto:sara.skola@kommun.example' in lines
    )
    assert "STATUS:CONFIRMED" in lines
    assert first.join_url and ".invalid/" in first.join_url
    assert first.event_id == LocalCalendar.event_id_for("tx-local")
    other = await cal.create_meeting(req("tx-other"))
    assert other.event_id != first.event_id


async def test_local_recurrence_reschedule_cancel(tmp_path):
    cal = LocalCalendar(tmp_path)
    start = datetime(2031, 1, 7, 7, 30, tzinfo=UTC)
    booked = await cal.create_meeting(
        req(
            "tx-series",
            start_utc=start,
            end_utc=start + timedelta(minutes=90),
            recurrence=Recurrence(interval=2, days_of_week=("tuesday",), until=date(2031, 6, 17)),
        )
    )
    lines = unfold(cal.ics_path(booked.event_id).read_bytes().decode("utf-8"))
    assert "BEGIN:VTIMEZONE" in lines and "TZID:Europe/Stockholm" in lines
    assert "DTSTART;TZID=Europe/Stockholm:20310107T083000" in lines
    assert "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20310617T215959Z;WKST=MO" in lines
    await cal.reschedule(booked.event_id, start + timedelta(hours=1), start + timedelta(hours=2))
    lines = unfold(cal.ics_path(booked.event_id).read_bytes().decode("utf-8"))
    assert "DTSTART;TZID=Europe/Stockholm:20310107T093000" in lines and "SEQUENCE:1" in lines
    await cal.cancel(booked.event_id, "Inställt")
    await cal.cancel(booked.event_id, "Inställt")  # idempotent
    lines = unfold(cal.ics_path(booked.event_id).read_bytes().decode("utf-8"))
    assert "METHOD:CANCEL" in lines and "STATUS:CANCELLED" in lines and "SEQUENCE:2" in lines
    assert [r.response for r in await cal.responses(booked.event_id)] == ["none", "none"]


async def test_local_schedule_find_install(tmp_path):
    cal = LocalCalendar(tmp_path)
    sched = await cal.get_schedule("x", ["a@b.example"], START, START + timedelta(days=1))
    assert sched["a@b.example"].busy == []
    wh = sched["a@b.example"].working_hours
    assert wh is not None and wh.time_zone == "Europe/Stockholm" and (wh.start.hour, wh.end.hour) == (8, 17)
    assert await cal.find_user("sara") == []
    await cal.install_bot_in_chat("19:x@thread.v2")
    await cal.install_bot_for_user("u")


def test_settings_from_env():
    s = GraphSettings.from_env(
        {"MicrosoftAppTenantId": "t-bot", "GRAPH_CLIENT_ID": "c", "GRAPH_CLIENT_SECRET": "s"}
    )
    assert s.tenant_id == "t-bot" and s.configured and s.base_url == "https://graph.microsoft.com/v1.0"
    assert "s'" not in repr(s).replace("'***'", "")
    s2 = GraphSettings.from_env(
        {
            "GRAPH_TENANT_ID": "t",
            "MicrosoftAppTenantId": "other",
            "GRAPH_CLIENT_ID": "c",
            "GRAPH_BASE_URL": "http://127.0.0.1:9/v1.0/",
            "GRAPH_ORGANIZER_ID": "o@x",
            "TEAMS_APP_CATALOG_ID": "app",
        }
    )
    assert s2.tenant_id == "t" and not s2.configured
    assert (
        s2.base_url == "http://127.0.0.1:9/v1.0"
        and s2.organizer_id == "o@x"
        and s2.teams_app_catalog_id == "app"
    )


async def test_factory_chooses_backend(tmp_path):
    local = calendar_backend(GraphSettings(), ics_directory=tmp_path)
    assert isinstance(local, LocalCalendar)
    graph = calendar_backend(GraphSettings(tenant_id="t", client_id="c", client_secret="s"))
    assert isinstance(graph, GraphCalendar) and graph.sends_real_invitations
    await close_graph_client(graph.client)
    stub = calendar_backend(GraphSettings(), credential=StubCredential(), base_url="http://127.0.0.1:1/v1.0")
    assert isinstance(stub, GraphCalendar)
    assert stub.client.request_adapter.base_url == "http://127.0.0.1:1/v1.0"
    await close_graph_client(stub.client)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NTg0MmM4ZjIt%40thread.v2/0?context=%7b%22Tid%22%7d",
            "19:meeting_NTg0MmM4ZjIt@thread.v2",
        ),
        ("https://teams.microsoft.com/meet/2345678901?p=abcdef", None),
        ("https://teams.invalid/l/meetup-join/local-abc/0", None),
        (None, None),
    ],
)
def test_chat_id_from_join_url(url, expected):
    assert chat_id_from_join_url(url) == expected


async def test_warm_up_runs_in_a_thread():
    assert await warm_up() >= 0


async def test_ics_parses_with_icalendar(tmp_path):
    """A stricter check with an independent RFC 5545 parser."""
    import icalendar

    cal = LocalCalendar(tmp_path)
    booked = await cal.create_meeting(req("tx-ical", recurrence=Recurrence(interval=2, count=5)))
    parsed = icalendar.Calendar.from_ical(cal.ics_path(booked.event_id).read_bytes())
    [event] = parsed.walk("VEVENT")
    assert str(event["SUMMARY"]) == "SSPF möte K-7F3Q; uppföljning, vecka 10"
    assert event["RRULE"]["COUNT"] == [5]
    assert event.decoded("DTSTART") == START


async def test_local_series_moves_to_the_new_weekday_and_private(tmp_path):
    """issue 14.5/14.6 in the .ics: a moved series repeats on the new weekday; the event is private and
    takes no counter-proposals; find_event finds it by transaction id without creating anything."""
    cal = LocalCalendar(tmp_path)
    assert await cal.find_event("anna.samordnare@kommun.example", "tx-series") is None
    assert list(tmp_path.iterdir()) == []  # looking created nothing
    booked = await cal.create_meeting(req("tx-series", recurrence=Recurrence(interval=2)))  # a Tuesday
    assert await cal.find_event("anna.samordnare@kommun.example", "tx-series") == booked.event_id
    text = "\n".join(unfold(cal.ics_path(booked.event_id).read_bytes().decode()))
    assert "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=MO" in text
    assert "CLASS:PRIVATE" in text and "X-MICROSOFT-DISALLOW-COUNTER:TRUE" in text
    thursday = START + timedelta(days=2)
    await cal.reschedule(
        booked.event_id, thursday, thursday + timedelta(hours=1), recurrence=Recurrence(interval=2)
    )
    text = "\n".join(unfold(cal.ics_path(booked.event_id).read_bytes().decode()))
    assert "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;WKST=MO" in text
    assert "DTSTART;TZID=Europe/Stockholm:20310306T090000" in text
