"""The matching service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Job, Service

from matching import api, handlers, jobs, metrics

service = Service(
    name="matching",
    package="matching",
    title="WohnenPlus Matching API",
    description=(
        "Flats offered by housing companies, households referred by the social office, eligibility "
        "and transparent scores, global matching runs, proposals and the signed lease."
    ),
    web_port=8001,
    worker_metrics_port=9001,
    register_api=api.register,
    handlers={
        "contracts.contract.terminated": handlers.contract_terminated,
    },
    jobs=[Job("expire-proposals", 300, jobs.expire_proposals)],
    collectors=[metrics.collect],
)
