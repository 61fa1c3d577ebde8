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
    handlers={
        "contracts.company.registered": handlers.company_registered,
        # contracts announces a company again when an admin changes it: a company registered before
        # matching listened (no flat yet, so migration 0005 did not carry it over) becomes known then
        "contracts.company.updated": handlers.company_registered,
        "contracts.contract.terminated": handlers.contract_terminated,
        "contracts.contract.expired": handlers.contract_expired,
        "contracts.household.erased": handlers.household_erased,
        "support.household.erased": handlers.household_erased,
        "notifications.household.erased": handlers.household_erased,
    },
    jobs=[Job("matching-runs", 1, jobs.execute_runs), Job("expire-proposals", 300, jobs.expire_proposals),
          Job("retention", 3600, jobs.apply_retention)],
    collectors=[metrics.collect],
    metadata=Base.metadata,
    export_household=privacy.export_household,
    processing=privacy.PROCESSING,
)
