"""The record of a meeting: the protokoll (what the card in the chat shows) and the handlingsplan as a
Word document the coordinator files in the case system.

Both carry the case CODE only: the child's initials, name or guardians are never read here.
Delivery: in local mode the file is written under ``var/`` (beside the local calendar) and the
coordinator is told where, in their personal chat. Sending the file itself through Teams (the
file-consent upload flow) is not built yet; in authenticated mode the coordinator is told so.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.schema import Activity, Attachment
from docx import Document
from docx.shared import Pt
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards.agenda import DECISIONS, ActionView, ProtokollView, agency_label
from bot.files import consent_attachment, info_attachment, upload
from bot.i18n import Translator
from bot.proactive import send_to_user, text_message
from bot.turn import Turn
from domain.actions import ActionStatus
from domain.agenda import StepKind, get_template
from store.models import AgendaRun
from store.queries import actions as action_q
from store.queries import agenda as q
from store.queries.access import find_case

log = logging.getLogger(__name__)
FILE_VERB = "agenda.document_upload"  # the consent card's accept context routes here


def _status(t: Translator, status: str) -> str:
    return t(f"action_status.{status}") if status in ActionStatus._value2member_map_ else status


def _action_view(item) -> ActionView:
    return ActionView(
        id=item.id,
        kind=item.kind,
        text=item.text,
        agency=item.agency,
        responsible=item.responsible_name,
        due_on=item.due_on.isoformat(),
        follow_up_on=item.follow_up_on.isoformat() if item.follow_up_on else None,
        status=item.status,
        comment=item.status_comment,
        version=item.version,
    )


async def protokoll_view(
    session: AsyncSession, t: Translator, run: AgendaRun, *, tz: ZoneInfo
) -> ProtokollView:
    template = get_template(run.template_key)
    case = await find_case(session, run.tenant_id, case_id=run.case_id) if run.case_id else None
    entries = await q.entries_of_run(session, run.id)
    attendees = await q.attendees_of_run(session, run.id)
    codes = {
        c.id: c.code
        for c in await q.consented_cases(session, run.tenant_id, run.started_at.date(), limit=500)
    }
    sections: list[tuple[str, list[str]]] = []
    decision = next_meeting = None
    for step in template.steps:
        mine = [e for e in entries if e.step_key == step.key]
        lines: list[str] = []
        if step.kind in (StepKind.AGENCY_TEXT, StepKind.FREE_TEXT):
            lines = [f"{agency_label(t, e.agency)} – {e.author_name}: {e.text}" for e in mine]
        elif step.kind is StepKind.INDIVIDUAL_CASES:
            for e in entries:
                if e.step_key.startswith(step.key + "#"):
                    case_id = e.step_key.split("#", 1)[1]
                    code = codes.get(case_id) or t("agenda.case_without_consent_now")
                    lines.append(f"{code}: {agency_label(t, e.agency)} – {e.author_name}: {e.text}")
        elif step.kind is StepKind.ACTION_REVIEW:
            for item in await action_q.actions_to_review(session, run, limit=200):
                line = t("agenda.review_line", text=item.text, status=_status(t, item.status))
                if item.status_comment:
                    line += f" ({item.status_comment})"
                lines.append(line)
        elif step.kind is StepKind.NEW_ACTIONS:
            lines = [t("agenda.see_action_plan")]
        elif step.kind is StepKind.NEXT_MEETING:
            lines = [t("agenda.proposal_line", author=e.author_name, date=e.text) for e in mine]
            chair = [e for e in mine if e.author_aad_id == run.chair_aad_id] or mine
            next_meeting = chair[-1].text if chair else None
        elif step.kind is StepKind.DECISION:
            for e in mine:
                choice, _, comment = e.text.partition("\n")
                label = t(f"agenda.decision.{choice}") if choice in DECISIONS else choice
                lines.append(
                    t("agenda.decision_line", author=e.author_name, decision=label)
                    + (f" – {comment}" if comment else "")
                )
                decision = label
        else:
            lines = [t("agenda.confirmed_by", author=e.author_name) for e in mine]
        sections.append((step.title, lines))
    actions = [_action_view(a) for a in await action_q.actions_of_run(session, run.id)]
    return ProtokollView(
        run_id=run.id,
        title=template.title,
        case_code=case.code if case else None,
        held_on=run.started_at.astimezone(tz).date().isoformat(),
        attendees=[(a.display_name, agency_label(t, a.agency)) for a in attendees],
        sections=sections,
        actions=actions,
        decision=decision,
        next_meeting=next_meeting,
    )


def handlingsplan_docx(t: Translator, view: ProtokollView) -> bytes:
    """A plain Swedish Word document: meeting facts, the action plan as a table, then the notes."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    doc.add_heading(t("agenda.doc_title"), level=0)
    case = view.case_code or t("agenda.no_case")
    doc.add_paragraph(t("agenda.doc_facts", case=case, title=view.title, date=view.held_on))
    doc.add_heading(t("agenda.action_plan"), level=1)
    if view.actions:
        headers = [
            t(k)
            for k in (
                "agenda.doc_col_what",
                "agenda.doc_col_agency",
                "agenda.doc_col_responsible",
                "agenda.doc_col_due",
                "agenda.doc_col_follow_up",
                "agenda.doc_col_status",
            )
        ]
        table = doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, headers, strict=True):
            cell.text = title
        for a in view.actions:
            row = table.add_row().cells
            values = [
                a.text,
                agency_label(t, a.agency),
                a.responsible,
                a.due_on,
                a.follow_up_on or "–",
                _status(t, a.status),
            ]
            for cell, value in zip(row, values, strict=True):
                cell.text = value
    else:
        doc.add_paragraph(t("agenda.no_new_actions"))
    if view.decision:
        doc.add_paragraph(t("agenda.protokoll_decision", decision=view.decision))
    if view.next_meeting:
        doc.add_paragraph(t("agenda.protokoll_next", date=view.next_meeting))
    doc.add_heading(t("agenda.attendees"), level=1)
    for name, agency in view.attendees:
        doc.add_paragraph(f"{name} ({agency})" if agency else name, style="List Bullet")
    doc.add_heading(t("agenda.doc_notes"), level=1)
    for title, lines in view.sections:
        doc.add_heading(title, level=2)
        for line in lines or [t("agenda.section_empty")]:
            doc.add_paragraph(line)
    doc.add_paragraph(t("agenda.protokoll_privacy"))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def documents_dir(turn: Turn) -> Path:
    """``var/handlingsplaner`` next to the local calendar's ``var/ics`` (tests: their temp folder)."""
    return Path(turn.services.settings.ics_dir).resolve().parent / "handlingsplaner"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _filename(view: ProtokollView) -> str:
    code = re.sub(r"[^A-Za-z0-9-]", "", view.case_code or "arbetsgrupp")
    return f"Handlingsplan-{code}-{view.held_on}-{view.run_id[:6]}.docx"


