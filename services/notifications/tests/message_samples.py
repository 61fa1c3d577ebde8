"""The German messages of every route, rendered from the sample events, for the social office to
review (docs/MESSAGES.md). tests/unit/test_messages.py fails when the document is not current.

Regenerate from the repository root:

    PYTHONPATH=libs/servicekit:services/notifications:services/notifications/tests \\
        .venv/bin/python services/notifications/tests/message_samples.py > docs/MESSAGES.md
"""

from __future__ import annotations

from pathlib import Path

from notifications import config
from notifications.domain.catalogue import Event
from notifications.domain.planning import render_message

from sample_events import CASE_ID, envelope

DOC = Path(__file__).resolve().parents[3] / "docs" / "MESSAGES.md"

#: What notifications' directory knows from earlier events (names it adds to the messages).
DIRECTORY = {
    "household_name": "Jürgen Müller <Familie>",
    "company_name": "Süd-Wohnbau GmbH & Co. KG",
    "caseworker_name": "Dörte Weiß",
    "case_id": CASE_ID,
}

#: The name the directory greets each recipient by.
GREETED = {"company": "Süd-Wohnbau GmbH & Co. KG", "household": "Jürgen Müller", "caseworker": "Dörte Weiß",
           "contact_person": "Dörte Weiß"}

ROLES = {
    "company": "Wohnungsunternehmen",
    "household": "Haushalt",
    "caseworker": "Fachkraft (Termine)",
    "contact_person": "feste Ansprechperson des Haushalts",
    "staff": "Postfach der Sachbearbeitung",
    "finance": "Postfach der Stadtkämmerei",
    "operators": "Postfach des Betriebs",
}


def default_base_url(audience: str) -> str | None:
    return config.links()["base_urls"].get(audience)


def render_all():
    renderer = config.renderer()
    for route in config.routing_table().routes:
        event = Event.from_envelope(envelope(route.event_type))
        name = GREETED.get(route.role.value)  # shared mailboxes are greeted without a name
        yield route, render_message(renderer, route, event, name, DIRECTORY, default_base_url)


def document() -> str:
    lines = [
        "# The messages people receive",
        "",
        "Generated from `services/notifications/tests/sample_events.py` by",
        "`services/notifications/tests/message_samples.py` (see there how to regenerate; a test fails",
        "when this file is not current). One message per event and recipient, as the plain-text part",
        "of the mail and the inbox show it; the HTML part shows the same text under the city's sender",
        "line. Names marked `<Familie>` test that the HTML part escapes what it shows.",
        "",
        "Wording is in `services/notifications/notifications/templates/`, German words for codes in",
        "`notifications/config/labels.json`, who hears what in `notifications/config/routing.json`.",
        "",
    ]
    for route, message in render_all():
        lines += [
            f"## {route.event_type} → {ROLES[route.role.value]}",
            "",
            f"**Betreff:** {message.subject}",
            "",
            "```text",
            message.text.rstrip("\n"),
            "```",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(document(), end="")
