"""The contract and its account statement read as a checker and a reader would: structure tree,
metadata and conformance identification (pikepdf, pdfinfo), and the text in reading order (pypdf)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from datetime import date, datetime, timezone

import pikepdf
import pypdf
import pytest

from contracts.documents import render_contract_pdf, render_statement_pdf
from contracts.documents.formats import css_string, euro
from document_samples import contract_document, statement_document, with_guarantor

CLAUSES = [
    "§ 1 Gegenstand",
    "§ 2 Umfang der Garantie und Höchstbeträge",
    "§ 3 Voraussetzungen und Fristen der Inanspruchnahme",
    "§ 4 Nachweise",
    "§ 5 Zahlung",
    "§ 6 Forderungsübergang",
    "§ 7 Mitwirkungs- und Meldepflichten",
    "§ 8 Laufzeit und vorzeitige Beendigung",
    "§ 9 Datenschutz (Art. 13 DSGVO)",
    "§ 10 Schriftform",
    "§ 11 Salvatorische Klausel",
    "§ 12 Gerichtsstand",
    "Unterschriften",
]
XMP_PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
XMP_PDFUAID = "{http://www.aiim.org/pdfua/ns/id/}"


def text_of(data: bytes) -> str:
    """The text in reading order with line breaks as spaces (how a screen reader or search sees it)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def structure_tags(pdf: pikepdf.Pdf) -> Counter:
    tags: Counter = Counter()
    stack = [pdf.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        if "/S" in node:
            tags[str(node.S)[1:]] += 1
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Dictionary):
            stack.append(kids)
        elif isinstance(kids, pikepdf.Array):
            stack.extend(k for k in kids if isinstance(k, pikepdf.Dictionary))
    return tags


@pytest.fixture(scope="module")
def contract_pdf() -> bytes:
    return render_contract_pdf(contract_document())


@pytest.fixture(scope="module")
def statement_pdf() -> bytes:
    return render_statement_pdf(statement_document())


# --------------------------------------------------------------------------- what a checker reads


@pytest.mark.parametrize("which", ["contract", "statement"])
def test_documents_are_tagged_pdf_a_3a_and_pdf_ua_1(which, contract_pdf, statement_pdf):
    data = contract_pdf if which == "contract" else statement_pdf
    pdf = pikepdf.open(io.BytesIO(data))
    root = pdf.Root
    assert "/StructTreeRoot" in root
    assert root.MarkInfo.Marked is True
    assert str(root.Lang) == "de-DE"
    assert root.ViewerPreferences.DisplayDocTitle is True  # PDF/UA: the title, not the file name, in the window
    assert root.OutputIntents[0].S == "/GTS_PDFA1"
    assert "/ID" in pdf.trailer
    with pdf.open_metadata() as xmp:
        assert xmp[f"{XMP_PDFAID}part"] == "3" and xmp[f"{XMP_PDFAID}conformance"] == "A"
        assert xmp[f"{XMP_PDFUAID}part"] == "1"
        title = xmp["dc:title"]
    assert title == str(pdf.docinfo.Title)  # PDF/A: info dictionary and XMP agree
    assert title.startswith("Garantievertrag GV-2028-00042" if which == "contract" else "Kontoauszug")
    # PDF/A-2/3 accept pdfuaid only with an extension schema that declares it
    raw = root.Metadata.read_bytes().decode()
    assert raw.count("<rdf:RDF") == 1
    assert "<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>" in raw
    assert "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in raw
    # every font embedded (PDF/A and PDF/UA), and only the shipped ones
    for page in pdf.pages:
        for font in page.Resources.Font.values():
            descriptor = font.DescendantFonts[0].FontDescriptor
            assert "/FontFile2" in descriptor
            assert str(font.BaseFont).split("+")[1].startswith("WP-Sans")
        # content is marked and tied to the structure tree
        operators = {str(op) for _, op in pikepdf.parse_content_stream(page)}
        assert {"BDC", "EMC"} <= operators
        assert "/StructParents" in page


def test_contract_structure_has_headings_lists_and_tables(contract_pdf):
    tags = structure_tags(pikepdf.open(io.BytesIO(contract_pdf)))
    assert tags["H1"] == 1
    assert tags["H2"] == len(CLAUSES)
    assert tags["H3"] == 2  # one per signature block
    assert tags["L"] >= 10 and tags["LI"] == tags["Lbl"] == tags["LBody"]
    assert tags["Table"] >= 3 and tags["TH"] >= 6 and tags["TD"] >= 8


