"""The contracts service as servicekit runs it: its API, the events it consumes, its periodic jobs."""

from servicekit import Job, Service
from servicekit.privacy import Processing

from contracts import api, handlers, jobs, metrics
from contracts.web_config import configure_app
from contracts.export import export_household
from contracts.models import Base

PROCESSING = Processing(
    purpose=(
        "Abschluss und Verwaltung der Garantieverträge der Stadt mit Wohnungsunternehmen für Mietverhältnisse "
        "vermittelter Haushalte; Prüfung, Entscheidung und Auszahlung von Inanspruchnahmen (Mietausfall, "
        "Schäden, Räumung); frühe Meldung von Problemen im Mietverhältnis an die soziale Begleitung"
    ),
    legal_basis=(
        "§ 67a ff. SGB X i. V. m. Art. 6 Abs. 1 lit. b, c und e, Art. 9 Abs. 2 lit. b und h DSGVO; "
        "Aufbewahrung der Finanzunterlagen nach § 147 AO, § 257 HGB und dem Gemeindehaushaltsrecht"
    ),
    data_subjects="Haushalte (Mieterinnen und Mieter) im Programm WohnenPlus",
    recipients=(
        "Wohnungsunternehmen: nur eigene Verträge, Name und Kontakt des Mieterhaushalts, eigene Meldungen",
        "Sozialamt (Sachbearbeitung, Administration): alle Angaben",
        "Stadtkämmerei (Finanzen): Vertragsnummern, Laufzeiten, Höchstbeträge, Inanspruchnahmen mit "
        "Begründungen und Belegen, ohne Kontaktdaten des Haushalts",
        "Soziale Begleitung (Dienst support): Meldung eines Vorfalls ohne Namen und Freitext",
        "Benachrichtigungen (Dienst notifications): Entscheidung über eine Inanspruchnahme mit Begründung, "
        "zur Mitteilung an das Wohnungsunternehmen; Vertragsnummer, Aktenzeichen des Haushalts, Monate und "
        "Einreichungsdatum einer Inanspruchnahme, damit die Nachrichten ohne Kennungen auskommen",
    ),
    retention=(
        "Kontaktdaten (E-Mail, Telefon, Straße) und Vorfallsbeschreibungen: 180 Tage nach dem letzten "
        "gedeckten Tag (Frist für Inanspruchnahmen), solange keine Inanspruchnahme offen ist "
        "(RETENTION_CONTRACT_CONTACT_DAYS)",
        "Alle übrigen Angaben zur Person (Name, Aktenzeichen, Begründungen, Belege): 10 Jahre nach dem "
        "letzten gedeckten Tag (§ 147 AO, § 257 HGB; RETENTION_CONTRACT_ENDED_DAYS = 3653); Beträge, "
        "Vertragsnummern, Daten, Status und Arten bleiben ohne Personenbezug",
        "Löschung auf Antrag (Art. 17 DSGVO) sofort, bei offener Inanspruchnahme nach deren Abschluss",
        "Belege einer zurückgezogenen Inanspruchnahme (Inhalt und Dateiname): 30 Tage nach dem Zurückziehen "
        "(RETENTION_WITHDRAWN_EVIDENCE_DAYS); bis dahin nur für das Sozialamt abrufbar",
        "Gespeicherte Antworten für Wiederholungen: 7 Tage; versandte Ereignisse: 30 Tage",
    ),
)

service = Service(
    name="contracts",
    package="contracts",
    title="WohnenPlus Contracts API",
    description=(
        "The API housing companies use every day: tenancies, the city's 5-year guarantee contracts "
        "(Garantieverträge), signatures, claims and payouts, and early incident reports.\n\n"
        "Authentication: `Authorization: Bearer <JWT>`; roles `company` (with `company_id`), `staff`, "
        "`finance`, `admin`. A company sees only its own objects: another company's id answers 404. "
        "Each role receives the fields its task needs (finance: figures, not the household), and every "
        "answer carrying a household's personal data is logged; the `dpo` role reads that log and a "
        "household's export under `/api/v1/privacy`.\n\n"
        "Errors are `application/problem+json`. 422 names the offending field under `errors.json` and "
        "carries a stable `code` for rule violations (e.g. `claim.cap_exceeded`, `claim.period_overlap`, "
        "`claim.period_outside_term`); 409 means the object's state does not allow the request "
        "(e.g. `contract.already_signed`, `claim.not_open_for_decision`). A failed request writes nothing.\n\n"
        "Money is integer cents; dates are ISO 8601 (`YYYY-MM-DD`), months `YYYY-MM`, times UTC."
    ),
    web_port=8002,
    worker_metrics_port=9002,
    register_api=api.register,
    handlers=handlers.HANDLERS,
    jobs=[
        Job("end-of-term", 3600, jobs.end_of_term),
        Job("pending-erasures", 600, jobs.pending_erasures),
        Job("retention", 3600, jobs.retention),
    ],
    collectors=[metrics.collect],
    configure_app=configure_app,
    metadata=Base.metadata,
    export_household=export_household,
    processing=PROCESSING,
)
