"""Classify every expected effect of a chaos run as present once, lost, duplicated or unexpected.

The expectations come from the business inputs the driver made (leases by proposal id, incidents
and claims by id) and from the published specifications of what follows from them: the support
plan (`support/config/support_plan.json`, the visits due in the booking horizon) and the routing
table of notifications (`notifications/config/routing.json`, who hears of which event on which
channel). What the system did is read from the services' own databases after the run went quiet.

Notifications are keyed by the business fact an event announces (type + the id it is about), not
by event id: an event published twice under two ids would otherwise look like two facts.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Iterable

from sqlalchemy import create_engine, text

from servicekit.workdays import BERLIN

OUTCOMES = ("present once", "lost", "duplicated", "unexpected")

# The id each announced fact is about (first key of the event's data that is present).
SUBJECT_KEYS = ("appointment_id", "crisis_id", "claim_id", "incident_id", "contract_id", "case_id", "proposal_id",
                "flat_id", "caseworker_id", "household_id", "company_id", "notification_id")
SUBJECT_OF = {  # where the first present key would name the wrong thing
    "matching.tenancy.agreed": "proposal_id",
    "support.case.opened": "case_id",
    "support.case.at_risk": "case_id",
    "contracts.contract.created": "contract_id",
    "contracts.contract.activated": "contract_id",
}


@dataclass
class Tally:
    expected: set = field(default_factory=set)
    seen: Counter = field(default_factory=Counter)
    examples: dict[str, list] = field(default_factory=lambda: defaultdict(list))

    def counts(self) -> dict[str, int]:
        result = dict.fromkeys(OUTCOMES, 0)
        for key in self.expected:
            n = self.seen.get(key, 0)
            outcome = "present once" if n == 1 else "lost" if n == 0 else "duplicated"
            result[outcome] += 1
            if outcome != "present once" and len(self.examples[outcome]) < 5:
                self.examples[outcome].append(key)
        for key, n in self.seen.items():
            if key not in self.expected:
                result["unexpected"] += 1
                if len(self.examples["unexpected"]) < 5:
                    self.examples["unexpected"].append(key)
        return result


def _rows(url: str, sql: str, **params) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def _subject(event_type: str, data: dict) -> str | None:
    """The id of what the event is about; with the party for answers both sides give."""
    party = f"/{data['party']}" if isinstance(data.get("party"), str) else ""
    key = SUBJECT_OF.get(event_type)
    if key:
        return f"{data.get(key)}{party}"
    for key in SUBJECT_KEYS:
        if data.get(key):
            return f"{data[key]}{party}"
    return None


def _routing() -> dict:
    text_ = resources.files("notifications").joinpath("config/routing.json").read_text(encoding="utf-8")
    return json.loads(text_)["routes"]


def _support_plan():
    from support.config import load_plan, load_scheduling

    return load_plan(), int(load_scheduling()["horizon_weeks"])


class Accounting:
    def __init__(self, system, workload, poison_ids: Iterable[str] = ()) -> None:
        self.system = system
        self.workload = workload
        self.poison_ids = set(poison_ids)
        self.tallies: dict[str, Tally] = {}
        self.notes: list[str] = []

    def url(self, service: str) -> str:
        return self.system.database_url(service)

    def tally(self, name: str) -> Tally:
        return self.tallies.setdefault(name, Tally())

    # -- the effects --------------------------------------------------------------------------

    def run(self) -> dict[str, dict[str, int]]:
        leases = {lease.proposal_id: lease for lease in self.workload.leases}

        t = self.tally("lease recorded (matching)")
        t.expected = set(leases)
        t.seen.update(pid for (pid,) in _rows(self.url("matching"), "SELECT id FROM proposals WHERE status = 'leased'"))

        t = self.tally("contract per lease")
        t.expected = set(leases)
        t.seen.update(pid for (pid,) in _rows(self.url("contracts"),
                                             "SELECT t.proposal_id FROM contracts c JOIN tenancies t ON t.id = c.tenancy_id"))

        cases = _rows(self.url("support"), "SELECT id, proposal_id, support_start, opened_at FROM support_cases")
        t = self.tally("case per lease")
        t.expected = set(leases)
        t.seen.update(row.proposal_id for row in cases)

        plan, weeks = _support_plan()
        t = self.tally("planned appointment")
        for case in cases:
            if case.proposal_id not in leases:
                continue
            opened = case.opened_at.astimezone(BERLIN).date() if case.opened_at.tzinfo else case.opened_at.date()
            start = case.support_start
            for visit in plan.due_visits(start, opened, opened + timedelta(weeks=weeks)):
                t.expected.add((case.id, visit.key))
        t.seen.update((row.case_id, row.plan_key) for row in _rows(self.url("support"),
                      "SELECT case_id, plan_key FROM appointments WHERE plan_key IS NOT NULL AND status <> 'cancelled'"))

        crises = _rows(self.url("support"), "SELECT id, source_id, appointment_id FROM crises")
        t = self.tally("crisis per incident or claim")
        t.expected = set(self.workload.incidents) | set(self.workload.claims)
        t.seen.update(row.source_id for row in crises)

        t = self.tally("crisis appointment")
        t.expected = {row.id for row in crises}
        t.seen.update(crisis_id for (crisis_id,) in _rows(self.url("support"),
                      "SELECT crisis_id FROM appointments WHERE crisis_id IS NOT NULL AND status <> 'cancelled'"))

        self._events_and_notifications(leases)
        return {name: tally.counts() for name, tally in self.tallies.items()}

    def _events_and_notifications(self, leases) -> None:
        events: dict[str, tuple[str, dict]] = {}
        versions: dict[str, int] = {}
        for service in ("matching", "contracts", "support", "notifications"):
            for event_id, event_type, body in _rows(self.url(service), "SELECT id, type, body FROM outbox"):
                envelope = json.loads(body)
                events[event_id] = (event_type, envelope["data"])
                versions[event_id] = envelope.get("version", 1)

        # one event per announced fact and version (a fact may go out in two versions at once,
        # docs/EVENT-CHANGES.md; each consumer acts on one of them)
        t = self.tally("event per fact (outboxes)")
        for event_id, (event_type, data) in events.items():
            t.seen[(event_type, _subject(event_type, data), versions[event_id])] += 1
        t.expected = set(t.seen)  # every fact once: a fact announced twice shows as "duplicated"

        contact_of = dict(_rows(self.url("support"), "SELECT household_id, contact_person_id FROM support_cases"))
        household_of_case = dict(_rows(self.url("support"), "SELECT id, household_id FROM support_cases"))
        routes = _routing()
        expected = set()
        for event_id, (event_type, data) in events.items():
            for role, route in routes.get(event_type, {}).items():
                recipient = self._recipient(role, data, contact_of, household_of_case)
                if recipient is None:
                    if not route.get("optional"):
                        self.notes.append(f"{event_type} {event_id}: no {role} recipient")
                    continue
                if recipient.startswith("household:"):
                    continue  # households are told by email only, and the run's households have no address
                channels = ["inbox", "email"]
                if route.get("channels"):
                    channels = [c for c in channels if c in route["channels"]]
                for channel in channels:
                    expected.add((event_type, _subject(event_type, data), recipient, channel))

        t = self.tally("notification per (event, recipient, channel)")
        t.expected = expected
        states = Counter()
        fallbacks = 0
        for event_id, event_type, recipient, channel, state in _rows(
                self.url("notifications"), "SELECT event_id, event_type, recipient, channel, state FROM notifications"):
            if event_id in self.poison_ids:
                continue
            data = events.get(event_id, (event_type, {}))[1]
            roles = routes.get(event_type, {})
            if recipient == "mailbox:staff" and "contact_person" in roles and "staff" not in roles:
                # By design the team's mailbox stands in while notifications does not know the
                # household's contact person yet (support.case.opened still on its way).
                recipient = self._recipient("contact_person", data, contact_of, household_of_case)
                fallbacks += 1
            t.seen[(event_type, _subject(event_type, data) if event_id in events else f"?{event_id}",
                    recipient, channel)] += 1
            states[(channel, state)] += 1
        self.notes.append(f"contact-person messages the staff mailbox received in their stead: {fallbacks}")
        self.notes.append("notification states: " + ", ".join(f"{c}/{s}={n}" for (c, s), n in sorted(states.items())))

    @staticmethod
    def _recipient(role: str, data: dict, contact_of: dict, household_of_case: dict) -> str | None:
        if role in ("staff", "finance", "operators"):
            return f"mailbox:{role}"
        if role == "company":
            return f"company:{data['company_id']}" if data.get("company_id") else None
        if role == "household":
            household = data.get("household_id") or household_of_case.get(data.get("case_id"))
            return f"household:{household}" if household else None
        if role == "caseworker":
            return f"caseworker:{data['caseworker_id']}" if data.get("caseworker_id") else None
        if role == "contact_person":
            contact = data.get("contact_person")
            if isinstance(contact, dict) and contact.get("id"):
                return f"caseworker:{contact['id']}"
            if data.get("contact_person_id"):
                return f"caseworker:{data['contact_person_id']}"
            person = contact_of.get(data.get("household_id"))
            return f"caseworker:{person}" if person else "mailbox:staff"
        return None


def render(counts: dict[str, dict[str, int]]) -> str:
    width = max(len(name) for name in counts) + 2
    lines = [f"{'effect':<{width}}" + "".join(f"{o:>14}" for o in OUTCOMES)]
    for name, row in counts.items():
        lines.append(f"{name:<{width}}" + "".join(f"{row[o]:>14}" for o in OUTCOMES))
    return "\n".join(lines)


def passed(counts: dict[str, dict[str, int]]) -> bool:
    return all(row["lost"] == 0 and row["duplicated"] == 0 and row["unexpected"] == 0 for row in counts.values())
