"""The guarantee contract as a readable German PDF: a pure function from `ContractDocument` to bytes.

fpdf2's core fonts are Latin-1 only; the DejaVu Sans TTFs shipped beside this module (fonts/,
Bitstream Vera licence in fonts/LICENSE-DejaVu.txt, subset to Latin, Greek and Cyrillic as
fonts/README.md says) give umlauts, ß, €, and names such as Şükrü or Łukasz on every machine
without depending on an OS font package. Output is deterministic for the same document (the creation date
is the document's own `generated_at`), so it can be cached or compared.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

from servicekit.workdays import BERLIN

FONT_DIR = Path(__file__).parent / "fonts"

KIND_LABELS = {
    "rent_arrears": "Mietrückstände (Kaltmiete und Nebenkosten)",
    "damage_repairs": "Schäden und Reparaturen während des Mietverhältnisses",
    "renovation_move_out": "Renovierung beim Auszug",
    "legal_eviction": "Rechts- und Räumungskosten",
}
STATE_LABELS = {
    "draft": "Entwurf (noch nicht von beiden Seiten unterzeichnet)",
    "active": "In Kraft",
    "expired": "Abgelaufen",
    "terminated": "Vorzeitig beendet",
}
REASON_LABELS = {
    "move_out": "Auszug des Haushalts",
    "notice": "Kündigung des Mietverhältnisses",
    "eviction": "Räumung",
    "other": "Sonstiger Grund",
}


@dataclass(frozen=True)
class CapLine:
    name: str
    kinds: tuple[str, ...]
    cap_cents: int
    remaining_cents: int | None = None


@dataclass(frozen=True)
class ContractDocument:
    contract_no: str
    state: str
    company_name: str
    company_address: str
    household_name: str
    household_reference: str | None
    flat_street: str
    flat_postal_code: str
    flat_city: str
    flat_district: str | None
    lease_start: date
    cold_rent_cents: int
    service_charges_cents: int
    heating_cents: int
    term_start: date
    term_end: date
    caps: tuple[CapLine, ...]
    city_signed_at: datetime | None
    company_signed_at: datetime | None
    generated_at: datetime
    ended_on: date | None = None
    termination_reason: str | None = None
    city_name: str = "Landeshauptstadt Stuttgart, Amt für Soziales und Teilhabe"
    extra_notes: tuple[str, ...] = field(default_factory=tuple)


@lru_cache(maxsize=1)
def _covered_code_points() -> frozenset[int]:
    """Characters both shipped fonts can draw."""
    regular = TTFont(FONT_DIR / "DejaVuSans.ttf").getBestCmap()
    bold = TTFont(FONT_DIR / "DejaVuSans-Bold.ttf").getBestCmap()
    return frozenset(regular) & frozenset(bold)


def _drawable(text: str) -> tuple[str, bool]:
    """`text` with characters the fonts cannot draw replaced by "?", and whether any were.

    A name in a script the fonts lack would otherwise vanish silently from a signed contract."""
    covered = _covered_code_points()
    out = "".join(c if ord(c) in covered or c in "\n\t" else "?" for c in text)
    return out, out != text


def _drawable_document(doc: ContractDocument) -> tuple[ContractDocument, bool]:
    changes, replaced = {}, False
    for f in dataclasses.fields(doc):
        value = getattr(doc, f.name)
        if isinstance(value, str):
            changes[f.name], hit = _drawable(value)
            replaced |= hit
    return dataclasses.replace(doc, **changes), replaced


def euro(cents: int) -> str:
    """German money format: 10.000,00 €."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d} €"


def german_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def german_datetime(at: datetime) -> str:
    return at.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")


class _Pdf(FPDF):
    def __init__(self, doc: ContractDocument) -> None:
        super().__init__(format="A4")
        self.doc = doc
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=20)
        self.set_creation_date(doc.generated_at)
        self.set_title(f"Garantievertrag {doc.contract_no}")
        self.set_subject("Garantievertrag WohnenPlus")
        self.set_author(doc.city_name)
        self.set_lang("de-DE")

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 8, f"Garantievertrag {self.doc.contract_no} · Seite {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("DejaVu", "B", 11)
        self.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 10)

    def para(self, text: str) -> None:
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    def row(self, label: str, value: str) -> None:
        self.set_font("DejaVu", "B", 10)
        self.cell(55, 5, label)
        self.set_font("DejaVu", "", 10)
        self.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")


