"""Webhook signatures are Standard Webhooks: the `standardwebhooks` library itself verifies them."""

import base64
import hashlib
import hmac
import json
import secrets

import pytest
from hypothesis import given, settings, strategies as st
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from notifications.domain.signing import (
    ID_HEADER,
    LEGACY_SIGNATURE_HEADER,
    LEGACY_TIMESTAMP_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InvalidSecret,
    new_secret,
    secret_key,
    sign,
    signature_headers,
    standard_from_legacy,
    unix_time,
)

BODY = json.dumps({"type": "contracts.claim.paid", "data": {"name": "Süd-Wohnbau"}}, ensure_ascii=False).encode()
MSG = "0b7c1d1e-6c0e-4c53-9d5e-4a2f1f0f6a11"


def verify(secret, headers, body=BODY):
    return Webhook(secret).verify(body, headers)


def verifies(secret, headers, body) -> bool:
    """Whether the library accepts the signature of any body (JSON or not)."""
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except WebhookVerificationError:
        return False
    return True


def test_the_library_verifies_a_signed_payload():
    secret = new_secret()
    headers = signature_headers([secret], MSG, unix_time(), BODY)
    assert verify(secret, headers) == json.loads(BODY)
    assert headers[ID_HEADER] == MSG and headers[SIGNATURE_HEADER].startswith("v1,")
    assert LEGACY_SIGNATURE_HEADER not in headers


def test_signature_is_base64_hmac_sha256_over_id_timestamp_body():
    secret = new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{MSG}.1772438400.".encode() + BODY, hashlib.sha256).digest())
    assert sign(secret, MSG, 1772438400, BODY) == "v1," + expected.decode()


def test_tampered_body_other_id_wrong_secret_and_old_timestamp_are_refused():
    secret = new_secret()
    headers = signature_headers([secret], MSG, unix_time(), BODY)
    with pytest.raises(WebhookVerificationError):
        verify(secret, headers, BODY.replace(b"paid", b"decided"))
    with pytest.raises(WebhookVerificationError):
        verify(secret, dict(headers, **{ID_HEADER: "another-message"}))
    with pytest.raises(WebhookVerificationError):
        verify(new_secret(), headers)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(secret, signature_headers([secret], MSG, unix_time() - 301, BODY))  # a replay


def test_during_rotation_both_secrets_verify_and_a_rotated_out_one_does_not():
    old, new = new_secret(), new_secret()
    during = signature_headers([new, old], MSG, unix_time(), BODY)
    assert len(during[SIGNATURE_HEADER].split(" ")) == 2
    assert verify(new, during) and verify(old, during)
    after = signature_headers([new], MSG, unix_time(), BODY)
    with pytest.raises(WebhookVerificationError):
        verify(old, after)


def test_new_secrets_are_standard_and_different():
    a, b = new_secret(), new_secret()
    assert a != b and a.startswith("whsec_")
    assert len(secret_key(a)) == 32


@pytest.mark.parametrize("bad", ["", "whsec_", "sk_abc", "whsec_not base64!", "whsec_a-b_c"])
def test_a_secret_that_is_not_standard_is_refused(bad):
    with pytest.raises(InvalidSecret):
        secret_key(bad)


@settings(max_examples=200)
@given(st.binary(min_size=24, max_size=64), st.text(max_size=300))
def test_any_secret_and_utf8_body_verify_with_the_library(key, text):
    secret = "whsec_" + base64.b64encode(key).decode()
    body = text.encode("utf-8")
    headers = signature_headers([secret], MSG, unix_time(), body)
    assert verifies(secret, headers, body)


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=2**32))
def test_every_former_secret_verifies_under_its_standard_spelling(seed):
    # The former secrets ("whsec_" + token_urlsafe(32)) crashed the library on about one in four;
    # written the standard way, the library accepts all of them, with the same HMAC key.
    legacy = "whsec_" + secrets.token_urlsafe(32)
    standard = standard_from_legacy(legacy)
    assert secret_key(standard) == legacy.encode()
    headers = signature_headers([standard], MSG, unix_time(), BODY, legacy=True)
    assert verify(standard, headers)
    # ... and a receiver still on the former scheme verifies the former header with its old text.
    message = headers[LEGACY_TIMESTAMP_HEADER].encode() + b"." + BODY
    assert headers[LEGACY_SIGNATURE_HEADER] == "v1=" + hmac.new(legacy.encode(), message, hashlib.sha256).hexdigest()
