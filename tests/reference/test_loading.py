"""Reference data: the shipped YAML loads, and a bad file is named with its field."""

from pathlib import Path

import pytest
import yaml

from gsomia.core.agreements import Kind, Reactivation
from gsomia.errors import ReferenceDataError
from gsomia.reference import (
    LOADER,
    builtin_files,
    parse_agreement,
    parse_history,
    parse_scheme,
    read_text,
)

GSOMIA_FILE = next(p for p in builtin_files("agreements") if p.stem == "KOR-JPN-GSOMIA-2016")


def test_the_four_schemes_and_four_agreements_load(schemes, agreements):
    assert {s.party for s in schemes} == {"KOR", "JPN", "USA", "NATO"}
    assert {a.id for a in agreements} == {
        "KOR-JPN-GSOMIA-2016",
        "USA-JPN-GSOMIA-2007",
        "USA-KOR-SA-1987",
        "KOR-JPN-USA-TISA-2014",
    }


def test_the_korea_japan_gsomia_carries_its_article_21_terms(book):
    gsomia = book.agreement("KOR-JPN-GSOMIA-2016")
    assert gsomia.parties == ("KOR", "JPN")
    assert gsomia.term is not None and gsomia.term.months == 12 and gsomia.term.automatic_renewal
    assert gsomia.notice is not None and gsomia.notice.days == 90
    assert "diplomatic channels" in gsomia.notice.channel
    assert gsomia.notice.reactivation is Reactivation.FULL_PERIOD
    assert gsomia.protection_survives_termination
    assert gsomia.legal_time_zone.key == "Asia/Seoul"
    assert gsomia.entry_into_force.isoformat() == "2016-11-23T00:00:00+09:00"


def test_the_korea_japan_gsomia_cites_article_6_for_third_parties(book):
    """Art 6: no release to a third country without the originator's prior written approval;
    Art 5 is not where the treaty says it."""
    assert book.agreement("KOR-JPN-GSOMIA-2016").articles.third_party == "Art 6"


def test_tisa_is_a_topic_scoped_hub_arrangement_through_the_us(book):
    tisa = book.agreement("KOR-JPN-USA-TISA-2014")
    assert tisa.kind is Kind.HUB and tisa.hub == "USA"
    assert tisa.topics == frozenset({"nk-nuclear", "nk-missile"})
    assert tisa.forwarding_requires_originator_approval


def test_the_2019_history_has_the_real_dates(book_2019):
    events = book_2019.lifecycle("KOR-JPN-GSOMIA-2016").events
    assert [(e.kind.value, e.at.isoformat()) for e in events] == [
        ("termination_notice", "2019-08-23T00:00:00+09:00"),
        ("notice_suspended", "2019-11-22T18:00:00+09:00"),
        ("notice_withdrawn", "2023-03-21T00:00:00+09:00"),
    ]


def schemes_by_party(schemes):
    return {s.party: s for s in schemes}


def test_yaml_is_read_with_libyamls_c_loader_when_pyyaml_has_it():
    assert LOADER is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


def test_malformed_yaml_names_the_file_and_line():
    with pytest.raises(ReferenceDataError, match=r"bad\.yaml: not valid YAML \(line 2\)"):
        parse_scheme("party: KOR\nlevels: [a: b: c]\n", "bad.yaml")


def test_a_missing_field_is_named(schemes):
    text = read_text(GSOMIA_FILE).replace("legal_time_zone: Asia/Seoul\n", "")
    with pytest.raises(ReferenceDataError, match=r"x\.yaml: field legal_time_zone: Field required"):
        parse_agreement(text, "x.yaml", schemes_by_party(schemes))


def test_an_unknown_time_zone_is_named(schemes):
    text = read_text(GSOMIA_FILE).replace("Asia/Seoul", "Asia/Atlantis")
    with pytest.raises(ReferenceDataError, match=r"field legal_time_zone: .*Asia/Atlantis"):
        parse_agreement(text, "x.yaml", schemes_by_party(schemes))


def test_an_equivalence_marking_not_in_the_scheme_is_named(schemes):
    text = read_text(GSOMIA_FILE).replace("JPN: [秘]", "JPN: [部外秘]")
    with pytest.raises(
        ReferenceDataError, match=r"field equivalence\.1\.JPN: '部外秘' is not a JPN marking"
    ):
        parse_agreement(text, "x.yaml", schemes_by_party(schemes))


def test_a_party_without_a_scheme_is_named(schemes):
    text = read_text(GSOMIA_FILE).replace("parties: [KOR, JPN]", "parties: [KOR, FRA]")
    with pytest.raises(
        ReferenceDataError, match=r"field parties\.1: no classification scheme for FRA"
    ):
        parse_agreement(text, "x.yaml", schemes_by_party(schemes))


def test_an_entry_into_force_outside_the_supported_range_is_named(schemes):
    text = read_text(GSOMIA_FILE).replace(
        "entry_into_force: 2016-11-23", "entry_into_force: 0001-01-01"
    )
    with pytest.raises(
        ReferenceDataError,
        match=r"field entry_into_force: instant 0001-01-01 is outside the supported range",
    ):
        parse_agreement(text, "x.yaml", schemes_by_party(schemes))


def test_a_term_longer_than_the_supported_headroom_is_named(schemes):
    text = read_text(GSOMIA_FILE).replace("months: 12", "months: 12000")
    with pytest.raises(ReferenceDataError, match=r"field term\.months: .*1200"):
        parse_agreement(text, "x.yaml", schemes_by_party(schemes))


def test_a_history_event_outside_the_supported_range_is_named(agreements):
    text = "id: h\ntitle: t\nagreement: KOR-JPN-GSOMIA-2016\nevents:\n  - {kind: termination_notice, by: KOR, at: 2299-01-01}\n"
    with pytest.raises(ReferenceDataError, match=r"field events\.0\.at: .*supported range"):
        parse_history(text, "h.yaml", {a.id: a for a in agreements})


def test_an_unknown_field_is_refused(schemes):
    text = read_text(GSOMIA_FILE) + "renewal_fee: 3\n"
    with pytest.raises(
        ReferenceDataError, match="field renewal_fee: Extra inputs are not permitted"
    ):
        parse_agreement(text, "x.yaml", schemes_by_party(schemes))


def test_a_history_for_an_unknown_agreement_is_refused(agreements):
    text = "id: h\ntitle: t\nagreement: KOR-FRA-1\nevents: []\n"
    with pytest.raises(ReferenceDataError, match="field agreement: unknown agreement 'KOR-FRA-1'"):
        parse_history(text, "h.yaml", {a.id: a for a in agreements})


def test_a_history_event_of_an_unknown_kind_is_named(agreements):
    text = "id: h\ntitle: t\nagreement: KOR-JPN-GSOMIA-2016\nevents:\n  - {kind: renounce, by: KOR, at: 2019-01-01}\n"
    with pytest.raises(ReferenceDataError, match=r"field events\.0\.kind"):
        parse_history(text, "h.yaml", {a.id: a for a in agreements})


def test_an_unreadable_file_is_named(tmp_path: Path):
    with pytest.raises(ReferenceDataError, match="cannot read"):
        read_text(tmp_path / "missing.yaml")
