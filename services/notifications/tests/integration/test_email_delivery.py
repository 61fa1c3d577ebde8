"""Email over a real SMTP server (aiosmtpd): read back, retried while down, failures announced."""

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from notifications.metrics import collect
from notifications.models import Notification

from mailserver import MailServer, free_port
from sample_events import COMPANY_ID, SAMPLE_DATA

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def notes(db, **where):
    with db.session() as session:
        stmt = select(Notification)
        for key, value in where.items():
            stmt = stmt.where(getattr(Notification, key) == value)
        return list(session.scalars(stmt))


def test_proposal_mail_reaches_the_company_in_german(db, record, deliver, mail_server):
    record("contracts.company.registered")
    record("matching.proposal.created")
    assert deliver() == 3  # welcome mail and proposal to the company, proposal to the staff mailbox
    by_subject = {m["Subject"]: m for m in mail_server.messages}
    mail = by_subject["Neuer Wohnungsvorschlag für Marktstraße 7 – bitte antworten bis 06.03.2026"]
    assert mail["To"].addresses[0].addr_spec == "vermietung@sued-wohnbau.example"
    assert mail["To"].addresses[0].display_name == "Süd-Wohnbau GmbH & Co. KG"
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Guten Tag Süd-Wohnbau GmbH & Co. KG,\n")
    assert "Bad Cannstatt (2,5 Zimmer)" in text
    assert "Vorschlag erstellt: Wohnung in Bad Cannstatt, Antwort bis 06.03.2026" in by_subject
    assert {n.state for n in notes(db, channel="email")} == {"delivered"}
    assert deliver() == 0 and len(mail_server.messages) == 3  # nothing is sent twice


def test_the_delivery_job_goes_on_while_full_batches_keep_coming(db, record, job_context, mail_server, monkeypatch):
    from notifications import jobs

    monkeypatch.setenv("NOTIFICATIONS_DELIVERY_BATCH", "2")
    monkeypatch.setenv("NOTIFICATIONS_DELIVERY_CONCURRENCY", "3")  # threads on PostgreSQL, one on SQLite
    record("contracts.company.registered")
    for _ in range(5):
        record("matching.proposal.created", dict(SAMPLE_DATA["matching.proposal.created"], proposal_id=str(uuid.uuid4())))
    jobs.deliver(job_context)  # one tick: 11 mails in batches of 2, no waiting for the next tick
    assert len(mail_server.messages) == 11  # each exactly once
    assert {n.state for n in notes(db, channel="email")} == {"delivered"}


def test_smtp_down_then_up_delivers_once(db, record, deliver, clock):
    clock.freeze(T0)
    port = free_port()
    import os

    os.environ["NOTIFICATIONS_SMTP_HOST"], os.environ["NOTIFICATIONS_SMTP_PORT"] = "127.0.0.1", str(port)
    try:
        record("support.caseworker.registered")
        assert deliver() == 1
        [note] = notes(db, channel="email")
        assert (note.state, note.attempts, note.last_error) == ("pending", 1, "connection refused")
        assert T0 + timedelta(seconds=54) <= note.next_attempt_at <= T0 + timedelta(seconds=60)
        assert deliver() == 0  # not due yet

        clock.advance(minutes=1)
        assert deliver() == 1  # second try, still down
        server = MailServer(port).start()
        try:
            clock.advance(minutes=5)
            assert deliver() == 1
            [mail] = server.messages
            assert mail["Subject"] == "Willkommen bei WohnenPlus"
            assert mail["To"].addresses[0].addr_spec == "doerte.weiss@stuttgart.example"
            assert mail["Message-ID"] == f"<{note.id}@stuttgart.example>"
            with db.session() as session:
                note = session.get(Notification, note.id, options=[selectinload(Notification.history)])
                assert (note.state, note.attempts) == ("delivered", 3)
                assert [(a.number, a.ok, a.error) for a in note.history] == [
                    (1, False, "connection refused"), (2, False, "connection refused"), (3, True, None)
                ]
            clock.advance(hours=1)
            assert deliver() == 0 and len(server.messages) == 1
        finally:
            server.stop()
    finally:
        del os.environ["NOTIFICATIONS_SMTP_HOST"], os.environ["NOTIFICATIONS_SMTP_PORT"]


def test_refused_mailbox_fails_at_once_and_is_announced(db, record, deliver, monkeypatch, bus, worker, wait_until):
    server = MailServer(refuse={"vermietung@sued-wohnbau.example": 550}).start()
    monkeypatch.setenv("NOTIFICATIONS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NOTIFICATIONS_SMTP_PORT", str(server.port))
    try:
        capture = bus.capture("notifications.#")
        record("contracts.company.registered")
        deliver()
        [note] = notes(db, channel="email")
        assert (note.state, note.attempts, note.last_error) == ("failed", 1, "smtp 550")
        failed = capture.wait_for("notifications.delivery.failed")
        assert failed["data"] == {"notification_id": note.id, "recipient": f"company:{COMPANY_ID}",
                                  "channel": "email", "reason": "smtp 550"}
        # The worker consumes its own event: operators hear of it in their inbox.
        operators = wait_until(lambda: notes(db, recipient="mailbox:operators", channel="inbox"))
        assert "E-Mail" in operators[0].subject and "smtp 550" in operators[0].body
    finally:
        server.stop()


