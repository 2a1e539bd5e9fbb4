"""Legal paths between parties, direct or through a hub arrangement (Rule 13, TISA)."""

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.core.agreements import AgreementBook
from gsomia.core.labels import Label
from gsomia.core.routing import routes
from tests.conftest import builtin_agreements, builtin_schemes, history_2019, kst

MIDNIGHT = kst("2019-11-23T00:00+09:00")
TISA = "KOR-JPN-USA-TISA-2014"


def item(book, marking="SECRET", topic="nk-missile", originator="KOR", **kw):
    return Label(originator, book.scheme(originator).read(marking), topic, **kw)


def test_direct_route_while_the_gsomia_is_in_force_and_hub_route_beside_it(book):
    found = routes(book, item(book), "JPN", kst("2017-03-01"))
    assert [r.path for r in found] == [("KOR", "JPN"), ("KOR", "USA", "JPN")]
    assert found[0].consents_required == ()


def test_after_termination_missile_data_can_go_through_the_us_with_koreas_approval(
    book_notice_stood,
):
    """TISA: through the US as hub, forwarded only with the originator's approval."""
    found = routes(book_notice_stood, item(book_notice_stood), "JPN", MIDNIGHT)
    assert len(found) == 1
    route = found[0]
    assert route.path == ("KOR", "USA", "JPN")
    assert route.via == TISA
    assert route.agreements == (TISA, "USA-KOR-SA-1987", "USA-JPN-GSOMIA-2007")
    assert [(c.originator, c.to) for c in route.consents_required] == [("KOR", "JPN")]
    assert [hop.recipient_level.marking for hop in route.hops] == ["SECRET", "極秘"]


def test_after_termination_nothing_outside_tisas_scope_has_a_route(book_notice_stood):
    assert (
        routes(
            book_notice_stood, item(book_notice_stood, topic="naval-operations"), "JPN", MIDNIGHT
        )
        == []
    )


def test_no_route_before_any_agreement_between_korea_and_japan_existed(book):
    assert routes(book, item(book), "JPN", kst("2014-06-01")) == []


def test_an_item_not_releasable_to_the_hub_has_no_hub_route(book_notice_stood):
    restricted = item(book_notice_stood, releasable_to=frozenset({"JPN"}))
    assert routes(book_notice_stood, restricted, "JPN", MIDNIGHT) == []


SCHEMES, AGREEMENTS = builtin_schemes(), builtin_agreements()
BOOKS = [AgreementBook(SCHEMES, AGREEMENTS, h) for h in ([], history_2019(), history_2019()[:1])]
PARTIES = ["KOR", "JPN", "USA"]


def effective(label):
    return (label.releasable_to or frozenset({"KOR", "JPN", "USA", "NATO"})) | {label.originator}


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_releasability_never_widens_along_a_route(data):
    """Rule 6: releasability only ever shrinks along a chain of transfers."""
    book = data.draw(st.sampled_from(BOOKS))
    originator = data.draw(st.sampled_from(PARTIES))
    destination = data.draw(st.sampled_from([p for p in PARTIES if p != originator]))
    # Items that may travel, so that most examples have routes to check: levels every agreement
    # covers, mostly topics within TISA's scope, markings admitting the destination and hub.
    parties = st.frozensets(st.sampled_from(PARTIES))
    label = Label(
        originator,
        data.draw(
            st.sampled_from([lv for lv in book.scheme(originator).levels if lv.rank in (2, 3)])
        ),
        data.draw(st.sampled_from(["nk-missile", "nk-nuclear", "general"])),
        releasable_to=data.draw(st.none() | parties.map(lambda s: s | {destination, "USA"})),
    )
    at = data.draw(st.integers(0, 11 * 365).map(lambda d: kst("2015-01-01") + timedelta(days=d)))
    for route in routes(book, label, destination, at):
        previous = effective(label)
        for hop in route.hops:
            current = effective(hop.label)
            assert current <= previous
            assert hop.recipient in current
            previous = current
        assert all(book.lifecycle(a).in_force(at) for a in route.agreements)
