"""The API describes itself: every path of the issue is in the OpenAPI document."""


def test_openapi_lists_the_support_api(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json["paths"]
    for path in [
        "/api/v1/caseworkers", "/api/v1/caseworkers/{caseworker_id}/calendar.ics", "/api/v1/caseworkers/{caseworker_id}/absences",
        "/api/v1/cases", "/api/v1/cases/{case_id}/close", "/api/v1/cases/{case_id}/reassign",
        "/api/v1/cases/{case_id}/appointments", "/api/v1/appointments/{appointment_id}/reschedule",
        "/api/v1/appointments/{appointment_id}/cancel", "/api/v1/appointments/{appointment_id}/complete",
        "/api/v1/appointments/{appointment_id}/missed", "/api/v1/crises",
    ]:
        assert path in paths, path
    assert "text/calendar" in paths["/api/v1/caseworkers/{caseworker_id}/calendar.ics"]["get"]["responses"]["200"]["content"]
