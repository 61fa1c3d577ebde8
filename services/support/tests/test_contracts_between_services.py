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
