"""Pure domain of the notifications service: no I/O. What the configuration files say comes in
parsed (``notifications.config`` reads them); the Jinja2 environment is given its template folder.

Modules, each doing one thing:
- ``catalogue``   recipient roles, channels and the incoming event envelope
- ``routing``     who hears what: event type -> recipient roles -> template (config/routing.json)
- ``formatting``  German number, money and date formatting (Jinja2 filters)
- ``rendering``   the Jinja2 environment and the rendered message
- ``startup``     the startup check that every routed (event, role) has a template
- ``recipients``  recipient references and the directory facts an event carries
- ``channels``    which channels a recipient gets
- ``retry``       the retry schedule (exponential back-off, cap, maximum attempts)
- ``delivery``    one delivery's state and attempts
- ``signing``     webhook signing and the verify function companies copy
- ``webhooks``    webhook URL rules and payload
- ``email_message`` building the EmailMessage
- ``addresses``   parsing email addresses
"""
