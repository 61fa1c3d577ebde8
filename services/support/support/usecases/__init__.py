"""Support's use cases, one module per subject, each function inside the caller's unit of work.

Views (`support.api`), event handlers (`support.handlers`) and jobs (`support.jobs`) translate a
request, an event or a tick into one call here; the use case loads what it needs
(`support.repository`), lets the domain decide (`support.domain`: state machines, assignment,
scheduling, crisis SLA), stores the result, writes the audit entry and puts the domain's events
(`support.domain.events`) into the outbox — all in the caller's transaction, which the caller
commits. A rule that says no raises one of servicekit's `DomainError` kinds (`support.domain.errors`).

- `caseworkers`: registering and changing caseworkers, absences, calendar secrets;
- `cases`: opening a case and choosing its team, contracts' facts, closing, reassigning, outcome, risk;
- `appointments`: booking (by hand and the plan's horizon), moving, cancelling, completing;
- `crises`: crisis deadlines, crisis appointments, met / breached;
- `planning`: the batch jobs (rolling horizon, new cases' horizon, crisis deadlines).
"""
