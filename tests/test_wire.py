"""The fast activity (de)serializer gives exactly what msrest gives, on what Teams sends and we send.

``bot/wire.py`` replaces msrest on the hot path for speed only: any difference here would be a
change in what the bot reads from Teams or writes to it.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    CardAction,
    ConversationReference,
    HeroCard,
    Mention,
)
from botbuilder.schema.teams import NotificationInfo, TeamsChannelData, TenantInfo
from msrest.exceptions import DeserializationError

from bot.cards.elements import message_activity
from bot.wire import from_json, to_json
from tests.harness import activities as acts

URL = "http://127.0.0.1:9"
USER = acts.User("aad-wire", "Åsa Öberg")


def teams_payloads() -> list[dict[str, Any]]:
    personal = acts.personal(USER)
    payloads = [
        acts.message("hjälp", USER, personal, URL),
        acts.message("ärende SSPF-123", USER, acts.group_chat(), URL, locale="en-US"),
        acts.message("<at>SSPF</at> hjälp", USER, acts.channel(), URL),
        acts.message("agenda", USER, acts.meeting_chat(), URL),
        acts.submit(
            {"verb": "case.save", "nonce": "n1", "title": "x"}, USER, personal, URL, reply_to_id="m-1"
        ),
        acts.execute("case.open", {"case_id": "c1", "nonce": "n2"}, USER, personal, URL, reply_to_id="m-2"),
        acts.meeting_event("meetingStart", USER, acts.meeting_chat(), URL),
        acts.members_added(personal, URL, USER),
        acts.members_added(acts.group_chat(), URL, USER, bot=False),
    ]
    rich = acts.message("hej @SSPF", USER, personal, URL)
    rich.update(
        {
            "localTimestamp": "2026-11-25T10:00:00.123+01:00",
            "timestamp": "2026-11-25T09:00:00.1234567Z",
            "entities": [
                {"type": "mention", "mentioned": acts.BOT, "text": "<at>SSPF</at>"},
                {"type": "clientInfo", "locale": "sv-SE", "platform": "Web", "timezone": "Europe/Stockholm"},
            ],
            "attachments": [{"contentType": "text/html", "content": "<p>hej</p>"}],
            "replyToId": "1700000000000",
            "textFormat": "plain",
            "unknownTopLevel": {"kept": False},
            "value": None,
            "channelData": {"tenant": {"id": acts.TENANT}, "eventType": None, "settings": [1, 2.5, "x"]},
        }
    )
    payloads.append(rich)
    return payloads


def odd_payloads() -> list[dict[str, Any]]:
    """Input a client may send; msrest's answer (a value or an error) is the one that must come out."""
    base = acts.message("hjälp", USER, acts.personal(USER), URL)
    cases = [
        {"text": 5},
        {"text": ["a"]},
        {"from": "not an account"},
        {"from": ["x"]},
        {"conversation": {"id": "c", "isGroup": "yes"}},
        {"timestamp": "not a time"},
        {"timestamp": 12},
        {"entities": {"type": "mention"}},
        {"entities": ["x"]},
        {"membersAdded": [None, {"id": "u"}]},
        {"attachments": [{"contentType": 3}]},
    ]
    return [{**copy.deepcopy(base), **extra} for extra in cases]


def msrest_or_error(data: dict[str, Any]) -> Any:
    try:
        return Activity().deserialize(copy.deepcopy(data))
    except DeserializationError as exc:
        return type(exc)


def fast_or_error(data: dict[str, Any]) -> Any:
    try:
        return from_json(Activity, copy.deepcopy(data))
    except DeserializationError as exc:
        return type(exc)


@pytest.mark.parametrize("payload", teams_payloads(), ids=lambda p: f"{p['type']}-{p.get('text', '')[:12]}")
def test_reading_a_teams_activity_gives_msrest_s_model(payload: dict[str, Any]) -> None:
    expected = Activity().deserialize(copy.deepcopy(payload))
    got = from_json(Activity, copy.deepcopy(payload))
    assert got == expected
    assert got.serialize() == expected.serialize()


@pytest.mark.parametrize("payload", odd_payloads(), ids=lambda p: "odd")
def test_reading_odd_input_gives_msrest_s_answer(payload: dict[str, Any]) -> None:
    assert fast_or_error(payload) == msrest_or_error(payload)


def outgoing() -> list[Activity]:
    incoming = Activity().deserialize(teams_payloads()[0])
    reference = TurnContext.get_conversation_reference(incoming)
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hjälp"}]}
    reply = Activity().deserialize(message_activity(card, summary="Hjälp"))
    hero = MessageFactory.attachment(CardFactory.hero_card(HeroCard(title="Hej", subtitle="då")))
    text = Activity(type="message", text="Klart ✓", text_format="markdown")
    suggested = MessageFactory.suggested_actions(
        [
            CardAction(type="imBack", title="Ja", value="ja"),
            CardAction(type="imBack", title="Nej", value="nej"),
        ],
        "Vill du fortsätta?",
    )
    stamped = Activity(
        type="message",
        text="tid",
        timestamp=dt.datetime(2026, 11, 25, 9, 0, 0, 123000, tzinfo=dt.UTC),
        channel_data=TeamsChannelData(
            tenant=TenantInfo(id=acts.TENANT), notification=NotificationInfo(alert=True)
        ),
    )
    mention = Activity(
        type="message",
        text="<at>Åsa</at> titta",
        entities=[Mention(mentioned=incoming.from_property, text="<at>Åsa</at>", type="mention")],
    )
    odd_card = Activity(
        type="message",
        attachments=[CardFactory.adaptive_card({"body": [{"items": (1, 2)}], 3: "non-string key"})],
    )
    activities = [reply, hero, text, suggested, stamped, mention, odd_card]
    return [TurnContext.apply_conversation_reference(copy.deepcopy(a), reference) for a in activities]


@pytest.mark.parametrize("activity", outgoing(), ids=lambda a: a.text or a.type)
def test_writing_an_activity_gives_msrest_s_json(activity: Activity) -> None:
    assert to_json(activity) == activity.serialize()


def test_writing_a_conversation_reference_gives_msrest_s_json() -> None:
    for payload in teams_payloads():
        reference = TurnContext.get_conversation_reference(Activity().deserialize(payload))
        assert to_json(reference) == reference.serialize()
        assert from_json(ConversationReference, to_json(reference)) == ConversationReference().deserialize(
            reference.serialize()
        )
