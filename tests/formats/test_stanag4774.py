"""The Label as a STANAG 4774 confidentiality label, both directions, and the ADatP-4774
vectors read."""

from datetime import UTC, datetime

import pytest

from gsomia.core.labels import Label
from gsomia.errors import LabelAltered, UnreadableXml
from gsomia.formats import stanag4774
from gsomia.formats.stanag4774 import LabelStatement
from tests.conftest import VECTORS as SHARED_VECTORS

VECTORS = SHARED_VECTORS / "stanag4774-spiffing"


def test_a_received_label_round_trips_with_originator_and_holder_marking(book):
    kor = book.scheme("KOR")
    label = Label(
        "KOR", kor.read("II"), "nk-missile", "early warning", frozenset({"KOR", "JPN"}), ("NOFORN",)
    )
    copy = label.received_by("JPN", book.scheme("JPN").read("gokuhi"))
    value = LabelStatement.from_label(copy, datetime(2017, 5, 15, tzinfo=UTC)).document()
    assert value["Xmlns"] == stanag4774.SCHEMA
    assert value["ConfidentialityInformation"]["Classification"] == "군사Ⅱ급비밀"
    assert value["ConfidentialityInformation"]["Category"][0] == {
        "TagName": "Releasable To",
        "Type": "PERMISSIVE",
        "GenericValues": ["JPN", "KOR"],
    }
    assert value["AlternativeConfidentialityInformation"][0]["Classification"] == "極秘"
    assert value["CreationTime"] == "2017-05-15T00:00:00Z"
    assert (value["Originator"], value["Holder"], value["Topic"]) == ("KOR", "JPN", "nk-missile")
    assert LabelStatement.parse(value).to_label(book.schemes) == copy


def test_an_originators_label_round_trips_without_holder_or_releasability(book):
    label = Label("KOR", book.scheme("KOR").read("III"), "logistics")
    value = LabelStatement.from_label(label, datetime(2020, 1, 1, 9, tzinfo=UTC)).document()
    assert "Holder" not in value and "AlternativeConfidentialityInformation" not in value
    assert value["ConfidentialityInformation"]["Category"] == []
    assert LabelStatement.parse(value).to_label(book.schemes) == label


def test_an_incomplete_label_is_refused(book):
    with pytest.raises(LabelAltered, match="incomplete"):
        LabelStatement.parse({"Originator": "KOR"})


def test_a_label_naming_an_unknown_scheme_is_refused(book):
    label = Label("KOR", book.scheme("KOR").read("II"), "nk-missile")
    value = LabelStatement.from_label(label, datetime(2017, 5, 15, tzinfo=UTC)).document()
    value["ConfidentialityInformation"]["PolicyIdentifier"] = "ATLANTIS"
    del value["Stanag4774Xml"]  # a label carrying the JSON alone, as older ones do
    with pytest.raises(LabelAltered, match="unknown scheme 'ATLANTIS'"):
        LabelStatement.parse(value).to_label(book.schemes)


def test_a_holder_without_its_marking_is_refused(book):
    label = Label("KOR", book.scheme("KOR").read("II"), "nk-missile")
    value = LabelStatement.from_label(label, datetime(2017, 5, 15, tzinfo=UTC)).document()
    value["Holder"] = "JPN"
    with pytest.raises(LabelAltered, match="holder JPN but not its marking"):
        LabelStatement.parse(value).to_label(book.schemes)


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_the_adatp_4774_table_17_labels_read_as_nato_levels(book, number):
    label = stanag4774.read_xml(
        (VECTORS / f"nato-4774-17-{number}.nato").read_text(encoding="utf-8")
    )
    information = label.confidentiality_information
    assert information.policy_identifier == "NATO"
    level = book.scheme("NATO").by_marking(information.classification)
    assert level.party == "NATO"
    assert all(category.generic_values for category in information.category)


def test_the_releasable_to_category_of_vector_one(book):
    label = stanag4774.read_xml((VECTORS / "nato-4774-17-1.nato").read_text(encoding="utf-8"))
    assert label.confidentiality_information.values("Releasable To") == [
        "NATO",
        "ISAF",
        "KFOR",
        "RESOLUTE SUPPORT",
    ]


def test_malformed_xml_is_refused_in_one_line():
    with pytest.raises(UnreadableXml, match="not well-formed"):
        stanag4774.read_xml("<originatorConfidentialityLabel><unclosed>")


def test_another_namespace_is_no_4774_label():
    with pytest.raises(LabelAltered, match="namespace"):
        stanag4774.read_xml(
            "<originatorConfidentialityLabel><ConfidentialityInformation/></originatorConfidentialityLabel>"
        )


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_write_xml_reads_back_to_the_same_label(number):
    text = (VECTORS / f"nato-4774-17-{number}.nato").read_text(encoding="utf-8")
    label = stanag4774.read_xml(text)
    written = stanag4774.write_xml(label)
    assert written.startswith(f'<originatorConfidentialityLabel xmlns="{stanag4774.SCHEMA}">')
    assert stanag4774.read_xml(written) == label


def test_the_label_carries_its_4774_xml_beside_the_json_and_they_agree(book):
    """Issue: the ZTDF's label assertion carries the ADatP-4774 XML form beside its JSON;
    a statement whose XML says another thing than its JSON is refused."""
    label = Label(
        "KOR", book.scheme("KOR").read("II"), "nk-missile", releasable_to=frozenset({"JPN"})
    )
    value = LabelStatement.from_label(label, datetime(2017, 5, 15, tzinfo=UTC)).document()
    xml = value["Stanag4774Xml"]
    assert xml.startswith(
        '<originatorConfidentialityLabel xmlns="urn:nato:stanag:4774:confidentialitymetadatalabel:1:0">'
    )
    from_xml = stanag4774.read_xml(xml).confidentiality_information
    assert from_xml == LabelStatement.parse(value).confidentiality_information
    assert LabelStatement.parse(value).to_label(book.schemes) == label
    value["Stanag4774Xml"] = xml.replace("KOR", "JPN", 1)
    with pytest.raises(LabelAltered, match="4774 XML and its JSON say different things"):
        LabelStatement.parse(value)
    value["Stanag4774Xml"] = "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>"
    with pytest.raises(LabelAltered, match="4774 XML cannot be read"):
        LabelStatement.parse(value)
