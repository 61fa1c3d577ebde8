"""The contracts service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Service

from contracts import api, handlers

service = Service(
    name="contracts",
    package="contracts",
    title="WohnenPlus Contracts API",
    description=(
        "The API housing companies use every day: tenancies, the city's 5-year guarantee contracts "
        "(Garantieverträge), signatures, claims and payouts, and early incident reports."
    ),
    web_port=8002,
    worker_metrics_port=9002,
    register_api=api.register,
    handlers={
        "matching.tenancy.agreed": handlers.tenancy_agreed,
    },
)
