import shutil

import pytest

from notifications.config import TEMPLATE_DIR, environment, renderer, routing_table
from notifications.domain.catalogue import Event, Role
from notifications.domain.planning import render_message
from notifications.domain.rendering import RenderError, Renderer
from notifications.domain.routing import Route
from notifications.domain.startup import MissingTemplatesError, check_templates, template_problems

from sample_events import SAMPLE_DATA, envelope

TABLE = routing_table()
RENDERER = renderer()


def test_every_routed_event_and_role_has_a_complete_template():
    assert template_problems(TABLE, RENDERER.env) == []


def test_the_samples_cover_every_routed_event():
    assert TABLE.event_types <= set(SAMPLE_DATA)


def test_a_missing_template_is_a_startup_error(tmp_path):
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, copy)
    (copy / "contracts.claim.paid" / "company.txt.j2").unlink()
    with pytest.raises(MissingTemplatesError) as error:
        check_templates(TABLE, environment(copy))
    assert error.value.problems == ["missing template contracts.claim.paid/company.txt.j2"]


def test_a_template_without_subject_is_a_startup_error(tmp_path):
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, copy)
    (copy / "contracts.claim.paid" / "company.txt.j2").write_text(
        "{% block body %}Hallo{% endblock %}", encoding="utf-8"
    )
    with pytest.raises(MissingTemplatesError, match="no block 'subject'"):
        check_templates(TABLE, environment(copy))


@pytest.mark.parametrize("route", TABLE.routes, ids=lambda r: f"{r.event_type}/{r.role.value}")
def test_every_template_renders_its_sample_event(route):
    event = Event.from_envelope(envelope(route.event_type))
    message = render_message(RENDERER, route, event, "Dörte Weiß")
    assert message.subject and "\n" not in message.subject
    assert message.text.startswith("Guten Tag Dörte Weiß,\n")
    assert "Amt für Soziales und Teilhabe" in message.text
    for garbled in ("Ã", "Â", "\ufffd", "None", "{{", "{%"):
        assert garbled not in message.subject + message.text
    assert message.html.startswith("<!DOCTYPE html>")


def test_company_proposal_gives_the_deadline_and_no_household_data():
    data = dict(SAMPLE_DATA["matching.proposal.created"], urgency="drohende Wohnungslosigkeit")
    event = Event.from_envelope(envelope("matching.proposal.created", data))
    message = render_message(RENDERER, TABLE.route(event.type, Role.COMPANY), event)
    assert "06.03.2026" in message.subject
    assert "Freitag, 06.03.2026" in message.text
    assert "2,5 Zimmer" in message.text
    assert "Wohnungslosigkeit" not in message.text
    assert data["household_id"] not in message.text


def test_tenancy_amounts_are_in_german_format_with_the_total():
    event = Event.from_envelope(envelope("matching.tenancy.agreed"))
    message = render_message(RENDERER, TABLE.route(event.type, Role.HOUSEHOLD), event, "Jürgen Müller")
    assert "Kaltmiete:    618,00 €" in message.text
    assert "Gesamt:       853,50 €" in message.text  # 618,00 + 150,00 + 85,50
    assert "Königstraße 12, 70173 Stuttgart" in message.text
    assert "Mietbeginn: Sonntag, 01.03.2026" in message.text


def test_case_opened_tells_the_household_its_contact_person_and_how_to_reach_them():
    event = Event.from_envelope(envelope("support.case.opened"))
    message = render_message(RENDERER, TABLE.route(event.type, Role.HOUSEHOLD), event)
    assert message.subject == "Ihre feste Ansprechperson: Dörte Weiß"
    assert "Telefon: +49 711 216-0" in message.text
    assert "E-Mail: doerte.weiss@stuttgart.example" in message.text


def test_appointment_time_is_berlin_time():
    event = Event.from_envelope(envelope("support.appointment.scheduled"))
    message = render_message(RENDERER, TABLE.route(event.type, Role.HOUSEHOLD), event)
    assert message.subject == "Ihr Termin am 02.03.2026 um 10:00 Uhr"
    assert "Hausbesuch\nam Montag, 02.03.2026, 10:00 Uhr bis 11:00 Uhr\n\n" in message.text


def test_optional_fields_may_be_absent():
    data = {k: v for k, v in SAMPLE_DATA["contracts.contract.terminated"].items() if k != "reason"}
    event = Event.from_envelope(envelope("contracts.contract.terminated", data))
    message = render_message(RENDERER, TABLE.route(event.type, Role.COMPANY), event)
    assert "Grund" not in message.text


def test_a_missing_required_field_fails_loudly():
    data = {k: v for k, v in SAMPLE_DATA["contracts.claim.submitted"].items() if k != "amount_cents"}
    event = Event.from_envelope(envelope("contracts.claim.submitted", data))
    with pytest.raises(RenderError, match="amount_cents"):
        render_message(RENDERER, TABLE.route(event.type, Role.FINANCE), event)


def test_a_template_cannot_use_a_field_its_route_does_not_whitelist(tmp_path):
    (tmp_path / "_layout.html.j2").write_text((TEMPLATE_DIR / "_layout.html.j2").read_text())
    (tmp_path / "t.txt.j2").write_text(
        "{% block subject %}x{% endblock %}{% block body %}{{ urgency }}{% endblock %}"
    )
    route = Route("matching.proposal.created", Role.COMPANY, "t.txt.j2", ("district",))
    data = dict(SAMPLE_DATA["matching.proposal.created"], urgency="emergency")
    event = Event.from_envelope(envelope(route.event_type, data))
    with pytest.raises(RenderError, match="urgency"):
        render_message(Renderer(environment(tmp_path)), route, event)


def test_html_alternative_escapes_what_came_from_events():
    data = dict(SAMPLE_DATA["contracts.company.registered"], name='<script>alert("x")</script> & Co')
    event = Event.from_envelope(envelope("contracts.company.registered", data))
    message = render_message(RENDERER, TABLE.route(event.type, Role.COMPANY), event)
    assert '<script>alert("x")</script> & Co' in message.text
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html and "&amp; Co" in message.html


def test_unknown_code_values_print_as_they_are():
    data = dict(SAMPLE_DATA["contracts.claim.submitted"], kind="flood")
    event = Event.from_envelope(envelope("contracts.claim.submitted", data))
    message = render_message(RENDERER, TABLE.route(event.type, Role.FINANCE), event)
    assert "Forderung: flood" in message.text


def test_termination_names_the_reason_and_date_in_german():
    event = Event.from_envelope(envelope("contracts.contract.terminated"))
    message = render_message(RENDERER, TABLE.route(event.type, Role.COMPANY), event)
    assert "vorzeitig beendet, wirksam zum 30.06.2027." in message.text
    assert "Grund: Auszug des Haushalts" in message.text


def test_a_returned_claim_is_explained_without_an_amount():
    data = dict(SAMPLE_DATA["contracts.claim.decided"], status="returned", approved_cents=None,
                reason="Bitte Mietkonto beifügen")
    event = Event.from_envelope(envelope("contracts.claim.decided", data))
    message = render_message(RENDERER, TABLE.route(event.type, Role.COMPANY), event)
    assert message.subject == "Entscheidung zu Ihrer Forderung zu Vertrag GV-2026-00042: zur Ergänzung zurückgegeben"
    assert "Bewilligter Betrag" not in message.text and "Begründung: Bitte Mietkonto beifügen" in message.text
