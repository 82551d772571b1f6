"""OpenTelemetry (bot/telemetry.py), with in-memory exporters: a span and a latency per turn, Graph
requests and errors counted from the Graph SDK's spans, reminder outcomes, queue ages; no case content
leaves in a span; and nothing at all without a connection string."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from bot import telemetry
from bot.config import ConfigError
from bot.reminders.dispatcher import RunReport
from store.models import PendingReply, Reminder
from store.types import utcnow
from tests.conftest import COORDINATOR
from tests.harness import activities as acts
from tests.harness.seed import CASE_CONTENT_MARKERS


class Telemetry:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.metrics = InMemoryMetricReader()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(telemetry.SafeSpanExporter(self.spans)))
        telemetry.install(self.tracer_provider, MeterProvider(metric_readers=[self.metrics]))

    def points(self, name: str) -> list:
        data = self.metrics.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found

    def total(self, name: str, **attributes) -> float:
        return sum(
            p.value for p in self.points(name) if all(p.attributes.get(k) == v for k, v in attributes.items())
        )


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    assert not telemetry.enabled()
    t = Telemetry()
    yield t
    telemetry.uninstall()


async def test_a_turn_makes_a_span_and_a_latency(sqlite_bot, otel):
    reply = await sqlite_bot.say(COORDINATOR, acts.personal(COORDINATOR), "hjälp")
    assert reply.status in (200, 201)
    spans = [s for s in otel.spans.get_finished_spans() if s.name == "POST /api/messages"]
    assert len(spans) == 1
    attributes = dict(spans[0].attributes)
    assert attributes["activity.type"] == "message"
    assert attributes["http.response.status_code"] == reply.status
    assert attributes["sspf.correlation_id"].startswith("act-")
    (point,) = otel.points("sspf.turn.duration")
    assert point.count == 1 and 0 < point.sum < 30
    assert dict(point.attributes) == {"activity.type": "message", "http.response.status_code": reply.status}


async def test_probes_make_no_spans(sqlite_bot, otel):
    for path in ("/livez", "/readyz"):
        async with sqlite_bot.http.get(sqlite_bot.url + path) as resp:
            assert resp.status in (200, 503)
    assert not otel.spans.get_finished_spans() and not otel.points("sspf.turn.duration")


def test_graph_requests_and_errors_from_the_graph_sdks_spans(otel):
    """kiota (the Graph SDK's HTTP layer) names its request span ``<invoker> - <URL template>`` under
    its own instrumentation scope and sets the status code on it: those are counted."""
    tracer = otel.tracer_provider.get_tracer(telemetry.KIOTA_SCOPE)
    template = "{+baseurl}/users/{user%2Did}/calendar/events"
    for status in (201, 201, 429, 503):
        with tracer.start_as_current_span(f"send_async - {template}") as span:
            span.set_attribute("http.request.method", "POST")
            span.set_attribute("url.uri_template", template)
            span.set_attribute("http.response.status_code", status)
            span.set_attribute("url.full", "https://graph.microsoft.com/v1.0/users/aad-1/events")
            with tracer.start_as_current_span("get_http_response_message"):
                pass
    with tracer.start_as_current_span(f"send_async - {template}") as span:  # no answer at all
        span.set_attribute("url.uri_template", template)
        span.set_status(Status(StatusCode.ERROR, "ConnectError: graph.microsoft.com"))
    with otel.tracer_provider.get_tracer("something-else").start_as_current_span("send_async - x"):
        pass
    assert otel.total("sspf.graph.requests") == 5
    assert otel.total("sspf.graph.requests", **{"http.response.status_code": 201}) == 2
    assert otel.total("sspf.graph.errors") == 3
    assert otel.total("sspf.graph.errors", **{"url.template": template}) == 3
    exported = [s for s in otel.spans.get_finished_spans() if s.name.startswith("send_async")]
    assert all("url.full" not in s.attributes for s in exported)  # ids in the URL stay home
    assert all(not s.status.description for s in exported)


def test_no_case_content_leaves_in_a_span(otel):
    tracer = otel.tracer_provider.get_tracer("bot")
    with tracer.start_as_current_span("turn") as span:
        span.set_attribute("activity.type", "message")
        span.set_attribute("case.note", CASE_CONTENT_MARKERS[0])  # not on the allow list
        span.set_attribute("status", "19121212-1212")  # allowed key, personnummer value
        try:
            raise ValueError(f"could not save {CASE_CONTENT_MARKERS[0]}")
        except ValueError as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, str(exc)))
    (exported,) = [s for s in otel.spans.get_finished_spans() if s.name == "turn"]
    assert dict(exported.attributes) == {"activity.type": "message"}
    (event,) = exported.events
    assert dict(event.attributes) == {"exception.type": "ValueError"}
    assert exported.status.status_code == StatusCode.ERROR and not exported.status.description
    assert CASE_CONTENT_MARKERS[0] not in repr(exported.to_json())


def test_reminder_outcomes_and_connector_throttling(otel):
    report = RunReport(utcnow())
    report.items_sent, report.failed, report.undeliverable, report.stale = 7, 2, 1, 0
    telemetry.record_reminder_run(report)
    telemetry.connector_throttled()
    assert otel.total("sspf.reminders", outcome="sent") == 7
    assert otel.total("sspf.reminders", outcome="retry") == 2
    assert otel.total("sspf.reminders", outcome="undeliverable") == 1
    assert otel.total("sspf.reminders", outcome="stale") == 0
    assert otel.total("sspf.connector.throttled") == 1


async def test_reminders_dispatched_through_a_wake_up_are_counted(sqlite_bot, otel, monkeypatch):
    from bot.reminders.dispatcher import ReminderDispatcher

    async def run_once(self, now=None):
        report = RunReport(utcnow())
        report.items_sent = 3
        return report

    monkeypatch.setattr(ReminderDispatcher, "run_once", run_once)
    await ReminderDispatcher(sqlite_bot.services).wake()
    assert otel.total("sspf.reminders", outcome="sent") == 3
    assert [s.name for s in otel.spans.get_finished_spans()] == ["reminders.run"]


async def test_queue_ages_of_due_reminders_and_owed_replies(database_url, otel):
    from store.db import Database

    db = Database(database_url)

    class Services:
        pass

    services = Services()
    services.db = db
    now = utcnow()
    try:
        await telemetry.sample_queue_ages(services)
        assert telemetry.STATE.queue_age == {"reminders": 0.0, "replies": 0.0}
        async with db.transaction() as session:
            session.add(
                Reminder(
                    tenant_id="t",
                    kind="action_due",
                    dedupe_key="k1",
                    recipient_aad_id="aad-1",
                    due_at=now - timedelta(minutes=10),
                )
            )
            session.add(  # not due yet: no age
                Reminder(
                    tenant_id="t",
                    kind="action_due",
                    dedupe_key="k2",
                    recipient_aad_id="aad-1",
                    due_at=now + timedelta(hours=1),
                )
            )
            session.add(
                PendingReply(
                    turn_key="t" * 64,
                    seq=0,
                    kind="send",
                    payload={},
                    lease_until=now,
                    created_at=now - timedelta(minutes=2),
                )
            )
        await telemetry.sample_queue_ages(services)
    finally:
        await db.dispose()
    ages = telemetry.STATE.queue_age
    assert 595 < ages["reminders"] < 700 and 115 < ages["replies"] < 200
    (point,) = otel.points("sspf.reminders.queue_age")
    assert 595 < point.value < 700
    (point,) = otel.points("sspf.replies.queue_age")
    assert 115 < point.value < 200
    ages.update(reminders=0.0, replies=0.0)


def test_without_a_connection_string_nothing_is_set_up():
    assert telemetry.configure_from_env({}) is False
    assert not telemetry.enabled()
    with telemetry.span("turn") as span:
        assert span is None
    telemetry.record_turn("message", 200, 0.1)  # no instrument, no error
    telemetry.connector_throttled()


def test_a_connection_string_builds_the_azure_exporters(monkeypatch):
    """With the string set, the Azure Monitor exporters are built (sending is Azure's: not here)."""
    pytest.importorskip("azure.monitor.opentelemetry.exporter", reason="the 'azure' extra is not installed")
    installed = {}

    def install(tracer_provider, meter_provider, *, set_global=False):
        installed.update(tp=tracer_provider, mp=meter_provider, set_global=set_global)

    monkeypatch.setattr(telemetry, "install", install)
    monkeypatch.setenv("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")
    env = {
        telemetry.CONNECTION_STRING: "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        "IngestionEndpoint=http://127.0.0.1:9/"
    }
    try:
        assert telemetry.configure_from_env(env) is True
        assert installed["set_global"] is True
        processors = installed["tp"]._active_span_processor._span_processors
        exporters = [getattr(p, "span_exporter", None) for p in processors]
        assert any(isinstance(e, telemetry.SafeSpanExporter) for e in exporters)
    finally:
        for provider in (installed.get("tp"), installed.get("mp")):
            if provider is not None:
                provider.shutdown()


def test_a_connection_string_without_the_extra_is_a_configuration_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_azure(name, *args, **kwargs):
        if name.startswith("azure.monitor"):
            raise ImportError(name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_azure)
    with pytest.raises(ConfigError, match=r"sspf-bot\[azure\]"):
        telemetry.configure_from_env({telemetry.CONNECTION_STRING: "InstrumentationKey=x"})
