"""The matching service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Job, Service

from matching import api, handlers, jobs, metrics, privacy
from matching.models import Base

service = Service(
    name="matching",
    package="matching",
    title="WohnenPlus Matching API",
    description=(
        "Flats offered by housing companies, households referred by the social office, eligibility "
        "and transparent scores, global matching runs, proposals and the signed lease; coordinates "
        "the household-wide erasure of personal data."
    ),
    web_port=8001,
    worker_metrics_port=9001,
    register_api=api.register,
    handlers=handlers.HANDLERS,
    jobs=[Job("matching-runs", 1, jobs.execute_runs), Job("expire-proposals", 300, jobs.expire_proposals),
          Job("retention", 3600, jobs.apply_retention)],
    collectors=[metrics.collect],
    metadata=Base.metadata,
    export_household=privacy.export_household,
    processing=privacy.PROCESSING,
)
