"""What notifications publishes gives every consumer what it reads, what it reads is what its producers
publish, and nothing it publishes breaks its last release (docs/EVENT-CHANGES.md).

Run against the other services' documents in the repository: a team's own tests fail when its
change would break another team, without the other services running."""

from servicekit.testing.contracts import EventContractTests

NAME = "notifications"


class TestEventContracts(EventContractTests):
    name = NAME
