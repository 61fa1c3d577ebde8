"""known_contracts dropped: contracts' events name the proposal, support finds the case by it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Every event of contracts now carries `proposal_id`, the id support opened the case under (from
`matching.tenancy.agreed`). Support no longer keeps its own table of which household a contract is
for: `contracts.contract.created` writes the contract's id and number onto the case it names, and
incidents, claims, expiry and termination find the case by `proposal_id`. The guarantee's number
(`support.case.opened` carries it) moves onto the case as `contract_no`.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("support_cases", sa.Column("contract_no", sa.String(40), nullable=True))
    op.execute(
        "UPDATE support_cases SET contract_no = (SELECT k.contract_no FROM known_contracts k "
        "WHERE k.contract_id = support_cases.contract_id) WHERE contract_id IS NOT NULL"
    )
    op.drop_table("known_contracts")


def downgrade() -> None:
    op.create_table(
        "known_contracts",
        sa.Column("contract_id", sa.String(36), primary_key=True),
        sa.Column("contract_no", sa.String(40)),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("company_id", sa.String(36), nullable=False),
        sa.Column("term_start", sa.Date),
        sa.Column("term_end", sa.Date),
    )
    # what the cases still know of their contracts (the terms were never read; they stay empty)
    op.execute(
        "INSERT INTO known_contracts (contract_id, contract_no, household_id, company_id) "
        "SELECT contract_id, MAX(contract_no), MAX(household_id), MAX(company_id) FROM support_cases "
        "WHERE contract_id IS NOT NULL GROUP BY contract_id"
    )
    # a plain DROP COLUMN (SQLite >= 3.35 too): a batch rebuild would trip the foreign keys to the table
    op.drop_column("support_cases", "contract_no")
