"""Writes dashboards/wohnenplus.json (the Grafana dashboard provisioned by docker-compose and the
k8s ConfigMap). Edit the panels here, run `python deploy/grafana/build_dashboard.py`, commit both;
tests/test_observability.py checks the JSON is up to date and every metric it reads exists."""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).parent / "dashboards" / "wohnenplus.json"
DS = {"type": "prometheus", "uid": "prometheus"}
NOT_PROBES = 'route!~"/metrics|/healthz|/readyz"'

_panels: list[dict] = []
_y = 0


def row(title: str) -> None:
    global _y
    _panels.append({"type": "row", "title": title, "collapsed": False, "gridPos": {"h": 1, "w": 24, "x": 0, "y": _y},
                    "id": len(_panels) + 1, "panels": []})
    _y += 1


def panels(*specs: tuple, height: int = 8) -> None:
    """One line of panels, equally wide: (title, kind, [(expr, legend)], unit, description)."""
    global _y
    width = 24 // len(specs)
    for i, (title, kind, targets, unit, description) in enumerate(specs):
        panel = {
            "id": len(_panels) + 1,
            "type": kind,
            "title": title,
            "description": description,
            "datasource": DS,
            "gridPos": {"h": height, "w": width, "x": i * width, "y": _y},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [
                {"datasource": DS, "refId": chr(65 + n), "expr": expr, "legendFormat": legend}
                for n, (expr, legend) in enumerate(targets)
            ],
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}} if kind == "timeseries" else
                       {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"},
        }
        _panels.append(panel)
    _y += height


TS, STAT = "timeseries", "stat"

row("Services: rate, errors, duration (RED)")
panels(
    ("Processes up", STAT, [("up{service=~\"$service\"}", "{{job}}")], "none",
     "1 = the process answers /metrics (web and worker of each service). Alert: ServiceDown."),
    height=4,
)
panels(
    ("Requests per second", TS, [(f"sum by (service) (rate(http_requests_total{{service=~\"$service\",{NOT_PROBES}}}[5m]))", "{{service}}")],
     "reqps", "API requests answered, without health checks and scrapes."),
    ("5xx ratio", TS, [(f"sum by (service) (rate(http_requests_total{{service=~\"$service\",status=~\"5..\",{NOT_PROBES}}}[5m])) / "
                        f"sum by (service) (rate(http_requests_total{{service=~\"$service\",{NOT_PROBES}}}[5m]))", "{{service}}")],
     "percentunit", "Share of requests answered with a server error. Alert: HighServerErrorRatio (> 5 %)."),
    ("p99 latency", TS, [(f"histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket{{service=~\"$service\",{NOT_PROBES}}}[5m])))", "{{service}}")],
     "s", "99th percentile of the time to answer. Alert: HighLatencyP99 (> 1 s)."),
)
panels(
    ("4xx and 5xx by route", TS, [(f"sum by (service, route, status) (rate(http_requests_total{{service=~\"$service\",status=~\"[45]..\"}}[5m]))", "{{service}} {{route}} {{status}}")],
     "reqps", "Which route fails: 4xx are callers' mistakes (validation, 404 of other companies' ids), 5xx are ours."),
    ("p99 by route", TS, [(f"histogram_quantile(0.99, sum by (service, route, le) (rate(http_request_duration_seconds_bucket{{service=~\"$service\",{NOT_PROBES}}}[5m])))", "{{service}} {{route}}")],
     "s", "The slow routes."),
)

row("Event flow: outbox, broker, consumers")
panels(
    ("Events published per second", TS, [("sum by (service) (rate(bus_events_published_total{service=~\"$service\"}[5m]))", "{{service}}")],
     "ops", "Outbox rows confirmed by RabbitMQ, by producing service."),
    ("Events consumed per second by outcome", TS, [("sum by (service, outcome) (rate(bus_events_consumed_total{service=~\"$service\"}[5m]))", "{{service}} {{outcome}}")],
     "ops", "handled, duplicate (inbox absorbed a redelivery), retried, waiting (came before what it is about), dead_lettered."),
    ("Dead-lettered in the last hour", STAT, [("sum by (service) (increase(bus_events_consumed_total{service=~\"$service\",outcome=\"dead_lettered\"}[1h]))", "{{service}}")],
     "none", "Events that gave up after their retries, or were invalid."),
)
panels(
    ("Outbox: oldest unpublished event", TS, [("outbox_oldest_pending_age_seconds{service=~\"$service\"}", "{{service}}")],
     "s", "Age of the oldest committed event not yet confirmed by the broker. Alert: OutboxNotRelayed (> 2 min)."),
    ("Outbox: pending events", TS, [("outbox_pending_events{service=~\"$service\"}", "{{service}}")], "none",
     "Rows waiting for the relay."),
    ("Queues: events waiting", TS, [("bus_queue_messages{service=~\"$service\"}", "{{service}} {{queue}}")], "none",
     "Ready messages in each service's own queue, retry tiers and dead-letter queue. Alerts: ConsumerQueueGrowing, DeadLettersWaiting."),
    ("Handler p99 and broker connection", TS, [
        ("histogram_quantile(0.99, sum by (service, le) (rate(bus_handler_duration_seconds_bucket{service=~\"$service\"}[5m])))", "{{service}} p99"),
        ("bus_connected{service=~\"$service\"}", "{{service}} connected"),
    ], "s", "Time to handle one event; 1 = the consumer is connected to RabbitMQ."),
)
panels(
    ("Periodic jobs by outcome", TS, [("sum by (service, job, outcome) (increase(worker_job_runs_total{service=~\"$service\"}[15m]))", "{{service}} {{job}} {{outcome}}")],
     "none", "Runs per 15 minutes. Alert: PeriodicJobFailing."),
    ("Publish failures", TS, [("sum by (service, reason) (increase(bus_publish_failures_total{service=~\"$service\"}[15m]))", "{{service}} {{reason}}")],
     "none", "Publishes the broker refused (the rows stay in the outbox and are retried)."),
)

