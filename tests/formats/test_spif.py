"""SPIFs read, labels in both forms read and written against them, the SPIF's rules and its
display marking, with NATO's SPIF and the ADatP-4774 Table 17 vectors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.errors import UnreadableXml
from gsomia.formats import safe_xml, spif, stanag4774
from gsomia.formats.spif import TagType
from tests.conftest import VECTORS as SHARED_VECTORS

VECTORS = SHARED_VECTORS / "stanag4774-spiffing"
NATO = spif.read_spif((VECTORS / "nato-4774-policy.xml").read_bytes())
NUMBERS = [1, 2, 3, 4]


def label_of(name: str) -> spif.Label:
    return spif.resolve(spif.read_label((VECTORS / name).read_bytes()), NATO).require()


def test_natos_spif_reads_as_its_policy():
    assert (NATO.name, NATO.oid, NATO.version) == ("NATO", "1.3.26.1.3.1", "79")
    assert [(c.name, c.lacv, c.hierarchy) for c in NATO.classifications] == [
        ("UNCLASSIFIED", 1, 1),
        ("RESTRICTED", 2, 2),
        ("CONFIDENTIAL", 3, 3),
        ("SECRET", 4, 4),
        ("TOP SECRET", 5, 5),
    ]
    types = {t.name: [tag.type for tag in t.tags] for t in NATO.tag_sets}
    assert types == {
        "Additional Sensitivity": [TagType.RESTRICTIVE],
        "Releasable To": [TagType.ENUMERATED_PERMISSIVE],
        "Only": [TagType.ENUMERATED_PERMISSIVE],
        "Administrative": [TagType.INFORMATIVE],
        "Context": [TagType.PERMISSIVE],
    }
    releasable = NATO.tag_set("1.3.26.1.4.2")
    assert releasable is not None
    afghanistan = releasable.tags[0].by_name("AFG")
    assert afghanistan is not None and afghanistan.lacv == 4  # written "004"


@pytest.mark.parametrize("number", NUMBERS)
def test_both_forms_of_a_table_17_label_are_the_same_label(number):
    assert label_of(f"nato-4774-17-{number}.nato") == label_of(f"nato-4774-17-{number}.xml")


@pytest.mark.parametrize("number", NUMBERS)
def test_the_4774_form_converts_to_the_spiffing_vector(number):
    converted = spif.write_spiffing(label_of(f"nato-4774-17-{number}.nato"), NATO)
    expected = label_of(f"nato-4774-17-{number}.xml")
    assert spif.read_label(converted).form == "spiffing"
    assert spif.resolve(spif.read_label(converted), NATO).require() == expected


@pytest.mark.parametrize("number", NUMBERS)
def test_the_spiffing_form_converts_to_the_4774_vector(number):
    converted = stanag4774.write_xml(spif.to_4774(label_of(f"nato-4774-17-{number}.xml"), NATO))
    assert spif.read_label(converted).form == "4774"
    assert spif.resolve(spif.read_label(converted), NATO).require() == label_of(
        f"nato-4774-17-{number}.nato"
    )
    # and as 4774 text: the same categories by name, whatever their order
    ours = stanag4774.read_xml(converted).confidentiality_information
    theirs = stanag4774.read_xml(
        (VECTORS / f"nato-4774-17-{number}.nato").read_bytes()
    ).confidentiality_information
    assert ours.classification == theirs.classification
    assert {(c.tag_name, c.type, frozenset(c.generic_values)) for c in ours.category} == {
        (c.tag_name, c.type, frozenset(c.generic_values)) for c in theirs.category
    }


@pytest.mark.parametrize("number", NUMBERS)
def test_the_table_17_labels_are_valid_under_natos_spif(number):
    for suffix in ("nato", "xml"):
        errors, _ = spif.check(
            spif.read_label((VECTORS / f"nato-4774-17-{number}.{suffix}").read_bytes()), NATO
        )
        assert errors == []


def _allowed(classification: spif.Classification) -> list[spif.CategoryKey]:
    return [
        (tag_set.oid, tag.type, category.lacv)
        for tag_set in NATO.tag_sets
        for tag in tag_set.tags
        for category in tag.categories
        if classification.name not in category.excluded_classes
    ]


@st.composite
def valid_labels(draw: st.DrawFn) -> spif.Label:
    classification = draw(st.sampled_from(NATO.classifications))
    keys = draw(st.sets(st.sampled_from(_allowed(classification)), max_size=12))
    return spif.Label(NATO.oid, classification.lacv, frozenset(keys))


@settings(max_examples=150, deadline=None)
@given(valid_labels())
def test_a_valid_label_round_trips_between_the_4774_and_numeric_forms(label):
    xml = stanag4774.write_xml(spif.to_4774(label, NATO))
    numeric = spif.write_spiffing(spif.resolve(spif.read_label(xml), NATO).require(), NATO)
    assert spif.resolve(spif.read_label(numeric), NATO).require() == label
    assert spif.check(spif.read_label(xml), NATO)[0] == []


def _written(classification: str, *categories: tuple[str, str, str]) -> spif.Written:
    return spif.Written(
        "4774",
        "NATO",
        None,
        classification,
        tuple(spif.WrittenCategory(*category) for category in categories),
    )


def test_a_classification_the_spif_lacks_is_invalid():
    errors, _ = spif.check(_written("COSMIC ULTRA"), NATO)
    assert [e.rule for e in errors] == ["definition"]
    assert "'COSMIC ULTRA' is not one of NATO's" in errors[0].message


def test_a_category_excluded_at_the_classification_is_invalid():
    label = _written("RESTRICTED", ("Additional Sensitivity", "RESTRICTIVE", "ATOMAL"))
    errors, _ = spif.check(label, NATO)
    assert [(e.rule, e.message) for e in errors] == [
        (
            "excludedClass",
            "ATOMAL (Additional Sensitivity) is not allowed at RESTRICTED (its excludedClass)",
        )
    ]
    allowed = _written("SECRET", ("Additional Sensitivity", "RESTRICTIVE", "ATOMAL"))
    assert spif.check(allowed, NATO)[0] == []


def test_a_category_the_spif_lacks_or_of_the_wrong_type_is_invalid():
    errors, _ = spif.check(
        _written(
            "SECRET",
            ("Releasable To", "PERMISSIVE", "ATLANTIS"),
            ("Context", "RESTRICTIVE", "NATO"),
            ("Caveats", "RESTRICTIVE", "NOFORN"),
        ),
        NATO,
    )
    assert [e.message for e in errors] == [
        "'ATLANTIS' is not a category of 'Releasable To' (enumeratedPermissive)",
        "tag set 'Context' has no RESTRICTIVE tag (the SPIF has PERMISSIVE)",
        "tag set 'Caveats' is not defined by the SPIF",
    ]


def test_an_obsolete_category_is_a_warning_not_a_reason():
    errors, warnings = spif.check(_written("SECRET", ("Context", "PERMISSIVE", "UKRAINE")), NATO)
    assert errors == []
    assert [w.rule for w in warnings] == ["obsolete"]


def test_a_label_of_another_policy_is_not_read_as_natos():
    written = spif.Written("4774", "KOR", None, "SECRET", ())
    errors, _ = spif.check(written, NATO)
    assert errors[0].message == "the label's policy is 'KOR', not 'NATO'"
    with pytest.raises(UnreadableXml, match="does not fit its SPIF"):
        spif.resolve(written, NATO).require()


# A small policy with the rules NATO's SPIF does not use: required and excluded categories,
# a classification's required category, a single-selection tag.
RULES_SPIF = """<?xml version="1.0"?>
<spif:SPIF xmlns:spif="http://www.xmlspif.org/spif" schemaVersion="2.1" version="1">
  <spif:securityPolicyId name="TEST" id="1.2.3.4"/>
  <spif:securityClassifications>
    <spif:securityClassification name="OPEN" lacv="1" hierarchy="1"/>
    <spif:securityClassification name="SECRET" lacv="3" hierarchy="3">
      <spif:requiredCategory operation="oneOrMore">
        <spif:categoryGroup tagSetRef="Handling" tagType="restrictive"/>
      </spif:requiredCategory>
    </spif:securityClassification>
  </spif:securityClassifications>
  <spif:securityCategoryTagSets>
    <spif:securityCategoryTagSet name="Handling" id="1.2.3.4.1">
      <spif:securityCategoryTag name="Handling" tagType="restrictive" singleSelection="true">
        <spif:tagCategory name="EYES ONLY" lacv="1">
          <spif:excludedCategory tagSetRef="Release" tagType="permissive"/>
        </spif:tagCategory>
        <spif:tagCategory name="CRYPTO" lacv="2">
          <spif:requiredCategory operation="onlyOne">
            <spif:categoryGroup tagSetRef="1.2.3.4.2" tagType="permissive" lacv="10"/>
            <spif:categoryGroup tagSetRef="1.2.3.4.2" tagType="permissive" lacv="20"/>
          </spif:requiredCategory>
        </spif:tagCategory>
      </spif:securityCategoryTag>
    </spif:securityCategoryTagSet>
    <spif:securityCategoryTagSet name="Release" id="1.2.3.4.2">
      <spif:securityCategoryTag name="Release" tagType="permissive">
        <spif:tagCategory name="ALPHA" lacv="10"/>
        <spif:tagCategory name="BRAVO" lacv="20"/>
      </spif:securityCategoryTag>
    </spif:securityCategoryTagSet>
  </spif:securityCategoryTagSets>
