"""GraphCalendar on the real msgraph-sdk against the local Graph server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.free_slots import find_free_slots
from graph.calendar import Attendee, MeetingRequest, Recurrence
from graph.client import close_graph_client
from graph.errors import GraphEventNotFound, GraphPermissionError, GraphUnavailable, GraphUserNotFound
from tests.harness.graph_fixtures import ORGANIZER, make_graph_backend

START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


def request(tx: str = "tx-1", **kw) -> MeetingRequest:
    values = dict(
        organizer_id=ORGANIZER.mail,
        subject="SSPF samverkansmöte K-7F3Q",
        body_html="<p>Agenda: läget, insatser, uppföljning</p>",
        start_utc=START,
        end_utc=START + timedelta(hours=1),
        attendees=[
            Attendee("sara.skola@kommun.example", "Sara Skola"),
            Attendee("per.polis@polisen.example", "Per Polis", external=True),
        ],
        transaction_id=tx,
    )
    values.update(kw)
    return MeetingRequest(**values)


async def test_create_sends_a_teams_meeting_with_transaction_id(graph_server, graph_backend):
    booked = await graph_backend.create_meeting(request())
    [rec] = graph_server.requests_to("POST", r"^/users/[^/]+/events$")
    body = rec.body
    assert rec.path == f"/users/{ORGANIZER.mail}/events"
    assert rec.headers["Authorization"] == "Bearer stub-token-for-local-graph"
    assert body["isOnlineMeeting"] is True
    assert body["onlineMeetingProvider"] == "teamsForBusiness"
    assert body["transactionId"] == "tx-1"
    assert body["start"] == {"dateTime": "2031-03-04T09:00:00", "timeZone": "UTC"}
    assert body["body"] == {"contentType": "html", "content": "<p>Agenda: läget, insatser, uppföljning</p>"}
    assert [a["emailAddress"]["address"] for a in body["attendees"]] == [
        "sara.skola@kommun.example",
        "per.polis@polisen.example",
    ]
    assert {a["type"] for a in body["attendees"]} == {"required"}
    assert graph_server.validation_errors == []
    assert booked.event_id in graph_server.events
    assert booked.join_url and booked.join_url.startswith("https://teams.microsoft.com/l/meetup-join/")
    assert booked.online_meeting_chat_id == graph_server.events[booked.event_id]["_thread"]
    assert booked.online_meeting_chat_id.startswith("19:meeting_")
    assert booked.ical_uid and booked.web_link
    assert graph_backend.sends_real_invitations is True


async def test_429_with_retry_after_then_success_creates_one_event(graph_server, graph_backend):
    graph_server.fail_next("POST", r"/events$", 429, retry_after=1)
    booked = await graph_backend.create_meeting(request("tx-429"))
    posts = graph_server.requests_to("POST", r"/events$")
    assert [r.status for r in posts] == [429, 201]
    assert posts[1].headers.get("Retry-Attempt") == "1"
    assert {r.body["transactionId"] for r in posts} == {"tx-429"}
    assert [e["id"] for e in graph_server.live_events()] == [booked.event_id]


async def test_503_twice_then_success(graph_server, graph_backend):
    graph_server.fail_next("POST", r"/events$", 503, times=2, retry_after=1)
    booked = await graph_backend.create_meeting(request("tx-503"))
    assert [r.status for r in graph_server.requests_to("POST", r"/events$")] == [503, 503, 201]
    assert len(graph_server.live_events()) == 1
    assert booked.event_id == graph_server.live_events()[0]["id"]


async def test_throttled_beyond_sdk_retries_is_graph_unavailable(graph_server, graph_backend):
    graph_server.fail_next("POST", r"/events$", 429, times=10, retry_after=1)
    with pytest.raises(GraphUnavailable) as info:
        await graph_backend.create_meeting(request("tx-throttled"))
    assert info.value.retry_after == 1.0
    assert len(graph_server.requests_to("POST", r"/events$")) == 4  # first try + 3 SDK retries
    assert graph_server.live_events() == []


async def test_403_names_the_missing_permission(graph_server, graph_backend):
    graph_server.fail_next("POST", r"/events$", 403)
    with pytest.raises(GraphPermissionError) as info:
        await graph_backend.create_meeting(request("tx-403"))
    assert info.value.permission == "Calendars.ReadWrite"
    assert "application access policy" in info.value.admin_hint
    assert "Calendars.ReadWrite" in str(info.value)


async def test_403_on_install_names_install_permission(graph_server, graph_backend):
    graph_server.fail_next("POST", r"/teamwork/installedApps$", 403)
    with pytest.raises(GraphPermissionError) as info:
        await graph_backend.install_bot_for_user("u-skola")
    assert info.value.permission == "TeamsAppInstallation.ReadWriteSelfForUser.All"


async def test_unknown_organizer_is_user_not_found(graph_backend):
    with pytest.raises(GraphUserNotFound) as info:
        await graph_backend.create_meeting(request("tx-nobody", organizer_id="nobody@kommun.example"))
    assert info.value.user == "nobody@kommun.example"


async def test_timeout_on_create_then_retry_with_same_transaction_id_gives_one_event(graph_server):
    backend = make_graph_backend(graph_server, timeout=0.5)
    try:
        # Graph processes the create but the answer arrives after our timeout.
        graph_server.fail_next("POST", r"/events$", None, delay=2.0)
        with pytest.raises(GraphUnavailable):
            await backend.create_meeting(request("tx-slow"))
        assert len(graph_server.live_events()) == 1
        booked = await backend.create_meeting(request("tx-slow"))
    finally:
        await close_graph_client(backend.client)
    assert [e["id"] for e in graph_server.live_events()] == [booked.event_id]
    assert len(graph_server.requests_to("POST", r"/events$")) == 2


async def test_every_other_week_arbetsgrupp_recurrence_shape(graph_server, graph_backend):
    # Tuesdays 08:30 Stockholm (winter: 07:30 UTC), every other week until midsummer.
    start = datetime(2031, 1, 7, 7, 30, tzinfo=UTC)
    rec = Recurrence(interval=2, days_of_week=("tuesday",), until=date(2031, 6, 17))
    await graph_backend.create_meeting(
        request("tx-arbetsgrupp", start_utc=start, end_utc=start + timedelta(minutes=90), recurrence=rec)
    )
    assert graph_server.validation_errors == []
    [rec_req] = graph_server.requests_to("POST", r"/events$")
    body = rec_req.body
    assert body["start"] == {"dateTime": "2031-01-07T08:30:00", "timeZone": "W. Europe Standard Time"}
    assert body["end"] == {"dateTime": "2031-01-07T10:00:00", "timeZone": "W. Europe Standard Time"}
    assert body["recurrence"] == {
        "pattern": {"type": "weekly", "interval": 2, "daysOfWeek": ["tuesday"], "firstDayOfWeek": "monday"},
        "range": {
            "type": "endDate",
            "startDate": "2031-01-07",
            "endDate": "2031-06-17",
            "recurrenceTimeZone": "W. Europe Standard Time",
        },
    }


async def test_numbered_recurrence(graph_server, graph_backend):
    await graph_backend.create_meeting(request("tx-numbered", recurrence=Recurrence(interval=1, count=6)))
    [req] = graph_server.requests_to("POST", r"/events$")
    assert req.body["recurrence"]["range"]["type"] == "numbered"
    assert req.body["recurrence"]["range"]["numberOfOccurrences"] == 6
    assert req.body["recurrence"]["pattern"]["daysOfWeek"] == ["tuesday"]  # START is a Tuesday
    assert graph_server.validation_errors == []


async def test_get_schedule_feeds_free_slots(graph_server, graph_backend):
    # Monday 2031-03-03; Stockholm is UTC+1. Sara busy 08:00-10:00 local, Sven 10:00-11:30 local.
    # Sven's 13:00-14:00 local item is "free" and must not block.
    day = datetime(2031, 3, 3, tzinfo=UTC)
    graph_server.add_busy("sara.skola@kommun.example", day.replace(hour=7), day.replace(hour=9))
    graph_server.add_busy("sven.soc@kommun.example", day.replace(hour=9), day.replace(hour=10, minute=30))
    graph_server.add_busy("sven.soc@kommun.example", day.replace(hour=12), day.replace(hour=13), "free")
    users = ["sara.skola@kommun.example", "sven.soc@kommun.example", "okand@kommun.example"]
    sched = await graph_backend.get_schedule(ORGANIZER.mail, users, day, day + timedelta(days=1))
    [req] = graph_server.requests_to("POST", r"/calendar/getSchedule$")
    assert req.body["Schedules"] == users
    assert req.body["AvailabilityViewInterval"] == 15
    assert req.headers.get("Prefer") == 'outlook.timezone="UTC"'
    assert [(b.start_utc, b.status) for b in sched["sara.skola@kommun.example"].busy] == [
        (day.replace(hour=7), "busy")
    ]
    assert len(sched["sven.soc@kommun.example"].busy) == 1  # the "free" item is not busy
    wh = sched["sven.soc@kommun.example"].working_hours
    assert wh is not None and wh.time_zone == "Europe/Stockholm" and wh.start.hour == 8
    assert sched["okand@kommun.example"].error
    known = {u: s for u, s in sched.items() if s.error is None}
    slots = find_free_slots(
        {u: s.busy for u, s in known.items()},
        working_hours={u: s.working_hours for u, s in known.items()},
        window_start=day,
        window_end=day + timedelta(days=1),
        duration=timedelta(hours=1),
        now=day,
    )
    assert [s.start_utc for s in slots] == [
        day.replace(hour=10, minute=30),  # 11:30 local, right after Sven's block
        day.replace(hour=10, minute=45),
        day.replace(hour=11),
    ]


async def test_cancel_and_cancel_again(graph_server, graph_backend):
    booked = await graph_backend.create_meeting(request("tx-cancel"))
    await graph_backend.cancel(booked.event_id, "Inställt: vårdnadshavare sjuk")
    [req] = graph_server.requests_to("POST", r"/events/[^/]+/cancel$")
    assert req.body == {"Comment": "Inställt: vårdnadshavare sjuk"}  # action parameters: SDK uses PascalCase
    assert graph_server.events[booked.event_id]["isCancelled"] is True
    await graph_backend.cancel(booked.event_id, "again")  # already gone: no error


async def test_reschedule_patches_start_and_end(graph_server, graph_backend):
    booked = await graph_backend.create_meeting(request("tx-move"))
    new_start = START + timedelta(days=1)
    await graph_backend.reschedule(booked.event_id, new_start, new_start + timedelta(hours=1))
    [req] = graph_server.requests_to("PATCH", r"/events/")
    assert set(req.body) - {"@odata.type"} == {"start", "end"}
    assert graph_server.events[booked.event_id]["_start"] == new_start


async def test_reschedule_unknown_event(graph_backend):
    with pytest.raises(GraphEventNotFound):
        await graph_backend.reschedule("AAMkA-missing", START, START + timedelta(hours=1))


async def test_responses(graph_server, graph_backend):
    booked = await graph_backend.create_meeting(request("tx-resp"))
    graph_server.set_response(booked.event_id, "sara.skola@kommun.example", "accepted")
    graph_server.set_response(booked.event_id, "per.polis@polisen.example", "tentativelyAccepted")
    answers = await graph_backend.responses(booked.event_id)
    assert {(a.email, a.response) for a in answers} == {
        ("sara.skola@kommun.example", "accepted"),
        ("per.polis@polisen.example", "tentativelyAccepted"),
    }
    assert answers[0].name == "Sara Skola"


async def test_find_user(graph_server, graph_backend):
    hits = await graph_backend.find_user("sv")
    assert [(h.id, h.display_name, h.mail) for h in hits] == [
        ("u-soc", "Sven Socialsekreterare", "sven.soc@kommun.example")
    ]
    assert await graph_backend.find_user("o'brien") == []
    by_mail = await graph_backend.find_user("per.polis@polisen.example")
    assert [h.id for h in by_mail] == ["u-polis"]
    assert graph_server.validation_errors == []


async def test_install_bot_is_idempotent(graph_server, graph_backend):
    booked = await graph_backend.create_meeting(request("tx-install"))
    assert booked.online_meeting_chat_id
    await graph_backend.install_bot_in_chat(booked.online_meeting_chat_id)
    await graph_backend.install_bot_in_chat(booked.online_meeting_chat_id)  # 409 -> fine
    await graph_backend.install_bot_for_user("u-skola")
    await graph_backend.install_bot_for_user("u-skola")
    statuses = [r.status for r in graph_server.requests_to("POST", r"installedApps$")]
    assert statuses == [201, 409, 201, 409]
    [first] = graph_server.requests_to("POST", r"/chats/.+/installedApps$")[:1]
    # Learn "Add app to chat", example 2: consent to the manifest's resource-specific permissions
    assert first.body == {
        "teamsApp@odata.bind": "https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/catalog-app-1",
        "consentedPermissionSet": {
            "resourceSpecificPermissions": [
                {"permissionValue": "OnlineMeeting.ReadBasic.Chat", "permissionType": "application"}
            ]
        },
    }
    assert graph_server.chat_apps[booked.online_meeting_chat_id] == {"catalog-app-1"}


async def test_chat_install_without_the_consent_permission_names_the_one_to_grant(
    graph_server, graph_backend
):
    """The tenant granted what GRAPH_SETUP.md used to ask for (…ReadWriteSelfForChat.All): Graph refuses an
    app with resource-specific permissions, and the error names the consent permission, not the granted."""
    graph_server.granted -= {"TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All"}
    graph_server.granted |= {"TeamsAppInstallation.ReadWriteSelfForChat.All"}
    booked = await graph_backend.create_meeting(request("tx-rsc"))
    with pytest.raises(GraphPermissionError) as info:
        await graph_backend.install_bot_in_chat(booked.online_meeting_chat_id)
    assert info.value.permission == "TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All"
    assert "catalog-app-1" not in graph_server.chat_apps[booked.online_meeting_chat_id]


async def test_local_graph_refuses_an_rsc_chat_install_like_graph(graph_server):
    """The server itself: 403 without the consent permission, and 403 without consentedPermissionSet."""
    import httpx

    bind = {"teamsApp@odata.bind": "https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/catalog-app-1"}
    consent = {
        "consentedPermissionSet": {
            "resourceSpecificPermissions": [
                {"permissionValue": "OnlineMeeting.ReadBasic.Chat", "permissionType": "application"}
            ]
        }
    }
    url = f"{graph_server.base_url}/chats/19:meeting_x@thread.v2/installedApps"
    headers = {"Authorization": "Bearer stub-token-for-local-graph"}
    async with httpx.AsyncClient() as http:
        assert (await http.post(url, json=bind, headers=headers)).status_code == 403
        graph_server.granted = {"TeamsAppInstallation.ReadWriteSelfForChat.All"}
        assert (await http.post(url, json={**bind, **consent}, headers=headers)).status_code == 403
        graph_server.granted = {"TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All"}
        assert (await http.post(url, json={**bind, **consent}, headers=headers)).status_code == 201


async def test_install_for_unknown_user(graph_backend):
    with pytest.raises(GraphUserNotFound):
        await graph_backend.install_bot_for_user("ghost")


async def test_create_is_private_takes_no_proposals_and_carries_its_transaction_id(
    graph_server, graph_backend
):
    await graph_backend.create_meeting(request("tx-private"))
    [rec] = graph_server.requests_to("POST", r"^/users/[^/]+/events$")
    assert rec.body["sensitivity"] == "private"
    assert rec.body["allowNewTimeProposals"] is False
    [prop] = rec.body["singleValueExtendedProperties"]
    assert prop["value"] == "tx-private" and prop["id"].startswith("String {")


async def test_find_event_by_transaction_id_creates_nothing(graph_server, graph_backend):
    assert await graph_backend.find_event(ORGANIZER.mail, "tx-never") is None
    booked = await graph_backend.create_meeting(request("tx-found"))
    assert await graph_backend.find_event(ORGANIZER.mail, "tx-found") == booked.event_id
    assert len(graph_server.requests_to("POST", r"/events$")) == 1


@pytest.mark.parametrize("style", ["classic", "short"])
async def test_meeting_chat_comes_from_the_online_meeting_lookup(graph_server, graph_backend, style):
    graph_server.join_url_style = style
    booked = await graph_backend.create_meeting(request(f"tx-{style}"))
    assert booked.online_meeting_chat_id == graph_server.events[booked.event_id]["_thread"]
    assert booked.chat_source == "lookup" and booked.chat_lookup_permission is None


async def test_refused_lookup_falls_back_to_the_classic_link_and_names_the_permission(
    graph_server, graph_backend
):
    graph_server.granted -= {"OnlineMeetings.Read.All"}
    booked = await graph_backend.create_meeting(request("tx-fallback"))
    assert booked.online_meeting_chat_id == graph_server.events[booked.event_id]["_thread"]
    assert booked.chat_source == "join_url" and booked.chat_lookup_permission == "OnlineMeetings.Read.All"


async def test_calendar_without_teams_gives_a_meeting_without_teams(graph_server, graph_backend):
    graph_server.teams_disabled_for = {ORGANIZER.id}
    booked = await graph_backend.create_meeting(request("tx-noteams"))
    assert booked.teams_meeting is False and booked.join_url is None
    assert booked.online_meeting_chat_id is None
    assert graph_server.requests_to("GET", r"/onlineMeetings$") == []


async def test_a_request_outside_graphs_contract_is_refused(graph_server):
    """The local server checks Microsoft's metadata: an unknown property or enum member is a 400 and is
    recorded (the fixture would then fail the test; cleared here because it is the point)."""
    import httpx

    url = f"{graph_server.base_url}/users/{ORGANIZER.id}/events"
    headers = {"Authorization": "Bearer stub-token-for-local-graph"}
    async with httpx.AsyncClient() as http:
        bad_enum = await http.post(url, json={"sensitivity": "secret"}, headers=headers)
        bad_prop = await http.post(url, json={"subjekt": "x"}, headers=headers)
        no_path = await http.get(f"{graph_server.base_url}/users/{ORGANIZER.id}/calendar", headers=headers)
    assert [r.status_code for r in (bad_enum, bad_prop, no_path)] == [400, 400, 400]
    assert len(graph_server.contract_violations) == 3
    assert "sensitivity" in graph_server.contract_violations[0]
    graph_server.contract_violations.clear()