def test_statement_structure_has_its_tables(statement_pdf):
    tags = structure_tags(pikepdf.open(io.BytesIO(statement_pdf)))
    assert tags["H1"] == 1 and tags["H2"] == 2
    assert tags["Table"] == 3 and tags["TH"] >= 6 + 6 + 7


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo (poppler-utils) not installed")
def test_pdfinfo_sees_a_tagged_a4_document_with_its_title(contract_pdf, tmp_path):
    path = tmp_path / "contract.pdf"
    path.write_bytes(contract_pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    fields = dict(re.findall(r"^([^:]+):\s+(.*)$", info, re.M))
    assert fields["Tagged"] == "yes"
    assert fields["Title"] == "Garantievertrag GV-2028-00042 – WohnenPlus"
    assert fields["Author"] == "Landeshauptstadt Stuttgart, Amt für Soziales und Teilhabe"
    assert fields["Metadata Stream"] == "yes"
    assert fields["Page size"].startswith("595.276 x 841.89")  # A4
    assert fields["PDF version"] == "1.7"


# --------------------------------------------------------------------------- what a reader reads


def test_contract_has_every_clause_in_reading_order(contract_pdf):
    text = text_of(contract_pdf)
    position = 0
    for heading in CLAUSES:  # each after the one before
        found = text.find(heading, position)
        assert found > position, heading
        position = found
    assert text.startswith("Programmentwurf WohnenPlus: Der Wortlaut dieses Vertrags ist ein Entwurf des "
                           "Programms und vom Rechtsamt der Landeshauptstadt Stuttgart noch zu bestätigen.")


def test_contract_clauses_are_filled_from_the_contract_and_the_programme(contract_pdf):
    text = text_of(contract_pdf)
    for expected in [
        # parties and tenancy
        "der Landeshauptstadt Stuttgart, vertreten durch das Amt für Soziales und Teilhabe",
        "Wohnbau Süd GmbH, Königstraße 1, 70173 Stuttgart",
        "Haushalt Jürgen Müßiggang (Aktenzeichen HH-2028-17) einen unbefristeten Mietvertrag über die Wohnung "
        "Böblinger Straße 12, 70178 Stuttgart (Stadtbezirk Süd) mit Mietbeginn am 29.02.2028",
        "Kaltmiete 618,00 €", "Nebenkosten 150,50 €", "Heizkosten 80,00 €",
        # caps per kind, from the contract's own copy
        "Mietrückstände (Kaltmiete und Nebenkosten) 12.000,00 €",
        "Renovierung beim Auszug (gemeinsamer Höchstbetrag) 10.000,00 €",
        "Rechts- und Räumungskosten 5.000,00 €",
        "höchstens 768,50 € je Monat; Heizkosten sind nicht gedeckt",
        "Programmbedingungen in der Fassung vom 25.11.2026",
        # deadlines: grace period after the end, expiry notices, term
        "noch 180 Tage lang angemeldet werden, bei Ende am 28.02.2033 also bis einschließlich 27.08.2033",
        "erinnert beide Parteien 90 und 30 Tage vor dem Ende der Laufzeit",
        "Die Garantie läuft 5 Jahre ab Mietbeginn: vom 29.02.2028 bis zum 28.02.2033",
        # subrogation, early warning, data protection, form, jurisdiction
        "tritt das Wohnungsunternehmen ihr hiermit seine Forderung gegen den Haushalt",
        "an die feste Ansprechperson, die das Amt für Soziales und Teilhabe für dieses Mietverhältnis benannt hat",
        "Frühwarnung",
        "Art. 6 Abs. 1 Buchst. b, c und e DSGVO", "Art. 77", "180 Tage nach dem Ende der Garantie gelöscht",
        "bedürfen der Schriftform", "§ 54 Gemeindeordnung für Baden-Württemberg",
        "soweit gesetzlich zulässig, Stuttgart.",
        # signatures as recorded
        "Für die Landeshauptstadt Stuttgart Unterzeichnet am 20.02.2028, 09:30 Uhr in der Plattform WohnenPlus "
        "(Kennung staff-anna)",
        "Für Wohnbau Süd GmbH Unterzeichnet am 21.02.2028, 10:00 Uhr in der Plattform WohnenPlus "
        "(Kennung wohnbau-sued-1)",
        "Der Vertrag ist mit beiden Unterschriften wirksam geworden.",
    ]:
        assert expected in text, expected


def test_contract_is_not_an_account_statement(contract_pdf):
    text = text_of(contract_pdf)
    assert "noch verfügbar" not in text
    assert "Den Stand weist der Kontoauszug zu diesem Vertrag aus." in text


def test_every_mention_of_the_city_is_the_configured_one():
    from contracts.config import load_program_config

    config = with_guarantor(load_program_config(), name="Stadt Musterstadt", office="Sozialamt", seat="Musterstadt")
    doc = contract_document(config, flat_city="Musterstadt", company_address="Hauptstraße 1, 12345 Musterstadt",
                            flat_postal_code="12345")
    data = render_contract_pdf(doc)
    text = text_of(data)
    assert "Stuttgart" not in text
    assert "der Stadt Musterstadt, vertreten durch das Sozialamt" in text
    assert "Für die Stadt Musterstadt" in text
    assert "soweit gesetzlich zulässig, Musterstadt." in text
    assert str(pikepdf.open(io.BytesIO(data)).docinfo.Author) == "Stadt Musterstadt, Sozialamt"
    assert "Stuttgart" not in text_of(render_statement_pdf(statement_document(config)))


@pytest.mark.parametrize(("unlimited", "wording"), [
    (True, "einen unbefristeten Mietvertrag über"),
    (False, "einen befristeten Mietvertrag über"),
    (None, "Ob der Mietvertrag befristet ist, wurde der Stadt nicht übermittelt"),
])
def test_tenancy_wording_follows_the_reported_lease(unlimited, wording):
    text = text_of(render_contract_pdf(contract_document(lease_unlimited=unlimited)))
    assert wording in text
    if unlimited is not True:
        assert "unbefristeten Mietvertrag über" not in text


@pytest.mark.parametrize("case", ["five_years", "terminated", "leap_day", "draft", "expired"])
def test_contracts_in_each_situation_render_with_their_dates(case):
    changes, expected = {
        "five_years": (dict(lease_start=date(2026, 4, 1), term_start=date(2026, 4, 1), term_end=date(2031, 3, 31)),
                       ["mit Mietbeginn am 01.04.2026", "vom 01.04.2026 bis zum 31.03.2031",
                        "bei Ende am 31.03.2031 also bis einschließlich 27.09.2031"]),
        "terminated": (dict(state="terminated", ended_on=date(2030, 6, 30), termination_reason="move_out"),
                       ["Vorzeitig beendet", "Letzter gedeckter Tag: 30.06.2030 (Grund: Auszug des Haushalts)",
                        "bei Ende am 30.06.2030 also bis einschließlich 27.12.2030",
                        "Forderungen können bis einschließlich 27.12.2030 angemeldet werden"]),
        "leap_day": ({}, ["mit Mietbeginn am 29.02.2028", "vom 29.02.2028 bis zum 28.02.2033"]),
        "draft": (dict(state="draft", company_signature=None),
                  ["Entwurf (noch nicht von beiden Seiten unterzeichnet)", "Für Wohnbau Süd GmbH Noch nicht unterzeichnet",
                   "Der Vertrag wird wirksam, sobald beide Parteien unterzeichnet haben"]),
        "expired": (dict(state="expired"), ["Die Laufzeit dieses Vertrags ist am 28.02.2033 abgelaufen"]),
    }[case]
    data = render_contract_pdf(contract_document(**changes))
    assert data.startswith(b"%PDF-1.7")
    text = text_of(data)
    for line in expected:
        assert line in text, line
    assert structure_tags(pikepdf.open(io.BytesIO(data)))["H2"] == len(CLAUSES)


def test_finance_projection_without_the_household_still_renders():
    hidden = "(für diese Rolle nicht sichtbar)"
    text = text_of(render_contract_pdf(contract_document(household_name=hidden, flat_street=hidden,
                                                         household_reference=None)))
    assert f"Haushalt {hidden} einen unbefristeten Mietvertrag über die Wohnung {hidden}, 70178" in text
    assert "Aktenzeichen" not in text


def test_statement_shows_caps_claims_and_what_remains(statement_pdf):
    text = text_of(statement_pdf)
    for expected in [
        "Kontoauszug", "zum Garantievertrag GV-2028-00042",
        "Garantiezeitraum 29.02.2028 bis 28.02.2033", "Anmeldungen möglich bis 27.08.2033",
        "Stand vom 03.06.2029, 09:00 Uhr",
        "noch verfügbar",
        # cap, open, approved unpaid, paid, remaining
        "Mietrückstände (Kaltmiete und Nebenkosten) 12.000,00 € 1.537,00 € 0,00 € 2.305,50 € 8.157,50 €",
        "Renovierung beim Auszug 10.000,00 € 0,00 € 1.200,00 € 0,00 € 8.800,00 €",
        "Rechts- und Räumungskosten 5.000,00 € 0,00 € 0,00 € 0,00 € 5.000,00 €",
        "10.01.2029 Mietrückstände (Kaltmiete und Nebenkosten) 10/2028–12/2028 2.305,50 € ausgezahlt 2.305,50 € "
        "01.02.2029 (KZ-2029-0815)",
        "teilweise anerkannt 1.200,00 €", "eingereicht –",
    ]:
        assert expected in text, expected
    assert "Jürgen" not in text  # the statement names no household


def test_statement_of_a_contract_without_claims():
    text = text_of(render_statement_pdf(statement_document(claims=())))
    assert "Zu diesem Vertrag wurden keine Forderungen angemeldet." in text


# --------------------------------------------------------------------------- characters and formats


def test_names_beyond_german_render():
    name = "Şükrü Öztürk, Łukasz Wójcik, Олена Коваленко"
    assert name in text_of(render_contract_pdf(contract_document(household_name=name)))


def test_characters_the_fonts_lack_are_replaced_visibly_not_dropped():
    text = text_of(render_contract_pdf(contract_document(household_name="محمد Wang 王")))
    assert "???? Wang ?" in text
    assert "durch „?“ ersetzt" in text
    assert "ersetzt" not in text_of(render_contract_pdf(contract_document()))


def test_markup_in_data_is_text_not_markup():
    text = text_of(render_contract_pdf(contract_document(company_name='<b>Bau & Söhne</b> "GmbH"')))
    assert 'Für <b>Bau & Söhne</b> "GmbH"' in text


def test_documents_are_deterministic(contract_pdf, statement_pdf):
    assert render_contract_pdf(contract_document()) == contract_pdf
    assert render_statement_pdf(statement_document()) == statement_pdf


@pytest.mark.parametrize(("cents", "text"), [(0, "0,00 €"), (5, "0,05 €"), (1_000_000, "10.000,00 €"), (-150, "-1,50 €")])
def test_euro_format(cents, text):
    assert euro(cents) == text


def test_css_string_cannot_close_the_string_or_the_style_element():
    assert css_string('a"b</style>&\\') == "a\\22 b\\3c /style\\3e \\26 \\5c "


def test_generated_at_is_shown_in_berlin_time():
    doc = contract_document(generated_at=datetime(2028, 7, 1, 22, 30, tzinfo=timezone.utc))
    assert "Erstellt am 02.07.2028, 00:30 Uhr" in text_of(render_contract_pdf(doc))


def test_a_contract_renders_in_under_half_a_second(contract_pdf):
    """Issue 18's budget on the machine the tests run on: the median of ten renders of the full
    contract, best of three rounds, in CPU time of this process. Rendering is single-threaded CPU
    work, and CPU time leaves out the waits a shared, loaded machine adds (at load 10 on two cores
    wall time was 3-5x the CPU time); a slower renderer still fails it. Without HarfBuzz's
    subsetter WeasyPrint falls back to fontTools (~1.2 s wall here, and bytes that differ from run
    to run): `make tools` installs it."""
    import statistics
    import time

    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset is not None, "libharfbuzz-subset0 missing: run `make tools` (deploy/install-tools.sh)"
    doc = contract_document()  # fonts already loaded by the fixture's render, as the web app preloads them
    medians = []
    for _ in range(3):
        samples = []
        for _ in range(10):
            started = time.process_time()
            render_contract_pdf(doc)
            samples.append(time.process_time() - started)
        medians.append(statistics.median(samples))
        if medians[-1] < 0.5:
            break
    assert min(medians) < 0.5, medians
