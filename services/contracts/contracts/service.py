"""The contracts service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Job, Service

from contracts import api, handlers, jobs, metrics
from contracts.errors import configure_app
from contracts.models import Base

service = Service(
    name="contracts",
    package="contracts",
    title="WohnenPlus Contracts API",
    description=(
        "The API housing companies use every day: tenancies, the city's 5-year guarantee contracts "
        "(Garantieverträge), signatures, claims and payouts, and early incident reports.\n\n"
        "Authentication: `Authorization: Bearer <JWT>`; roles `company` (with `company_id`), `staff`, "
        "`finance`, `admin`. A company sees only its own objects: another company's id answers 404.\n\n"
        "Errors are `application/problem+json`. 422 names the offending field under `errors.json` and "
        "carries a stable `code` for rule violations (e.g. `claim.cap_exceeded`, `claim.period_overlap`, "
        "`claim.period_outside_term`); 409 means the object's state does not allow the request "
        "(e.g. `contract.already_signed`, `claim.not_open_for_decision`). A failed request writes nothing.\n\n"
        "Money is integer cents; dates are ISO 8601 (`YYYY-MM-DD`), months `YYYY-MM`, times UTC."
    ),
    web_port=8002,
    worker_metrics_port=9002,
    register_api=api.register,
    handlers={
        "matching.tenancy.agreed": handlers.tenancy_agreed,
        "matching.flat.offered": handlers.flat_offered,
        "matching.flat.withdrawn": handlers.flat_withdrawn,
        "matching.proposal.created": handlers.proposal_created,
        "matching.proposal.accepted": handlers.proposal_accepted,
        "matching.proposal.declined": handlers.proposal_declined,
        "matching.proposal.expired": handlers.proposal_expired,
        "matching.household.erasure_requested": handlers.household_erasure_requested,
    },
    jobs=[
        Job("end-of-term", 3600, jobs.end_of_term),
        Job("pending-erasures", 600, jobs.pending_erasures),
        Job("retention", 3600, jobs.retention),
    ],
    collectors=[metrics.collect],
    configure_app=configure_app,
    metadata=Base.metadata,
)
