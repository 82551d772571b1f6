"""The record of a meeting: the protokoll and the handlingsplan as a Word document the coordinator files
in the case system.

The protokoll exists twice: a neutral copy posted in the meeting chat (``neutral_protokoll_view``: type,
case code, day, agencies, nothing about the child, since the chat keeps it for every member), and the
content (``protokoll_view``) shown only in an entitled person's own view (``bot.dialogs.agenda``) and in
the coordinator's document.

Both carry the case CODE only: the child's initials, name or guardians are never read here.
Delivery: in local mode the file is written under ``var/`` (beside the local calendar) and the
coordinator is told where, in their personal chat; in Teams, a file consent card (``bot/files.py``).

The consent card's context comes back in the accept invoke, and whoever sends that invoke can write it.
So the context carries a MAC (HMAC-SHA256 with a server secret) over the run, the tenant, the user the
card was sent to and when: on accept, it is checked against the *turn's* tenant and user, never against
a requester named in the invoke. The secret is ``SSPF_FILE_CONSENT_SECRET``, else derived from the bot's
app password; with neither (local mode, managed identity) a per-process key, so a card must then be
accepted on the replica that sent it (set the secret when running several).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import logging
import re
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.schema import Activity, Attachment
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards.agenda import DECISIONS, ActionView, ProtokollView, agency_label
from bot.cards.elements import action_text
from bot.config import Settings
from bot.files import consent_attachment, info_attachment, upload, upload_url_allowed
from bot.i18n import Translator
from bot.proactive import send_to_user, text_message
from bot.turn import Turn
from domain.actions import ActionStatus
from domain.agenda import StepKind, get_template
from domain.refusal import Refusal
from store.models import AgendaRun
from store.queries import actions as action_q
from store.queries import agenda as q
from store.queries.access import find_case

log = logging.getLogger(__name__)
FILE_VERB = "agenda.document_upload"  # the consent card's accept context routes here
CONSENT_TTL_S = 7 * 24 * 3600  # a consent card older than this is asked again
_PROCESS_KEY = secrets.token_bytes(32)
_warned: list[bool] = []


def _consent_key(settings: Settings) -> bytes:
    secret = settings.file_consent_secret or settings.app_password
    if not secret:
        if not settings.local_mode and not _warned:
            _warned.append(True)
            log.warning("no SSPF_FILE_CONSENT_SECRET: file consent cards are valid on this replica only")
        return _PROCESS_KEY
    return hashlib.sha256(b"sspf/file-consent/v1\0" + secret.encode("utf-8")).digest()


def _mac(settings: Settings, tenant_id: str, user_id: str, run_id: str, issued: int) -> str:
    message = json.dumps([FILE_VERB, tenant_id, user_id, run_id, issued], separators=(",", ":"))
    return hmac.new(_consent_key(settings), message.encode("utf-8"), hashlib.sha256).hexdigest()


def consent_context(settings: Settings, *, tenant_id: str, user_id: str, run_id: str) -> dict[str, Any]:
    """What the consent card carries (and Teams hands back): the run, when, and the MAC binding both
    to the tenant and the user the card is for. No requester field: the accept's own user is checked."""
    issued = int(time.time())
    return {
        "verb": FILE_VERB,
        "run_id": run_id,
        "issued": issued,
        "sig": _mac(settings, tenant_id, user_id, run_id, issued),
    }


def consent_context_refusal(
    settings: Settings, context: Mapping[str, Any], *, tenant_id: str, user_id: str, now: float | None = None
) -> Refusal | None:
    """None when this accept comes from the user the card was sent to (same tenant) and is recent."""
    run_id, issued, sig = context.get("run_id"), context.get("issued"), context.get("sig")
    if not isinstance(run_id, str) or not isinstance(issued, int) or not isinstance(sig, str):
        return Refusal("agenda.document_not_yours")
    expected = _mac(settings, tenant_id, user_id, run_id, issued)
    if not hmac.compare_digest(expected, sig):
        return Refusal("agenda.document_not_yours")
    age = (time.time() if now is None else now) - issued
    if age > CONSENT_TTL_S or age < -300:
        return Refusal("agenda.document_expired")
    return None


def _status(t: Translator, status: str) -> str:
    return t(f"action_status.{status}") if status in ActionStatus._value2member_map_ else status


async def neutral_protokoll_view(
    session: AsyncSession, t: Translator, run: AgendaRun, *, tz: ZoneInfo, withheld: str | None = None
) -> ProtokollView:
    """The copy posted in the meeting chat, which every member of the chat keeps (issue 12 §3): the
    meeting type, the case code, the day and which agencies took part. No notes, no action texts, no
    names, no decision: those are in each entitled person's own view and in the coordinator's document."""
    template = get_template(run.template_key)
    case = await find_case(session, run.tenant_id, case_id=run.case_id) if run.case_id else None
    attendees = await q.attendees_of_run(session, run.id)
    agencies = sorted({a.agency for a in attendees if a.agency})
    return ProtokollView(
        run_id=run.id,
        title=template.title,
        case_code=case.code if case else None,
        held_on=run.started_at.astimezone(tz).date().isoformat(),
        attendees=[],
        sections=[],
        actions=[],
        neutral=True,
        agencies=agencies,
        withheld=withheld,
        user_ids=[a.teams_user_id for a in attendees],
    )


