"""What support declares about its processing of personal data (Art. 30 GDPR) and what it hands
the data protection officer for a household's access request (Art. 15 GDPR)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicekit.privacy import Processing

from support.erasure import DEFAULT_CASE_CLOSED_DAYS
from support.models import Appointment, Crisis, SupportCase

PROCESSING = Processing(
    purpose=(
        "Wohnbegleitung der über WohnenPlus vermittelten Haushalte: feste Ansprechperson und Sozialarbeit "
        "je Mietverhältnis, Planung der Begleittermine, Krisentermine nach Vorfällen und Mietrückständen"
    ),
    legal_basis=(
        "§§ 67a ff. SGB X i. V. m. Art. 6 Abs. 1 lit. e, Art. 9 Abs. 2 lit. b und h DSGVO; "
        "Daten der Fachkräfte: Art. 88 DSGVO i. V. m. § 15 LDSG BW"
    ),
    data_subjects="Mitglieder der begleiteten Haushalte; Fachkräfte des Sozialamts (Ansprechpersonen, Sozialarbeit)",
    recipients=(
        "Wohnungsunternehmen: nur Aktenzeichen, Stand des Falls und Ansprechperson der eigenen Mietverhältnisse",
        "Benachrichtigungsdienst von WohnenPlus: Termine, Ansprechperson und Aktenzeichen des Falls, um den "
        "Haushalt und die Fachkräfte zu informieren",
        "Fachkräfte: nur die eigenen Fälle (zugewiesen oder mit gebuchtem Vertretungstermin)",
    ),
    retention=(
        f"Name, Kontakt, Anschrift und Freitexte eines Falls: {DEFAULT_CASE_CLOSED_DAYS // 365} Jahre nach Abschluss "
        "des Falls gelöscht; Kennungen, Daten, Status, Zuständigkeit, Haushaltsgröße und Ergebnis als Code bleiben "
        "ohne Personenbezug für die Programmstatistik",
        "Auf Antrag (Art. 17 DSGVO) oder mit der Löschung des Haushalts in der Vermittlung: sofort; ein offener Fall "
        "wird dabei mit dem Ergebnis „gelöscht“ (erased) abgeschlossen, künftige Termine werden abgesagt",
    ),
)


def export_household(session: Session, household_id: str) -> dict[str, list]:
    """Every row support holds about the household: its cases (with the contract each is under)
    and their appointments and crises."""
    cases = session.scalars(
        select(SupportCase).where(SupportCase.household_id == household_id).order_by(SupportCase.opened_at, SupportCase.id)
    ).all()
    ids = [c.id for c in cases]
    return {
        "support_cases": cases,
        "appointments": session.scalars(
            select(Appointment).where(Appointment.case_id.in_(ids)).order_by(Appointment.starts_at, Appointment.id)
        ).all(),
        "crises": session.scalars(select(Crisis).where(Crisis.case_id.in_(ids)).order_by(Crisis.reported_at)).all(),
    }
