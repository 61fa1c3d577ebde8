"""The support service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Job, Service
from servicekit.privacy import ERASURE_REQUESTED
from servicekit.service import versioned

from support import api, erasure, feed_tokens, handlers, jobs, metrics, privacy  # noqa: F401 (feed_tokens registers)
from support.models import Base

service = Service(
    name="support",
    package="support",
    title="WohnenPlus Support API",
    description=(
        "Caseworkers, support cases with one fixed contact person per tenancy, support plans that thin "
        "out over five years, appointments and iCalendar feeds."
    ),
    web_port=8003,
    worker_metrics_port=9003,
    register_api=api.register,
    metadata=Base.metadata,
    export_household=privacy.export_household,
    processing=privacy.PROCESSING,
    handlers={
        # both versions while matching publishes both (docs/EVENT-CHANGES.md)
        "matching.tenancy.agreed": versioned({1: handlers.tenancy_agreed, 2: handlers.tenancy_agreed_v2}),
        "contracts.contract.created": handlers.contract_created,
        "contracts.contract.expired": handlers.contract_expired,
        "contracts.contract.terminated": handlers.contract_terminated,
        "contracts.incident.reported": handlers.incident_reported,
        "contracts.claim.submitted": handlers.claim_submitted,
        ERASURE_REQUESTED: erasure.household_erasure_requested,
    },
    jobs=[
        Job("plan-appointments", 3600, jobs.plan_appointments),
        Job("book-new-cases", 10, jobs.book_new_cases),
        Job("crisis-deadlines", 300, jobs.crisis_deadlines),
        Job("retention", 6 * 3600, jobs.retention),
    ],
    collectors=[metrics.collect],
)