row("Programme: households, flats, guarantees, support")
panels(
    ("Households waiting by urgency", TS, [("sum by (urgency) (matching_households_waiting)", "{{urgency}}")], "none",
     "Referred households without a lease yet."),
    ("Flats on offer", STAT, [("sum(matching_flats{state=\"offered\"})", "on offer")], "none", "Flats companies offer right now."),
    ("Proposals by state", TS, [("sum by (state) (matching_proposals)", "{{state}}")], "none",
     "Open, accepted, declined, expired. Alert: ProposalsPastDeadline."),
    ("Matching run duration p95", TS, [("histogram_quantile(0.95, sum by (le) (rate(matching_run_duration_seconds_bucket[1h])))", "p95")],
     "s", "How long a global matching run takes."),
)
panels(
    ("Active guarantees", STAT, [("sum(contracts_contracts{state=\"active\"})", "active")], "none",
     "Guarantee contracts signed by city and company and within their 5-year term."),
    ("Guarantee exposure", STAT, [("contracts_guarantee_exposure_cents / 100", "exposure")], "currencyEUR",
     "Sum of the remaining caps of all active contracts: what claims could still cost the city."),
    ("Claims by status", TS, [("sum by (status) (contracts_claims)", "{{status}}")], "none", "Submitted, approved, rejected, paid."),
    ("Paid out", STAT, [("contracts_payouts_cents / 100", "paid")], "currencyEUR", "Total paid out on claims."),
    ("Claim decision time", TS, [
        ("histogram_quantile(0.5, sum by (le) (rate(contracts_claim_decision_seconds_bucket[1d])))", "median"),
        ("histogram_quantile(0.9, sum by (le) (rate(contracts_claim_decision_seconds_bucket[1d])))", "p90"),
    ], "s", "From a claim's submission to its decision."),
)
panels(
    ("Support cases", TS, [
        ("support_cases{status=\"open\"}", "open"),
        ("support_cases_at_risk", "at risk"),
        ("support_cases_awaiting_assignment", "awaiting a contact person"),
    ], "none", "Open cases, those at risk (incident or arrears), those without a contact person yet."),
    ("Caseload against capacity", TS, [("support_caseworker_open_cases / support_caseworker_capacity", "team"),
                                        ("support_caseworker_max_utilisation", "highest single caseworker")],
     "percentunit", "Open cases over capacity for the team, and the highest single caseworker's (no ids: who it is, the staff API says)."),
    ("Caseworkers by utilisation", STAT, [("support_caseworkers_by_utilisation", "{{band}}")], "none",
     "How many active caseworkers are under 50 %, 50-80 %, 80-100 % and full."),
)
panels(
    ("Crisis deadlines (SLA)", TS, [("support_crisis_deadlines", "{{status}}")], "none",
     "Crisis appointments: pending, met, breached. Alert: CrisisDeadlineBreached."),
    ("Crisis SLA met", STAT, [("support_crisis_deadlines{status=\"met\"} / ignoring(status) "
                                "(support_crisis_deadlines{status=\"met\"} + ignoring(status) support_crisis_deadlines{status=\"breached\"})", "met")],
     "percentunit", "Share of decided crisis deadlines that were met."),
    ("Appointments by status", TS, [("support_appointments", "{{status}}")], "none", "Scheduled, completed, missed, cancelled."),
)
panels(
    ("Notifications by channel and state", TS, [("sum by (channel, state) (notifications)", "{{channel}} {{state}}")], "none",
     "Inbox, email and webhook messages: pending, delivered, failed."),
    ("Delivery attempts by outcome", TS, [("sum by (channel, outcome) (rate(notification_delivery_attempts_total[5m]))", "{{channel}} {{outcome}}")],
     "ops", "Alert: NotificationDeliveryFailed."),
    ("Delivery latency p95 and backlog", TS, [
        ("histogram_quantile(0.95, sum by (channel, le) (rate(notification_delivery_latency_seconds_bucket[15m])))", "{{channel}} p95"),
        ("notification_backlog_oldest_seconds", "{{channel}} oldest waiting"),
    ], "s", "From written to delivered; age of the oldest undelivered message. Alert: NotificationBacklog."),
)

DASHBOARD = {
    "uid": "wohnenplus",
    "title": "WohnenPlus",
    "description": "Services (RED), event flow and the programme view. Alerts: deploy/prometheus/rules.",
    "tags": ["wohnenplus"],
    "timezone": "Europe/Berlin",
    "schemaVersion": 39,
    "version": 1,
    "editable": False,
    "refresh": "30s",
    "time": {"from": "now-6h", "to": "now"},
    "templating": {"list": [{
        "name": "service", "label": "service", "type": "custom", "multi": True, "includeAll": True,
        "allValue": ".*", "query": "matching,contracts,support,notifications",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
    }]},
    "annotations": {"list": [{
        "name": "Alerts", "datasource": DS, "enable": True, "iconColor": "red",
        "expr": "ALERTS{alertstate=\"firing\"}", "titleFormat": "{{alertname}}", "textFormat": "{{service}}",
    }]},
    "panels": _panels,
}


def render() -> str:
    return json.dumps(DASHBOARD, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if OUT.read_text() == render() else "dashboards/wohnenplus.json is out of date")
    OUT.write_text(render())
