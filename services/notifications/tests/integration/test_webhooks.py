"""Company webhooks: registration over the API, signed POSTs to a real local receiver."""

import json
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from notifications.config import routing_table
from notifications.models import Notification, WebhookEndpoint

from sample_events import COMPANY_ID, OTHER_COMPANY_ID

pytestmark = pytest.mark.usefixtures("registered_companies")


def register(client, tokens, url, company_id=COMPANY_ID):
    return client.put(f"/api/v1/companies/{company_id}/webhook", json={"url": url},
                      headers=tokens.company(company_id))


def verified(receiver_request, secret):
    """What a company's receiver does: the standardwebhooks library, nothing of ours."""
    headers, body = receiver_request
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


def test_company_system_receives_signed_contract_events(client, tokens, record, deliver, receiver, db):
    response = register(client, tokens, receiver.url)
    assert response.status_code == 200, response.json
    secret = response.json["secret"]
    record("contracts.contract.activated")
    assert deliver() == 1
    [request] = receiver.requests
    assert verified(request, secret)
    assert not verified(request, "whsec_" + "A" * 44)
    headers, body = request
    tampered = (headers, body.replace(b"GV-2026-00042", b"GV-2026-00043"))
    assert not verified(tampered, secret)
    assert not any(name.lower().startswith("x-wohnenplus") for name in headers)
    payload = json.loads(body)
    assert payload["type"] == "contracts.contract.activated"
    assert payload["data"]["contract_no"] == "GV-2026-00042"
    assert "company_id" not in payload["data"]
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    with db.session() as session:
        note = session.scalars(select(Notification).where(Notification.channel == "webhook")).one()
    assert payload["id"] == note.id == headers["webhook-id"]
    assert note.state == "delivered"


def test_tenancy_webhook_carries_umlauts_as_utf8(client, tokens, record, deliver, receiver):
    register(client, tokens, receiver.url)
    record("matching.tenancy.agreed")
    deliver()
    [(_, body)] = receiver.requests
    assert "Königstraße 12".encode() in body
    assert json.loads(body)["data"]["household"]["name"] == "Jürgen Müller"


def test_no_webhook_for_routes_not_meant_for_company_systems(client, tokens, record, deliver, receiver):
    register(client, tokens, receiver.url)
    record("support.case.opened")
    deliver()
    assert receiver.requests == []


def test_receiver_errors_are_retried_until_accepted(client, tokens, record, deliver, receiver, clock, db):
    register(client, tokens, receiver.url)
    receiver.statuses = [500, 503, 200]
    record("contracts.claim.paid")
    deliver()
    clock.advance(seconds=31)
    deliver()
    clock.advance(seconds=61)
    deliver()
    clock.advance(hours=2)
    deliver()
    assert len(receiver.requests) == 3
    with db.session() as session:
        note = session.scalars(select(Notification).options(selectinload(Notification.history))
                               .where(Notification.channel == "webhook")).one()
        assert [(a.ok, a.error) for a in note.history] == [(False, "http 500"), (False, "http 503"), (True, None)]


def test_rotated_secret_old_and_new_both_verify_during_grace(client, tokens, record, deliver, receiver):
    old = register(client, tokens, receiver.url).json["secret"]
    rotated = client.post(f"/api/v1/companies/{COMPANY_ID}/webhook/rotate-secret", headers=tokens.company(COMPANY_ID))
    assert rotated.status_code == 200
    new = rotated.json["secret"]
    assert new != old and rotated.json["previous_secret_expires_at"]
    record("contracts.claim.decided")
    deliver()
    [request] = receiver.requests
    assert verified(request, new) and verified(request, old)
    assert len(request[0]["webhook-signature"].split(" ")) == 2


