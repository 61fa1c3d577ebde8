"""Email address parsing: a syntactically valid addr-spec with a dotted domain, or an error."""

from __future__ import annotations

from email.errors import HeaderParseError
from email.headerregistry import Address


class InvalidEmailAddress(ValueError):
    pass


def parse_email_address(text: str) -> str:
    """Normalise ``text`` to ``local@domain`` (domain lower-cased) or raise InvalidEmailAddress."""
    if not isinstance(text, str):
        raise InvalidEmailAddress("not a string")
    candidate = text.strip()
    if not candidate or len(candidate) > 254 or any(c in candidate for c in "\r\n<>,;"):
        raise InvalidEmailAddress("not a single email address")
    try:
        address = Address(addr_spec=candidate)
    except (HeaderParseError, ValueError, IndexError) as error:
        raise InvalidEmailAddress(str(error)) from None
    domain = address.domain.lower()
    labels = domain.split(".")
    if not address.username or len(labels) < 2 or not all(labels):
        raise InvalidEmailAddress("domain must be a full host name")
    if not all(label.isascii() for label in labels):
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidEmailAddress("domain is not a valid host name") from None
    return f"{address.username}@{domain}"


def is_email_address(text: str | None) -> bool:
    if not text:
        return False
    try:
        parse_email_address(text)
    except InvalidEmailAddress:
        return False
    return True
