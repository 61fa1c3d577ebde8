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

    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_TIMEOUT", "3")
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def deliver(job_context, clock):
    """Run the delivery job once, as the worker would, at the test clock's time."""
    from notifications.usecases import deliveries

    def run(**kwargs):
        return deliveries.deliver_due(job_context.uow, clock.now(), **kwargs)

    return run


@pytest.fixture
def record(handle_event):
    """Hand one event to the service as its consumer would (inbox and handler), without the broker."""
    from sample_events import SAMPLE_DATA

    def run(event_type, data=None, event_id=None):
        outcome, event = handle_event(event_type, SAMPLE_DATA[event_type] if data is None else data,
                                      event_id=event_id, source=event_type.split(".")[0])
        assert outcome in ("handled", "duplicate"), outcome
        return event

    return run


@pytest.fixture
def registered_companies(db, clock):
    """The companies of sample_events as the directory knows them once contracts announced them
    (contracts.company.registered), without the messages that event itself causes."""
    from notifications.models import DirectoryEntry
    from sample_events import COMPANY_ID, OTHER_COMPANY_ID

    with db.session() as session:
        for company_id, name in ((COMPANY_ID, "Süd-Wohnbau"), (OTHER_COMPANY_ID, "Neckar Wohnen")):
            session.add(DirectoryEntry(ref=f"company:{company_id}", kind="company", name=name, updated_at=clock.now()))
        session.commit()
