"""The Label as a STANAG 4774 confidentiality label, and the ADatP-4774 vectors read."""

from datetime import UTC, datetime

import pytest

from gsomia.core.labels import Label
from gsomia.errors import LabelAltered
from gsomia.formats import stanag4774
from tests.conftest import VECTORS as SHARED_VECTORS

VECTORS = SHARED_VECTORS / "stanag4774-spiffing"


def test_a_received_label_round_trips_with_originator_and_holder_marking(book):
    kor = book.scheme("KOR")
    label = Label(
        "KOR", kor.read("II"), "nk-missile", "early warning", frozenset({"KOR", "JPN"}), ("NOFORN",)
    )
    copy = label.received_by("JPN", book.scheme("JPN").read("gokuhi"))
    value = stanag4774.statement_value(copy, datetime(2017, 5, 15, tzinfo=UTC))
    assert value["ConfidentialityInformation"]["Classification"] == "군사Ⅱ급비밀"
    assert value["AlternativeConfidentialityInformation"][0]["Classification"] == "極秘"
    assert value["CreationTime"] == "2017-05-15T00:00:00Z"
    assert stanag4774.label_from(value, book.schemes) == copy


def test_an_incomplete_label_is_refused(book):
    with pytest.raises(LabelAltered, match="incomplete"):
        stanag4774.label_from({"Originator": "KOR"}, book.schemes)


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_the_adatp_4774_table_17_labels_read_as_nato_levels(book, number):
    value = stanag4774.read_xml(
        (VECTORS / f"nato-4774-17-{number}.nato").read_text(encoding="utf-8")
    )
    information = value["ConfidentialityInformation"]
    assert information["PolicyIdentifier"] == "NATO"
    level = book.scheme("NATO").by_marking(information["Classification"])
    assert level.party == "NATO"
    assert all(category["GenericValues"] for category in information["Category"])


def test_the_releasable_to_category_of_vector_one(book):
    value = stanag4774.read_xml((VECTORS / "nato-4774-17-1.nato").read_text(encoding="utf-8"))
    categories = {
        c["TagName"]: c["GenericValues"] for c in value["ConfidentialityInformation"]["Category"]
    }
    assert categories["Releasable To"] == ["NATO", "ISAF", "KFOR", "RESOLUTE SUPPORT"]
