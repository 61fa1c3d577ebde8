"""Sending one email over SMTP and classifying what the server said.

Errors are reduced to short reasons ("smtp 451", "connection refused"): the server's own text can
contain addresses, and it ends up in the attempt history and in events.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from ..domain.delivery import AttemptOutcome, smtp_outcome


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    #: Implicit TLS (port 465) instead of STARTTLS.
    tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    #: Extra CA bundle to trust (a company-internal relay, or the test server's own certificate).
    cafile: str | None = None


class SmtpMailer:
    """Sends over one SMTP connection per ``with`` block (a delivery run), or one per message
    when used without it."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None
        self._keep_open = False
        self._recipient_refused = False

    def __enter__(self) -> "SmtpMailer":
        self._keep_open = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._keep_open = False
        self._close()

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.cafile)

    def _open(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client
        s = self.settings
        if s.tls:
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            client.ehlo()
            if s.starttls:
                client.starttls(context=self._tls_context())
                client.ehlo()
            if s.username:
                client.login(s.username, s.password or "")
        except BaseException:
            _quietly_close(client)
            raise
        self._client = client
        return client

    def _close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(self._client)
            self._client = None

    def send(self, message: EmailMessage) -> AttemptOutcome:
        self._recipient_refused = False
        outcome = self._send(message)
        if not self._keep_open or (not outcome.ok and not self._recipient_refused):
            # After anything but a clean answer the connection's state is unknown: start afresh.
            self._close()
        return outcome

    def _send(self, message: EmailMessage) -> AttemptOutcome:
        try:
            client = self._open()
            refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            self._recipient_refused = True  # smtplib reset the transaction; the session is fine
            codes = [code for code, _ in error.recipients.values()]
            return smtp_outcome(max(codes) if codes else None, "recipient refused")
        except smtplib.SMTPAuthenticationError as error:
            # Our credentials are wrong: fixing the configuration lets the message through.
            return AttemptOutcome.transient(f"smtp auth failed {error.smtp_code}")
        except smtplib.SMTPSenderRefused as error:
            return AttemptOutcome.transient(f"smtp sender refused {error.smtp_code}")
        except smtplib.SMTPNotSupportedError:
            return AttemptOutcome.transient("smtp starttls not supported")
        except smtplib.SMTPResponseException as error:
            return smtp_outcome(error.smtp_code)
        except (socket.timeout, TimeoutError):
            return AttemptOutcome.transient("timeout")
        except ConnectionRefusedError:
            return AttemptOutcome.transient("connection refused")
        except smtplib.SMTPServerDisconnected:
            return AttemptOutcome.transient("server disconnected")
        except ssl.SSLError:
            return AttemptOutcome.transient("tls error")
        except (smtplib.SMTPException, OSError) as error:
            return AttemptOutcome.transient(type(error).__name__)
        if refused:
            codes = [code for code, _ in refused.values()]
            return smtp_outcome(max(codes))
        return AttemptOutcome.success()


def _quietly_close(client: smtplib.SMTP) -> None:
    try:
        client.close()
    except OSError:
        pass
