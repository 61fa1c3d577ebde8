"""The support service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Job, Service

from support import api, feed_tokens, handlers, jobs, metrics, privacy  # noqa: F401 (feed_tokens registers)
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
    handlers=handlers.HANDLERS,
    jobs=[
        Job("plan-appointments", 3600, jobs.plan_appointments),
        Job("book-new-cases", 10, jobs.book_new_cases),
        Job("crisis-deadlines", 300, jobs.crisis_deadlines),
        Job("retention", 6 * 3600, jobs.retention),
    ],
    collectors=[metrics.collect],
)
