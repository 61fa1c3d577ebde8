"""Building the email for one notification."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from .addresses import parse_email_address
from .rendering import RenderedMessage


@dataclass(frozen=True)
class Sender:
    name: str
    email: str
    domain: str  # for Message-IDs


_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def one_line(text: str | None) -> str:
    """Header text without line breaks or control characters: a name or subject that carries them
    (a company registered as "Süd\r\nBcc: …") can neither inject a header nor make every mail to
    it fail."""
    return " ".join(_BREAKS.sub(" ", text or "").split())


def _address(name: str | None, email: str) -> Address:
    local, _, domain = parse_email_address(email).partition("@")
    return Address(display_name=one_line(name), username=local, domain=domain)


def build_email(
    message: RenderedMessage,
    *,
    sender: Sender,
    to_email: str,
    to_name: str | None,
    notification_id: str,
    sent_at: datetime,
    event_type: str,
) -> EmailMessage:
    """A UTF-8 MIME message: plain text first, the HTML alternative second.

    The Message-ID is derived from the notification id, so a retry after a lost SMTP reply
    carries the same id and mail clients can recognise the duplicate.
    """
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be timezone-aware")
    email = EmailMessage()
    email["Subject"] = one_line(message.subject)
    email["From"] = _address(sender.name, sender.email)
    email["To"] = _address(to_name, to_email)
    email["Date"] = format_datetime(sent_at)
    email["Message-ID"] = f"<{notification_id}@{sender.domain}>"
    # RFC 3834: no out-of-office replies to machine-sent mail.
    email["Auto-Submitted"] = "auto-generated"
    email["Content-Language"] = "de"
    email["X-WohnenPlus-Event"] = event_type
    email.set_content(message.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    email.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return email
