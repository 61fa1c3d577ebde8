"""The service layer of notifications, one module per subject: each use case loads what it needs
in the caller's unit of work, lets `notifications.domain` decide, stores the result and publishes
what happened. Views (`api.py`), event handlers (`handlers.py`) and jobs (`jobs.py`) only translate
into these calls.

- ``events``      an incoming event: what it teaches the directory, the notifications it causes
- ``directory``   the recipient directory: what events tell it, whom it names, the shared mailboxes
- ``deliveries``  attempts of email and webhook notifications, the delivery run, redelivery
- ``inbox``       the caller's own messages
- ``webhooks``    a company's webhook endpoint and its signing secret
"""
