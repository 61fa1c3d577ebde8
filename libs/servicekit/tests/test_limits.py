"""What a caller may send and how often: 413, 400, 422 and 429 as problem+json, rates per company and
for refused credentials, configurable per environment."""

from __future__ import annotations

import io
import json

import pytest

from servicekit.web import create_app

NOTE = {"company_id": "c", "text": "x"}


@pytest.fixture
def limited(service, settings, db, monkeypatch):
    """An app with small limits, as an environment would configure them."""

    def make(**env: str):
        for name, value in {"RATELIMIT_ENABLED": "true", **env}.items():
            monkeypatch.setenv(name, value)
        app = create_app(service, settings, db=db)
        app.testing = True
        return app.test_client()

    return make


def test_a_company_is_throttled_per_company_with_retry_after(limited, tokens):
    client = limited(RATELIMIT_COMPANY="3/minute")
    a, b = tokens.company("00000000-0000-4000-8000-00000000000a"), tokens.company("00000000-0000-4000-8000-00000000000b")
    assert [client.get("/api/v1/notes/00000000-0000-0000-0000-000000000001", headers=a).status_code
            for _ in range(3)] == [404, 404, 404]
    refused = client.get("/api/v1/notes/00000000-0000-0000-0000-000000000001", headers=a)
    assert refused.status_code == 429 and refused.content_type == "application/problem+json"
    assert refused.json["status"] == 429 and refused.json["title"] == "Too Many Requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # another company and the city's own roles are not affected by company A's loop
    assert client.get("/api/v1/notes/00000000-0000-0000-0000-000000000001", headers=b).status_code == 404
    assert client.post("/api/v1/notes", json=NOTE, headers=tokens.staff()).status_code == 201


def test_refused_credentials_are_throttled_per_address_but_valid_tokens_are_not(limited, tokens):
    client = limited(RATELIMIT_AUTH_FAILURES="2/minute")
    bad = {"Authorization": "Bearer not-a-token"}
    assert [client.post("/api/v1/notes", json=NOTE, headers=bad).status_code for _ in range(2)] == [401, 401]
    refused = client.post("/api/v1/notes", json=NOTE, headers=bad)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.post("/api/v1/notes", json=NOTE).status_code == 429  # no token either
    # someone with a valid token behind the same address is never locked out by the guesser
    assert client.post("/api/v1/notes", json=NOTE, headers=tokens.staff()).status_code == 201


