"""Who sees what of a meeting about a child, in a shared chat (issue 12 §3): the viewer matrix.

For the agenda's steps (a case meeting's gemensam bild and handlingsplan, a follow-up's review of earlier
actions, the arbetsgrupp's individnivå) and the protokoll, five viewers look at the card in the meeting
chat: the coordinator, a team member whose agency the consent covers, a team member whose agency it does
not cover, a chat member who is not on the team (nor invited), and an anonymous guest. For each: what the
posted card shows (what the chat's history keeps: never any case content), what their own view shows
(Universal Actions refresh, trigger "automatic"), whether they get inputs, and the audit rows written
(one per view that showed content: who, which case, which card). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from store.models import AuditEvent
from tests.conftest import COORDINATOR, POLICE, PRINCIPAL, SOCIAL, YOUTH_WORKER
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, card_text, find_action, input_values
from tests.harness.cards import assert_valid_cards
from tests.harness.seed import seed_action, seed_case, seed_meeting
from tests.harness.views import is_listed, own_view

CODE = "SSPF-2026-501"
OTHER = "SSPF-2026-502"
GUEST = acts.User("", "Gäst via länk")  # an anonymous meeting guest: no Entra object id
# distinctive case content, so a leak cannot hide behind ordinary words
INITIALS = "Q.X."
YOUTH = "Xiomara Markörsdotter"
GUARDIAN = "Vilgot Markörsson"
NOTE = "MARKÖR-anteckning: frånvaron har ökat"
OTHER_NOTE = "MARKÖR-annan: bekymringssamtal hölls"
ACTION = "MARKÖR-åtgärd läxhjälp tisdagar"
EARLIER = "MARKÖR-tidigare åtgärd: fritidsgården"
COMMENT = "MARKÖR-kommentar: har börjat"
SECRETS = (INITIALS, YOUTH, GUARDIAN, NOTE, OTHER_NOTE, ACTION, EARLIER, COMMENT, "2011")
TEAM = [
    (PRINCIPAL.aad, PRINCIPAL.name, "skola"),
    (SOCIAL.aad, SOCIAL.name, "socialtjanst"),
    (POLICE.aad, POLICE.name, "polis"),
]
VIEWERS = {
    "coordinator": COORDINATOR,
    "covered": PRINCIPAL,  # skola: the consent covers it
    "not_covered": POLICE,  # polis: on the team, the consent does not cover it
    "not_on_team": YOUTH_WORKER,  # in the chat, neither on the team nor invited
    "guest": GUEST,
}
SEES = {"coordinator", "covered"}


async def _case(bot: RunningBot, conv: acts.Conversation, kind: str, code: str = CODE):
    async with bot.services.db.transaction() as s:
        case = await seed_case(
            s,
            acts.TENANT,
            code,
            members=TEAM,
            guardians=[GUARDIAN],
            consent_agencies=["skola", "socialtjanst"],
            initials=INITIALS,
            birth_year=2013,  # 13: the guardians consent (from 15 the young person signs too)
            youth_name=YOUTH,
        )
        await seed_meeting(s, acts.TENANT, kind=kind, chat_id=conv.id, case=case, participants=TEAM)
    return case


async def _rows(bot: RunningBot) -> list[AuditEvent]:
    async with bot.services.db.session() as s:
        return list(
            await s.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity == "case_content", AuditEvent.action == "read")
                .order_by(AuditEvent.id)
            )
        )


def _clean(text: str, *, hidden: str = "") -> None:
    """No case content in ``text`` (what people read); nor the longer markers in ``hidden`` (card data)."""
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} shown where it must not be"
        assert len(secret) < 8 or secret not in hidden, f"{secret!r} in the card's hidden data"


async def _matrix(
    bot: RunningBot, conv: acts.Conversation, posted: dict[str, Any], content: tuple[str, ...], *, card: str
) -> dict[str, dict[str, Any]]:
    """Every viewer's own view of ``posted``: content for the entitled (and one audit row each), the
    neutral card and a reason for everyone else. Returns the views by viewer."""
    _clean(card_text(posted), hidden=repr(posted))  # the chat's copy: nothing, not even in hidden data
    views: dict[str, dict[str, Any]] = {}
    for who, user in VIEWERS.items():
        before = len(await _rows(bot))
        reply = await own_view(bot, user, conv, posted)
        assert reply.status == 200 and reply.sent == [], "an own view is answered to the viewer only"
        view = reply.card
        text = card_text(view)
        rows = (await _rows(bot))[before:]
        if who in SEES:
            for needle in content:
                assert needle in text, (who, needle)
            assert rows, f"{who} saw case content: one audit row per case shown"
            assert {(r.actor_aad_id, r.detail["card"], r.detail["trigger"]) for r in rows} == {
                (user.aad, card, "automatic")
            }
        else:
            _clean(text)
            assert rows == [], f"{who} saw nothing: no read row"
            assert input_values(view) == {}, f"{who} gets no input"
            reason = {
                "not_covered": "samtycke omfattar inte din verksamhet",
                "not_on_team": "inte kallad till det här mötet",
                "guest": "inte kallad till det här mötet",
            }[who]
            assert reason in text, (who, text)
        views[who] = view
    return views


async def test_case_meeting_views_protokoll_and_audit(bot):
    conv = acts.meeting_chat("views")
    case = await _case(bot, conv, "individuell")
    start = await bot.say(COORDINATOR, conv, "starta mötet")
    message_id = start.sent[0].activity_id
    chair = (await own_view(bot, COORDINATOR, conv, start.card)).card
    card = (await bot.press(COORDINATOR, conv, find_action(chair, "Bekräfta syfte och samtycke"))).card
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card

    principal = (await own_view(bot, PRINCIPAL, conv, start.card)).card
    assert "entry" in input_values(principal), "a covered team member writes in their own view"
    await bot.press(PRINCIPAL, conv, find_action(principal, "Spara"), {"entry": NOTE})
    posted = [s for s in bot.connector.sent if s.activity_id == message_id and s.cards][-1].cards[-1]
    assert "Har bidragit: Skola" in card_text(posted)
    assert is_listed(posted, COORDINATOR) and is_listed(posted, PRINCIPAL)
    step2 = await _matrix(bot, conv, posted, (NOTE,), card="agenda")
    async with bot.services.db.session() as s:
        rows = (await s.scalars(select(AuditEvent).where(AuditEvent.entity == "case_content"))).all()
    assert {r.case_id for r in rows} == {case.id}

    # the handlingsplan: the action text is content too
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    principal = (await own_view(bot, PRINCIPAL, conv, posted)).card
    due = (date.today() + timedelta(days=14)).isoformat()
    added = await bot.press(
        PRINCIPAL,
        conv,
        find_action(principal, "Lägg till åtgärd"),
        {
            "a_kind": "annan",
            "a_text": ACTION,
            "a_agency": "skola",
            "a_responsible": PRINCIPAL.aad,
            "a_due_on": due,
        },
    )
    assert ACTION in card_text(added.card)
    posted = [s for s in bot.connector.sent if s.activity_id == message_id and s.cards][-1].cards[-1]
    plan = await _matrix(bot, conv, posted, (ACTION,), card="agenda")

    # the protokoll: a neutral card in the chat, the content in each entitled person's own view
    end = await bot.say(COORDINATOR, conv, "avsluta mötet")
    [protokoll] = [c for c in end.cards if "Protokoll –" in card_text(c)]
    assert "Deltagande verksamheter:" in card_text(protokoll) and CODE in card_text(protokoll)
    record = await _matrix(bot, conv, protokoll, (NOTE, ACTION, PRINCIPAL.name), card="protokoll")
    find_action(record["coordinator"], "Handlingsplan som Word-fil (koordinator)")
    assert "Word-fil" not in card_text(record["covered"]), "the document goes through the coordinator only"
    assert_valid_cards([start.card, posted, protokoll, *step2.values(), *plan.values(), *record.values()])


async def test_follow_up_review_of_earlier_actions(bot):
    conv = acts.meeting_chat("views-review")
    case = await _case(bot, conv, "uppfoljning")
    async with bot.services.db.transaction() as s:
        await seed_action(
            s,
            acts.TENANT,
            case=case,
            text=EARLIER,
            agency="skola",
            responsible=(PRINCIPAL.aad, PRINCIPAL.name),
            status="in_progress",
            status_comment=COMMENT,
        )
    posted = (await bot.say(COORDINATOR, conv, "starta mötet")).card
    assert "Genomgång av varje åtgärd" in card_text(posted)
    views = await _matrix(bot, conv, posted, (EARLIER, COMMENT), card="agenda")
    assert any(k.startswith("comment_") for k in input_values(views["covered"]))
    assert_valid_cards([posted, *views.values()])


async def test_arbetsgrupp_individniva_per_case(bot):
    """Each case's notes only for its own entitled team: the police officer sees the case the consent
    lets the police into, and only the code of the other; the principal the other way round."""
    conv = acts.meeting_chat("views-ag")
    async with bot.services.db.transaction() as s:
        first = await seed_case(
            s,
            acts.TENANT,
            CODE,
            members=TEAM,
            guardians=[GUARDIAN],
            consent_agencies=["skola"],
            initials=INITIALS,
        )
        second = await seed_case(
            s,
            acts.TENANT,
            OTHER,
            members=[(POLICE.aad, POLICE.name, "polis")],
            guardians=["Gun G"],
            consent_agencies=["polis"],
        )
        await seed_meeting(
            s,
            acts.TENANT,
            kind="arbetsgrupp",
            chat_id=conv.id,
            participants=[(PRINCIPAL.aad, PRINCIPAL.name, "skola"), (POLICE.aad, POLICE.name, "polis")],
        )
    start = await bot.say(COORDINATOR, conv, "starta mötet")
    message_id = start.sent[0].activity_id
    card = (await own_view(bot, COORDINATOR, conv, start.card)).card
    while "Individnivå" not in card_text(card).split("\n")[2:4]:
        card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    principal = (await own_view(bot, PRINCIPAL, conv, start.card)).card
    police = (await own_view(bot, POLICE, conv, start.card)).card
    assert set(input_values(principal)) >= {f"note_{first.id}"} and f"note_{second.id}" not in input_values(
        principal
    )
    assert f"note_{second.id}" in input_values(police) and f"note_{first.id}" not in input_values(police)
    await bot.press(PRINCIPAL, conv, find_action(principal, "Spara"), {f"note_{first.id}": NOTE})
    await bot.press(POLICE, conv, find_action(police, "Spara"), {f"note_{second.id}": OTHER_NOTE})

    posted = [s for s in bot.connector.sent if s.activity_id == message_id and s.cards][-1].cards[-1]
    _clean(card_text(posted), hidden=repr(posted))
    assert CODE not in card_text(posted) and OTHER not in card_text(posted)
    assert "Har bidragit: Polis, Skola" in card_text(posted)
    before = len(await _rows(bot))
    seen = {}
    for who, user in VIEWERS.items():
        seen[who] = (await own_view(bot, user, conv, posted)).card
    rows = (await _rows(bot))[before:]
    coord, rita, per = (card_text(seen[w]) for w in ("coordinator", "covered", "not_covered"))
    assert NOTE in coord and OTHER_NOTE in coord
    assert NOTE in rita and OTHER_NOTE not in rita and OTHER in rita  # the other case's code, not its notes
    assert OTHER_NOTE in per and NOTE not in per and CODE in per
    for who in ("not_on_team", "guest"):
        text = card_text(seen[who])
        assert CODE not in text and NOTE not in text and OTHER_NOTE not in text
        assert "inte kallad till det här mötet" in text
    assert sorted((r.actor_aad_id, r.case_id) for r in rows) == sorted(
        [
            (COORDINATOR.aad, first.id),
            (COORDINATOR.aad, second.id),
            (PRINCIPAL.aad, first.id),
            (POLICE.aad, second.id),
        ]
    )

    end = await bot.say(COORDINATOR, conv, "avsluta mötet")
    [protokoll] = [c for c in end.cards if "Protokoll –" in card_text(c)]
    _clean(card_text(protokoll))
    assert CODE not in card_text(protokoll)
    mine = {w: card_text((await own_view(bot, u, conv, protokoll)).card) for w, u in VIEWERS.items()}
    assert NOTE in mine["coordinator"] and OTHER_NOTE in mine["coordinator"]
    assert NOTE in mine["covered"] and OTHER_NOTE not in mine["covered"]
    assert "inte är med i teamet visas inte" in mine["covered"]
    assert OTHER_NOTE in mine["not_covered"] and NOTE not in mine["not_covered"]
    for who in ("not_on_team", "guest"):
        assert NOTE not in mine[who] and OTHER_NOTE not in mine[who] and CODE not in mine[who]
    assert_valid_cards([posted, protokoll, *seen.values()])