def test_redelivered_event_sends_no_second_webhook(client, tokens, bus, worker, wait_until, deliver, receiver, db):
    from sample_events import SAMPLE_DATA

    register(client, tokens, receiver.url)
    event = bus.publish("contracts.contract.created", SAMPLE_DATA["contracts.contract.created"], source="contracts")
    bus.publish("contracts.contract.created", SAMPLE_DATA["contracts.contract.created"], event_id=event.id,
                source="contracts")

    def count():
        with db.session() as session:
            return len(session.scalars(select(Notification).where(Notification.event_id == event.id)).all())

    wait_until(count)
    deliver()
    bus.publish("contracts.contract.created", SAMPLE_DATA["contracts.contract.created"], event_id=event.id,
                source="contracts")
    wait_until(lambda: bus.queue_depth(worker.settings.queue) == 0)
    deliver()
    assert count() == 2  # inbox and webhook, once each
    assert len(receiver.requests) == 1


def test_webhook_api_rules(client, tokens, receiver, monkeypatch):
    company = tokens.company(COMPANY_ID)
    base = f"/api/v1/companies/{COMPANY_ID}/webhook"
    assert client.get(base, headers=company).status_code == 404
    assert client.post(base + "/rotate-secret", headers=company).status_code == 404
    for bad in ("http://hooks.example/x", "ftp://hooks.example/x", "https://10.0.0.1/x", "nonsense", ""):
        response = client.put(base, json={"url": bad}, headers=company)
        assert response.status_code == 422, bad
        assert response.content_type == "application/problem+json"
        assert "url" in response.json["errors"]["json"]
    assert client.put(base, json={}, headers=company).status_code == 422
    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS", "")
    assert client.put(base, json={"url": receiver.url}, headers=company).status_code == 422
    monkeypatch.setenv("NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")

    created = client.put(base, json={"url": receiver.url}, headers=company)
    assert created.status_code == 200 and created.json["secret"].startswith("whsec_")
    changed = client.put(base, json={"url": receiver.url + "/v2"}, headers=company)
    assert changed.json["url"] == receiver.url + "/v2" and "secret" not in changed.json
    shown = client.get(base, headers=company)
    assert shown.status_code == 200 and "secret" not in shown.json
    assert client.get(base, headers=tokens.staff()).status_code == 200

    other = tokens.company(OTHER_COMPANY_ID)
    assert client.get(base, headers=other).status_code == 404
    assert client.put(base, json={"url": receiver.url}, headers=other).status_code == 404
    assert client.post(base + "/rotate-secret", headers=other).status_code == 404
    assert client.delete(base, headers=other).status_code == 404
    assert client.get(base, headers=tokens.caseworker(str(uuid.uuid4()))).status_code == 403
    assert client.put(base, json={"url": receiver.url}).status_code == 401

    assert client.delete(base, headers=company).status_code == 204
    assert client.get(base, headers=company).status_code == 404


def test_removed_endpoint_fails_pending_webhooks(client, tokens, record, deliver, receiver, db):
    register(client, tokens, receiver.url)
    record("contracts.contract.expiring")
    client.delete(f"/api/v1/companies/{COMPANY_ID}/webhook", headers=tokens.company(COMPANY_ID))
    deliver()
    with db.session() as session:
        note = session.scalars(select(Notification).where(Notification.channel == "webhook")).one()
    assert (note.state, note.last_error) == ("failed", "webhook endpoint removed")
    assert receiver.requests == []


def test_old_secret_stops_signing_after_the_grace_period(client, tokens, record, deliver, receiver, clock):
    old = register(client, tokens, receiver.url).json["secret"]
    new = client.post(f"/api/v1/companies/{COMPANY_ID}/webhook/rotate-secret",
                      headers=tokens.company(COMPANY_ID)).json["secret"]
    clock.advance(hours=25)
    record("contracts.claim.paid")
    deliver()
    [request] = receiver.requests
    assert verified(request, new) and not verified(request, old)


WEBHOOK_EVENTS = sorted(r.event_type for r in routing_table().routes if r.webhook)


