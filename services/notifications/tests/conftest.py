import pytest

pytest_plugins = ["servicekit.testing.plugin"]


@pytest.fixture(scope="session")
def service():
    from notifications.service import service

    return service


@pytest.fixture
def mail_server(monkeypatch):
    """A real SMTP server (aiosmtpd) the service is configured to send to."""
    from mailserver import MailServer

    server = MailServer().start()
    monkeypatch.setenv("NOTIFICATIONS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NOTIFICATIONS_SMTP_PORT", str(server.port))
    monkeypatch.setenv("NOTIFICATIONS_SMTP_TIMEOUT", "3")
    yield server
    server.stop()


@pytest.fixture
def receiver(monkeypatch):
    from receiver import WebhookReceiver

    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_ALLOW_LOCAL_HTTP", "1")
    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_TIMEOUT", "3")
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def deliver(job_context, clock):
    """Run the delivery job once, as the worker would, at the test clock's time."""
    from notifications import services

    def run(**kwargs):
        return services.deliver_due(job_context.uow, clock.now(), **kwargs)

    return run


@pytest.fixture
def record(db, clock):
    """Hand one event to the handler in a unit of work (the consumer's path without the broker)."""
    from servicekit.bus import Event
    from servicekit.db import UnitOfWork

    from notifications.handlers import on_event
    from sample_events import SAMPLE_DATA

    def run(event_type, data=None, event_id=None):
        event = Event(type=event_type, data=SAMPLE_DATA[event_type] if data is None else data,
                      source=event_type.split(".")[0], correlation_id="test-correlation",
                      **({"id": event_id} if event_id else {}))
        with UnitOfWork(db, "notifications", clock=clock) as uow:
            on_event(uow, event)
            uow.commit()
        return event

    return run
