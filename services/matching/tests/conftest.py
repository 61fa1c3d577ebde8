import pytest

pytest_plugins = ["servicekit.testing.plugin"]


@pytest.fixture(scope="session")
def service():
    from matching.service import service

    return service


@pytest.fixture(autouse=True)
def registered_companies(request):
    """The companies of helpers.py as matching knows them once contracts announced them
    (contracts.company.registered); test_registered_companies.py lets the event itself do it."""
    if "db" not in request.fixturenames:
        yield
        return
    from helpers import COMPANY, OTHER_COMPANY
    from matching.models import RegisteredCompany

    db, clock = request.getfixturevalue("db"), request.getfixturevalue("clock")
    with db.session() as session:
        for company_id in (COMPANY, OTHER_COMPANY):
            if session.get(RegisteredCompany, company_id) is None:
                session.add(RegisteredCompany(company_id=company_id, registered_at=clock.now()))
        session.commit()
    yield