def test_attempts_used_up_fail_for_good(db, record, deliver, clock, monkeypatch):
    clock.freeze(T0)
    monkeypatch.setenv("NOTIFICATIONS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NOTIFICATIONS_SMTP_PORT", str(free_port()))
    record("support.caseworker.registered")
    for _ in range(20):
        deliver()
        clock.advance(hours=7)
    [note] = notes(db, channel="email")
    assert (note.state, note.attempts) == ("failed", 14)
    with db.session() as session:
        from servicekit.db import outbox

        rows = session.execute(select(outbox.c.type)).scalars().all()
    assert rows == ["notifications.delivery.failed"]


def test_metrics_count_messages_by_channel_and_state(db, record, deliver, mail_server):
    record("contracts.company.registered")
    with db.session() as session:
        families = {f.name: f for f in collect(session)}
    samples = {tuple(s.labels.values()): s.value for s in families["notifications"].samples}
    assert samples == {("inbox", "delivered"): 1, ("email", "pending"): 1}
    assert families["notification_backlog_oldest_seconds"].samples[0].labels == {"channel": "email"}
    deliver()
    with db.session() as session:
        families = {f.name: f for f in collect(session)}
    samples = {tuple(s.labels.values()): s.value for s in families["notifications"].samples}
    assert samples == {("inbox", "delivered"): 1, ("email", "delivered"): 1}
    assert families["notification_backlog_oldest_seconds"].samples == []


def test_a_household_gets_its_message_by_email_and_without_an_address_nothing_is_kept(db, record):
    # households have no login: an inbox row would be social data nobody can read
    record("matching.tenancy.agreed")
    household = [n for n in notes(db) if n.recipient.startswith("household:")]
    assert [(n.channel, n.state) for n in household] == [("email", "pending")]
    assert household[0].body.startswith("Guten Tag Jürgen Müller,")
    data = dict(SAMPLE_DATA["matching.tenancy.agreed"], household_id="9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f",
                proposal_id="8e7d6c5b-4a3f-4e2d-9c1b-0a9f8e7d6c5b", household={"name": "Familie Öztürk", "size": 4})
    record("matching.tenancy.agreed", data)
    assert not [n for n in notes(db) if n.recipient == "household:9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"]
    assert [n for n in notes(db) if n.recipient.startswith("company:")], "the company still hears of the lease"


def test_while_smtp_is_down_one_probe_per_run_and_no_attempts_wasted(db, record, deliver, monkeypatch):
    import uuid

    monkeypatch.setenv("NOTIFICATIONS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NOTIFICATIONS_SMTP_PORT", str(free_port()))
    for _ in range(5):
        record("support.caseworker.registered",
               dict(SAMPLE_DATA["support.caseworker.registered"], caseworker_id=str(uuid.uuid4())))
    assert deliver() == 1
    assert sorted(n.attempts for n in notes(db, channel="email")) == [0, 0, 0, 0, 1]


def test_competing_workers_send_each_mail_once(db, record, job_context, clock, mail_server):
    import threading
    import uuid

    from notifications.usecases import deliveries

    for _ in range(30):
        record("support.caseworker.registered",
               dict(SAMPLE_DATA["support.caseworker.registered"], caseworker_id=str(uuid.uuid4())))
    counts = []
    threads = [threading.Thread(target=lambda: counts.append(deliveries.deliver_due(job_context.uow, clock.now())))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [m["Message-ID"] for m in mail_server.messages]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert sum(counts) == 30
    assert {n.state for n in notes(db, channel="email")} == {"delivered"}


def test_a_misconfigured_mailbox_address_fails_that_mail_without_stalling_the_others(db, record, deliver, mail_server,
                                                                                    monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_MAILBOX_FINANCE", "finanzen-at-stuttgart")
    record("contracts.claim.submitted")  # finance mailbox (bad address) and staff standing in for the contact person
    assert deliver() == 2
    states = {n.recipient: (n.state, n.last_error) for n in notes(db, channel="email")}
    assert states == {"mailbox:finance": ("failed", "invalid email address"), "mailbox:staff": ("delivered", None)}
    assert len(mail_server.messages) == 1


def test_a_company_name_with_a_line_break_neither_injects_nor_stalls_its_mail(record, deliver, mail_server, db):
    # Issue 23, finding 7: "address parts cannot contain CR or LF" failed every mail to the
    # company as a retried internal error.
    from sqlalchemy import select

    from notifications.models import DirectoryEntry, Notification
    from sample_events import COMPANY_ID, SAMPLE_DATA

    record("contracts.company.registered", dict(SAMPLE_DATA["contracts.company.registered"],
                                                name="Süd-Wohnbau\r\nBcc: everyone@example.org"))
    with db.session() as session:
        assert session.get(DirectoryEntry, f"company:{COMPANY_ID}").name == "Süd-Wohnbau Bcc: everyone@example.org"
    record("contracts.contract.activated")
    while deliver():
        pass
    with db.session() as session:
        states = {n.state for n in session.scalars(select(Notification).where(Notification.channel == "email"))}
    assert states == {"delivered"}
    assert mail_server.messages
    for message in mail_server.messages:
        assert "Bcc" not in message
        assert [a.addr_spec for a in message["To"].addresses] == ["vermietung@sued-wohnbau.example"]


def test_a_message_that_cannot_be_built_fails_at_once_with_its_reason(record, deliver, mail_server, db, monkeypatch):
    from sqlalchemy import select

    from notifications.usecases import deliveries
    from notifications.models import Notification

    def broken(*args, **kwargs):
        raise ValueError("a header that cannot be written")

    monkeypatch.setattr(deliveries, "build_email", broken)
    record("contracts.company.registered")
    deliver()
    with db.session() as session:
        [note] = session.scalars(select(Notification).where(Notification.channel == "email")).all()
    assert (note.state, note.attempts) == ("failed", 1)
    assert note.last_error == "email cannot be built: a header that cannot be written"
