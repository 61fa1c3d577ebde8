"""Every message people receive, over the whole routing table, read as its recipient would
(issue 22): one message per (event type, role), rendered from an event shaped as its producer
publishes it, with the names the directory knows.

No id in what people read (only inside the link's URL), amounts and dates in German format, the
references people quote present, the HTML part showing exactly the text and escaping it, and a link
to the matter for everybody with a login (not for households, who have none)."""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
import yaml

from notifications.config import renderer, routing_table
from notifications.domain.catalogue import Event, Role
from notifications.domain.formatting import date_de, euro, period_de
from notifications.domain.links import AUDIENCE
from notifications.domain.planning import REFERENCE_FIELDS, render_message

from message_samples import DIRECTORY, DOC, document
from sample_events import SAMPLE_DATA, envelope
from schema_errors import schema_errors

TABLE = routing_table()
RENDERER = renderer()
SERVICES = Path(__file__).resolve().parents[3]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
ISO_DAY_OR_MONTH = re.compile(r"\b\d{4}-\d{2}(-\d{2})?\b")
AMOUNT = re.compile(r"(\S+) ?(?:€|EUR)")
GERMAN_AMOUNT = re.compile(r"-?\d{1,3}(\.\d{3})*,\d{2}")

PORTAL = "https://portal.example/{audience}/{service}"

#: Shown wherever a route may show it: value in the event (or directory) -> text people read.
SHOWN = {
    "contract_no": str,
    "household_reference": str,
    "case_reference": str,
    "payout_reference": str,
    "unit_ref": str,
    "household_name": str,
    "company_name": str,
    "caseworker_name": str,
    "submitted_on": date_de,
    "period": period_de,
    "address": lambda a: a["street"],
}


def base_url(audience: str) -> str:
    return PORTAL.replace("{audience}", audience)


def _render(route):
    event = Event.from_envelope(envelope(route.event_type))
    return event, render_message(RENDERER, route, event, "Dörte Weiß", DIRECTORY, base_url)


def _visible(route, event):
    return {**route.visible_references(DIRECTORY), **route.visible_data(event.data)}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_data(self, data):
        self.parts.append(data)


def _words(text: str) -> list[str]:
    return [word for word in text.split() if word != "--"]  # the signature delimiter


ROUTES = pytest.mark.parametrize("route", TABLE.routes, ids=lambda r: f"{r.event_type}/{r.role.value}")


@lru_cache(maxsize=None)
def _producer_schema(event_type: str) -> dict:
    spec = yaml.safe_load((SERVICES / event_type.split(".")[0] / "asyncapi.yaml").read_text(encoding="utf-8"))
    channel = next(c for c in spec["channels"].values() if c["address"] == event_type)
    ref = next(iter(channel["messages"].values()))["$ref"]
    return {"$ref": f"{ref}/payload", "components": spec["components"]}


@pytest.mark.parametrize("event_type", sorted(TABLE.event_types))
def test_each_sample_is_what_its_producer_publishes(event_type):
    errors = schema_errors(SAMPLE_DATA[event_type], _producer_schema(event_type),
                           format_checker=jsonschema.FormatChecker())
    assert errors == [], f"the sample of {event_type} is not what its producer's asyncapi.yaml promises"


@ROUTES
def test_no_id_in_what_people_read(route):
    _, message = _render(route)
    link = _Text()
    link.feed(message.html)
    for part, text in (("subject", message.subject), ("text", message.text), ("html", message.html)):
        for url in link.links:
            text = text.replace(url, "<link>")
        assert not UUID.search(text), f"{part} shows an id: {UUID.search(text).group()}"


@ROUTES
def test_amounts_and_dates_are_german(route):
    event, message = _render(route)
    readable = message.subject + "\n" + message.text
    assert not ISO_DAY_OR_MONTH.search(readable), ISO_DAY_OR_MONTH.search(readable).group()
    for amount in AMOUNT.findall(readable):
        assert GERMAN_AMOUNT.fullmatch(amount), amount
    visible = _visible(route, event)
    for key, value in visible.items():
        # a payout names the approved amount only, which is what is paid
        if key.endswith("_cents") and isinstance(value, int) and not (
                key == "amount_cents" and route.event_type == "contracts.claim.paid"):
            assert euro(value) in readable, key


