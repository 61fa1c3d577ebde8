"""The app factory: problem+json for every error, OpenAPI and docs served locally, health, metrics."""

from __future__ import annotations

import dataclasses

from openapi_spec_validator import validate

from servicekit.web import create_app


def test_invalid_fields_are_named_in_a_422_problem(client, tokens):
    response = client.post("/api/v1/notes", json={"text": 5, "extra": 1}, headers=tokens.staff())
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == 422 and body["title"] == "Unprocessable Content"
    assert set(body["errors"]["json"]) == {"company_id", "text", "extra"}
    assert "company_id" in body["detail"]


def test_malformed_json_and_unknown_routes_and_methods_are_problems(client, tokens):
    bad = client.post("/api/v1/notes", data="{", content_type="application/json", headers=tokens.staff())
    assert bad.status_code == 400 and bad.content_type == "application/problem+json"
    assert bad.json["detail"] == "The request body is not valid JSON."
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    wrong = client.delete("/api/v1/notes", headers=tokens.staff())
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]


def test_an_unexpected_error_is_a_500_problem_without_internals(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)


def test_a_database_conflict_is_a_409_and_a_lost_database_a_503(app, client):
    from sqlalchemy.exc import IntegrityError, OperationalError

    @app.get("/race")
    def race():
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key"))

    @app.get("/db-away")
    def db_away():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    conflict = client.get("/race")
    assert conflict.status_code == 409 and conflict.content_type == "application/problem+json"
    away = client.get("/db-away")
    assert away.status_code == 503 and away.headers["Retry-After"] == "5"
    assert "refused" not in away.get_data(as_text=True)


def test_openapi_document_is_valid_and_documents_problems_and_auth(client):
    spec = client.get("/openapi.json").json
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "application/problem+json" in spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    for operation in (spec["paths"]["/api/v1/notes"]["post"], spec["paths"]["/api/v1/notes/{note_id}"]["get"]):
        assert {"401", "403"} <= set(operation["responses"])  # documented by `requires` itself


def test_docs_page_and_its_assets_are_served_locally(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html and "//cdn" not in html and "unpkg" not in html
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_healthz_readyz_and_metrics(client, tokens):
    assert client.get("/healthz").json == {"status": "ok", "service": "kittest"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {"database": "ok", "broker": "ok"}
    client.post("/api/v1/notes", json={"company_id": "c", "text": "x"}, headers=tokens.staff())
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{method="POST",route="/api/v1/notes",service="kittest",status="201"}' in metrics


def test_readyz_is_503_when_the_broker_is_down(service, settings, db):
    app = create_app(service, dataclasses.replace(settings, bus_url="amqp://guest:guest@127.0.0.1:1/%2F"), db=db)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["broker"] == "unavailable"


def test_correlation_id_is_taken_from_the_request_and_carried_into_events(client, tokens, db):
    response = client.post("/api/v1/notes", json={"company_id": "c", "text": "x"},
                           headers={**tokens.staff(), "X-Correlation-ID": "req-42"})
    assert response.headers["X-Correlation-ID"] == "req-42"
    from sqlalchemy import select

    from servicekit.db import outbox

    with db.session() as s:
        assert s.scalar(select(outbox.c.correlation_id)) == "req-42"
