"""The database schema: one class per table.

Everything about a child hangs off ``SspfCase`` and carries ``tenant_id`` so every query can be
scoped to the Teams tenant the activity came from. Guardians and the youth exist only here (table
``case_contact``), never in Teams messages. No column holds a personnummer; the case is known in
Teams by its pseudonymous ``code`` only.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


# --- Bot plumbing -------------------------------------------------------------------------------


class BotState(Base):
    """botbuilder ``Storage`` rows (dialog and conversation state), with an e-tag for concurrency."""

    __tablename__ = "bot_state"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    data: Mapped[dict[str, Any]]
    etag: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConversationRef(Base):
    """Where the bot can write proactively: one row per conversation (1:1, group chat, channel)."""

    __tablename__ = "conversation_ref"
    conversation_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    conversation_type: Mapped[str] = mapped_column(String(20))
    user_aad_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reference: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IdempotencyKey(Base):
    """Activities and card submissions already handled: a replay or a double click does nothing new."""

    __tablename__ = "idempotency_key"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    result: Mapped[dict[str, Any] | None]


class PendingReply(Base):
    """A reply the bot owes: written in the turn's own transaction, deleted once Teams took it.

    Replies are only sent after the turn committed. Without this row, a crash (or a connector that
    refuses) between the commit and the send lost the reply for good: Teams' re-send of the activity
    is dropped as a replay, so the confirmation and the team's notices never went out. The row is
    leased to the process that wrote it for a few seconds; once the lease ran out, Teams' re-send or
    any replica's sweep sends it, in ``seq`` order within its turn. The payload is the addressed
    activity as sent to the connector (it may hold a 1:1 card with case content, like every other row
    of this database) and lives only until it is delivered, or for a day at most.
    """

    __tablename__ = "pending_reply"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    turn_key: Mapped[str] = mapped_column(String(64), index=True)  # the turn it answers (hashed)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # send | update
    payload: Mapped[dict[str, Any]]
    lease_until: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Coordinator(Base):
    """Who may see every case of a tenant (configured per tenant)."""

    __tablename__ = "coordinator"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    aad_object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))


class CaseCounter(Base):
    """Next sequence number for case codes, per tenant and year (SSPF-2026-014)."""

    __tablename__ = "case_counter"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


# --- Cases and consent ---------------------------------------------------------------------------


class SspfCase(Base):
    __tablename__ = "sspf_case"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(32))
    initials: Mapped[str] = mapped_column(String(8))
    birth_year: Mapped[int] = mapped_column(Integer)
    school_area: Mapped[str] = mapped_column(String(200))
    signal_source: Mapped[str] = mapped_column(String(40))
    concerns: Mapped[list[Any]] = mapped_column(default=list)
    track: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open")
    closing_reason: Mapped[str | None] = mapped_column(String(40))
    signal_on: Mapped[date | None] = mapped_column(Date)
    # how many custodians (vårdnadshavare) the child has, recorded by the coordinator; None: not asked yet
    custodians: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]

    members: Mapped[list[CaseMember]] = relationship(back_populates="case", cascade="all, delete-orphan")
    contacts: Mapped[list[CaseContact]] = relationship(back_populates="case", cascade="all, delete-orphan")
    consents: Mapped[list[Consent]] = relationship(back_populates="case", cascade="all, delete-orphan")


class CaseMember(Base):
    """A professional on the case's team (a Teams user), per agency."""

    __tablename__ = "case_member"
    __table_args__ = (UniqueConstraint("case_id", "aad_object_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("sspf_case.id", ondelete="CASCADE"), index=True)
    aad_object_id: Mapped[str] = mapped_column(String(64), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    agency: Mapped[str] = mapped_column(String(20))
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    case: Mapped[SspfCase] = relationship(back_populates="members")


class CaseContact(Base):
    """Guardians and the youth: external people, kept in the database only, never posted in Teams."""

    __tablename__ = "case_contact"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("sspf_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # guardian | youth
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    case: Mapped[SspfCase] = relationship(back_populates="contacts")


class Consent(Base):
    """A written consent (a guardian's, or the young person's own: ``guardian_id`` is the signer's
    contact) to lift secrecy between the named parties: ``agencies`` and ``parties``, the named others
    as ``[{"kind": "region"|"forening"|"anhorig"|"annan", "name": ..., "role": ...}]``."""

    __tablename__ = "consent"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("sspf_case.id", ondelete="CASCADE"), index=True)
    guardian_id: Mapped[str] = mapped_column(ForeignKey("case_contact.id", ondelete="CASCADE"))
    signed_on: Mapped[date] = mapped_column(Date)
    agencies: Mapped[list[Any]]
    parties: Mapped[list[Any]] = mapped_column(default=list)
    filed_at: Mapped[str] = mapped_column(String(300))
    valid_until: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None]
    case: Mapped[SspfCase] = relationship(back_populates="consents")


class AuditEvent(Base):
    """Who read or wrote what about which case, from where. Append-only for the application."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_case_at", "case_id", "at"),)
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_aad_id: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))  # read | create | update | delete | denied
    verb: Mapped[str | None] = mapped_column(String(80))
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    detail: Mapped[dict[str, Any] | None]


# --- Meetings ------------------------------------------------------------------------------------


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("tenant_id", "idempotency_key"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("sspf_case.id", ondelete="CASCADE"), index=True)
    # individuell | uppfoljning | arbetsgrupp | styrgrupp | urval
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    recurrence: Mapped[dict[str, Any] | None]
    organizer_aad_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # pending -> booked; booked -> cancel_pending (consent withdrawn) -> cancelled; failed
    backend: Mapped[str] = mapped_column(String(10))  # graph | local
    idempotency_key: Mapped[str] = mapped_column(String(200))
    transaction_id: Mapped[str] = mapped_column(String(64))
    graph_event_id: Mapped[str | None] = mapped_column(String(400))
    join_url: Mapped[str | None] = mapped_column(Text)
    ical_uid: Mapped[str | None] = mapped_column(String(400))
    chat_id: Mapped[str | None] = mapped_column(String(400), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    participants: Mapped[list[MeetingParticipant]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )


class MeetingParticipant(Base):
    __tablename__ = "meeting_participant"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    aad_object_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str | None] = mapped_column(String(20))
    external: Mapped[bool] = mapped_column(default=False)
    response: Mapped[str] = mapped_column(String(30), default="none")
    meeting: Mapped[Meeting] = relationship(back_populates="participants")


# --- Running the meeting -------------------------------------------------------------------------


class AgendaRun(Base):
    """The agenda being walked through in a meeting chat; ``version`` guards against stale cards.

    At most one run per chat is ``running`` (a partial unique index), so two starts at once, or a
    meetingStart event racing a typed ``starta mötet``, can never create two runs.
    """

    __tablename__ = "agenda_run"
    __table_args__ = (
        Index(
            "uq_agenda_run_one_running",
            "tenant_id",
            "conversation_id",
            unique=True,
            postgresql_where=sql_text("state = 'running'"),
            sqlite_where=sql_text("state = 'running'"),
        ),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    meeting_id: Mapped[str | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("sspf_case.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(400), index=True)
    template_key: Mapped[str] = mapped_column(String(40))
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="running")  # running | ended
    card_activity_id: Mapped[str | None] = mapped_column(String(400))
    chair_aad_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class StepEntry(Base):
    """One participant's input for one agenda step (e.g. the police's lägesbild)."""

    __tablename__ = "step_entry"
    __table_args__ = (UniqueConstraint("run_id", "step_key", "agency", "author_aad_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("agenda_run.id", ondelete="CASCADE"), index=True)
    step_key: Mapped[str] = mapped_column(String(60))
    agency: Mapped[str] = mapped_column(String(20))
    author_aad_id: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AgendaAttendee(Base):
    """Someone who took part through the agenda card: the protokoll's attendee list, and the Teams
    user ids (``29:…``) the card's ``refresh.userIds`` needs so their view refreshes by itself."""

    __tablename__ = "agenda_attendee"
    __table_args__ = (UniqueConstraint("run_id", "aad_object_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("agenda_run.id", ondelete="CASCADE"), index=True)
    aad_object_id: Mapped[str] = mapped_column(String(64))
    teams_user_id: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str | None] = mapped_column(String(20))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionItem(Base):
    """One line of the handlingsplan: who does what by when, followed up until closed."""

    __tablename__ = "action_item"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("sspf_case.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("agenda_run.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    agency: Mapped[str] = mapped_column(String(20))
    responsible_aad_id: Mapped[str] = mapped_column(String(64), index=True)
    responsible_name: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    status_comment: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]  # when it became klar / ej genomförd (on-time figures)
    version: Mapped[int] = mapped_column(Integer, default=1)


# --- Follow-up -----------------------------------------------------------------------------------


class Reminder(Base):
    """A reminder to send, claimed by one dispatcher at a time so no replica sends it twice."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key"),
        Index("ix_reminder_due", "state", "due_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(300))
    case_id: Mapped[str | None] = mapped_column(ForeignKey("sspf_case.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[str | None] = mapped_column(String(32), index=True)
    recipient_aad_id: Mapped[str] = mapped_column(String(64), index=True)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="pending")
    # pending | claimed | sent | cancelled | undeliverable
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutcomeTally(Base):
    """How many closed cases had each answer to each outcome question (``domain.outcomes``), per tenant.

    Counts only, on purpose: no case id, no date finer than the year the cases closed. The answers about
    a child are never stored with the child; the steering group's figures need nothing more.
    """

    __tablename__ = "outcome_tally"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40), primary_key=True)
    answer: Mapped[str] = mapped_column(String(40), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer, default=0)
