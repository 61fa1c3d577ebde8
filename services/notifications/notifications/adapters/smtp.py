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
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.cafile)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.tls:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout)

    def send(self, message: EmailMessage) -> AttemptOutcome:
        s = self.settings
        try:
            with self._connect() as client:
                client.ehlo()
                if s.starttls:
                    client.starttls(context=self._tls_context())
                    client.ehlo()
                if s.username:
                    client.login(s.username, s.password or "")
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
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