@ROUTES
def test_the_references_people_quote_are_there(route):
    event, message = _render(route)
    readable = message.subject + "\n" + message.text
    for key, value in _visible(route, event).items():
        if key in SHOWN and value:
            assert SHOWN[key](value) in readable, f"{key} ({value!r}) missing"
    if route.role is not Role.HOUSEHOLD and route.event_type not in (
            "contracts.company.registered", "support.caseworker.registered", "notifications.delivery.failed"):
        # everything else is about a matter a person must recognise without the link
        assert any(key in SHOWN for key in _visible(route, event)), "names nothing people know"


@ROUTES
def test_the_html_part_shows_the_text_and_escapes_it(route):
    _, message = _render(route)
    parsed = _Text()
    parsed.feed(message.html)
    shown = " ".join(parsed.parts)
    assert _words(message.text) == _words(shown)[len(_words("WohnenPlus – Landeshauptstadt Stuttgart")) + len(
        _words(message.subject)):], "the HTML part differs from the text"
    assert "<Familie>" not in message.html and "& Co" not in message.html
    assert '<meta name="viewport"' in message.html
    for garbled in ("Ã", "Â", "\ufffd", "None", "{{", "{%", "()"):
        assert garbled not in message.subject + message.text, garbled


@ROUTES
def test_a_link_to_the_matter_except_for_households(route):
    event, message = _render(route)
    found = re.findall(r"^Zum Vorgang: (\S+)$", message.text, re.MULTILINE)
    if route.role is Role.HOUSEHOLD:
        assert found == [] and "http" not in message.text
        return
    assert route.link, "every route to a person with a login names its link"
    [link] = found
    service, _, path = route.link.partition(":")
    expected = base_url(AUDIENCE[route.role]).format(service=service) + path.format(**_visible(route, event))
    assert link == expected
    assert f'<a href="{link}"' in message.html


def test_without_a_base_url_the_message_has_no_link():
    route = TABLE.route("contracts.claim.paid", Role.COMPANY)
    event = Event.from_envelope(envelope(route.event_type))
    message = render_message(RENDERER, route, event, None, DIRECTORY, lambda audience: None)
    assert "Zum Vorgang" not in message.text and "<a " not in message.html


def test_an_older_event_without_the_new_references_still_renders():
    """Events published before the producers added references (issue 22) are still in queues."""
    old = {k: v for k, v in SAMPLE_DATA["contracts.claim.paid"].items()
           if k not in ("contract_no", "household_reference", "period", "submitted_on", "payout_reference")}
    route = TABLE.route("contracts.claim.paid", Role.COMPANY)
    event = Event.from_envelope(envelope(route.event_type, old))
    message = render_message(RENDERER, route, event, None, {}, base_url)
    assert "Forderung: Mietschulden" in message.text and not UUID.search(message.text.replace(
        re.search(r"Zum Vorgang: (\S+)", message.text).group(1), ""))


def test_directory_references_are_whitelisted_like_event_fields():
    """A route sees a directory name only if it lists it: finance never learns who lives there."""
    route = TABLE.route("contracts.claim.submitted", Role.FINANCE)
    assert not {"household_name", "household_reference"} & set(route.fields + route.directory)
    _, message = _render(route)
    assert "Müller" not in message.text and "AS-2026" not in message.text
    assert not REFERENCE_FIELDS & {f for r in TABLE.routes for f in r.fields}, "directory names are no event fields"


def test_a_webhook_carries_event_data_only_never_directory_names():
    from notifications.domain.webhooks import webhook_payload  # noqa: F401 (the payload is built from visible_data)

    route = TABLE.route("contracts.claim.paid", Role.COMPANY)
    event = Event.from_envelope(envelope(route.event_type))
    assert "household_name" not in route.visible_data({**DIRECTORY, **event.data})


def test_the_samples_for_the_social_office_are_current():
    assert DOC.read_text(encoding="utf-8") == document(), (
        "docs/MESSAGES.md is out of date: regenerate it (see tests/message_samples.py)")
