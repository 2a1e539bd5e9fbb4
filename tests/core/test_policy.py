"""Release, receipt, access and onward-transfer decisions, each rule citing its article."""

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.core.agreements import AgreementBook, Event, EventKind
from gsomia.core.errors import InvalidRequest
from gsomia.core.labels import Label
from gsomia.core.policy import (
    Code,
    Consent,
    Reader,
    decide_access,
    decide_receipt,
    decide_release,
    decide_transfer,
)
from tests.conftest import builtin_agreements, builtin_schemes, history_2019, kst

GSOMIA = "KOR-JPN-GSOMIA-2016"
MIDNIGHT = kst("2019-11-23T00:00+09:00")


def level(book, party, marking):
    return book.scheme(party).read(marking)


def label(book, originator="KOR", marking="SECRET", topic="nk-missile", **kw):
    return Label(originator, level(book, originator, marking), topic, **kw)


def received(book, originator="KOR", holder="JPN", marking="SECRET", topic="nk-missile"):
    original = label(book, originator, marking, topic)
    decision = decide_release(book, original, holder, kst("2017-03-01"))
    assert decision.recipient_level is not None
    return original.received_by(holder, decision.recipient_level)


# Release (Rule 2) ---------------------------------------------------------------------------------


def test_release_under_agreement_in_force_gives_the_recipients_equivalent_marking(book):
    """Art 4 and Art 21: in force, covered level; Japan marks Korea's Grade Ⅱ as 極秘."""
    decision = decide_release(book, label(book), "JPN", kst("2017-03-01"))
    assert decision.allowed
    assert decision.agreement == GSOMIA
    assert decision.recipient_level is not None and decision.recipient_level.marking == "極秘"
    assert decision.equivalent == "SECRET"
    assert Code.AGREEMENT_IN_FORCE in decision.codes()
    assert Code.LEVEL_COVERED in decision.codes()


def test_release_after_termination_is_denied_citing_article_21(book_notice_stood):
    decision = decide_release(book_notice_stood, label(book_notice_stood), "JPN", MIDNIGHT)
    assert not decision.allowed
    reason = decision.reasons[0]
    assert (reason.code, reason.agreement, reason.article) == (
        Code.AGREEMENT_NOT_IN_FORCE,
        GSOMIA,
        "Art 21",
    )
    assert "terminated at 2019-11-23T00:00+09:00" in reason.message


def test_release_one_minute_before_midnight_is_still_allowed(book_notice_stood):
    decision = decide_release(
        book_notice_stood, label(book_notice_stood), "JPN", kst("2019-11-22T23:59+09:00")
    )
    assert decision.allowed


def test_release_before_entry_into_force_is_denied(book):
    decision = decide_release(book, label(book), "JPN", kst("2016-06-01"))
    assert decision.codes()[0] is Code.AGREEMENT_NOT_IN_FORCE
    assert "enters into force" in decision.reasons[0].message


def test_korean_grade_one_is_never_released_to_japan(book):
    """Art 4: 군사Ⅰ급비밀 is not in the equivalence table."""
    decision = decide_release(book, label(book, marking="군사Ⅰ급비밀"), "JPN", kst("2017-03-01"))
    assert not decision.allowed
    reason = decision.reasons[0]
    assert (reason.code, reason.article) == (Code.LEVEL_NOT_COVERED, "Art 4")


def test_release_with_no_agreement_between_the_parties_is_denied(book):
    decision = decide_release(book, label(book), "NATO", kst("2017-03-01"))
    assert not decision.allowed
    assert decision.codes() == (Code.NO_AGREEMENT,)
    assert decision.agreement is None


def test_release_outside_the_items_releasability_is_denied(book):
    """Art 6: the originator's own releasability marking binds its releases too."""
    decision = decide_release(
        book, label(book, releasable_to=frozenset({"USA"})), "JPN", kst("2017-03-01")
    )
    assert Code.NOT_RELEASABLE_TO_PARTY in decision.codes()


