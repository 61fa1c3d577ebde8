"""The household's one reference: `referral_no` on the household and on its proposals, and as a lookup."""

from tests.helpers import COMPANY, one_proposal, refer


def test_a_proposal_names_the_referral_number_for_staff_and_for_the_company_once_it_accepted(client, tokens, clock):
    _flat, household, p = one_proposal(client, tokens, clock)
    assert p["referral_no"] == household["referral_no"]
    me = tokens.company(COMPANY)
    before = client.get(f"/api/v1/proposals/{p['id']}", headers=me).json
    assert before["referral_no"] is None  # the pseudonymous profile, as for the household's name
    accepted = client.post(f"/api/v1/proposals/{p['id']}/accept", json={}, headers=me).json
    assert accepted["referral_no"] == household["referral_no"]
    [listed] = client.get("/api/v1/proposals", headers=me).json
    assert listed["referral_no"] == household["referral_no"]


def test_staff_find_a_household_by_its_referral_number(client, tokens, clock):
    one = refer(client, tokens)
    refer(client, tokens)
    found = client.get("/api/v1/households", query_string={"referral_no": one["referral_no"]}, headers=tokens.staff())
    assert found.status_code == 200 and [h["id"] for h in found.json] == [one["id"]]
    assert client.get("/api/v1/households?referral_no=nobody", headers=tokens.staff()).json == []
    bad = client.get("/api/v1/households?referral_no=", headers=tokens.staff())
    assert bad.status_code == 422 and "referral_no" in bad.json["errors"]["query"]
    assert client.get(f"/api/v1/households?referral_no={one['referral_no']}",
                      headers=tokens.company(COMPANY)).status_code == 403
