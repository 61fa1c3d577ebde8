"""What matching publishes gives every consumer what it reads, what it reads is what its producers
publish, and nothing it publishes breaks its last release (docs/EVENT-CHANGES.md).

Run against the other services' documents in the repository: a team's own tests fail when its
change would break another team, without the other services running."""

from servicekit.testing import contracts
from servicekit.testing.contracts import EventContractTests

NAME = "matching"
SERVICES = contracts.services_dir(__file__)
DOCS = contracts.load_documents(SERVICES)


class TestEventContracts(EventContractTests):
    name = NAME


# -- mutations of matching's real document: changes a matching team might make by mistake ----------

def _failing(docs, event="matching.tenancy.agreed"):
    return {str(p): contracts.check_pair(docs, p) for p in contracts.pairs(docs, involving=NAME)
            if p.event == event and contracts.check_pair(docs, p)}


def test_removing_a_field_support_reads_from_tenancy_agreed_fails_here():
    def drop_lease_start(payload):
        payload["required"].remove("lease_start")
        del payload["properties"]["lease_start"]

    failing = _failing(contracts.mutated(DOCS, NAME, "tenancyAgreed", drop_lease_start))
    assert "matching->support:matching.tenancy.agreed@v1" in failing
    assert any("data.lease_start: the consumer requires it, the producer does not publish it" in p
               for p in failing["matching->support:matching.tenancy.agreed@v1"])
    assert set(failing) >= {"matching->contracts:matching.tenancy.agreed@v1",
                            "matching->notifications:matching.tenancy.agreed@v1"}


def test_retyping_a_field_a_consumer_reads_fails_here():
    def rent_as_text(payload):
        payload["properties"]["cold_rent_cents"] = {"type": "string"}

    failing = _failing(contracts.mutated(DOCS, NAME, "tenancyAgreed", rent_as_text))
    assert any("data.cold_rent_cents: the producer sends type ['string']" in p
               for p in failing["matching->contracts:matching.tenancy.agreed@v1"])


def test_making_the_household_optional_fails_here():
    def optional_household(payload):
        payload["required"].remove("household")

    failing = _failing(contracts.mutated(DOCS, NAME, "tenancyAgreed", optional_household))
    assert "matching->notifications:matching.tenancy.agreed@v1" in failing  # notifications requires it


def test_the_same_change_without_a_new_version_breaks_the_release():
    released = contracts.load_released(SERVICES, NAME)

    def rename_reference(payload):
        payload["required"].remove("household_reference")
        payload["properties"]["referral_no"] = payload["properties"].pop("household_reference")
        payload["required"].append("referral_no")

    renamed = contracts.mutated(DOCS, NAME, "tenancyAgreed", rename_reference)[NAME]
    problems = contracts.breaking_changes(released, renamed)
    assert any(p.startswith("matching.tenancy.agreed@v1: data.household_reference: removed") for p in problems)
