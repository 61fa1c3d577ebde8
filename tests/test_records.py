"""The records of processing (Art. 30 GDPR) in docs/ are generated from the services' column
classification: this fails when a classification changed and the document was not regenerated
(`make records`), and when a column that looks personal is not classified at all."""

from pathlib import Path

from servicekit.privacy import unclassified
from servicekit.privacy.records import render
from servicekit.service import discover

DOC = Path(__file__).resolve().parents[1] / "docs" / "RECORDS-OF-PROCESSING.md"


def test_every_service_classifies_its_columns_and_declares_its_processing():
    for name, service in discover().items():
        assert service.metadata is not None, f"{name} declares no metadata"
        assert unclassified(service.metadata) == [], f"{name} has unclassified columns"
        assert service.processing is not None, f"{name} declares no processing"


def test_the_records_of_processing_are_up_to_date():
    assert DOC.read_text() == render(discover().values()), "run `make records` and commit the result"
