"""Business metrics computed from the database when Prometheus scrapes the worker. Labels are
states and kinds only, never ids or personal data."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts import domain
from contracts.models import Claim, Contract
from contracts.queries import COMMITTED


def collect(session: Session):
    by_state = dict(session.execute(select(Contract.state, func.count()).group_by(Contract.state)).all())
    contracts = GaugeMetricFamily("contracts_contracts", "Guarantee contracts by state", labels=["state"])
    for state in domain.ContractState:
        contracts.add_metric([state.value], int(by_state.get(state.value, 0)))
    yield contracts

    # Exposure: what new claims on active contracts could still take (sum of remaining caps).
    caps_total = sum(
        sum(cap["cap_cents"] for cap in coverage["caps"])
        for coverage in session.scalars(select(Contract.coverage).where(Contract.state == "active"))
    )
    committed = session.scalar(
        select(func.coalesce(func.sum(COMMITTED), 0)).join(Contract, Contract.id == Claim.contract_id)
        .where(Contract.state == "active")
    )
    yield GaugeMetricFamily("contracts_guarantee_exposure_cents",
                            "Sum of the remaining caps of all active contracts", value=caps_total - int(committed))

    claim_states = dict(session.execute(select(Claim.status, func.count()).group_by(Claim.status)).all())
    claims = GaugeMetricFamily("contracts_claims", "Claims by status", labels=["status"])
    for status in domain.ClaimStatus:
        claims.add_metric([status.value], int(claim_states.get(status.value, 0)))
    yield claims

    paid = session.scalar(select(func.coalesce(func.sum(Claim.approved_cents), 0)).where(Claim.status == "paid"))
    yield GaugeMetricFamily("contracts_payouts_cents", "Total paid out on claims", value=int(paid))
