"""The notifications service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Job, Service
from servicekit.privacy import ERASURE_REQUESTED, Processing
from servicekit.service import versioned

from notifications import api, handlers, jobs, metrics
from notifications.export import export_household
from notifications.models import Base
from notifications.runtime import runtime

# Loading the runtime checks that every routed (event, role) has its template: a missing one
# stops the web and worker processes at start-up instead of dropping messages later.
_RUNTIME = runtime()

service = Service(
    name="notifications",
    package="notifications",
    title="WohnenPlus Notifications API",
    description=(
        "German messages for every step of a tenancy: in-app inbox, email over SMTP and signed "
        "webhooks for housing companies, with every delivery attempt visible."
    ),
    web_port=8004,
    worker_metrics_port=9004,
    register_api=api.register,
    handlers={
        **{event_type: handlers.on_event for event_type in _RUNTIME.consumed_event_types},
        # both versions while matching publishes both (docs/EVENT-CHANGES.md)
        "matching.tenancy.agreed": versioned({1: handlers.on_event, 2: handlers.on_tenancy_agreed_v2}),
        ERASURE_REQUESTED: handlers.on_erasure_requested,
    },
    jobs=[
        Job(name="deliver", every_seconds=2.0, run=jobs.deliver),
        Job(name="retention", every_seconds=3600.0, run=jobs.retention),
    ],
    collectors=[metrics.collect],
    metadata=Base.metadata,
    export_household=export_household,
    processing=Processing(
        purpose=(
            "Benachrichtigung der Beteiligten über die Schritte der Wohnungsvermittlung, der Garantieverträge "
            "und der sozialen Begleitung (Posteingang, E-Mail, Webhooks der Wohnungsunternehmen); "
            "Nachweis der Zustellung"
        ),
        legal_basis=(
            "§ 67a ff., § 69 Abs. 1 Nr. 1 SGB X i. V. m. Art. 6 Abs. 1 lit. e, Art. 9 Abs. 2 lit. b/h DSGVO"
        ),
        data_subjects=(
            "Haushalte im Programm (Name, Kontaktdaten, Termine, Vertrags- und Forderungsbezug); Fallmanagerinnen "
            "und Fallmanager; Ansprechpersonen der Wohnungsunternehmen"
        ),
        recipients=(
            "der Haushalt selbst (Mietbeginn, Termine, feste Ansprechperson)",
            "Wohnungsunternehmen: nur eigene Vorgänge und nur die je Ereignis freigegebenen Felder, nie Dringlichkeit "
            "oder Lebenslage",
            "Fallmanagement (feste Ansprechperson des Haushalts)",
            "Sozialamt: Postfächer Team, Finanzen und Betrieb",
            "der für den Versand konfigurierte E-Mail-Server (SMTP)",
        ),
        retention=(
            "Nachrichteninhalte (Betreff, Text, Webhook-Inhalt, Adresse, Name) 365 Tage nach Erstellung "
            "(RETENTION_NOTIFICATION_DAYS); danach bleiben nur Art, Kanal, Zustellstatus, Zeitpunkte und Versuche",
            "Auf Löschung des Haushalts (Antrag nach Art. 17 DSGVO oder Fristablauf in der Vermittlung) sofort: "
            "Inhalte aller Nachrichten an und über den Haushalt, Verzeichniseintrag, Zuordnung der Ansprechperson; "
            "noch nicht zugestellte Nachrichten werden nicht mehr versandt",
            "Versendete Ereignisse im Postausgang: 30 Tage (RETENTION_PUBLISHED_EVENTS_DAYS)",
        ),
    ),
)
