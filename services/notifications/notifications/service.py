"""The notifications service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Job, Service
from servicekit.privacy import ERASURE_REQUESTED

from notifications import api, handlers, jobs, metrics
from notifications.models import Base
from notifications.runtime import runtime

# Loading the runtime checks that every routed (event, role) has its template: a missing one
# stops the web and worker processes at start-up instead of dropping messages later.
_RUNTIME = runtime()

service = Service(
    name="notifications",
    package="notifications",
    title="WohnenPlus Notifications API",
    description=(
        "German messages for every step of a tenancy: in-app inbox, email over SMTP and signed "
        "webhooks for housing companies, with every delivery attempt visible."
    ),
    web_port=8004,
    worker_metrics_port=9004,
    register_api=api.register,
    handlers={
        **{event_type: handlers.on_event for event_type in _RUNTIME.consumed_event_types},
        ERASURE_REQUESTED: handlers.on_erasure_requested,
    },
    jobs=[
        Job(name="deliver", every_seconds=2.0, run=jobs.deliver),
        Job(name="retention", every_seconds=3600.0, run=jobs.retention),
    ],
    collectors=[metrics.collect],
    metadata=Base.metadata,
)
