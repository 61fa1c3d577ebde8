"""Rate limits in real gunicorn processes of the running system, started with small limits (the
defaults are 20/s and 600/min per company, 30/min refused credentials per address; see
servicekit.web.limits): 429 problem+json with Retry-After, per company and for refused credentials
(bearer tokens and the calendar feed's secret), and nobody else locked out meanwhile."""

from __future__ import annotations

import pytest

from conftest import Api, spawn_webs, stop_webs

LIMITED = ("contracts", "support")


@pytest.fixture(scope="module")
def limited(system):
    urls = spawn_webs(system, "limited", {"RATELIMIT_COMPANY": "5/minute", "RATELIMIT_AUTH_FAILURES": "3/minute"},
                      services=LIMITED)
    yield Api(urls)
    stop_webs(system, "limited", services=LIMITED)


def _is_429(response) -> bool:
    return (response.status_code == 429 and response.headers["Content-Type"] == "application/problem+json"
            and 1 <= int(response.headers["Retry-After"]) <= 60 and response.json()["status"] == 429)


def test_a_company_is_throttled_and_told_when_to_come_back(world, limited):
    statuses = [limited.call("GET", "contracts", "/api/v1/contracts", world.a.token).status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = limited.call("GET", "contracts", "/api/v1/contracts", world.a.token)
    assert _is_429(refused), (refused.status_code, dict(refused.headers), refused.text)
    assert refused.json()["detail"].startswith("Too many requests")
    # company B's integration and the city's staff go on working
    assert limited.call("GET", "contracts", "/api/v1/contracts", world.b.token).status_code == 200
    assert limited.call("GET", "contracts", "/api/v1/contracts", world.token("staff")).status_code == 200


def test_refused_tokens_are_throttled_per_address(world, limited):
    bad = {"Authorization": "Bearer forged.token.value"}
    assert [limited.call("GET", "support", "/api/v1/cases", bad).status_code for _ in range(3)] == [401] * 3
    assert _is_429(limited.call("GET", "support", "/api/v1/cases", bad))
    assert _is_429(limited.call("GET", "support", "/api/v1/cases"))  # no token at all: also a guess
    # a caller with a valid token from the same address is not locked out by the guesser
    assert limited.call("GET", "support", "/api/v1/cases", world.token("staff")).status_code == 200


def test_guessing_a_calendar_feed_secret_is_throttled(world, system):
    # its own process: the address's budget above is spent
    urls = spawn_webs(system, "feed", {"RATELIMIT_AUTH_FAILURES": "3/minute"}, services=("support",))
    try:
        feed = Api(urls)
        path = f"/api/v1/caseworkers/{world.caseworker['id']}/calendar.ics"
        statuses = [feed.call("GET", "support", path, params={"token": f"guess-{i}"}).status_code for i in range(3)]
        assert statuses == [404] * 3
        assert _is_429(feed.call("GET", "support", path, params={"token": "guess-4"}))
    finally:
        stop_webs(system, "feed", services=("support",))


def test_a_guesser_locks_out_neither_health_checks_nor_calendar_subscribers(world, system):
    # The probe's finding: after the refused-credentials budget of one address was spent (every
    # client behind a proxy shares it), /healthz, /readyz, /metrics, /openapi.json, /docs and a
    # calendar feed with its *valid* secret answered 429 for up to a minute.
    urls = spawn_webs(system, "lockout", {"RATELIMIT_AUTH_FAILURES": "3/minute"}, services=("support",))
    try:
        api = Api(urls)
        bad = {"Authorization": "Bearer forged.token.value"}
        assert [api.call("GET", "support", "/api/v1/cases", bad).status_code for _ in range(3)] == [401] * 3
        assert _is_429(api.call("GET", "support", "/api/v1/cases", bad))
        for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
            assert [api.call("GET", "support", path).status_code for _ in range(2)] == [200, 200], path
        feed = f"/api/v1/caseworkers/{world.caseworker['id']}/calendar.ics"
        for _ in range(3):
            answer = api.call("GET", "support", feed, params={"token": world.caseworker["calendar_token"]})
            assert answer.status_code == 200 and answer.text.startswith("BEGIN:VCALENDAR")
        assert _is_429(api.call("GET", "support", feed, params={"token": "guess"}))  # guessing stays throttled
    finally:
        stop_webs(system, "lockout", services=("support",))