</spif:SPIF>
"""
RULES = spif.read_spif(RULES_SPIF)


def _rules(classification: str, *categories: tuple[str, str, str]) -> list[str]:
    written = spif.Written(
        "4774", "TEST", None, classification, tuple(spif.WrittenCategory(*c) for c in categories)
    )
    return [e.rule for e in spif.check(written, RULES)[0]]


def test_a_classification_missing_its_required_category_is_invalid():
    assert _rules("SECRET") == ["requiredCategory"]
    assert (
        _rules("SECRET", ("Handling", "RESTRICTIVE", "CRYPTO"), ("Release", "PERMISSIVE", "ALPHA"))
        == []
    )


def test_an_excluded_category_combination_is_invalid():
    assert _rules("OPEN", ("Handling", "RESTRICTIVE", "EYES ONLY")) == []
    assert _rules(
        "OPEN", ("Handling", "RESTRICTIVE", "EYES ONLY"), ("Release", "PERMISSIVE", "BRAVO")
    ) == ["excludedCategory"]


def test_a_required_combination_counts_its_operation():
    crypto = ("Handling", "RESTRICTIVE", "CRYPTO")
    assert _rules("OPEN", crypto) == ["requiredCategory"]
    assert _rules("OPEN", crypto, ("Release", "PERMISSIVE", "ALPHA")) == []
    both = _rules(
        "OPEN", crypto, ("Release", "PERMISSIVE", "ALPHA"), ("Release", "PERMISSIVE", "BRAVO")
    )
    assert both == ["requiredCategory"]  # onlyOne


def test_a_single_selection_tag_takes_one_category():
    assert _rules(
        "OPEN",
        ("Handling", "RESTRICTIVE", "EYES ONLY"),
        ("Handling", "RESTRICTIVE", "CRYPTO"),
        ("Release", "PERMISSIVE", "ALPHA"),
    ) == ["excludedCategory", "singleSelection"]


def test_the_marking_follows_the_spifs_marking_data():
    assert spif.marking(label_of("nato-4774-17-4.xml"), NATO) == (
        "NATO RESTRICTED Releasable to Japan, Switzerland, Ukraine"
    )
    assert spif.marking(label_of("nato-4774-17-4.xml"), NATO, "fr") == (
        "NATO DIFFUSION RESTREINTE Communicable a Japon, Suisse, Ukraine"
    )
    assert spif.marking(label_of("nato-4774-17-2.nato"), NATO) == "NATO UNCLASSIFIED"
    cosmic = spif.Label(NATO.oid, 5, frozenset())
    assert spif.marking(cosmic, NATO) == "COSMIC TOP SECRET"


def test_a_qualifier_applies_where_its_marking_code_says():
    staff = label_of("nato-4774-17-3.nato")
    assert spif.marking(staff, NATO, location="pageTop") == "NATO UNCLASSIFIED - STAFF"
    assert spif.marking(staff, NATO, location="pageBottom") == "NATO UNCLASSIFIED STAFF"


def test_a_label_in_neither_form_is_refused():
    with pytest.raises(UnreadableXml, match="neither an ADatP-4774 label"):
        spif.read_label("<label/>")


def test_a_spif_that_is_not_one_is_refused():
    with pytest.raises(UnreadableXml, match="not a SPIF"):
        spif.read_spif((VECTORS / "nato-4774-17-1.nato").read_bytes())


# -- hostile XML ---------------------------------------------------------------------------

XXE = """<?xml version="1.0"?>
<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<originatorConfidentialityLabel xmlns="urn:nato:stanag:4774:confidentialitymetadatalabel:1:0">
<ConfidentialityInformation><PolicyIdentifier>&x;</PolicyIdentifier>
<Classification>SECRET</Classification></ConfidentialityInformation>
</originatorConfidentialityLabel>"""

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">'
        for i in range(10)
    )
    + "]><label>&lol9;</label>"
)


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(XXE, id="external-entity"),
        pytest.param(LAUGHS, id="billion-laughs"),
        pytest.param('<!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><x/>', id="external-dtd"),
    ],
)
def test_a_document_with_a_dtd_or_entities_is_refused_unread(document):
    with pytest.raises(UnreadableXml, match="declares a DTD or entities"):
        spif.read_label(document)
    with pytest.raises(UnreadableXml, match="declares a DTD or entities"):
        spif.read_spif(document)


def test_a_deeply_nested_document_is_refused():
    deep = "<a>" * 10_000 + "</a>" * 10_000
    with pytest.raises(UnreadableXml, match="nested more than 32"):
        spif.read_label(deep)


def test_a_document_of_too_many_elements_is_refused():
    swarm = "<label>" + "<a/>" * (safe_xml.MAX_ELEMENTS + 1) + "</label>"
    with pytest.raises(UnreadableXml, match="more than 250000 elements"):
        spif.read_label(swarm)


def test_an_empty_document_is_refused():
    with pytest.raises(UnreadableXml, match="not well-formed"):
        spif.read_label(b"")


def test_a_huge_document_is_refused_before_parsing():
    huge = b"<label>" + b" " * safe_xml.MAX_BYTES + b"</label>"
    with pytest.raises(UnreadableXml, match="refused unread"):
        spif.read_label(huge)


def test_malformed_xml_is_refused_in_one_line():
    with pytest.raises(UnreadableXml, match="not well-formed") as raised:
        spif.read_label("<label><unclosed>")
    assert "\n" not in raised.value.message


@pytest.mark.parametrize("lacv", ["²", "1" * 5000, "-1", "0x2", ""])
def test_a_lacv_that_is_no_decimal_integer_is_not_a_classification(lacv):
    written = spif.Written("spiffing", None, NATO.oid, lacv, ())
    assert [e.rule for e in spif.check(written, NATO)[0]] == ["definition"]
