"""The claims of requests for visit and their answers (Art 8): a request is signed by the
visiting party, an answer by the host, and neither holds what its kind forbids."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from gsomia.crypto.objects import VisitAnswer, Visitor, VisitRequest

AT = datetime(2026, 11, 30, 9, tzinfo=UTC)
REQUEST = {
    "iss": "JPN",
    "iat": 0,
    "request_id": "v-1",
    "requester": "JPN",
    "host": "KOR",
    "agreement": "KOR-JPN-GSOMIA-2016",
    "type": "one-time",
    "purpose": "missile warning data exchange",
    "facility": "JCS operations centre",
    "first_day": date(2027, 1, 18),
    "last_day": date(2027, 1, 20),
    "max_marking": "군사Ⅱ급비밀",
    "visitors": (Visitor(name="Sato Hiroshi", party="JPN", clearance="極秘"),),
    "requested_at": AT,
}
ANSWER = {
    "iss": "KOR",
    "iat": 0,
    "request_id": "v-1",
    "host": "KOR",
    "requester": "JPN",
    "approved": True,
    "at": AT,
}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"iss": "USA"}, "signed by the visiting party"),
        ({"host": "JPN"}, "requested of another party"),
        ({"last_day": date(2027, 1, 17)}, "ends on or after"),
        ({"visitors": ()}, "at least 1"),
        ({"type": "weekly"}, "one-time"),
    ],
)
def test_a_malformed_request_for_visit_is_refused(change, words):
    with pytest.raises(ValidationError, match=words):
        VisitRequest.model_validate(REQUEST | change)


def test_a_request_for_visit_is_valid_as_the_visiting_party_signs_it():
    assert VisitRequest.model_validate(REQUEST).requester == "JPN"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"iss": "USA"}, "approved or refused by its host"),
        ({"approved": False}, "refusal states its reason"),
    ],
)
def test_only_the_host_answers_and_a_refusal_gives_its_reason(change, words):
    with pytest.raises(ValidationError, match=words):
        VisitAnswer.model_validate(ANSWER | change)