def test_direct_release_between_tisa_members_after_termination_points_to_the_hub(book_notice_stood):
    """TISA: no direct exchange; in scope, the item may go through the hub with approval."""
    decision = decide_release(book_notice_stood, label(book_notice_stood), "JPN", MIDNIGHT)
    hint = next(r for r in decision.reasons if r.code is Code.HUB_ROUTE_ONLY)
    assert hint.agreement == "KOR-JPN-USA-TISA-2014"
    assert "through USA" in hint.message


def test_topic_outside_the_hub_arrangements_scope_is_named(book_notice_stood):
    decision = decide_release(
        book_notice_stood, label(book_notice_stood, topic="naval-operations"), "JPN", MIDNIGHT
    )
    scope = next(r for r in decision.reasons if r.code is Code.TOPIC_OUT_OF_SCOPE)
    assert scope.agreement == "KOR-JPN-USA-TISA-2014"


def test_release_to_oneself_is_a_bad_request(book):
    with pytest.raises(InvalidRequest):
        decide_release(book, label(book), "KOR", kst("2017-03-01"))


def test_a_holder_that_is_not_the_originator_cannot_release(book):
    with pytest.raises(InvalidRequest, match="onward transfer"):
        decide_release(book, received(book), "USA", kst("2017-03-01"))


# Receipt (Rule 3) --------------------------------------------------------------------------------


def test_receipt_marks_the_copy_with_the_originator_and_the_receivers_equivalent(book):
    """Art 4: the receiver marks with the originating party's name and its own equivalent."""
    decision = decide_receipt(book, label(book, "JPN", "秘"), "KOR", kst("2017-03-01"))
    assert decision.allowed and decision.recipient_level is not None
    copy = label(book, "JPN", "秘").received_by("KOR", decision.recipient_level)
    assert copy.originator == "JPN"
    assert copy.holder_level is not None and copy.holder_level.marking == "군사Ⅲ급비밀"


# Access (Rule 4) --------------------------------------------------------------------------------


def reader(book, party="JPN", clearance="極秘", topics=("nk-missile",), position=""):
    return Reader(
        party, level(book, party, clearance) if clearance else None, frozenset(topics), position
    )


def test_access_needs_clearance_at_or_above_the_items_level_in_the_readers_scheme(book):
    """Art 7: clearance under the receiver's law, compared in the receiver's scheme."""
    assert decide_access(book, reader(book), received(book), kst("2018-01-01")).allowed
    denied = decide_access(book, reader(book, clearance="秘"), received(book), kst("2018-01-01"))
    assert denied.codes() == (Code.CLEARANCE_TOO_LOW,)
    assert denied.reasons[0].article == "Art 7"


def test_access_needs_need_to_know_for_the_items_topic(book):
    """Art 7: official need, not clearance alone."""
    denied = decide_access(
        book, reader(book, clearance="機密", topics=()), received(book), kst("2018-01-01")
    )
    assert denied.codes() == (Code.NO_NEED_TO_KNOW,)


def test_rank_alone_never_grants_access(book):
    """Art 7: never by rank or appointment."""
    general = reader(book, clearance=None, topics=(), position="General, Chief of Staff")
    denied = decide_access(book, general, received(book), kst("2018-01-01"))
    assert not denied.allowed
    assert set(denied.codes()) == {Code.CLEARANCE_TOO_LOW, Code.NO_NEED_TO_KNOW}
    assert "General" in denied.reasons[-1].message


def test_a_reader_of_a_party_that_does_not_hold_the_item_is_denied(book):
    american = reader(book, party="USA", clearance="TOP SECRET")
    denied = decide_access(book, american, received(book), kst("2018-01-01"))
    assert Code.NOT_RELEASABLE_TO_PARTY in denied.codes()


def test_a_foreign_reader_of_the_originators_own_copy_is_denied_citing_their_agreement(book):
    """Art 6: the copy has not been released to the reader's party."""
    denied = decide_access(book, reader(book), label(book), kst("2018-01-01"))
    reason = next(r for r in denied.reasons if r.code is Code.NOT_RELEASABLE_TO_PARTY)
    assert (reason.agreement, reason.article) == (GSOMIA, "Art 6")
    assert reason.message == "KOR holds this copy; a reader of JPN may not access it"


