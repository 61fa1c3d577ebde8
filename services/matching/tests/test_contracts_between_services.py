"""What matching publishes gives every consumer what it reads, what it reads is what its producers
publish, and nothing it publishes breaks its last release (docs/EVENT-CHANGES.md).

Run against the other services' documents in the repository: a team's own tests fail when its
change would break another team, without the other services running."""

import pytest

from servicekit.testing import contracts

NAME = "matching"
SERVICES = contracts.services_dir(__file__)
DOCS = contracts.load_documents(SERVICES)


@pytest.mark.parametrize("pair", contracts.pairs(DOCS, involving=NAME), ids=str)
def test_the_producer_publishes_what_the_consumer_reads(pair):
    assert contracts.check_pair(DOCS, pair) == []


def test_the_handlers_are_the_documented_receive_operations(service):
    assert contracts.handler_problems(service, DOCS[NAME]) == []


def test_nothing_published_breaks_the_last_release():
    released = contracts.load_released(SERVICES, NAME)
    assert released is not None, f"services/{NAME}/{contracts.RELEASED} is missing"
    assert contracts.breaking_changes(released, DOCS[NAME]) == []


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


def test_the_release_is_named_alike_in_pyproject_changelog_and_deployment():
    """One version per release: the package, the newest changelog entry and the image tag deployed."""
    import re
    import tomllib

    here = SERVICES / NAME
    version = tomllib.loads((here / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    newest = re.search(r"^## (\S+)", (here / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    assert newest and newest.group(1) == version
    kustomization = SERVICES.parent / "deploy" / "k8s" / "services" / NAME / "kustomization.yaml"
    if kustomization.exists():  # the deployment lives beside the services in this repository
        assert f'newTag: "{version}"' in kustomization.read_text(encoding="utf-8")
