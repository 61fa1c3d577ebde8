"""What matching declares about its processing of personal data: the access export (Art. 15) and
the records of processing (Art. 30). The column classification itself is on the models."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicekit.privacy import Processing

from matching.models import ErasureAnswer, ErasureRequest, Household, Proposal
from matching.retention import DEFAULTS


def export_household(session: Session, household_id: str) -> dict[str, list]:
    requests = list(session.scalars(select(ErasureRequest).where(ErasureRequest.household_id == household_id)))
    return {
        "households": list(session.scalars(select(Household).where(Household.id == household_id))),
        "proposals": list(session.scalars(select(Proposal).where(Proposal.household_id == household_id)
                                          .order_by(Proposal.created_at, Proposal.id))),
        "erasure_requests": requests,
        "erasure_answers": list(session.scalars(
            select(ErasureAnswer).where(ErasureAnswer.request_id.in_([r.id for r in requests]))
            .order_by(ErasureAnswer.service))),
    }


PROCESSING = Processing(
    purpose=(
        "Vermittlung von Wohnungen an vom Sozialamt zugewiesene wohnungslose oder von Wohnungslosigkeit "
        "bedrohte Haushalte: Prüfung der Eignung, Vergabe nach Dringlichkeit und Wartezeit, Vorschläge an "
        "Wohnungsunternehmen und Erfassung des Mietvertrags"
    ),
    legal_basis=(
        "§ 67a ff. SGB X i. V. m. §§ 67, 68 SGB XII (Hilfe zur Überwindung besonderer sozialer "
        "Schwierigkeiten); Art. 6 Abs. 1 lit. e, Art. 9 Abs. 2 lit. b und h DSGVO"
    ),
    data_subjects="Zugewiesene Haushalte (Haushaltsvorstand und Mitglieder des Haushalts)",
    recipients=(
        "Mitarbeitende des Sozialamts im Programm WohnenPlus (alle Angaben)",
        "Wohnungsunternehmen: vor ihrer Zusage nur ein pseudonymes Profil (Größe, Bedarfe, Haustiere), "
        "nach der Zusage Name und Kontakt; nie Dringlichkeit oder Zuweisungsgrund",
        "Dienste contracts, support und notifications von WohnenPlus (Mietverhältnis, Name und Kontakt); "
        "notifications bei Zuweisung und Vorschlag nur das Aktenzeichen, für die Nachricht an das Sozialamt",
        "Datenschutzbeauftragte/r (Auskunft, Löschung, Zugriffsprotokoll)",
    ),
    retention=(
        f"Zuweisung zurückgenommen: haushaltsweite Löschung nach {DEFAULTS['referral_withdrawn']} Tagen "
        "(RETENTION_REFERRAL_WITHDRAWN_DAYS)",
        f"Programm verlassen (Mietverhältnis vorzeitig beendet oder Garantielaufzeit abgelaufen): "
        f"haushaltsweite Löschung nach {DEFAULTS['left_program']} Tagen "
        "(RETENTION_LEFT_PROGRAM_DAYS)",
        f"Freitext einer Ablehnung: {DEFAULTS['decline_text']} Tage nach der Entscheidung über den Vorschlag "
        "(RETENTION_DECLINE_TEXT_DAYS); der Ablehnungsgrund aus der Liste bleibt für die Statistik",
        f"Vermerk zu einem Löschantrag: {DEFAULTS['erasure_note']} Tage (RETENTION_ERASURE_NOTE_DAYS); "
        "der Antrag selbst bleibt als Nachweis der Löschung",
        "Versandte Ereignisse im Postausgang: 30 Tage (RETENTION_PUBLISHED_EVENTS_DAYS)",
        "Löschantrag der betroffenen Person (Art. 17 DSGVO): sofort, in allen Diensten; eine gesetzliche "
        "Aufbewahrungspflicht eines Dienstes (z. B. offene Forderung) schiebt dort die Löschung auf",
        "Nach der Löschung bleiben nur pseudonyme Angaben: Haushaltsgröße, Zeitpunkte, Status, Punkte und "
        "Regelergebnisse der Vorschläge",
    ),
)