def test_access_to_received_items_survives_termination(book_notice_stood):
    """Art 21: after termination, CMI already provided stays protected under the agreement."""
    decision = decide_access(
        book_notice_stood, reader(book_notice_stood), received(book_notice_stood), kst("2020-01-01")
    )
    assert decision.allowed
    survive = next(r for r in decision.reasons if r.code is Code.PROTECTION_SURVIVES)
    assert survive.article == "Art 21"


def test_the_originators_own_readers_use_its_own_marking(book):
    korean = reader(book, party="KOR", clearance="군사Ⅱ급비밀")
    decision = decide_access(book, korean, label(book), kst("2018-01-01"))
    assert decision.allowed
    assert decision.codes()[0] is Code.ORIGINATOR_ACCESS


# Onward transfer (Rule 5) --------------------------------------------------------------------------


def consent(item="JPN-2017-0001", to="USA", granted="2017-06-01", expires=None):
    return Consent(
        item, "KOR", to, kst(granted), kst(expires) if expires else None, "MOFA note 17-112"
    )


def test_onward_transfer_without_consent_is_denied_citing_article_6(book):
    decision = decide_transfer(book, received(book), "JPN-2017-0001", "USA", kst("2018-01-01"), [])
    assert not decision.allowed
    assert decision.reasons[0].code is Code.CONSENT_MISSING
    assert decision.reasons[0].article == "Art 6"


def test_onward_transfer_with_written_consent_is_allowed(book):
    decision = decide_transfer(
        book, received(book), "JPN-2017-0001", "USA", kst("2018-01-01"), [consent()]
    )
    assert decision.allowed
    assert decision.codes()[0] is Code.CONSENT_VALID
    assert decision.recipient_level is not None and decision.recipient_level.marking == "SECRET"


def test_expired_consent_is_reported_as_expired(book):
    decision = decide_transfer(
        book,
        received(book),
        "JPN-2017-0001",
        "USA",
        kst("2018-01-01"),
        [consent(expires="2017-12-31")],
    )
    assert decision.reasons[0].code is Code.CONSENT_EXPIRED


def test_consent_given_after_the_transfer_is_not_prior_consent(book):
    decision = decide_transfer(
        book,
        received(book),
        "JPN-2017-0001",
        "USA",
        kst("2018-01-01"),
        [consent(granted="2018-02-01")],
    )
    assert decision.reasons[0].code is Code.CONSENT_MISSING


def test_consent_for_another_item_or_recipient_does_not_count(book):
    others = [consent(item="JPN-2017-0002"), consent(to="NATO")]
    decision = decide_transfer(
        book, received(book), "JPN-2017-0001", "USA", kst("2018-01-01"), others
    )
    assert decision.reasons[0].code is Code.CONSENT_MISSING


def test_returning_an_item_to_its_originator_needs_no_consent(book):
    decision = decide_transfer(book, received(book), "JPN-2017-0001", "KOR", kst("2018-01-01"), [])
    assert decision.allowed
    assert decision.codes() == (Code.RETURN_TO_ORIGINATOR,)
    assert decision.reasons[0].article == "Art 6"  # Art 6(h): return to the originator


def test_consent_does_not_replace_an_agreement_with_the_third_party(book):
    decision = decide_transfer(
        book, received(book), "JPN-2017-0001", "NATO", kst("2018-01-01"), [consent(to="NATO")]
    )
    assert not decision.allowed
    assert Code.NO_AGREEMENT in decision.codes()


# Properties -------------------------------------------------------------------------------------

