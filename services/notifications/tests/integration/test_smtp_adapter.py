"""The SMTP adapter against a real SMTP server (aiosmtpd)."""

from datetime import datetime, timezone

from notifications.adapters.smtp import SmtpMailer, SmtpSettings
from notifications.domain.email_message import Sender, build_email
from notifications.domain.rendering import RenderedMessage

from mailserver import MailServer, free_port, self_signed

SENDER = Sender("WohnenPlus Stuttgart", "wohnenplus@stuttgart.example", "stuttgart.example")

def message(to="doerte.weiss@stuttgart.example"):
    rendered = RenderedMessage(
        subject="Neuer Termin: Hausbesuch am 02.03.2026, 10:00 Uhr",
        text="Guten Tag Dörte Weiß,\n\nÄnderung: Straße, Grüße.\n",
        html="<p>Guten Tag Dörte Weiß</p>",
    )
    return build_email(rendered, sender=SENDER, to_email=to, to_name="Dörte Weiß",
                       notification_id="n-1", sent_at=datetime(2026, 3, 2, tzinfo=timezone.utc),
                       event_type="support.appointment.scheduled")

def test_plain_smtp_delivers_and_the_mail_reads_back():
    server = MailServer().start()
    try:
        outcome = SmtpMailer(SmtpSettings(host="127.0.0.1", port=server.port)).send(message())
        assert outcome.ok
        [received] = server.messages
        assert received["Subject"] == "Neuer Termin: Hausbesuch am 02.03.2026, 10:00 Uhr"
        assert received.get_body(("plain",)).get_content() == "Guten Tag Dörte Weiß,\n\nÄnderung: Straße, Grüße.\n"
        assert server.mailbox.envelopes == [("wohnenplus@stuttgart.example", ["doerte.weiss@stuttgart.example"])]
    finally:
        server.stop()

def test_starttls_with_login(tmp_path):
    cert, key = self_signed(tmp_path)
    server = MailServer(tls_files=(cert, key), login=("mailer", "geheim")).start()
    try:
        settings = SmtpSettings(host="localhost", port=server.port, starttls=True,
                                username="mailer", password="geheim", cafile=str(cert))
        assert SmtpMailer(settings).send(message()).ok
        assert len(server.messages) == 1
        wrong = SmtpMailer(SmtpSettings(host="localhost", port=server.port, starttls=True,
                                        username="mailer", password="falsch", cafile=str(cert)))
        outcome = wrong.send(message())
        # Our own credentials being wrong is a configuration fault: retried, not given up.
        assert not outcome.ok and not outcome.permanent and "auth" in outcome.error
        untrusted = SmtpMailer(SmtpSettings(host="localhost", port=server.port, starttls=True,
                                            username="mailer", password="geheim"))
        assert untrusted.send(message()).error == "tls error"
        assert len(server.messages) == 1
    finally:
        server.stop()

def test_server_down_is_a_transient_failure():
    outcome = SmtpMailer(SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)).send(message())
    assert (outcome.ok, outcome.permanent, outcome.error) == (False, False, "connection refused")

def test_a_refused_mailbox_is_permanent():
    server = MailServer(refuse={"weg@stuttgart.example": 550}).start()
    try:
        outcome = SmtpMailer(SmtpSettings(host="127.0.0.1", port=server.port)).send(message("weg@stuttgart.example"))
        assert (outcome.ok, outcome.permanent, outcome.error) == (False, True, "smtp 550")
        assert server.messages == []
    finally:
        server.stop()

def test_one_connection_carries_many_mails_and_survives_a_refused_recipient():
    server = MailServer(refuse={"weg@stuttgart.example": 550}).start()
    try:
        with SmtpMailer(SmtpSettings(host="127.0.0.1", port=server.port)) as mailer:
            outcomes = [mailer.send(message()), mailer.send(message("weg@stuttgart.example")), mailer.send(message())]
        assert [(o.ok, o.error) for o in outcomes] == [(True, None), (False, "smtp 550"), (True, None)]
        assert len(server.messages) == 2
    finally:
        server.stop()
