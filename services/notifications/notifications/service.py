"""The notifications service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Service

from notifications import api, handlers

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
        "matching.household.referred": handlers.household_referred,
    },
)