SCHEMES = builtin_schemes()
AGREEMENTS = builtin_agreements()
PARTIES = ["KOR", "JPN", "USA", "NATO"]
BOUND = [("KOR", "JPN"), ("KOR", "USA"), ("JPN", "USA")]  # each pair has a bilateral agreement
TOPICS = ["nk-missile", "nk-nuclear", "naval-operations", "general"]
instants = st.integers(0, 40 * 365 * 24).map(lambda h: kst("1985-01-01") + timedelta(hours=h))
# 2017 to mid-2019: every agreement in force under every book below.
in_force = st.integers(0, 2 * 365 * 24).map(lambda h: kst("2017-01-01") + timedelta(hours=h))


@st.composite
def books(draw):
    """The four agreements under either the real 2019 history, the counterfactual, or random notices."""
    history = draw(st.sampled_from([[], history_2019(), history_2019()[:1]]))
    book = AgreementBook(SCHEMES, AGREEMENTS, history)
    if draw(st.booleans()):
        target = draw(st.sampled_from(["USA-JPN-GSOMIA-2007", "USA-KOR-SA-1987"]))
        party = draw(st.sampled_from(book.agreement(target).parties))
        at = draw(st.integers(0, 15 * 365).map(lambda d: kst("2019-08-01") + timedelta(days=d)))
        book = book.with_event(Event(target, EventKind.TERMINATION_NOTICE, party, at))
    return book


def bound_pair():
    """An ordered pair of parties that a bilateral agreement binds."""
    return st.sampled_from(BOUND).flatmap(st.permutations)


def admitting(party):
    """A releasability marking that lets `party` hold the item: none, or a set with it."""
    return st.none() | st.frozensets(st.sampled_from(PARTIES)).map(lambda s: s | {party})


def releasable(party):
    """A releasability marking that admits `party`, or any set of parties."""
    return admitting(party) | st.frozensets(st.sampled_from(PARTIES))


def effective(label):
    """The parties a label lets hold the item."""
    return (label.releasable_to or frozenset(PARTIES)) | {label.originator}


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_release_is_allowed_under_an_agreement_not_in_force_at_that_instant(data):
    """Rule 2 (Art 21); and while it is in force, a covered level goes to an admitted party."""
    book = data.draw(books())
    originator, recipient = data.draw(bound_pair())
    (agreement,) = book.bilateral(originator, recipient)
    life = book.lifecycle(agreement.id)
    # Instants within five years of entry into force or termination: in force about half the time.
    edges = [agreement.entry_into_force, *([life.terminated_at] if life.terminated_at else [])]
    at = data.draw(
        st.sampled_from(edges).flatmap(
            lambda t: st.integers(-5 * 365 * 24, 5 * 365 * 24).map(lambda h: t + timedelta(hours=h))
        )
    )
    item = Label(
        originator,
        data.draw(st.sampled_from(book.scheme(originator).levels)),
        data.draw(st.sampled_from(TOPICS)),
        releasable_to=data.draw(releasable(recipient)),
    )
    decision = decide_release(book, item, recipient, at)
    if life.in_force(at):
        expected = agreement.covers(item.level) and item.may_be_held_by(recipient)
        assert decision.allowed == expected
    else:
        assert not decision.allowed
        assert (Code.AGREEMENT_NOT_IN_FORCE, agreement.id, agreement.articles.term) in {
            (r.code, r.agreement, r.article) for r in decision.reasons
        }


