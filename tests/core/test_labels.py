"""The label of each copy (Art 4 re-marking, Art 6 third parties, Rule 6 releasability)."""

import pytest

from gsomia.core.errors import InvalidRequest, InvalidTopic
from gsomia.core.labels import Label


def korean(book, **kw):
    return Label("KOR", book.scheme("KOR").read("II"), "nk-missile", **kw)


def test_a_received_copy_names_the_originator_and_the_receivers_marking(book):
    copy = korean(book).received_by("JPN", book.scheme("JPN").read("gokuhi"))
    assert (copy.originator, copy.holder, copy.holder_level.marking) == ("KOR", "JPN", "極秘")
    assert copy.releasable_to == frozenset({"KOR", "JPN"})


def test_a_copy_cannot_go_where_the_label_forbids(book):
    with pytest.raises(InvalidRequest):
        korean(book, releasable_to=frozenset({"USA"})).received_by(
            "JPN", book.scheme("JPN").read("hi")
        )


def test_a_third_party_copy_admits_only_the_consented_party(book):
    """Art 6: the originator's consent admits one more party; nothing else widens."""
    japanese_copy = korean(book).received_by("JPN", book.scheme("JPN").read("gokuhi"))
    american = japanese_copy.handed_over("USA", book.scheme("USA").read("SECRET"))
    assert american.releasable_to == frozenset({"KOR", "JPN", "USA"})
    assert (american.holder, american.holder_level.marking) == ("USA", "SECRET")


def test_an_item_returned_to_its_originator_carries_its_own_label(book):
    japanese_copy = korean(book).received_by("JPN", book.scheme("JPN").read("gokuhi"))
    returned = japanese_copy.handed_over("KOR", book.scheme("KOR").read("II"))
    assert (returned.holder, returned.holder_level, returned.held_by) == (None, None, "KOR")


def test_a_label_carries_its_originators_marking_and_a_slug_topic(book):
    with pytest.raises(InvalidRequest, match="must carry a KOR marking"):
        Label("KOR", book.scheme("JPN").read("hi"), "nk-missile")
    with pytest.raises(InvalidTopic):
        Label("KOR", book.scheme("KOR").read("II"), "NK missile")
