"""Print the main agenda and protokoll cards, built with sample data, as one JSON object {name: card}.

    python tools/sample_cards.py > build/cards.json
    node tools/render_cards.js build/cards.json build/cards/

No database or bot needed: the cards are built by the same functions the bot uses (bot/cards/agenda.py),
with invented people and a made-up case code; no real child data exists here.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.cards.agenda import (
    ActionView,
    AgendaView,
    CaseNotes,
    EntryView,
    ProtokollView,
    agenda_card,
    protokoll_card,
    setup_card,
)
from bot.i18n import Translator
from domain.agenda import load_templates

CODE = "SSPF-2026-014"
TEAM = [
    ("aad-1", "Rita Rektor (Skola)"),
    ("aad-2", "Sam Socialsekreterare (Socialtjänst)"),
    ("aad-3", "Per Polis (Polis)"),
    ("aad-4", "Fia Fritidsledare (Fritid)"),
]


def _view(template: str, step: int, **kw) -> AgendaView:
    tpl = load_templates()[template]
    base = {
        "run_id": "sample-run",
        "version": step + 1,
        "title": tpl.title,
        "case_code": CODE if template != "arbetsgrupp" else None,
        "steps": list(tpl.steps),
        "step_index": step,
        "ended": False,
        "user_ids": ["29:sample-user"],
        "team": TEAM,
    }
    base.update(kw)
    return AgendaView(**base)


def _actions(today: date) -> list[ActionView]:
    return [
        ActionView(
            "a1",
            "laxlasning",
            "Läxläsning tisdagar och torsdagar på fritidsgården",
            "fritid",
            "Fia Fritidsledare",
            (today + timedelta(days=21)).isoformat(),
            (today + timedelta(days=28)).isoformat(),
            "open",
            None,
            1,
        ),
        ActionView(
            "a2",
            "stod_vardnadshavare",
            "Stöd till vårdnadshavare",
            "socialtjanst",
            "Sam Socialsekreterare",
            (today + timedelta(days=14)).isoformat(),
            None,
            "in_progress",
            "Första samtalet är bokat.",
            2,
        ),
    ]


def sample_cards() -> dict[str, dict]:
    t = Translator("sv")
    today = date.today()
    entries = [
        EntryView("skola", "Rita Rektor", "Frånvaron har ökat till 30 %, men eleven trivs på slöjden."),
        EntryView("socialtjanst", "Sam Socialsekreterare", "Familjen har tackat ja till föräldrastöd."),
        EntryView("polis", "Per Polis", "Inga nya händelser sedan förra mötet.", mine=True),
    ]
    templates = [(key, tpl.title) for key, tpl in load_templates().items()]
    cards = {
        "agenda-setup": setup_card(t, templates, [("c1", CODE), ("c2", "SSPF-2026-015")]),
        "agenda-confirm": agenda_card(
            t, _view("individuell", 0, consent_agencies=["fritid", "polis", "skola"])
        ),
        "agenda-agency-text": agenda_card(t, _view("individuell", 1, entries=entries, viewer_agency="polis")),
        "agenda-stale-note": agenda_card(
            t,
            _view(
                "individuell",
                2,
                note=t("agenda.stale_not_saved"),
                kept={"entry": "Fritid: han har börjat på boxningen igen."},
            ),
        ),
        "agenda-individual-cases": agenda_card(
            t,
            _view(
                "arbetsgrupp",
                2,
                cases=[
                    CaseNotes(
                        "c1", CODE, [EntryView("polis", "Per Polis", "Bekymringssamtal hölls i veckan.")]
                    ),
                    CaseNotes("c2", "SSPF-2026-015", []),
                ],
            ),
        ),
        "agenda-review": agenda_card(
            t,
            _view(
                "uppfoljning",
                0,
                review_actions=_actions(today),
                errors={"comment_a1": t("action.comment_required")},
            ),
        ),
        "agenda-new-actions": agenda_card(
            t,
            _view(
                "individuell",
                3,
                new_actions=_actions(today)[:1],
                kept={"a_kind": "samtalskontakt", "a_text": "Samtal varannan vecka", "a_agency": "skola"},
                errors={
                    "a_responsible": t("action.responsible_required"),
                    "a_due_on": t("action.due_in_past"),
                },
                note=t("agenda.fix_errors"),
            ),
        ),
        "agenda-next-meeting": agenda_card(
            t,
            _view(
                "individuell",
                4,
                entries=[EntryView("", "Kim Koordinator", (today + timedelta(days=35)).isoformat())],
            ),
        ),
        "agenda-decision": agenda_card(
            t,
            _view(
                "uppfoljning",
                2,
                entries=[EntryView("", "Kim Koordinator", "fortsatta\nNy uppföljning om sex veckor.")],
            ),
        ),
        "agenda-ended": agenda_card(t, _view("individuell", 4, ended=True)),
        "protokoll": protokoll_card(
            t,
            ProtokollView(
                run_id="sample-run",
                title="Individuellt SSPF-möte",
                case_code=CODE,
                held_on=today.isoformat(),
                attendees=[
                    ("Kim Koordinator", ""),
                    ("Rita Rektor", "Skola"),
                    ("Sam Socialsekreterare", "Socialtjänst"),
                    ("Per Polis", "Polis"),
                ],
                sections=[
                    ("Syfte och samtycke bekräftat", ["Bekräftat av Kim Koordinator."]),
                    (
                        "Gemensam bild per verksamhet – styrkor och risker",
                        [f"{e.agency.capitalize()} – {e.author}: {e.text}" for e in entries],
                    ),
                    ("Barnets och vårdnadshavarnas bild", []),
                    ("Handlingsplan", ["Se handlingsplanen nedan."]),
                    (
                        "Uppföljning bokas",
                        [f"Kim Koordinator föreslår {(today + timedelta(days=35)).isoformat()}"],
                    ),
                ],
                actions=_actions(today),
                next_meeting=(today + timedelta(days=35)).isoformat(),
            ),
        ),
    }
    cards.update(_other_cards(t, today))
    return cards


def _other_cards(t: Translator, today: date) -> dict[str, dict]:
    """The cards issue 17 asks to look at besides the agenda: a reminder (its buttons must fit), the case
    card and the statistik card."""
    from bot.cards.cases import CaseView, case_card
    from bot.cards.figures import figures_card
    from bot.cards.reminders import reminder_card
    from bot.reminders.content import ActionView as DueAction
    from bot.reminders.content import ReminderItem
    from store.queries.figures import RawFigures

    items = [
        ReminderItem(
            f"r{i}",
            "due_soon",
            "c1",
            CODE,
            "reminder.due_soon",
            {"case_code": CODE, "due_on": a.due_on},
            action=DueAction(
                a.id,
                a.text,
                date.fromisoformat(a.due_on),
                a.status,
                a.comment,
                "aad-4",
                a.responsible,
                date.fromisoformat(a.follow_up_on) if a.follow_up_on else None,
            ),
        )
        for i, a in enumerate(_actions(today))
    ]
    case = CaseView(
        case_id="c1",
        code=CODE,
        status="open",
        track="individuell",
        initials="ZQ",
        birth_year=2013,
        school_area="Ekbackeskolan",
        signal_source="skola",
        signal_on=(today - timedelta(days=20)).isoformat(),
        concerns=["skolk", "droger"],
        members=[("Rita Rektor", "Skola", True), ("Per Polis", "Polis", False)],
        contacts=["Vårdnadshavare 1", "Vårdnadshavare 2"],
        consent_line=t("case_card.consent_withdrawn"),
        coordinator=True,
    )
    raw = RawFigures(
        cases_by_status={"open": 12, "paused": 1, "closed": 4},
        open_by_track={"individuell": 9, "youngsters": 2, "top5": 1},
        days_signal_to_first_meeting=[5, 9],
        actions_open=14,
        actions_overdue=2,
        actions_closed=2,
        actions_done_on_time=1,
        followups_booked=6,
        outcomes={},
    )
    return {
        "reminder": reminder_card(t, items, head="r0"),
        "case": case_card(t, case),
        "statistik": figures_card(t, raw, today),
    }


if __name__ == "__main__":
    json.dump(sample_cards(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