def test_every_webhook_verifies_with_the_library_and_fits_the_document(client, tokens, record, deliver, receiver):
    from webhook_document import delivery_problems

    secret = register(client, tokens, receiver.url).json["secret"]
    for event_type in WEBHOOK_EVENTS:
        record(event_type)
    while deliver():
        pass
    assert sorted(json.loads(body)["type"] for _, body in receiver.requests) == WEBHOOK_EVENTS
    for headers, body in receiver.requests:
        payload = Webhook(secret).verify(body, headers)  # the standard library, for 100 % of them
        assert delivery_problems(payload["type"], payload) == []
        assert headers["webhook-id"] == payload["id"]


def test_an_endpoint_from_before_the_switch_gets_both_header_sets_until_it_rotates(
        client, tokens, record, deliver, receiver, db, clock):
    import hashlib
    import hmac
    import secrets

    from notifications.domain.signing import standard_from_legacy

    former = "whsec_" + secrets.token_urlsafe(32)  # what the company holds from before
    with db.session() as session:
        session.add(WebhookEndpoint(company_id=COMPANY_ID, url=receiver.url, secret=standard_from_legacy(former),
                                    legacy_signature=True, created_at=clock.now(), updated_at=clock.now()))
        session.commit()
    assert client.get(f"/api/v1/companies/{COMPANY_ID}/webhook",
                      headers=tokens.company(COMPANY_ID)).json["legacy_signature"] is True
    record("contracts.claim.paid")
    deliver()
    [(headers, body)] = receiver.requests
    expected = hmac.new(former.encode(), headers["X-WohnenPlus-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-WohnenPlus-Signature"] == "v1=" + expected.hexdigest()  # the former receiver's check
    assert verified((headers, body), standard_from_legacy(former))  # and the library's

    rotated = client.post(f"/api/v1/companies/{COMPANY_ID}/webhook/rotate-secret", headers=tokens.company(COMPANY_ID))
    assert rotated.json["legacy_signature"] is False
    record("contracts.claim.decided")
    deliver()
    headers, body = receiver.requests[1]
    assert "X-WohnenPlus-Signature" not in headers
    assert verified((headers, body), rotated.json["secret"]) and verified((headers, body), standard_from_legacy(former))


def test_ids_and_claims_that_cannot_be_stored_are_refused_not_500(client, tokens, settings, receiver):
    # Issue 23, finding 4: a 37-character id in the path, a company token with a 40-character
    # company_id, a staff token with a 200-character sub: each answered 500.
    from servicekit.auth import mint_token

    admin = tokens.admin()
    for company_id in ("c" * 37, COMPANY_ID + "0", "not-a-uuid"):
        response = client.put(f"/api/v1/companies/{company_id}/webhook", json={"url": receiver.url}, headers=admin)
        assert response.status_code == 404, (company_id, response.status_code)
    long_company = mint_token(settings, sub="u", roles=["company"], company_id="c" * 40)
    assert client.put(f"/api/v1/companies/{'c' * 40}/webhook", json={"url": receiver.url},
                      headers={"Authorization": f"Bearer {long_company}"}).status_code == 401
    long_sub = mint_token(settings, sub="s" * 200, roles=["admin"])
    assert client.put(f"/api/v1/companies/{COMPANY_ID}/webhook", json={"url": receiver.url},
                      headers={"Authorization": f"Bearer {long_sub}"}).status_code == 401
    upper = client.put(f"/api/v1/companies/{COMPANY_ID.upper()}/webhook", json={"url": receiver.url}, headers=admin)
    assert upper.status_code == 200 and upper.json["company_id"] == COMPANY_ID


def test_a_company_nobody_registered_gets_no_endpoint(client, tokens, receiver, db):
    # Issue 23, finding 5: admins (and a company token with a random UUID) created endpoints for
    # companies that do not exist.
    stranger = str(uuid.uuid4())
    for headers in (tokens.admin(), tokens.company(stranger)):
        response = client.put(f"/api/v1/companies/{stranger}/webhook", json={"url": receiver.url}, headers=headers)
        assert response.status_code == 422 and "company_id" in response.json["errors"]["json"]
    with db.session() as session:
        assert session.get(WebhookEndpoint, stranger) is None
