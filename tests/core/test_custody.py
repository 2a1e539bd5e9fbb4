"""After the hand-over (Art 6(g), 6(h), Art 13, the reproduction articles): who may change an
item's classification, what each holder's copy becomes, which derived item may be made, and
how a returned or destroyed item answers every later use; working days for the
acknowledgement deadline."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gsomia.core.custody import (
    Disposal,
    check_derived_level,
    check_originator,
    disposed,
    holder_marking,
    overdue,
)
from gsomia.core.errors import Denied, InvalidRequest
from gsomia.core.policy import Code
from gsomia.core.workdays import (
    add_working_days,
    country_of,
    is_working_day,
    working_days_between,
)
from tests.conftest import kst


def test_only_the_originator_changes_a_classification():
    """Art 6(g): the originator notifies changes; a holder cannot make one."""
    check_originator("KOR", "KOR", "KOR-2017-0001", "remark")
    with pytest.raises(Denied, match=r"only its originator, KOR.*Art 6\(g\)"):
        check_originator("KOR", "JPN", "KOR-2017-0001", "remark")


def test_a_holder_remarks_by_its_agreements_equivalence(book):
    """Art 4 and Art 6(g): a Korean item re-marked Ⅲ is 秘 in Japan and CONFIDENTIAL in the
    United States."""
    level = book.scheme("KOR").read("III")
    japan = holder_marking(book, level, "JPN")
    assert japan.level is not None
    assert (japan.level.marking, japan.agreement, japan.dispose) == (
        "秘",
        "KOR-JPN-GSOMIA-2016",
        False,
    )
    usa = holder_marking(book, level, "USA").level
    assert usa is not None and usa.marking == "CONFIDENTIAL"


def test_a_level_no_agreement_covers_asks_the_holder_to_return_or_destroy(book):
    """Art 6(g), 6(h): Korea's Grade Ⅰ is outside the Korea–Japan equivalence table, so a
    Japanese copy re-marked to it cannot stay."""
    top = book.scheme("KOR").read("I")
    japan = holder_marking(book, top, "JPN")
    assert japan.level is None and japan.dispose


def test_a_derived_item_bears_at_least_its_originals_marking(book):
    """Reproduction and translation articles: a copy is marked like its original or higher."""
    kor = book.scheme("KOR")
    check_derived_level(kor.read("II"), kor.read("II"))
    check_derived_level(kor.read("II"), kor.read("I"))
    with pytest.raises(InvalidRequest, match="at least"):
        check_derived_level(kor.read("II"), kor.read("III"))
    with pytest.raises(InvalidRequest, match="originator's scheme"):
        check_derived_level(kor.read("II"), book.scheme("JPN").read("極秘"))


@pytest.mark.parametrize(
    ("disposal", "code"),
    [(Disposal.DESTROYED, Code.ITEM_DESTROYED), (Disposal.RETURNED, Code.ITEM_RETURNED)],
)
def test_a_disposed_item_is_denied_every_later_use(disposal, code):
    """Art 6(h), Art 13: it stays in the register, nothing more is done with it."""
    decision = disposed("JPN-2018-0001", disposal, kst("2018-05-01"), "released")
    assert not decision.allowed
    [reason] = decision.reasons
    assert (reason.code, reason.article) == (code, "Art 6(h), Art 13")
    assert "cannot be released" in reason.message


def test_working_days_skip_weekends_and_each_countrys_holidays():
    """Chuseok 2026 (24–26 Sep, Thu–Sat) in Korea, Golden Week in Japan, Thanksgiving in the
    United States; a party with no known country counts weekdays."""
    assert not is_working_day(date(2026, 9, 24), "KR")
    assert is_working_day(date(2026, 9, 24), "JP")
    assert working_days_between(date(2026, 9, 23), date(2026, 9, 29), "KR") == 1
    assert working_days_between(date(2026, 9, 23), date(2026, 9, 29), "JP") == 3
    assert not is_working_day(date(2026, 5, 5), "JP")
    assert not is_working_day(date(2026, 11, 26), "US")
    assert is_working_day(date(2026, 11, 26), country_of("NATO"))


def test_an_acknowledgement_is_overdue_only_beyond_its_working_days():
    """Practice for 'without delay' (Art 6(g)): 10 working days by default, counted in the
    originator's calendar (Chuseok does not count in Korea)."""
    sent = date(2026, 9, 21)  # a Monday before Chuseok
    tenth = add_working_days(sent, 10, "KR")
    assert not overdue("KOR", sent, tenth, 10)
    assert overdue("KOR", sent, add_working_days(sent, 11, "KR"), 10)
    assert tenth > add_working_days(sent, 10, "JP")


days = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))
countries = st.sampled_from(["KR", "JP", "US", None])


@given(country=countries, start=days, n=st.integers(min_value=0, max_value=60))
def test_adding_working_days_then_counting_them_gives_the_same_number(country, start, n):
    end = add_working_days(start, n, country)
    assert working_days_between(start, end + timedelta(days=1), country) == n
    assert n == 0 or is_working_day(end, country)


@given(country=countries, start=days, n=st.integers(min_value=0, max_value=40))
def test_an_acknowledgement_becomes_overdue_exactly_one_working_day_after_its_limit(
    country, start, n
):
    party = {"KR": "KOR", "JP": "JPN", "US": "USA", None: "NATO"}[country]
    assert not overdue(party, start, add_working_days(start, n, country), n)
    assert overdue(party, start, add_working_days(start, n + 1, country), n)
