import json
from pathlib import Path

import pytest

from servicekit import config as servicekit_config

from contracts.config import load_program_config
from contracts.domain import LossKind

# shared/ lies beside the repository (DESIGN.md's data/stuttgart.json)
REPO = Path(__file__).resolve().parents[4]
STUTTGART = next((p for p in (REPO.parent / "shared/data/stuttgart.json", REPO / "shared/data/stuttgart.json")
                  if p.exists()), None)
SHIPPED = Path(__file__).parents[2] / "contracts/config/program.json"


def test_shipped_config_covers_every_kind_and_repairs_share_one_cap(config):
    for kind in LossKind:
        assert config.coverage.cap_for(kind) is not None, kind
    assert config.coverage.cap_for(LossKind.DAMAGE_REPAIRS) is config.coverage.cap_for(LossKind.RENOVATION_MOVE_OUT)
    assert config.expiry_notice_days == (90, 30)


def test_shipped_config_names_the_guarantor(config):
    assert config.guarantor.name == "Landeshauptstadt Stuttgart"
    assert config.guarantor.office == "Amt für Soziales und Teilhabe"
    assert config.guarantor.seat == "Stuttgart"


@pytest.mark.skipif(STUTTGART is None, reason="shared/data/stuttgart.json not beside the repository")
def test_shipped_config_uses_the_stuttgart_figures(config):
    facts = json.loads(STUTTGART.read_text())["guarantee_programs"]
    repairs = config.coverage.cap_for(LossKind.DAMAGE_REPAIRS)
    assert repairs.cap_cents == facts["garantievertrag_private_landlords_for_comparison"]["subsidy_cap_eur_per_contract"] * 100
    assert config.term_years == facts["wohnenplus"]["term_years"]
    assert "Amt für Soziales und Teilhabe" in facts["wohnenplus"]["contact"]


def test_config_override_file_and_invalid_config(tmp_path, monkeypatch):
    shipped = json.loads(SHIPPED.read_text())
    shipped["caps"][0]["cap_cents"] = 123
    shipped["guarantor"]["value"]["name"] = "Stadt Musterstadt"
    path = tmp_path / "program.json"
    path.write_text(json.dumps(shipped))
    monkeypatch.setenv("CONTRACTS_CONFIG_DIR", str(tmp_path))
    config = load_program_config()
    assert config.coverage.caps[0].cap_cents == 123
    assert config.guarantor.name == "Stadt Musterstadt"
    shipped["caps"][1]["kinds"].append("rent_arrears")  # a kind in two caps
    path.write_text(json.dumps(shipped))
    servicekit_config.reload()  # the file changed in place
    with pytest.raises(ValueError):
        load_program_config()


def test_config_without_a_guarantor_is_refused(tmp_path, monkeypatch):
    shipped = json.loads(SHIPPED.read_text())
    shipped["guarantor"]["value"]["seat"] = ""
    path = tmp_path / "program.json"
    path.write_text(json.dumps(shipped))
    monkeypatch.setenv("CONTRACTS_CONFIG_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="guarantor"):
        load_program_config()