async def deliver_document(turn: Turn, run: AgendaRun) -> None:
    """Make the handlingsplan for the coordinator: in Teams, as a file they accept into their OneDrive
    (``bot/files.py``); in local mode (no tenant, no OneDrive), written to disk with the path said."""
    view = await protokoll_view(turn.session, turn.t, run, tz=turn.services.settings.tz)
    turn.audit("handlingsplan", "read", case_id=run.case_id, run_id=run.id, document=True)
    data = handlingsplan_docx(turn.t, view)
    if turn.services.settings.documents == "teams":
        context = {"verb": FILE_VERB, "run_id": run.id, "requested_by": turn.user_id}
        attachment = consent_attachment(
            _filename(view),
            turn.t("agenda.document_consent", code=view.case_code or turn.t("agenda.no_case")),
            len(data),
            context,
        )
        message = Activity(type="message", attachments=[Attachment().deserialize(attachment)])
    else:
        path = documents_dir(turn) / _filename(view)
        await asyncio.to_thread(_write, path, data)
        message = text_message(
            turn.t(
                "agenda.document_saved_local", code=view.case_code or turn.t("agenda.no_case"), path=str(path)
            )
        )
    _to_personal_chat(turn, message)


def _to_personal_chat(turn: Turn, message: Activity) -> None:
    """Documents go to the coordinator's 1:1 chat only, never into the meeting's group chat."""
    if turn.is_personal:
        turn.later(lambda: turn.context.send_activity(message))
        return
    services, tenant, user = turn.services, turn.tenant_id, turn.user_id

    async def tell() -> None:
        async with services.db.transaction() as session:
            delivery = await send_to_user(services, session, tenant, user, message)
        if not delivery.sent:
            log.warning("handlingsplan not delivered: %s", delivery.status)

    turn.later(tell)
    turn.say("agenda.document_sent_personal")


async def upload_document(turn: Turn, run: AgendaRun, upload_info: dict[str, Any]) -> None:
    """The coordinator said yes on the consent card: produce the document again and upload it."""
    view = await protokoll_view(turn.session, turn.t, run, tz=turn.services.settings.tz)
    turn.audit("handlingsplan", "read", case_id=run.case_id, run_id=run.id, document=True, uploaded=True)
    data = handlingsplan_docx(turn.t, view)
    http = turn.services.connector.session

    async def send() -> None:
        await upload(http, str(upload_info["uploadUrl"]), data)
        info = Activity(type="message", attachments=[Attachment().deserialize(info_attachment(upload_info))])
        await turn.context.send_activity(info)

    turn.later(send)
