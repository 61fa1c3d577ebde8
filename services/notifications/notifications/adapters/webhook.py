"""POSTing one signed webhook to an address that was checked, and classifying the answer."""

from __future__ import annotations

import certifi
import urllib3

from ..domain.delivery import AttemptOutcome, http_outcome
from ..domain.destinations import (
    AllowList,
    ForbiddenDestination,
    Resolver,
    checked_addresses,
    parse_destination,
    system_resolver,
)


class WebhookSender:
    """Resolves the endpoint's host once, refuses it unless every address is public (or the host
    is allow-listed), and connects to those very addresses: the name is never looked up a second
    time, so a DNS answer that changes between check and connect (rebinding) cannot redirect the
    request. TLS still verifies the certificate for the registered name (SNI and Host unchanged)."""

    def __init__(
        self,
        timeout: float = 10.0,
        *,
        allowed: AllowList = AllowList(),
        resolve: Resolver = system_resolver,
        cafile: str | None = None,
    ) -> None:
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self.allowed = allowed
        self.resolve = resolve
        self.cafile = cafile or certifi.where()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptOutcome:
        try:
            destination = parse_destination(url)
            addresses = checked_addresses(destination, self.allowed, self.resolve)
        except ForbiddenDestination as error:
            # Refused before any connection; trying again would only probe the same network.
            return AttemptOutcome.permanent_failure(f"destination refused: {error}")
        except (OSError, UnicodeError):
            return AttemptOutcome.transient("name not resolved")
        outcome = AttemptOutcome.transient("webhook unreachable")
        for address in addresses:
            outcome = self._post_to(str(address), destination, body, headers)
            if outcome.ok or outcome.error not in ("connection refused", "timeout"):
                break
        return outcome

    def _post_to(self, address: str, destination, body: bytes, headers: dict[str, str]) -> AttemptOutcome:
        if destination.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address, destination.port, timeout=self.timeout, retries=False, maxsize=1,
                cert_reqs="CERT_REQUIRED", ca_certs=self.cafile,
                server_hostname=destination.host, assert_hostname=destination.host,
            )
        else:  # only allow-listed hosts get this far over plain http
            pool = urllib3.HTTPConnectionPool(address, destination.port, timeout=self.timeout, retries=False,
                                              maxsize=1)
        try:
            with pool:
                # No redirects: the signature is for the registered URL, and following one could
                # carry tenancy data to a host that was never checked.
                response = pool.urlopen(
                    "POST", destination.target, body=body,
                    headers={**headers, "Host": destination.host_header},
                    redirect=False, retries=False, assert_same_host=False, preload_content=False,
                )
                status = response.status
                response.close()  # the answer's body is never read: only its status counts
        except urllib3.exceptions.SSLError:
            return AttemptOutcome.transient("tls error")
        except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError):
            return AttemptOutcome.transient("timeout")
        except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ProtocolError):
            return AttemptOutcome.transient("connection refused")
        except urllib3.exceptions.HTTPError as error:
            return AttemptOutcome.transient(type(error).__name__)
        return http_outcome(status)
