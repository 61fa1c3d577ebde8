import json
from datetime import datetime, timezone
from email import message_from_bytes, policy

import pytest

from notifications.config import renderer, routing_table
from notifications.domain.addresses import InvalidEmailAddress, is_email_address, parse_email_address
from notifications.domain.catalogue import Event, Role
from notifications.domain.email_message import Sender, build_email
from notifications.domain.planning import render_message
from notifications.domain.destinations import AllowList
from notifications.domain.webhooks import InvalidWebhookUrl, encode_body, validate_webhook_url, webhook_payload

from sample_events import SAMPLE_DATA, envelope

TABLE = routing_table()
SENDER = Sender("WohnenPlus – Amt für Soziales und Teilhabe", "wohnenplus@stuttgart.example", "stuttgart.example")
SENT = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "url",
    ["https://hooks.sued-wohnbau.example/wohnenplus", "https://93.184.216.34:8443/hook?x=1"],
)
def test_public_https_endpoints_are_accepted(url):
    assert validate_webhook_url(url) == url


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://hooks.example/x", "https"),
        ("ftp://hooks.example/x", "https"),
        ("https://", "no host"),
        ("not a url", "https"),
        ("https://user:pw@hooks.example/x", "credentials"),
        ("https://hooks.example/x#frag", "fragment"),
        ("https://localhost/x", "this machine"),
        ("https://hooks.example:0/x", "invalid port"),
        ("https://10.1.2.3/x", "private"),
        ("https://[fd00::1]/x", "private"),
        ("https://hooks.example:99999/x", "not a URL"),
        ("", "required"),
    ],
)
def test_bad_endpoints_are_refused_with_a_reason(url, reason):
    with pytest.raises(InvalidWebhookUrl, match=reason):
        validate_webhook_url(url)


def test_plain_http_and_local_hosts_only_when_allow_listed():
    dev = AllowList.parse("127.0.0.1, localhost:8080")
    assert validate_webhook_url("http://127.0.0.1:8080/hook", allowed=dev)
    assert validate_webhook_url("http://127.1:9/hook", allowed=dev)  # the same host, normalised
    assert validate_webhook_url("http://localhost:8080/hook", allowed=dev)
    for url in ("http://localhost:8081/hook", "http://hooks.example/hook", "https://[::1]/hook"):
        with pytest.raises(InvalidWebhookUrl):
            validate_webhook_url(url, allowed=dev)
    with pytest.raises(InvalidWebhookUrl):
        validate_webhook_url("http://127.0.0.1:8080/hook")


def test_webhook_body_is_utf8_json_with_only_visible_data():
    route = TABLE.route("matching.tenancy.agreed", Role.COMPANY)
    data = dict(SAMPLE_DATA["matching.tenancy.agreed"], urgency="emergency")
    event = Event.from_envelope(envelope("matching.tenancy.agreed", data))
    body = encode_body(
        webhook_payload(delivery_id="d-1", event_id=event.id, event_type=event.type,
                        occurred_at=event.occurred_at, data=route.visible_data(event.data))
    )
    assert "Königstraße".encode("utf-8") in body
    parsed = json.loads(body)
    assert parsed["occurred_at"] == "2026-02-27T08:15:00Z"
    assert parsed["data"]["cold_rent_cents"] == 61800
    assert "urgency" not in parsed["data"] and "company_id" not in parsed["data"]


@pytest.mark.parametrize("text, normalised", [("a@b.de", "a@b.de"), (" Info@Süd-Wohnbau.DE ", "Info@xn--sd-wohnbau-9db.de")])
def test_addresses_are_normalised(text, normalised):
    assert parse_email_address(text) == normalised


@pytest.mark.parametrize("text", ["", "x", "a@b", "a@@b.de", "a b@c.de", "a@b.de, c@d.de", "a@b.de\r\nBcc: x@y.de", "Jörg@b.de"])
def test_bad_addresses_are_refused(text):
    with pytest.raises(InvalidEmailAddress):
        parse_email_address(text)
    assert not is_email_address(text)


def _email(event_type=None, role=Role.HOUSEHOLD, to="juergen.mueller@example.org", name="Jürgen Müller"):
    event = Event.from_envelope(envelope(event_type or "matching.tenancy.agreed"))
    message = render_message(renderer(), TABLE.route(event.type, role), event, name)
    built = build_email(message, sender=SENDER, to_email=to, to_name=name, notification_id="n-42",
                        sent_at=SENT, event_type=event.type)
    return message, message_from_bytes(built.as_bytes(), policy=policy.default)


def test_email_reads_back_with_umlauts_and_both_parts():
    message, parsed = _email()
    assert parsed["Subject"] == message.subject
    assert parsed["To"].addresses[0].display_name == "Jürgen Müller"
    assert parsed["From"].addresses[0].addr_spec == "wohnenplus@stuttgart.example"
    assert parsed["Message-ID"] == "<n-42@stuttgart.example>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Date"].datetime == SENT
    text = parsed.get_body(("plain",))
    assert text.get_content_charset() == "utf-8"
    assert text.get_content() == message.text
    assert "853,50 €" in text.get_content()
    assert "Königstraße" in parsed.get_body(("html",)).get_content()


def test_raw_email_is_7bit_safe():
    _, parsed = _email()
    assert all(byte < 128 for byte in parsed.as_bytes())


def test_email_to_an_invalid_address_is_refused():
    with pytest.raises(InvalidEmailAddress):
        _email(to="juergen.mueller@")


def test_development_allow_list_still_refuses_other_private_networks():
    with pytest.raises(InvalidWebhookUrl, match="private"):
        validate_webhook_url("https://192.168.1.20/hook", allowed=AllowList.parse("127.0.0.1"))
