"""Use cases: one module per aggregate, each function inside the caller's unit of work.

Each function loads what it needs (locking the contract row where claims are compared with each
other), lets the domain decide, writes the rows back, appends to the audit trail and hands the
aggregate's recorded events to the outbox (`uow.publish_recorded`) — all in the caller's
transaction, which the caller commits. Company scoping happens here too: pass `company_id` for a
company caller and another company's objects are indistinguishable from missing ones.

Modules: `tenancies` (a lease arrives, its draft contract is made), `contracts` (signatures, early
termination, the end-of-term run), `claims` (filing, deciding, paying, withdrawing, evidence),
`incidents` (early reports), `companies` (registering and changing housing companies).
"""
