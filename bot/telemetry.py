"""OpenTelemetry traces and metrics, exported to Azure Monitor (Application Insights) when
``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set; without it nothing is set up and every call here is
one attribute check (near-zero overhead, no exporter, no thread).

What is measured (all without case content):

| name | kind | attributes |
|---|---|---|
| ``sspf.turn.duration`` | histogram, s | ``activity.type``, ``http.response.status_code`` |
| ``sspf.graph.requests`` | counter | ``http.request.method``, status code, ``url.template`` |
| ``sspf.graph.errors`` | counter | as above (status ≥ 400, or no answer) |
| ``sspf.reminders`` | counter | ``outcome``: sent, retry, undeliverable, stale |
| ``sspf.connector.throttled`` | counter | (429 answers of the Bot Connector, all sends) |
| ``sspf.reminders.queue_age`` | gauge, s | age of the oldest due, unsent reminder (0: none) |
| ``sspf.replies.queue_age`` | gauge, s | age of the oldest reply still owed (``pending_reply``) |

Traces: a span per turn (``POST /api/messages``), per background job, and Microsoft Graph's own spans
(the Graph SDK, kiota, makes them: URL templates, never ids or full URLs). Every span goes through
:class:`SafeSpanExporter`, which keeps only allow-listed attribute keys, drops exception messages and
status descriptions (they can quote data) and any value shaped like a personnummer.

The exporter is ``azure-monitor-opentelemetry-exporter`` on the plain OpenTelemetry SDK (the optional
extra ``azure``), not the ``azure-monitor-opentelemetry`` distro: the distro pins exact OpenTelemetry
versions (it would downgrade the SDK msgraph already brings) and pulls Django/Flask/FastAPI/psycopg2
instrumentations this bot has no use for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import metrics, trace

from bot.config import ConfigError
from bot.lifecycle import SHUTDOWN_HOOKS, STARTUP_HOOKS
from domain.personnummer import contains_personnummer

log = logging.getLogger(__name__)

CONNECTION_STRING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
SERVICE_NAME = "sspf-bot"
QUEUE_SAMPLE_S = 30.0
ACTIVITY_TYPES = frozenset(
    {"message", "invoke", "conversationUpdate", "event", "installationUpdate", "messageReaction"}
)
REMINDER_OUTCOMES = ("sent", "retry", "undeliverable", "stale")
KIOTA_SCOPE = "com.microsoft.com:microsoft-kiota-http-httpx"  # kiota_http ObservabilityOptions

# Span attribute keys that may leave the process (everything else is dropped on export).
ALLOWED_KEYS = frozenset(
    {
        "activity.type",
        "sspf.job",
        "sspf.correlation_id",
        "http.request.method",
        "http.response.status_code",
        "http.status_code",
        "http.method",
        "http.retry_count",
        "http.request.body.size",
        "http.response.body.size",
        "http.request.resend_count",
        "url.template",
        "url.uri_template",
        "url.scheme",
        "server.address",
        "server.port",
        "network.protocol.name",
        "network.protocol.version",
        "error.type",
        "exception.type",
        "com.microsoft.kiota.handler.retry.enable",
        "status",
    }
)


class _State:
    enabled = False
    tracer: trace.Tracer = trace.NoOpTracer()
    turn_duration: Any = None
    graph_requests: Any = None
    graph_errors: Any = None
    reminders: Any = None
    throttled: Any = None
    queue_age: dict[str, float] = {"reminders": 0.0, "replies": 0.0}
    providers: tuple[Any, Any] | None = None


STATE = _State()


def enabled() -> bool:
    return STATE.enabled


# --- what the rest of the bot calls ---------------------------------------------------------------------


@contextlib.contextmanager
def span(name: str, **attributes: Any) -> Iterator[Any]:
    """A span around a turn or a job (a no-op without telemetry). Attributes must be ids or counts."""
    if not STATE.enabled:
        yield None
        return
    with STATE.tracer.start_as_current_span(name, attributes=attributes) as current:
        yield current


def record_turn(activity_type: str | None, status: int, seconds: float) -> None:
    if STATE.enabled:
        kind = activity_type if activity_type in ACTIVITY_TYPES else "other"
        STATE.turn_duration.record(seconds, {"activity.type": kind, "http.response.status_code": status})


def record_reminder_run(report: Any) -> None:
    """Counts from a dispatcher run's ``RunReport``."""
    if not STATE.enabled:
        return
    for outcome, value in (
        ("sent", report.items_sent),
        ("retry", report.failed),
        ("undeliverable", report.undeliverable),
        ("stale", report.stale),
    ):
        if value:
            STATE.reminders.add(value, {"outcome": outcome})


