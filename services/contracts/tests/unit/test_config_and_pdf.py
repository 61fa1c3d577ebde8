import io
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pypdf
import pytest

from contracts.config import load_program_config
from contracts.documents import CapLine, ContractDocument, render_contract_pdf
from contracts.documents.pdf import euro
from contracts.domain import LossKind

# shared/ lies beside the repository (DESIGN.md's data/stuttgart.json)
REPO = Path(__file__).resolve().parents[4]
STUTTGART = next((p for p in (REPO.parent / "shared/data/stuttgart.json", REPO / "shared/data/stuttgart.json")
                  if p.exists()), None)


def test_shipped_config_covers_every_kind_and_repairs_share_one_cap(config):
    for kind in LossKind:
        assert config.coverage.cap_for(kind) is not None, kind
    assert config.coverage.cap_for(LossKind.DAMAGE_REPAIRS) is config.coverage.cap_for(LossKind.RENOVATION_MOVE_OUT)
    assert config.expiry_notice_days == (90, 30)


@pytest.mark.skipif(STUTTGART is None, reason="shared/data/stuttgart.json not beside the repository")
def test_shipped_config_uses_the_stuttgart_figures(config):
    facts = json.loads(STUTTGART.read_text())["guarantee_programs"]
    repairs = config.coverage.cap_for(LossKind.DAMAGE_REPAIRS)
    assert repairs.cap_cents == facts["garantievertrag_private_landlords_for_comparison"]["subsidy_cap_eur_per_contract"] * 100
    assert config.term_years == facts["wohnenplus"]["term_years"]


def test_config_override_file_and_invalid_config(tmp_path, monkeypatch):
    shipped = json.loads((Path(__file__).parents[2] / "contracts/config/program.json").read_text())
    shipped["caps"][0]["cap_cents"] = 123
    path = tmp_path / "program.json"
    path.write_text(json.dumps(shipped))
    monkeypatch.setenv("CONTRACTS_PROGRAM_CONFIG", str(path))
    assert load_program_config().coverage.caps[0].cap_cents == 123
    shipped["caps"][1]["kinds"].append("rent_arrears")  # a kind in two caps
    path.write_text(json.dumps(shipped))
    with pytest.raises(ValueError):
        load_program_config()


def document(**changes) -> ContractDocument:
    base = dict(
        contract_no="GV-2028-00042", state="active",
        company_name="Wohnbau Süd GmbH", company_address="Königstraße 1, 70173 Stuttgart",
        household_name="Jürgen Müßiggang", household_reference="HH-2028-17",
        flat_street="Böblinger Straße 12", flat_postal_code="70178", flat_city="Stuttgart", flat_district="Süd",
        lease_start=date(2028, 2, 29), cold_rent_cents=61_800, service_charges_cents=15_050, heating_cents=8_000,
        term_start=date(2028, 2, 29), term_end=date(2033, 2, 28),
        caps=(
            CapLine("rent_arrears", ("rent_arrears",), 1_200_000, 1_100_000),
            CapLine("repairs_subsidy", ("damage_repairs", "renovation_move_out"), 1_000_000),
        ),
        city_signed_at=datetime(2028, 2, 20, 8, 30, tzinfo=timezone.utc),
        company_signed_at=datetime(2028, 2, 21, 9, 0, tzinfo=timezone.utc),
        generated_at=datetime(2028, 3, 1, 10, 0, tzinfo=timezone.utc),
    )
    base.update(changes)
    return ContractDocument(**base)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_opens_and_shows_number_parties_term_caps_and_signatures():
    data = render_contract_pdf(document())
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in [
        "GV-2028-00042", "Wohnbau Süd GmbH", "Jürgen Müßiggang", "Böblinger Straße 12",
        "29.02.2028", "28.02.2033", "12.000,00 €", "10.000,00 €", "noch verfügbar: 11.000,00 €",
        "Renovierung beim Auszug", "gemeinsamer Höchstbetrag", "150,50 €", "In Kraft",
        "unterzeichnet am 20.02.2028, 09:30 Uhr",
    ]:
        assert expected in text, expected


def test_pdf_of_a_draft_says_who_has_not_signed():
    text = pdf_text(render_contract_pdf(document(state="draft", company_signed_at=None)))
    assert "noch nicht unterzeichnet" in text
    assert "Entwurf" in text


def test_pdf_renders_names_beyond_german():
    name = "Şükrü Öztürk, Łukasz Wójcik, Олена Коваленко"
    assert name in pdf_text(render_contract_pdf(document(household_name=name)))


def test_characters_the_fonts_lack_are_replaced_visibly_not_dropped():
    text = pdf_text(render_contract_pdf(document(household_name="محمد Wang 王")))
    assert "???? Wang ?" in text
    assert "durch „?“ ersetzt" in text
    assert "ersetzt" not in pdf_text(render_contract_pdf(document()))


def test_pdf_is_deterministic():
    assert render_contract_pdf(document()) == render_contract_pdf(document())


@pytest.mark.parametrize(("cents", "text"), [(0, "0,00 €"), (5, "0,05 €"), (1_000_000, "10.000,00 €"), (-150, "-1,50 €")])
def test_euro_format(cents, text):
    assert euro(cents) == text
