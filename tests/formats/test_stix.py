"""The STIX 2.1 bundle: valid for stix2, marked as the standards mark, and read back whole."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import stix2
from hypothesis import given
from hypothesis import strategies as st

from gsomia.errors import InvalidRequest
from gsomia.formats import stix
from tests.conftest import VECTORS

AT = datetime(2019, 11, 22, 9, 0, tzinfo=UTC)


def summary(**changes):
    values = {
        "reference": "KOR-2019-0001",
        "title": "Hwasong-14 launch data",
        "originator": "KOR",
        "originator_reference": "KOR-2019-0001",
        "originator_marking": "군사Ⅱ급비밀",
        "recipient": "JPN",
        "marking": "極秘",
        "english": "SECRET",
        "topic": "nk-missile",
        "purpose": "early warning",
        "releasable_to": ("JPN", "KOR"),
        "registered_at": datetime(2019, 7, 25, 1, 30, tzinfo=UTC),
        "modified_at": datetime(2019, 7, 25, 1, 30, tzinfo=UTC),
    }
    return stix.ItemSummary.model_validate(values | changes)


def objects(text, kind=None):
    found = json.loads(text)["objects"]
    return [o for o in found if kind is None or o["type"] == kind]


def test_a_bundle_is_valid_stix_2_1_for_the_stix2_library():
    text = stix.write_bundle("KOR", "JPN", [summary(tlp="amber+strict")])
    parsed = stix2.parse(text, allow_custom=False, version="2.1")
    assert parsed.type == "bundle"
    assert {o["spec_version"] for o in objects(text)} == {"2.1"}


def test_a_tool_without_gsomias_extensions_reads_the_bundle_and_its_markings():
    """A receiving tool that knows only STIX 2.1 (stix2 in a fresh process, which takes an
    object type it has no class for as custom content) parses it, sees each item's marking
    definitions, and reads the TLP."""
    text = stix.write_bundle("KOR", "JPN", [summary(tlp="red")])
    program = (
        "import json, sys, stix2\n"
        "bundle = stix2.parse(sys.stdin.read(), allow_custom=True)\n"
        "assert all(isinstance(o, stix2.v21.MarkingDefinition) for o in bundle.objects\n"
        "           if o['type'] == 'marking-definition')\n"
        "by_id = {o['id']: o for o in bundle.objects}\n"
        "[item] = [o for o in bundle.objects if o['type'] == 'gsomia-item']\n"
        "print(json.dumps(sorted(by_id[r]['name'] for r in item['object_marking_refs'])))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", program], input=text, capture_output=True, text=True, check=True
    )
    assert json.loads(ran.stdout) == ["JPN 極秘 (SECRET)", "TLP:RED"]


def test_one_marking_definition_per_classification_used():
    items = [
        summary(reference="A"),
        summary(reference="B"),
        summary(reference="C", marking="秘", english="CONFIDENTIAL"),
    ]
    text = stix.write_bundle("KOR", "JPN", items)
    classifications = [
        m["extensions"][stix.CLASSIFICATION_EXTENSION]
        for m in objects(text, "marking-definition")
        if stix.CLASSIFICATION_EXTENSION in m["extensions"]
    ]
    assert sorted((c["party"], c["classification"], c["english"]) for c in classifications) == [
        ("JPN", "極秘", "SECRET"),
        ("JPN", "秘", "CONFIDENTIAL"),
    ]


def test_the_extension_definitions_declare_what_they_extend():
    """STIX 2.1 §7.3: a new SDO and a property extension, each defined once, by gsomia."""
    text = stix.write_bundle("KOR", "JPN", [summary()])
    by_id = {o["id"]: o for o in objects(text, "extension-definition")}
    assert by_id[stix.ITEM_EXTENSION]["extension_types"] == ["new-sdo"]
    assert by_id[stix.CLASSIFICATION_EXTENSION]["extension_types"] == ["property-extension"]
    assert {o["created_by_ref"] for o in by_id.values()} == {stix.GSOMIA_IDENTITY}


@pytest.mark.parametrize("level", ["clear", "amber", "amber+strict"])
def test_tlp_markings_are_the_ones_oasis_publishes(level):
    published = json.loads(
        (VECTORS / "stix-tlp-2.0" / f"tlp-{level}.json").read_text(encoding="utf-8")
    )["objects"][0]
    text = stix.write_bundle("KOR", "JPN", [summary(tlp=level)])
    [written] = [m for m in objects(text, "marking-definition") if m["id"] == published["id"]]
    assert written == published


def test_no_tlp_marking_without_a_mapping():
    text = stix.write_bundle("KOR", "JPN", [summary()])
    assert not set(stix.TLP_MARKINGS.values()) & {o["id"] for o in objects(text)}


def test_an_item_carries_no_content_only_what_a_delivery_names():
    text = stix.write_bundle("KOR", "JPN", [summary()])
    [item] = objects(text, "gsomia-item")
    assert set(item) - {
        "type",
        "spec_version",
        "id",
        "created_by_ref",
        "created",
        "modified",
        "object_marking_refs",
        "extensions",
    } == {
        "reference",
        "title",
        "originator",
        "originator_reference",
        "originator_marking",
        "recipient",
        "marking",
        "english",
        "topic",
        "purpose",
        "releasable_to",
        "registered_at",
    }


def test_the_same_item_keeps_its_identifier_and_a_change_is_a_new_version():
    """STIX 2.1 §3.6: one object, versions told apart by `modified`."""
    first = objects(stix.write_bundle("KOR", "JPN", [summary()]), "gsomia-item")[0]
    changed = summary(modified_at=AT, marking="秘", english="CONFIDENTIAL")
    second = objects(stix.write_bundle("KOR", "JPN", [changed]), "gsomia-item")[0]
    assert first["id"] == second["id"]
    assert first["created"] == second["created"]
    assert second["modified"] > first["modified"]


def test_a_gsomia_item_with_a_property_it_does_not_define_is_refused():
    text = stix.write_bundle("KOR", "JPN", [summary()])
    document = json.loads(text)
    [item] = [o for o in document["objects"] if o["type"] == "gsomia-item"]
    item["content"] = "the plan itself"
    with pytest.raises(InvalidRequest, match="content"):
        stix.read_bundle(json.dumps(document))


def test_an_item_whose_marking_is_not_its_marking_definitions_is_refused():
    text = stix.write_bundle("KOR", "JPN", [summary()])
    document = json.loads(text)
    [item] = [o for o in document["objects"] if o["type"] == "gsomia-item"]
    item["marking"] = "秘"
    with pytest.raises(InvalidRequest, match="marking definition says 極秘"):
        stix.read_bundle(json.dumps(document))


def test_an_item_without_a_classification_marking_is_refused():
    text = stix.write_bundle("KOR", "JPN", [summary(tlp="green")])
    document = json.loads(text)
    [item] = [o for o in document["objects"] if o["type"] == "gsomia-item"]
    item["object_marking_refs"] = [stix.TLP_MARKINGS["green"]]
    with pytest.raises(InvalidRequest, match="exactly one classification"):
        stix.read_bundle(json.dumps(document))


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", '{"type": "indicator"}', '{"type": "bundle", "id": "bundle--x"}'],
)
def test_what_is_not_a_stix_bundle_is_refused_in_one_line(text):
    with pytest.raises(InvalidRequest) as raised:
        stix.read_bundle(text)
    assert "\n" not in raised.value.message


def test_an_empty_export_is_a_valid_bundle_of_its_exporter():
    read = stix.read_bundle(stix.write_bundle("KOR", "JPN", []))
    assert (read.exporter, read.recipient, read.items) == ("KOR", None, ())


def test_a_tlp_mapping_accepts_the_labels_of_tlp_2_0_only():
    assert stix.tlp_levels([("secret", "TLP:AMBER+STRICT"), (" CONFIDENTIAL", "clear")]) == {
        "SECRET": "amber+strict",
        "CONFIDENTIAL": "clear",
    }
    with pytest.raises(InvalidRequest, match=r"no TLP 2\.0 label"):
        stix.tlp_levels([("SECRET", "white")])  # TLP 1.0's WHITE became CLEAR


text_ = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1)
instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
).map(lambda at: at.replace(microsecond=at.microsecond // 1000 * 1000))
later = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=900)).map(
    lambda delta: timedelta(milliseconds=delta // timedelta(milliseconds=1))
)
summaries = st.builds(
    lambda at, delta, **values: stix.ItemSummary(
        registered_at=at, modified_at=at + delta, **values
    ),
    instants,
    later,
    reference=text_,
    title=text_,
    originator=st.sampled_from(["KOR", "USA"]),
    originator_reference=text_,
    originator_marking=text_,
    recipient=st.just("JPN"),
    marking=st.sampled_from(["極秘", "特定秘密", "秘"]),
    english=st.sampled_from(["SECRET", "CONFIDENTIAL"]),
    topic=text_,
    purpose=st.one_of(st.just(""), text_),
    releasable_to=st.one_of(
        st.none(),
        st.lists(st.sampled_from(["JPN", "KOR", "USA"]), min_size=1, unique=True)
        .map(sorted)
        .map(tuple),
    ),
    caveats=st.lists(text_, max_size=3).map(tuple),
    tlp=st.one_of(st.none(), st.sampled_from(list(stix.TLP_MARKINGS))),
)


@given(st.lists(summaries, max_size=4, unique_by=lambda s: s.reference))
def test_every_bundle_reads_back_to_the_items_written(items):
    consistent: dict[str, str] = {}
    for item in items:  # one English name per marking, as an equivalence table gives
        consistent.setdefault(item.marking, item.english)
    items = [i.model_copy(update={"english": consistent[i.marking]}) for i in items]
    read = stix.read_bundle(stix.write_bundle("KOR", "JPN", items))
    assert (read.exporter, list(read.items)) == ("KOR", items)