def connector_throttled() -> None:
    if STATE.enabled:
        STATE.throttled.add(1)


# --- Graph calls, from the Graph SDK's own spans ---------------------------------------------------------


class GraphSpanMetrics:
    """A span processor that counts Microsoft Graph requests and errors from kiota's request spans
    (``send_async - {+baseurl}/users/{user%2Did}/events`` and the like: the parent span of each call)."""

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        pass

    def on_end(self, span: Any) -> None:
        if not STATE.enabled:
            return
        scope = getattr(span, "instrumentation_scope", None)
        if scope is None or scope.name != KIOTA_SCOPE:
            return
        if not span.name.startswith("send_") or " - " not in span.name:
            return
        attrs = span.attributes or {}
        status = attrs.get("http.response.status_code")
        labels = {
            "http.request.method": str(attrs.get("http.request.method", "")),
            "http.response.status_code": int(status) if status is not None else 0,
            "url.template": str(attrs.get("url.uri_template", "")),
        }
        STATE.graph_requests.add(1, labels)
        error = span.status.status_code == trace.StatusCode.ERROR
        if status is None or int(status) >= 400 or error:
            STATE.graph_errors.add(1, labels)

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


# --- the exporter guard ------------------------------------------------------------------------------


def _clean_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    clean = {}
    for key, value in (attributes or {}).items():
        if key not in ALLOWED_KEYS:
            continue
        if isinstance(value, str) and contains_personnummer(value):
            continue
        clean[key] = value
    return clean


class SafeSpanExporter:
    """Wraps a span exporter: each span leaves with allow-listed attributes only, events reduced to
    their name and ``exception.type``, the status without its description, links without attributes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    @staticmethod
    def clean(span: Any) -> Any:
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.trace import Link, Status

        events = [Event(e.name, _clean_attributes(e.attributes), e.timestamp) for e in span.events]
        links = [Link(link.context) for link in span.links]
        return ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=_clean_attributes(span.attributes),
            events=events,
            links=links,
            kind=span.kind,
            status=Status(span.status.status_code),
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def export(self, spans: Sequence[Any]) -> Any:
        return self.inner.export([self.clean(s) for s in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        flush = getattr(self.inner, "force_flush", None)
        return flush(timeout_millis) if flush else True


# --- set-up --------------------------------------------------------------------------------------------


def install(tracer_provider: Any, meter_provider: Any, *, set_global: bool = False) -> None:
    """Use these providers (the SDK's) from now on. ``set_global`` also makes them OpenTelemetry's global
    providers, which the Graph SDK's spans use (only once per process: production start)."""
    from opentelemetry.sdk.trace import SpanProcessor

    class _GraphSpanMetrics(GraphSpanMetrics, SpanProcessor):  # the SDK's base: hooks it may add later
        pass

    tracer_provider.add_span_processor(_GraphSpanMetrics())
    meter = meter_provider.get_meter(SERVICE_NAME)
    STATE.tracer = tracer_provider.get_tracer(SERVICE_NAME)
    STATE.turn_duration = meter.create_histogram(
        "sspf.turn.duration", unit="s", description="Time from a Teams request to the bot's HTTP answer"
    )
    STATE.graph_requests = meter.create_counter("sspf.graph.requests", description="Microsoft Graph requests")
    STATE.graph_errors = meter.create_counter(
        "sspf.graph.errors", description="Microsoft Graph requests answered >= 400 or not answered"
    )
    STATE.reminders = meter.create_counter("sspf.reminders", description="Reminder items by outcome")
    STATE.throttled = meter.create_counter(
        "sspf.connector.throttled", description="429 answers of the Bot Connector (sends are retried)"
    )

    def observe(name: str) -> Any:
        def callback(_options: Any) -> list[Any]:
            return [metrics.Observation(STATE.queue_age[name])]

        return callback

    meter.create_observable_gauge(
        "sspf.reminders.queue_age",
        callbacks=[observe("reminders")],
        unit="s",
        description="Age of the oldest due reminder not yet sent",
    )
    meter.create_observable_gauge(
        "sspf.replies.queue_age",
        callbacks=[observe("replies")],
        unit="s",
        description="Age of the oldest reply still owed (pending_reply)",
    )
    if set_global:
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
    STATE.providers = (tracer_provider, meter_provider)
    STATE.enabled = True


def uninstall() -> None:
    """Back to no telemetry (tests; the providers are shut down)."""
    STATE.enabled = False
    STATE.tracer = trace.NoOpTracer()
    providers, STATE.providers = STATE.providers, None
    if providers is not None:
        for provider in providers:
            with contextlib.suppress(Exception):
                provider.shutdown()


def configure_from_env(env: Mapping[str, str] | None = None) -> bool:
    """Set up the Azure Monitor exporters when ``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set.
    Returns whether telemetry is on. Raises ConfigError when the connection string is set but the
    ``azure`` extra is not installed."""
    env = os.environ if env is None else env
    connection_string = env.get(CONNECTION_STRING, "").strip()
    if not connection_string:
        return False
    try:
        from azure.monitor.opentelemetry.exporter import (
            AzureMonitorMetricExporter,
            AzureMonitorTraceExporter,
        )
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise ConfigError(
            f"{CONNECTION_STRING} is set but the Azure Monitor exporter is not installed "
            f"(pip install 'sspf-bot[azure]'): {exc.name}"
        ) from None
    try:
        ratio = float(env.get("SSPF_TRACE_SAMPLE", "1") or "1")
    except ValueError:
        raise ConfigError("SSPF_TRACE_SAMPLE must be a number between 0 and 1") from None
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    resource = Resource.create(
        {
            "service.name": env.get("OTEL_SERVICE_NAME") or SERVICE_NAME,
            "service.instance.id": f"{socket.gethostname()}:{os.getpid()}",
        }
    )
    tracer_provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(ratio)))
    tracer_provider.add_span_processor(
        BatchSpanProcessor(SafeSpanExporter(AzureMonitorTraceExporter(connection_string=connection_string)))
    )
    reader = PeriodicExportingMetricReader(
        AzureMonitorMetricExporter(connection_string=connection_string), export_interval_millis=60_000
    )
    install(tracer_provider, MeterProvider(metric_readers=[reader], resource=resource), set_global=True)
    log.info("telemetry: traces and metrics go to Azure Monitor")
    return True


