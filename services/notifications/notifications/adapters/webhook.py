"""POSTing one signed webhook and classifying the answer."""

from __future__ import annotations

import requests

from ..domain.delivery import AttemptOutcome, http_outcome


class WebhookSender:
    def __init__(self, timeout: float = 10.0, session: requests.Session | None = None) -> None:
        self.timeout = timeout
        self.session = session or requests.Session()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptOutcome:
        try:
            # No redirects: the signature is for the registered URL, and following a redirect
            # could carry tenancy data somewhere the company never registered.
            response = self.session.post(
                url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.Timeout:
            return AttemptOutcome.transient("timeout")
        except requests.exceptions.SSLError:
            return AttemptOutcome.transient("tls error")
        except requests.ConnectionError:
            return AttemptOutcome.transient("connection refused")
        except requests.RequestException as error:
            return AttemptOutcome.transient(type(error).__name__)
        response.close()
        return http_outcome(response.status_code)
