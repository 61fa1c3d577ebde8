import pytest

from notifications.config import routing_table
from notifications.domain.catalogue import EVENT_CATALOGUE, Role
from notifications.domain.routing import RoutingError, RoutingTable

from sample_events import SAMPLE_DATA

# Who hears what, as issue 6 asks for it.
REQUIRED = {
    "matching.proposal.created": {"company", "staff"},
    "matching.tenancy.agreed": {"company", "household"},
    "contracts.contract.created": {"company"},
    "contracts.contract.activated": {"company"},
    "support.case.opened": {"company", "household"},
    "support.appointment.scheduled": {"household", "caseworker"},
    "support.appointment.cancelled": {"household", "caseworker"},
    "contracts.incident.reported": {"contact_person"},
    "contracts.claim.submitted": {"finance", "contact_person"},
    "contracts.claim.decided": {"company"},
    "contracts.claim.paid": {"company"},
    "contracts.contract.expiring": {"company", "contact_person"},
    "notifications.delivery.failed": {"operators"},
}

# Data about a household's situation that only the social office may see.
SOCIAL_FIELDS = {"urgency", "needs", "situation", "household_reference_reason"}


@pytest.fixture(scope="module")
def table():
    return routing_table()


@pytest.mark.parametrize("event_type, roles", sorted(REQUIRED.items()))
def test_issue_routes_are_in_the_table(table, event_type, roles):
    assert {r.role.value for r in table.for_event(event_type)} >= roles


def test_every_routed_event_is_in_the_catalogue(table):
    assert table.event_types <= EVENT_CATALOGUE


def test_companies_never_see_social_data(table):
    for route in table.routes:
        if route.role is Role.COMPANY:
            assert not SOCIAL_FIELDS & set(route.fields), route


def test_visible_data_drops_what_the_recipient_may_not_see(table):
    route = table.route("matching.proposal.created", "company")
    data = dict(SAMPLE_DATA["matching.proposal.created"], urgency="emergency")
    visible = route.visible_data(data)
    assert "urgency" not in visible and "household_id" not in visible
    assert visible["district"] == "Bad Cannstatt"


def test_webhooks_go_to_company_systems_for_proposals_contracts_and_claims(table):
    hooked = {r.event_type for r in table.routes if r.webhook}
    assert "matching.proposal.created" in hooked
    assert "contracts.contract.activated" in hooked
    assert "contracts.claim.decided" in hooked
    assert all(r.role is Role.COMPANY for r in table.routes if r.webhook)


@pytest.mark.parametrize(
    "raw, problem",
    [
        ({"routes": {"matching.flat.exploded": {"company": {"fields": []}}}}, "unknown event"),
        ({"routes": {"matching.proposal.created": {"landlord": {"fields": []}}}}, "unknown role"),
        ({"routes": {"matching.proposal.created": {"company": {"fields": "all"}}}}, "fields"),
        ({"routes": {"matching.proposal.created": {}}}, "no recipient"),
        (
            {"routes": {"matching.proposal.created": {"staff": {"fields": [], "webhook": True}}}},
            "webhooks",
        ),
    ],
)
def test_inconsistent_tables_are_refused(raw, problem):
    with pytest.raises(RoutingError, match=problem):
        RoutingTable.from_mapping(raw)