def render_contract_pdf(doc: ContractDocument) -> bytes:
    doc, replaced = _drawable_document(doc)
    pdf = _Pdf(doc)
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 8, "Garantievertrag WohnenPlus", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.row("Vertragsnummer", doc.contract_no)
    pdf.row("Status", STATE_LABELS.get(doc.state, doc.state))
    pdf.row("Erstellt am", german_datetime(doc.generated_at))

    pdf.heading("§ 1 Vertragsparteien")
    pdf.row("Garantiegeberin", doc.city_name)
    pdf.row("Wohnungsunternehmen", f"{doc.company_name}\n{doc.company_address}".strip())

    pdf.heading("§ 2 Mietverhältnis")
    pdf.row("Mieterhaushalt", doc.household_name)
    if doc.household_reference:
        pdf.row("Aktenzeichen", doc.household_reference)
    district = f" (Stadtbezirk {doc.flat_district})" if doc.flat_district else ""
    pdf.row("Wohnung", f"{doc.flat_street}, {doc.flat_postal_code} {doc.flat_city}{district}")
    pdf.row("Mietbeginn", german_date(doc.lease_start))
    pdf.row("Kaltmiete", f"{euro(doc.cold_rent_cents)} monatlich")
    pdf.row("Nebenkosten", f"{euro(doc.service_charges_cents)} monatlich")
    pdf.row("Heizkosten", f"{euro(doc.heating_cents)} monatlich")
    pdf.para(
        "Der Mietvertrag zwischen Wohnungsunternehmen und Haushalt ist unbefristet. "
        "Dieser Garantievertrag besteht zwischen der Stadt und dem Wohnungsunternehmen."
    )

    pdf.heading("§ 3 Laufzeit")
    pdf.row("Beginn", german_date(doc.term_start))
    pdf.row("Ende", f"{german_date(doc.term_end)} (einschließlich)")
    pdf.para("Die Garantie läuft fünf Jahre ab Mietbeginn.")
    if doc.ended_on is not None and doc.state == "terminated":
        reason = REASON_LABELS.get(doc.termination_reason or "", doc.termination_reason or "")
        pdf.row("Vorzeitig beendet zum", f"{german_date(doc.ended_on)} ({reason})")

    pdf.heading("§ 4 Umfang der Garantie und Höchstbeträge")
    pdf.para(
        "Die Stadt übernimmt nachgewiesene Forderungen des Wohnungsunternehmens aus dem "
        "Mietverhältnis bis zu den folgenden Höchstbeträgen je Vertrag. Leistungen für Mietrückstände "
        "setzen eine Aufstellung der offenen Monate voraus; Schäden sind durch Rechnungen zu belegen."
    )
    pdf.ln(1)
    with pdf.table(col_widths=(110, 60), text_align=("LEFT", "RIGHT"), line_height=5) as table:
        header = table.row()
        header.cell("Art des Schadens")
        header.cell("Höchstbetrag")
        for cap in doc.caps:
            label = "; ".join(KIND_LABELS.get(k, k) for k in cap.kinds)
            if len(cap.kinds) > 1:
                label += " (gemeinsamer Höchstbetrag)"
            amount = euro(cap.cap_cents)
            if cap.remaining_cents is not None:
                amount += f"\nnoch verfügbar: {euro(cap.remaining_cents)}"
            row = table.row()
            row.cell(label)
            row.cell(amount)

    pdf.heading("§ 5 Unterschriften")
    pdf.row("Stadt Stuttgart", f"unterzeichnet am {german_datetime(doc.city_signed_at)}" if doc.city_signed_at else "noch nicht unterzeichnet")
    pdf.row("Wohnungsunternehmen", f"unterzeichnet am {german_datetime(doc.company_signed_at)}" if doc.company_signed_at else "noch nicht unterzeichnet")
    if doc.city_signed_at and doc.company_signed_at:
        pdf.para("Der Vertrag ist mit beiden Unterschriften wirksam geworden.")
    else:
        pdf.para("Der Vertrag wird wirksam, sobald beide Seiten unterzeichnet haben.")
    for note in doc.extra_notes:
        pdf.para(note)
    if replaced:
        pdf.para("Hinweis: Einige Zeichen (z. B. in Namen) kann dieses Dokument nicht darstellen; sie sind "
                 "durch „?“ ersetzt. Maßgeblich sind die Angaben im Mietvertrag.")

    return bytes(pdf.output())
