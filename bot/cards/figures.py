"""The steering group's figures as a card: counts and shares, small numbers suppressed, no names."""

from __future__ import annotations

from datetime import date

from bot.cards.elements import Element, card, facts, heading, text
from bot.i18n import Translator
from domain.agencies import CaseStatus, Track
from domain.figures import Figure, count, median_days, share
from domain.outcomes import SCALES, Indicator
from store.queries.figures import RawFigures


def _show(t: Translator, figure: Figure, unit: str = "", *, suppressed: str = "figures.suppressed") -> str:
    """A count under 3 reads "färre än 3"; a median or share over too few is "–" with what was too few
    ("– (färre än 3 ärenden)"), never "färre än 3" next to a unit, which reads as under 3 days or 3 %."""
    if figure.suppressed:
        return t(suppressed)
    if figure.value is None:
        return "–"
    return f"{figure.value:g}{unit}"


def figures_card(t: Translator, raw: RawFigures, today: date) -> Element:
    body: list[Element] = heading(t("figures.title"), subtle=t("figures.subtitle", date=today.isoformat()))
    body.append(text(t("figures.cases"), weight="Bolder", spacing="Medium"))
    body.append(
        facts(
            [
                (t(f"case_status.{s.value}"), _show(t, count(raw.cases_by_status.get(s.value, 0))))
                for s in CaseStatus
            ]
        )
    )
    body.append(text(t("figures.open_by_track"), weight="Bolder", spacing="Medium"))
    body.append(
        facts([(t(f"track.{tr.value}"), _show(t, count(raw.open_by_track.get(tr.value, 0)))) for tr in Track])
    )
    body.append(text(t("figures.process"), weight="Bolder", spacing="Medium"))
    body.append(
        facts(
            [
                (
                    t("figures.days_to_first_meeting"),
                    _show(
                        t,
                        median_days(raw.days_signal_to_first_meeting),
                        suppressed="figures.suppressed_median",
                    ),
                ),
                (t("figures.actions_open"), _show(t, count(raw.actions_open))),
                (t("figures.actions_overdue"), _show(t, count(raw.actions_overdue))),
                (t("figures.actions_closed"), _show(t, count(raw.actions_closed))),
                (
                    t("figures.done_on_time"),
                    _show(
                        t,
                        share(raw.actions_done_on_time, raw.actions_closed),
                        " %",
                        suppressed="figures.suppressed_share_actions",
                    ),
                ),
                (t("figures.followups_booked"), _show(t, count(raw.followups_booked))),
            ]
        )
    )
    body.append(text(t("figures.outcomes"), weight="Bolder", spacing="Medium"))
    body.append(facts([(t(f"outcome.{i.value}.good"), _outcome(t, raw, i)) for i in SCALES]))
    body.append(text(t("figures.outcomes_note"), isSubtle=True, size="Small", spacing="None"))
    body.append(text(t("figures.note"), isSubtle=True, size="Small", spacing="Medium"))
    return card(body)


def _outcome(t: Translator, raw: RawFigures, indicator: Indicator) -> str:
    """The share of closed cases that met the goal, out of those where the question was answered."""
    answers = raw.outcomes.get(indicator.value, {})
    answered = sum(answers.values())
    good = answers.get(SCALES[indicator].good, 0)
    shown = share(good, answered)
    if shown.value is None:
        return _show(t, shown, suppressed="figures.suppressed_share_answers")
    return t("figures.outcome_share", share=_show(t, shown, " %"), base=answered)
