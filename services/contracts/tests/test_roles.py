"""Who may do what: every write endpoint refuses the roles that are not meant to use it (403), and
every endpoint refuses a missing token (401). Nothing is written by a refused request."""

from sqlalchemy import func, select

from servicekit.db import audit_log, outbox

from contracts_testkit import document

# (method, path, body, roles that must get 403)
WRITES = [
    ("POST", "/api/v1/companies", {"name": "N", "email": "n@example.org", "street": "S", "postal_code": "70173",
                                   "city": "Stuttgart"}, ["staff", "finance", "company"]),
    ("PATCH", "/api/v1/companies/{company}", {"quota_flats_per_year": 1}, ["staff", "finance", "company"]),
    ("POST", "/api/v1/contracts/{contract}/terminate", {"reason": "notice", "effective_on": "2027-05-31"},
     ["finance", "admin", "company"]),
    ("POST", "/api/v1/contracts/{contract}/claims", {"kind": "damage_repairs", "amount_cents": 100,
                                                     "description": "x", "evidence": [document("invoice")]},
     ["staff", "finance", "admin"]),
    ("POST", "/api/v1/contracts/{contract}/incidents", {"kind": "other", "severity": "low", "description": "x"},
     ["staff", "finance", "admin"]),
    ("POST", "/api/v1/claims/{claim}/decision", {"decision": "approve"}, ["staff", "admin", "company"]),
    ("POST", "/api/v1/claims/{claim}/payout", {"reference": "Z-1"}, ["staff", "admin", "company"]),
    ("POST", "/api/v1/claims/{claim}/resubmit", {"description": "x"}, ["staff", "finance", "admin"]),
    ("POST", "/api/v1/claims/{claim}/withdraw", None, ["staff", "finance", "admin"]),
    ("POST", "/api/v1/contracts/{draft}/sign", {"party": "city"}, ["finance", "admin", "company"]),
    ("GET", "/api/v1/companies/{company}/track-record", None, ["company"]),
]


def test_each_write_refuses_the_wrong_roles_and_writes_nothing(world, db):
    company = world.company()
    contract = world.contract(company)
    ids = {"company": company, "contract": contract["id"], "draft": world.contract(company, active=False)["id"],
           "claim": world.claim(contract, kind="damage_repairs", amount=1_000)["id"]}
    tokens = {"staff": world.tokens.staff(), "finance": world.tokens.finance(), "admin": world.tokens.admin(),
              "company": world.tokens.company(company)}

    def counts():
        with db.session() as s:
            return (s.scalar(select(func.count()).select_from(outbox)),
                    s.scalar(select(func.count()).select_from(audit_log)))

    before = counts()
    wrong = []
    for method, path, body, refused in WRITES:
        url = path.format(**ids)
        if world.client.open(url, method=method, json=body).status_code != 401:
            wrong.append((method, path, "no token"))
        for role in refused:
            status = world.client.open(url, method=method, json=body, headers=tokens[role]).status_code
            if status != 403:
                wrong.append((method, path, role, status))
    assert wrong == []
    assert counts() == before


def test_reads_are_open_to_the_four_roles_and_closed_to_caseworkers(world):
    company = world.company()
    contract = world.contract(company)
    claim = world.claim(contract, kind="damage_repairs", amount=1_000)
    reads = [f"/api/v1/contracts/{contract['id']}", f"/api/v1/contracts/{contract['id']}/claims",
             f"/api/v1/contracts/{contract['id']}/history", f"/api/v1/claims/{claim['id']}", "/api/v1/claims",
             "/api/v1/contracts", "/api/v1/incidents", "/api/v1/tenancies"]
    for url in reads:
        for headers in (world.tokens.staff(), world.tokens.finance(), world.tokens.admin(),
                        world.tokens.company(company)):
            assert world.client.get(url, headers=headers).status_code == 200, url
        assert world.client.get(url, headers=world.tokens.caseworker("cw-1")).status_code == 403, url
        assert world.client.get(url).status_code == 401, url
