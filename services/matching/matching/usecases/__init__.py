"""Matching's use cases, one module per aggregate: each loads what it needs, lets the aggregate
decide (`matching.domain`), stores it, appends to the audit trail and puts the events the aggregate
recorded into the outbox, all in the caller's unit of work.

Views (`matching.api`), handlers and jobs call these and only translate.
"""
