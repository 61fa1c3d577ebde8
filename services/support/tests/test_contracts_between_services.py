"""What support publishes gives every consumer what it reads, what it reads is what its producers
publish, and nothing it publishes breaks its last release (docs/EVENT-CHANGES.md).

Run against the other services' documents in the repository: a team's own tests fail when its
change would break another team, without the other services running."""

import pytest

from servicekit.testing import contracts

NAME = "support"
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
