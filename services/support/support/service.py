"""The support service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Service

from support import api, handlers

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
    handlers={
        "matching.tenancy.agreed": handlers.tenancy_agreed,
    },
)