def test_a_wrong_query_secret_counts_as_a_refused_credential(limited, app):
    client = limited(RATELIMIT_AUTH_FAILURES="2/minute")
    statuses = [client.get("/api/v1/notes/00000000-0000-0000-0000-000000000001?token=guess").status_code
                for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_successful_requests_do_not_count_as_failures(limited, tokens):
    client = limited(RATELIMIT_AUTH_FAILURES="2/minute")
    for _ in range(5):
        assert client.post("/api/v1/notes", json=NOTE, headers=tokens.staff()).status_code == 201


def test_limits_can_be_switched_off_for_benchmarks(limited, tokens):
    client = limited(RATELIMIT_COMPANY="1/minute", RATELIMIT_AUTH_FAILURES="1/minute", RATELIMIT_ENABLED="false")
    a = tokens.company("00000000-0000-4000-8000-00000000000a")
    assert {client.get("/api/v1/notes/00000000-0000-0000-0000-000000000001", headers=a).status_code
            for _ in range(5)} == {404}
    assert {client.post("/api/v1/notes", json=NOTE).status_code for _ in range(5)} == {401}


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(limited):
    client = limited(RATELIMIT_AUTH_FAILURES="1/minute", TRUSTED_PROXY_HOPS="1")
    one, two = {"X-Forwarded-For": "192.0.2.1"}, {"X-Forwarded-For": "192.0.2.2"}
    assert client.post("/api/v1/notes", json=NOTE, headers=one).status_code == 401
    assert client.post("/api/v1/notes", json=NOTE, headers=one).status_code == 429
    assert client.post("/api/v1/notes", json=NOTE, headers=two).status_code == 401


def test_a_body_over_the_limit_is_413_with_or_without_content_length(limited, tokens):
    client = limited(MAX_REQUEST_BYTES="1000")
    big = json.dumps({**NOTE, "text": "x" * 2000}).encode()
    sized = client.post("/api/v1/notes", data=big, content_type="application/json", headers=tokens.staff())
    assert sized.status_code == 413 and sized.content_type == "application/problem+json"
    assert "1000 bytes" in sized.json["detail"]
    chunked = client.post("/api/v1/notes", input_stream=io.BytesIO(big), content_type="application/json",
                          headers={**tokens.staff(), "Transfer-Encoding": "chunked"},
                          environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 413, "a chunked body must not be cut at the limit and parsed"
    small = json.dumps(NOTE).encode()
    ok = client.post("/api/v1/notes", input_stream=io.BytesIO(small), content_type="application/json",
                     headers={**tokens.staff(), "Transfer-Encoding": "chunked"},
                     environ_overrides={"wsgi.input_terminated": True})
    assert ok.status_code == 201


def test_nul_characters_are_refused_naming_the_field(client, tokens, db):
    from conftest import note_count

    before = note_count(db)
    body = client.post("/api/v1/notes", json={"company_id": "c", "text": "a\x00b"}, headers=tokens.staff())
    assert body.status_code == 422 and body.json["errors"] == {"json": {"text": ["must not contain the NUL character"]}}
    assert "text" in body.json["detail"]
    nested = client.post("/api/v1/notes", json={"company_id": "c", "text": "x", "tags": [{"k": "\x00"}]},
                         headers=tokens.staff())
    assert nested.status_code == 422 and nested.json["errors"]["json"] == {"tags": {"0": {"k": [
        "must not contain the NUL character"]}}}
    query = client.get("/api/v1/privacy/access-log?actor=a%00b", headers=tokens.headers("dpo"))
    assert query.status_code == 422 and "actor" in query.json["errors"]["query"]
    path = client.get("/api/v1/people/a%00b", headers=tokens.staff())
    assert path.status_code == 422 and "person_id" in path.json["errors"]["path"]
    assert note_count(db) == before


def test_deeply_nested_json_is_a_400_not_a_500(client, tokens):
    for depth in (100, 100_000):
        response = client.post("/api/v1/notes", data="[" * depth + "]" * depth, content_type="application/json",
                               headers=tokens.staff())
        assert response.status_code == 400 and response.content_type == "application/problem+json", depth
        assert "nested deeper" in response.json["detail"]


def _lock_out(client, limit: int) -> None:
    """Spend the address's budget of refused credentials, as an anonymous guesser would."""
    for _ in range(limit):
        assert client.post("/api/v1/notes", json=NOTE, headers={"Authorization": "Bearer guess"}).status_code == 401
    assert client.post("/api/v1/notes", json=NOTE, headers={"Authorization": "Bearer guess"}).status_code == 429


def test_operational_routes_answer_after_a_guesser_spent_the_address_budget(limited):
    # Behind a proxy every client shares one address: a guesser must not take the load balancer's
    # health checks, the scrape or the API description down with it (issue 23, finding 2).
    client = limited(RATELIMIT_AUTH_FAILURES="2/minute")
    _lock_out(client, 2)
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/assets/swagger-ui.css"):
        for _ in range(3):
            assert client.get(path).status_code != 429, path
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_a_valid_query_secret_is_never_refused_but_wrong_ones_are(limited, monkeypatch):
    from servicekit.web import limits

    monkeypatch.setitem(limits._QUERY_CREDENTIALS, "notes.NoteById", lambda args, token: token == "the-secret")
    client = limited(RATELIMIT_AUTH_FAILURES="2/minute")
    path = "/api/v1/notes/00000000-0000-0000-0000-000000000001"
    assert [client.get(f"{path}?token=guess-{i}").status_code for i in range(3)] == [401, 401, 429]
    # the subscriber behind the same address: its request reaches the view (which answers for itself)
    assert {client.get(f"{path}?token=the-secret").status_code for _ in range(5)} == {401}
    assert client.get(f"{path}?token=guess-4").status_code == 429


def test_a_query_check_that_fails_accepts_nothing(limited, monkeypatch):
    from servicekit.web import limits

    def broken(args, token):
        raise RuntimeError("database away")

    monkeypatch.setitem(limits._QUERY_CREDENTIALS, "notes.NoteById", broken)
    client = limited(RATELIMIT_AUTH_FAILURES="1/minute")
    path = "/api/v1/notes/00000000-0000-0000-0000-000000000001"
    assert [client.get(f"{path}?token=x").status_code for _ in range(2)] == [401, 429]


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server of the test's own on a free port."""
    import shutil
    import socket
    import subprocess

    from servicekit.testing import wait_until

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (deploy/install-tools.sh installs it)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        wait_until(answers, timeout=20, interval=0.1, message="redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_with_a_shared_store_two_workers_share_one_count(limited, redis_url):
    # Two apps stand for two gunicorn workers: with memory:// each would admit its own 2 failures.
    first = limited(RATELIMIT_AUTH_FAILURES="2/minute", RATELIMIT_STORAGE_URI=redis_url)
    second = limited(RATELIMIT_AUTH_FAILURES="2/minute", RATELIMIT_STORAGE_URI=redis_url)
    assert first.post("/api/v1/notes", json=NOTE).status_code == 401
    assert second.post("/api/v1/notes", json=NOTE).status_code == 401
    assert first.post("/api/v1/notes", json=NOTE).status_code == 429
    assert second.post("/api/v1/notes", json=NOTE).status_code == 429


def test_with_memory_storage_each_worker_counts_alone(limited):
    first = limited(RATELIMIT_AUTH_FAILURES="1/minute")
    second = limited(RATELIMIT_AUTH_FAILURES="1/minute")
    assert [first.post("/api/v1/notes", json=NOTE).status_code for _ in range(2)] == [401, 429]
    assert second.post("/api/v1/notes", json=NOTE).status_code == 401  # what the README warns about
