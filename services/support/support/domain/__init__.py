"""Pure domain of the support service: no I/O, no framework, no database.

Modules, each doing one thing:
- model:        caseworkers, absences, time intervals
- assignment:   choosing contact person / social worker by load against capacity
- plan:         the support plan (phases and cadence) and the visits it makes due
- office_hours: office hours in Europe/Berlin, turned into UTC intervals per day
- scheduler:    placing appointments, and checking a hand-picked slot
- crisis:       crisis SLA deadlines, placement and breach detection
- ics:          iCalendar rendering of a caseworker's appointments
- lifecycle:    state rules of appointments and cases (cancel, complete, close, reassign)
"""
