import inspect
import json

import pytest
from hypothesis import given, strategies as st

from notifications.domain import signing
from notifications.domain.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    compute_signature,
    new_secret,
    signature_headers,
    verify_signature,
)

NOW = 1_772_438_400  # 2026-03-02T08:00:00Z
SECRET = "whsec_test-secret"
BODY = json.dumps({"type": "contracts.claim.paid", "data": {"name": "Süd-Wohnbau"}}, ensure_ascii=False).encode()


def headers(secrets=(SECRET,), ts=NOW, body=BODY):
    return signature_headers(list(secrets), ts, body)


def check(h, body=BODY, secret=SECRET, now=NOW):
    return verify_signature(secret, body, h.get(TIMESTAMP_HEADER), h.get(SIGNATURE_HEADER), now=now)


def test_a_signed_payload_verifies():
    h = headers()
    assert h[SIGNATURE_HEADER] == "v1=" + compute_signature(SECRET, NOW, BODY)
    assert check(h)


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert headers()[SIGNATURE_HEADER] == f"v1={expected}"


def test_tampered_body_wrong_secret_or_swapped_timestamp_fail():
    h = headers()
    assert not check(h, body=BODY.replace(b"paid", b"decided"))
    assert not check(h, secret="whsec_other")
    assert not check(dict(h, **{TIMESTAMP_HEADER: str(NOW + 1)}), now=NOW + 1)


@pytest.mark.parametrize("offset, ok", [(0, True), (299, True), (-299, True), (301, False), (-301, False)])
def test_only_fresh_signatures_verify(offset, ok):
    # A captured request replayed later than the tolerance window is refused.
    assert check(headers(), now=NOW + offset) is ok


@pytest.mark.parametrize(
    "h",
    [{}, {TIMESTAMP_HEADER: "abc", SIGNATURE_HEADER: "v1=00"}, {TIMESTAMP_HEADER: str(NOW), SIGNATURE_HEADER: ""},
     {TIMESTAMP_HEADER: str(NOW), SIGNATURE_HEADER: "v0=" + compute_signature(SECRET, NOW, BODY)}],
)
def test_malformed_headers_do_not_verify(h):
    assert not check(h)


def test_during_rotation_both_old_and_new_secret_verify():
    old, new = new_secret(), new_secret()
    h = headers(secrets=(new, old))
    assert check(h, secret=new) and check(h, secret=old)
    assert not check(h, secret=new_secret())


def test_new_secrets_are_long_and_different():
    a, b = new_secret(), new_secret()
    assert a != b and a.startswith("whsec_") and len(a) >= 40


@given(st.binary(max_size=2000), st.text(min_size=1, max_size=64))
def test_any_body_and_secret_round_trip(body, secret):
    h = signature_headers([secret], NOW, body)
    assert verify_signature(secret, body, h[TIMESTAMP_HEADER], h[SIGNATURE_HEADER], now=NOW)


def test_verify_function_works_when_copied_alone():
    # Companies copy the function into their receiver: it must not lean on this module.
    source = inspect.getsource(signing.verify_signature)
    namespace: dict = {}
    exec(compile(source, "copied.py", "exec"), namespace)
    h = headers()
    copied = namespace["verify_signature"]
    assert copied(SECRET, BODY, h[TIMESTAMP_HEADER], h[SIGNATURE_HEADER], now=NOW)
    assert not copied(SECRET, BODY + b" ", h[TIMESTAMP_HEADER], h[SIGNATURE_HEADER], now=NOW)
