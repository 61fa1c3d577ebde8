"""WohnenPlus support service: caseworkers, support cases, plans, appointments, iCalendar feeds."""
