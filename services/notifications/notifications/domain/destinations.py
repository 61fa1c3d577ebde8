"""Which network destinations a company's webhook may reach.

A webhook URL is chosen by a company, so the worker must never become a way into the city's own
network (server-side request forgery). Three rules follow:

- The host is read the way the HTTP client reads it (urllib3's parser: percent-decoding,
  lower case, IDNA) and numbers are read the way the C resolver reads them (``inet_aton``:
  ``127.1``, ``0x7f.1``, ``2130706433``, ``0177.0.0.1`` all mean 127.0.0.1).
- Every address the name resolves to must be public; one private answer refuses the destination
  (an attacker's DNS can mix a public and a private address and let the client pick).
- The caller connects to an address checked here, never to the name again: a second lookup could
  answer differently (DNS rebinding).

Operators can name hosts that are exempt (development, tests): ``AllowList``.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: (host, port) -> every address the name stands for.
Resolver = Callable[[str, int], Sequence[IPAddress]]

DEFAULT_PORTS = {"https": 443, "http": 80}
# Ranges Python's ipaddress still calls global although they lead back into private networks.
_TUNNELS = (
    ipaddress.ip_network("2002::/16"),  # 6to4: embeds any IPv4 address
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64 well-known prefix
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64
    ipaddress.ip_network("2001::/32"),  # Teredo
)


class ForbiddenDestination(ValueError):
    """The destination must not be contacted; the message says why (no address in it)."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    #: Normalised host: lower case, no trailing dot, IDNA, IPv6 without brackets.
    host: str
    port: int
    #: Path and query as sent on the request line.
    target: str
    #: The host when it is an address literal (in any notation the resolver accepts).
    literal: IPAddress | None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def parse_destination(url: str) -> Destination:
    """The URL as the HTTP client will see it. Raises ForbiddenDestination if it cannot be read."""
    try:
        parts = parse_url(url)
    except LocationParseError:
        raise ForbiddenDestination("not a URL") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in DEFAULT_PORTS:
        raise ForbiddenDestination("URL must use https")
    host = (parts.host or "").strip("[]").lower()
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise ForbiddenDestination("URL has no host")
    if "%" in host:
        raise ForbiddenDestination("URL host must not carry a zone or percent sign")
    port = parts.port if parts.port is not None else DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise ForbiddenDestination("URL has an invalid port")
    return Destination(scheme=scheme, host=host, port=port, target=parts.request_uri, literal=address_literal(host))


def address_literal(host: str) -> IPAddress | None:
    """The address a host names without any lookup, as getaddrinfo would read it."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    try:
        # inet_aton, not ipaddress: the resolver accepts the old BSD forms (octal, hex, fewer
        # than four parts), and so an attacker can write 127.0.0.1 in a dozen ways.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def refusal(address: IPAddress) -> str | None:
    """Why the worker must not connect to ``address``, or None if it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "an IPv4-mapped address"
        if any(address in network for network in _TUNNELS):
            return "a tunnel address"
    if address.is_loopback or address.is_unspecified:
        return "this machine"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:  # private ranges, CGNAT, documentation, ...
        return "a private network"
    return None


@dataclass(frozen=True)
class AllowList:
    """Hosts operators exempt from the address rules and from https (development, tests).

    Each entry is ``host`` (any port) or ``host:port``; hosts are compared after normalisation,
    so ``127.0.0.1`` also matches ``127.1``. Empty in production."""

    entries: frozenset[tuple[str, int | None]] = frozenset()

    @classmethod
    def parse(cls, text: str | None) -> "AllowList":
        entries = set()
        for item in (text or "").split(","):
            item = item.strip()
            if not item:
                continue
            destination = parse_destination(f"http://{item}")
            explicit_port = item.rsplit("]", 1)[-1].count(":") == 1
            host = str(destination.literal) if destination.literal else destination.host
            entries.add((host, destination.port if explicit_port else None))
        return cls(frozenset(entries))

    def allows(self, destination: Destination) -> bool:
        host = str(destination.literal) if destination.literal else destination.host
        return (host, None) in self.entries or (host, destination.port) in self.entries


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for ``host`` (hosts file, DNS, search domains)."""
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def check_host_name(destination: Destination, allowed: AllowList) -> None:
    """Rules on the URL alone (no lookup). Raises ForbiddenDestination."""
    if allowed.allows(destination):
        return
    if destination.scheme != "https":
        raise ForbiddenDestination("URL must use https")
    if destination.literal is not None:
        reason = refusal(destination.literal)
        if reason:
            raise ForbiddenDestination(f"URL must not point at {reason}")
        return
    if destination.host == "localhost" or destination.host.endswith(".localhost"):
        raise ForbiddenDestination("URL must not point at this machine")
    if "." not in destination.host:
        # A single label is an intranet name by construction (hosts file, search domains).
        raise ForbiddenDestination("URL host must be a fully qualified domain name")


def checked_addresses(destination: Destination, allowed: AllowList, resolve: Resolver) -> list[IPAddress]:
    """The addresses the worker may connect to for ``destination``: all of them public (or the
    host allow-listed). Raises ForbiddenDestination, or OSError when the name does not resolve."""
    check_host_name(destination, allowed)
    if destination.literal is not None:
        addresses: Iterable[IPAddress] = [destination.literal]
    else:
        addresses = resolve(destination.host, destination.port)
    addresses = list(addresses)
    if not addresses:
        raise OSError("no address")
    if not allowed.allows(destination):
        for address in addresses:
            reason = refusal(address)
            if reason:
                raise ForbiddenDestination(f"host resolves to {reason}")
    return addresses
