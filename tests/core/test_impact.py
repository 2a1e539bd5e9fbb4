"""If an agreement were no longer in force from an instant (Art 21, Rule 13): the question of
November 2019, answered over groups of items."""

from collections import Counter
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.core.agreements import AgreementBook
from gsomia.core.impact import Flow, Holding, Outcome, flow_impact, impact
from gsomia.core.labels import Label
from gsomia.core.policy import Reader, decide_release
from tests.conftest import builtin_agreements, builtin_schemes, history_2019, kst

GSOMIA = "KOR-JPN-GSOMIA-2016"
TISA = "KOR-JPN-USA-TISA-2014"
MIDNIGHT = kst("2019-11-23T00:00+09:00")


def label(book, originator="KOR", marking="SECRET", topic="nk-missile", **kw) -> Label:
    return Label(originator, book.scheme(originator).read(marking), topic, **kw)


def test_ending_takes_the_agreement_out_of_force_from_the_instant_only(book):
    """Art 21: the what-if book has the GSOMIA in force until the instant, not after; the
    recorded book is untouched."""
    ended = book.ending(GSOMIA, MIDNIGHT)
    assert ended.lifecycle(GSOMIA).in_force(MIDNIGHT - timedelta(seconds=1))
    assert not ended.lifecycle(GSOMIA).in_force(MIDNIGHT)
    assert book.lifecycle(GSOMIA).in_force(MIDNIGHT)
    assert ended.lifecycle(TISA).in_force(MIDNIGHT)


def test_missile_data_is_rerouted_through_the_us_with_koreas_approval(book):
    """Rule 13 (TISA): after the GSOMIA, nk-missile items reach Japan only through the US hub,
    forwarded with the originator's approval."""
    found = flow_impact(book.ending(GSOMIA, MIDNIGHT), Flow(label(book), "JPN", 7), MIDNIGHT)
    assert found.outcome is Outcome.REROUTED
    assert "agreement_not_in_force" in found.direct.codes()
    [route] = found.routes
    assert route.path == ("KOR", "USA", "JPN")
    assert route.via == TISA
    assert [(c.originator, c.to) for c in route.consents_required] == [("KOR", "JPN")]


def test_a_topic_no_hub_arrangement_covers_stops_citing_article_21(book):
    found = flow_impact(
        book.ending(GSOMIA, MIDNIGHT),
        Flow(label(book, topic="naval-operations"), "JPN", 3),
        MIDNIGHT,
    )
    assert found.outcome is Outcome.STOPS
    assert found.routes == ()
    [reason] = [r for r in found.direct.reasons if r.code == "agreement_not_in_force"]
    assert reason.agreement == GSOMIA
    assert reason.article is not None and "21" in reason.article


def test_a_flow_under_another_agreement_continues(book):
    """Ending the Korea–Japan GSOMIA leaves Korea's releases to the US under their own."""
    found = flow_impact(book.ending(GSOMIA, MIDNIGHT), Flow(label(book), "USA", 2), MIDNIGHT)
    assert found.outcome is Outcome.CONTINUES
    assert found.direct.agreement == "USA-KOR-SA-1987"


def test_received_items_stay_protected_and_readable_by_cleared_readers_with_need_to_know(book):
    """Art 21: protection survives termination; Art 7: clearance and need-to-know decide."""
    copy = label(book, "JPN", "極秘", holder="KOR", holder_level=book.scheme("KOR").read("SECRET"))
    readers = {
        "Kim": Reader("KOR", book.scheme("KOR").read("SECRET"), frozenset({"nk-missile"})),
        "Lee": Reader("KOR", book.scheme("KOR").read("SECRET"), frozenset({"naval-operations"})),
        "Park": Reader("KOR", book.scheme("KOR").read("CONFIDENTIAL"), frozenset({"nk-missile"})),
        "Sato": Reader("JPN", book.scheme("JPN").read("極秘"), frozenset({"nk-missile"})),
    }
    found = impact(book, GSOMIA, MIDNIGHT, [], [Holding(copy, 4)], readers)
    [holding] = found.holdings
    assert holding.readers == ("Kim",)
    assert holding.survival_article is not None and "21" in holding.survival_article


def test_item_counts_add_up_by_outcome(book):
    flows = [
        Flow(label(book), "JPN", 5),
        Flow(label(book, topic="naval-operations"), "JPN", 2),
        Flow(label(book), "USA", 1),
    ]
    found = impact(book, GSOMIA, MIDNIGHT, flows, [], {})
    assert (
        found.items(Outcome.REROUTED),
        found.items(Outcome.STOPS),
        found.items(Outcome.CONTINUES),
    ) == (5, 2, 1)


SCHEMES, AGREEMENTS = builtin_schemes(), builtin_agreements()
BOOKS = [AgreementBook(SCHEMES, AGREEMENTS, h) for h in ([], history_2019())]
PARTIES = ["KOR", "JPN", "USA"]
AGREEMENT_IDS = sorted(a.id for a in AGREEMENTS)


def flows(data, book) -> list[Flow]:
    result = []
    for _ in range(data.draw(st.integers(1, 12))):
        originator = data.draw(st.sampled_from(PARTIES))
        recipient = data.draw(st.sampled_from([p for p in PARTIES if p != originator]))
        level = data.draw(st.sampled_from(book.scheme(originator).levels))
        topic = data.draw(st.sampled_from(["nk-missile", "nk-nuclear", "general"]))
        releasable = data.draw(st.none() | st.frozensets(st.sampled_from(PARTIES)))
        result.append(Flow(Label(originator, level, topic, releasable_to=releasable), recipient, 1))
    return result


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_grouped_answer_equals_the_item_by_item_answer(data):
    """The registry groups alike items; the outcome counts are those of deciding each item."""
    book = data.draw(st.sampled_from(BOOKS))
    agreement = data.draw(st.sampled_from(AGREEMENT_IDS))
    at = data.draw(st.integers(0, 11 * 365).map(lambda d: kst("2015-01-01") + timedelta(days=d)))
    one_by_one = flows(data, book)
    grouped = Counter((f.label, f.recipient) for f in one_by_one)
    by_item = impact(book, agreement, at, one_by_one, [], {})
    by_group = impact(
        book, agreement, at, [Flow(lb, to, n) for (lb, to), n in grouped.items()], [], {}
    )
    for outcome in Outcome:
        assert by_item.items(outcome) == by_group.items(outcome)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_ending_an_agreement_never_allows_what_the_record_denies(data):
    """A what-if that takes an agreement away can only narrow what is allowed (Art 21)."""
    book = data.draw(st.sampled_from(BOOKS))
    agreement = data.draw(st.sampled_from(AGREEMENT_IDS))
    at = data.draw(st.integers(0, 11 * 365).map(lambda d: kst("2015-01-01") + timedelta(days=d)))
    ended = book.ending(agreement, at)
    for flow in flows(data, book):
        if decide_release(ended, flow.label, flow.recipient, at).allowed:
            assert decide_release(book, flow.label, flow.recipient, at).allowed
        if flow_impact(ended, flow, at).outcome is Outcome.CONTINUES:
            assert decide_release(ended, flow.label, flow.recipient, at).agreement != agreement