@st.composite
def copies(draw, book, originator, holder):
    """The copy `holder` received of an item of `originator`, marked as their agreement says."""
    (agreement,) = book.bilateral(originator, holder)
    covered = [level for level in book.scheme(originator).levels if agreement.covers(level)]
    item = Label(
        originator,
        draw(st.sampled_from(covered)),
        draw(st.sampled_from(TOPICS)),
        releasable_to=draw(admitting(holder)),
    )
    marking = agreement.equivalent_marking(item.level, holder)
    assert marking is not None
    return item, item.received_by(holder, book.scheme(holder).by_marking(marking))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_denial_has_a_reason_citing_the_agreement_and_article_where_one_applies(data):
    """Deny by default, always explain: a denial names every rule that failed, and each reason
    cites its agreement and article whenever an agreement binds the two parties concerned."""
    book = data.draw(books())
    at = data.draw(instants)
    originator, holder = data.draw(bound_pair())
    item, copy = data.draw(copies(book, originator, holder))
    recipient = data.draw(st.sampled_from([p for p in PARTIES if p != originator]))
    reader_party = data.draw(st.sampled_from(PARTIES))
    reader = Reader(
        reader_party,
        data.draw(st.none() | st.sampled_from(book.scheme(reader_party).levels)),
        data.draw(st.frozensets(st.sampled_from(TOPICS))),
    )
    third = data.draw(st.sampled_from([p for p in PARTIES if p != holder]))
    consent = st.builds(
        Consent,
        st.just("X-1"),
        st.just(originator),
        st.sampled_from(PARTIES),
        instants,
        st.none() | instants,
    )
    # (decision, the two parties whose agreement would apply to it)
    decisions = [
        (decide_release(book, item, recipient, at), (originator, recipient)),
        (
            decide_access(book, reader, data.draw(st.sampled_from([item, copy])), at),
            (originator, reader_party),
        ),
        (
            decide_transfer(book, copy, "X-1", third, at, data.draw(st.lists(consent, max_size=3))),
            (holder, third),
        ),
    ]
    for decision, (a, b) in decisions:
        if decision.allowed:
            continue
        assert decision.reasons and all(reason.message for reason in decision.reasons)
        assert all(reason.article for reason in decision.reasons if reason.agreement)
        if a != b and book.bilateral(a, b):
            assert all(reason.agreement for reason in decision.reasons), decision.reasons


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_releasability_only_shrinks_along_a_chain_of_transfers(data):
    """Rule 6: each copy admits no party its sender's copy did not, save the one the
    originator consented to in writing (Art 6)."""
    book = data.draw(books())
    at = data.draw(in_force)
    originator, first = data.draw(bound_pair())
    item = Label(
        originator,
        data.draw(
            st.sampled_from(
                [level for level in book.scheme(originator).levels if level.rank in (2, 3)]
            )
        ),
        data.draw(st.sampled_from(TOPICS)),
        releasable_to=data.draw(admitting(first)),
    )
    onward = data.draw(st.lists(st.sampled_from(PARTIES), min_size=1, max_size=3))
    consented = data.draw(st.frozensets(st.sampled_from(PARTIES)))
    consents = [Consent("X-1", originator, party, kst("2016-12-01")) for party in consented]
    copy, hops = item, 0
    for recipient in [first, *onward]:
        if recipient == copy.held_by:
            continue
        decision = (
            decide_release(book, copy, recipient, at)
            if copy.held_by == originator
            else decide_transfer(book, copy, "X-1", recipient, at, consents)
        )
        if not decision.allowed:
            break
        assert decision.recipient_level is not None
        handed = copy.handed_over(recipient, decision.recipient_level)
        assert handed.held_by == recipient and recipient in effective(handed)
        assert effective(handed) <= effective(copy) | (consented & {recipient})
        copy, hops = handed, hops + 1
    assert hops >= 1  # the first release, to a party the item admits, is always allowed


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_rank_or_appointment_never_changes_an_access_decision(data):
    """Art 7: never by rank or appointment."""
    book = data.draw(books())
    originator, holder = data.draw(bound_pair())
    item, copy = data.draw(copies(book, originator, holder))
    held = data.draw(st.sampled_from([copy, copy, item]))
    # Mostly readers of the holding party with need-to-know, so that access is often allowed.
    party = data.draw(st.sampled_from([holder, holder, originator, *PARTIES]))
    base = Reader(
        party,
        data.draw(st.sampled_from(book.scheme(party).levels)),
        data.draw(
            st.frozensets(st.sampled_from(TOPICS)).map(lambda s: s | {copy.topic})
            | st.just(frozenset())
        ),
    )
    ranked = replace(
        base, position=data.draw(st.sampled_from(["General", "Minister of Defense", "Admiral"]))
    )
    at = data.draw(instants)
    assert (
        decide_access(book, base, held, at).allowed == decide_access(book, ranked, held, at).allowed
    )
