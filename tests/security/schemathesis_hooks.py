"""Schemathesis hooks for the fuzz runs (loaded through SCHEMATHESIS_HOOKS).

- A webhook URL the fuzzer registers would make the notifications worker POST to whatever host it
  generated: every registered URL is replaced by a closed port on this machine (the fuzz system
  allows local http), so the run never sends traffic anywhere else. The URL's own rules are tested
  in the notifications service.
- A request line longer than gunicorn's limit (4094 bytes) is answered 414 by gunicorn itself, in
  HTML, before the application sees it: that is the server's protocol guard, not the API's answer,
  so its failures are not the API's.
"""

from __future__ import annotations

import schemathesis

LOCAL_HOOK = "http://127.0.0.1:9/fuzz-webhook"


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path.endswith("/webhook") and case.method.upper() == "PUT" \
            and isinstance(case.body, dict) and isinstance(case.body.get("url"), str):
        case.body = {**case.body, "url": LOCAL_HOOK}


@schemathesis.hook
def filter_failure(context, failure, case, response):
    return response is None or response.status_code != 414