async def protokoll_view(
    session: AsyncSession,
    t: Translator,
    run: AgendaRun,
    *,
    tz: ZoneInfo,
    allowed_cases: set[str] | None = None,
) -> ProtokollView:
    """The record of the meeting with its content: for the coordinator's document (``allowed_cases``
    None: everything), or for one viewer's own view, where only the cases in ``allowed_cases`` are shown
    (a group meeting's individnivå notes on other cases are left out and the view says so). The caller
    decides who sees this at all; ``shown_case_ids`` says what it holds, for the audit row."""
    template = get_template(run.template_key)
    case = await find_case(session, run.tenant_id, case_id=run.case_id) if run.case_id else None
    entries = await q.entries_of_run(session, run.id)
    attendees = await q.attendees_of_run(session, run.id)
    shown: list[str | None] = []
    left_out = False
    noted = {e.step_key.split("#", 1)[1] for e in entries if "#" in e.step_key}
    codes = await q.consented_codes(session, run.tenant_id, noted, run.started_at.date())
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
                    if allowed_cases is not None and case_id not in allowed_cases:
                        left_out = True
                        continue
                    code = codes.get(case_id) or t("agenda.case_without_consent_now")
                    lines.append(f"{code}: {agency_label(t, e.agency)} – {e.author_name}: {e.text}")
                    if case_id not in shown:
                        shown.append(case_id)
        elif step.kind is StepKind.ACTION_REVIEW:
            for item in await action_q.actions_to_review(session, run, limit=200):
                line = t(
                    "agenda.review_line",
                    text=action_text(t, item.text, item.kind),
                    status=_status(t, item.status),
                )
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
            if not lines and step.must_confirm:  # ended early: say so, never "Inget antecknat"
                lines = [t("agenda.not_confirmed")]
        sections.append((step.title, lines))
    actions = [ActionView.of(a) for a in await action_q.actions_of_run(session, run.id)]
    if run.case_id:
        shown.insert(0, run.case_id)
    elif any(lines for title, lines in sections) or actions:
        shown.insert(0, None)  # a group meeting's general notes
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
        note=t("agenda.protokoll_cases_left_out") if left_out else None,
        user_ids=[a.teams_user_id for a in attendees],
        shown_case_ids=shown,
    )


def _field(paragraph: Any, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) Word fills in when it shows or prints the page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text_el = OxmlElement("w:t")
    text_el.text = "1"
    run.append(text_el)
    field.append(run)
    paragraph._p.append(field)


def _mark_every_page(t: Translator, doc: Any) -> None:
    """The secrecy marking in the header and footer of every page, and "Sida 1 av 3" in the footer: a
    printed page or a page forwarded on its own still says what it is."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for section in doc.sections:
        header = section.header.paragraphs[0]
        header.text = t("agenda.doc_marking")
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run(t("agenda.doc_marking") + " · " + t("agenda.doc_page") + " ")
        _field(footer, "PAGE")
        footer.add_run(" " + t("agenda.doc_page_of") + " ")
        _field(footer, "NUMPAGES")


def _set_properties(t: Translator, doc: Any, view: ProtokollView, case: str) -> None:
    """The file's own metadata says who made it and when, never python-docx's template (author
    "python-docx", created 2013); the title names the case code and the day only, no personal data."""
    props = doc.core_properties
    now = datetime.now(UTC).replace(microsecond=0)
    props.author = props.last_modified_by = t("agenda.doc_author")
    props.created = props.modified = now
    props.title = t("agenda.doc_properties_title", case=case, date=view.held_on)
    props.comments = props.subject = props.keywords = props.category = ""
    props.revision = 1


def handlingsplan_docx(t: Translator, view: ProtokollView) -> bytes:
    """A plain Swedish Word document: meeting facts, the action plan as a table, then the notes; the
    secrecy marking and page numbers on every page, and metadata of its own."""
    # python-docx (and lxml) only when a document is made, not at start-up (issue 16)
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    case = view.case_code or t("agenda.no_case")
    _set_properties(t, doc, view, case)
    _mark_every_page(t, doc)
    doc.add_heading(t("agenda.doc_title"), level=0)
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
                action_text(t, a.text, a.kind),
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
    # The handlingsplan step's line points at the plan; in this document the plan is above the notes.
    below, above = t("agenda.see_action_plan"), t("agenda.doc_see_action_plan")
    for title, lines in view.sections:
        doc.add_heading(title, level=2)
        for line in lines or [t("agenda.section_empty")]:
            doc.add_paragraph(above if line == below else line)
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
        context = consent_context(
            turn.services.settings, tenant_id=turn.tenant_id, user_id=turn.user_id, run_id=run.id
        )
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
    """The coordinator said yes on the consent card: produce the document again and upload it.
    The caller has checked who accepted; the URL is checked here again, where it is used."""
    upload_url = str(upload_info.get("uploadUrl") or "")
    if not upload_url_allowed(upload_url, turn.services.settings):
        turn.audit("handlingsplan", "denied", case_id=run.case_id, run_id=run.id, reason="upload_host")
        turn.say("agenda.document_upload_refused")
        return
    view = await protokoll_view(turn.session, turn.t, run, tz=turn.services.settings.tz)
    turn.audit("handlingsplan", "read", case_id=run.case_id, run_id=run.id, document=True, uploaded=True)
    data = handlingsplan_docx(turn.t, view)
    http = turn.services.connector.session

    async def send() -> None:
        await upload(http, upload_url, data)
        info = Activity(type="message", attachments=[Attachment().deserialize(info_attachment(upload_info))])
        await turn.context.send_activity(info)

    turn.later(send)