# --- queue ages: sampled from the database while telemetry is on ----------------------------------------


async def sample_queue_ages(services: Any) -> None:
    from sqlalchemy import func, select

    from store.models import PendingReply, Reminder
    from store.types import utcnow

    now = utcnow()
    async with services.db.session() as session:
        oldest_reminder = await session.scalar(
            select(func.min(Reminder.due_at)).where(
                Reminder.state.in_(("pending", "claimed")), Reminder.due_at <= now
            )
        )
        oldest_reply = await session.scalar(select(func.min(PendingReply.created_at)))

    def age(at: Any) -> float:
        if at is None:
            return 0.0
        if at.tzinfo is None:  # SQLite aggregates lose the zone; stored as UTC
            from datetime import UTC

            at = at.replace(tzinfo=UTC)
        return max(0.0, (now - at).total_seconds())

    STATE.queue_age["reminders"] = age(oldest_reminder)
    STATE.queue_age["replies"] = age(oldest_reply)


async def _sample_loop(services: Any) -> None:
    from bot.logging_setup import correlation

    while True:
        with correlation("queue-ages"):
            try:
                await sample_queue_ages(services)
            except Exception as exc:  # the class only: messages can quote SQL
                log.warning("could not sample queue ages: %s", type(exc).__name__)
        await asyncio.sleep(QUEUE_SAMPLE_S)


TASK_KEY = "telemetry_queue_ages"


async def start(services: Any) -> None:
    if STATE.enabled:
        services.extras[TASK_KEY] = asyncio.create_task(_sample_loop(services), name="queue-ages")


async def stop(services: Any) -> None:
    task = services.extras.pop(TASK_KEY, None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if STATE.enabled:
        for provider in STATE.providers or ():
            flush = getattr(provider, "force_flush", None)
            if flush:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(flush, 5000)


STARTUP_HOOKS.append(start)
SHUTDOWN_HOOKS.append(stop)
