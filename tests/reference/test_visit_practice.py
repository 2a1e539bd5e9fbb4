"""Visit practice as agreement data (Art 8 states no lead time): defaults when an agreement
says nothing, the Korea–Japan file's values, a file's own lead times and calendars, and bad
values named with their field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gsomia.core.agreements import VisitType
from gsomia.errors import ReferenceDataError
from gsomia.reference import builtin_files, parse_agreement, read_text

DOCS = Path(__file__).resolve().parents[2] / "docs" / "agreements.md"
GSOMIA_FILE = next(p for p in builtin_files("agreements") if p.stem == "KOR-JPN-GSOMIA-2016")


def with_visits(section: str) -> str:
    """The Korea–Japan file with its `visits` section replaced."""
    text = read_text(GSOMIA_FILE)
    return re.sub(r"(?ms)^visits:\n(?:  .*\n)+", section, text)


def schemes_by_party(schemes):
    return {s.party: s for s in schemes}


def test_an_agreement_without_a_visits_section_follows_the_default_practice(book):
    practice = book.agreement("USA-JPN-GSOMIA-2007").visits
    assert practice.lead_working_days == {
        VisitType.ONE_TIME: 20,
        VisitType.RECURRING: 20,
        VisitType.EMERGENCY: 3,
    }
    assert practice.recurring_months == 12 and practice.calendars == {}


def test_the_korea_japan_gsomia_cites_art_8_for_visits(book):
    gsomia = book.agreement("KOR-JPN-GSOMIA-2016")
    assert gsomia.articles.visits == "Art 8"
    assert gsomia.visits.longest_days[VisitType.ONE_TIME] == 30


def test_a_file_sets_its_own_lead_times_and_calendars(schemes):
    text = with_visits(
        "visits:\n  lead_working_days: {emergency: 1}\n"
        "  calendars: {KOR: {country: KR, time_zone: Asia/Seoul}, NATO: {country: BE, "
        "time_zone: Europe/Brussels}}\n"
    )
    agreement = parse_agreement(text, "mine.yaml", schemes_by_party(schemes))
    assert agreement.visits.lead_working_days[VisitType.EMERGENCY] == 1
    assert agreement.visits.lead_working_days[VisitType.ONE_TIME] == 20
    assert agreement.visits.calendars["NATO"].time_zone.key == "Europe/Brussels"


def test_the_documented_example_loads(schemes):
    [example] = re.findall(r"```yaml\n(visits:.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    agreement = parse_agreement(with_visits(example), "docs.yaml", schemes_by_party(schemes))
    assert agreement.visits.calendars["NATO"].country == "BE"


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("visits:\n  lead_working_days: {one-time: -1}\n", "visits.lead_working_days"),
        ("visits:\n  lead_working_days: {weekly: 5}\n", "visits.lead_working_days"),
        ("visits:\n  longest_days: {recurring: 400}\n", "visits.longest_days"),
        ("visits:\n  recurring_months: 18\n", "visits.recurring_months"),
        ("visits:\n  calendars: {KOR: {country: XX, time_zone: Asia/Seoul}}\n", "country"),
        ("visits:\n  calendars: {KOR: {country: KR, time_zone: Mars/Base}}\n", "time_zone"),
    ],
)
def test_bad_visit_practice_is_named_with_its_field(schemes, section, field):
    with pytest.raises(ReferenceDataError, match=re.escape(field)):
        parse_agreement(with_visits(section), "bad.yaml", schemes_by_party(schemes))
