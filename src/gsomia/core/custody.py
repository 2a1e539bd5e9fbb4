"""What happens to an item after its hand-over: re-marking and declassification by its
originator (Art 6(g)), return or destruction (Art 6(h), Art 13), and copies, extracts and
translations (the reproduction and translation articles).

Pure rules: who may change an item's classification, what each holder's copy becomes, which
derived item may be made, and the decision every later use of a returned or destroyed item
gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from gsomia.core.agreements import AgreementBook
from gsomia.core.errors import Denied, InvalidRequest
from gsomia.core.markings import Level, at_or_above
from gsomia.core.policy import Code, Decision, Reason
from gsomia.core.workdays import country_of, working_days_between

CHANGE_ARTICLE = "Art 6(g)"
DISPOSAL_ARTICLE = "Art 6(h), Art 13"
REPRODUCTION_ARTICLE = "reproduction and translation articles (Art 9–15)"


class NoticeKind(StrEnum):
    """What an originator's notice about an item asks of every holder."""

    REMARK = "remark"
    DECLASSIFY = "declassify"
    RETURN_REQUEST = "return-request"
    DESTROY_REQUEST = "destroy-request"


class Disposal(StrEnum):
    """How a holder's copy left its register: it stays listed, with its certificate."""

    DESTROYED = "destroyed"
    RETURNED = "returned"


class Derivation(StrEnum):
    """What a derived item is of its original: a reproduction, an extract or a translation."""

    COPY = "copy"
    EXTRACT = "extract"
    TRANSLATION = "translation"


def check_originator(originator: str, party: str, reference: str, what: str) -> None:
    """Art 6(g): only the originator changes an item's classification or asks for its copies
    back; anyone else is refused."""
    if party != originator:
        raise Denied(
            f"{party} cannot {what} item {reference}: only its originator, {originator}, "
            f"changes its classification or recalls its copies ({CHANGE_ARTICLE})"
        )


@dataclass(frozen=True, slots=True)
class HolderMarking:
    """What a holder's copy becomes after a re-marking: its level in the holder's scheme, or
    none when no agreement between originator and holder covers the new level — then the
    holder is asked to return or destroy its copy."""

    holder: str
    level: Level | None
    agreement: str | None

    @property
    def dispose(self) -> bool:
        """Whether the holder is asked to return or destroy its copy."""
        return self.level is None


def holder_marking(book: AgreementBook, level: Level, holder: str) -> HolderMarking:
    """Art 4 and Art 6(g): the holder re-marks its copy with its own equivalent of the
    originator's new level, by an agreement between the two that covers it."""
    for agreement in book.bilateral(level.party, holder):
        marking = agreement.equivalent_marking(level, holder)
        if marking is not None:
            return HolderMarking(holder, book.scheme(holder).by_marking(marking), agreement.id)
    return HolderMarking(holder, None, None)


def check_derived_level(original: Level, level: Level) -> None:
    """A reproduction, extract or translation bears at least its original's marking."""
    if level.party != original.party:
        raise InvalidRequest(
            f"a derived item is marked in its originator's scheme ({original.party}), not "
            f"{level.party}'s"
        )
    if not at_or_above(level, original):
        raise InvalidRequest(
            f"a derived item is marked at least {original.marking}, its original's marking; "
            f"{level.marking} is lower"
        )


def disposed(reference: str, disposal: Disposal, at: datetime, action: str) -> Decision:
    """Art 6(h): a returned or destroyed item stays in the register, but nothing more is done
    with it: every later release, transfer, access or opening is denied."""
    code = Code.ITEM_DESTROYED if disposal is Disposal.DESTROYED else Code.ITEM_RETURNED
    return Decision(
        False,
        (
            Reason(
                code,
                None,
                DISPOSAL_ARTICLE,
                f"item {reference} was {disposal.value} at {at.isoformat(timespec='minutes')}; "
                f"it stays in the register but cannot be {action}",
            ),
        ),
    )


def overdue(party: str, sent: date, today: date, working_days: int) -> bool:
    """Whether a notice sent on `sent` and still unacknowledged on `today` waited more than
    `working_days` of `party`'s working days (practice: the treaty says "without delay")."""
    waited = working_days_between(sent, today + timedelta(days=1), country_of(party))
    return waited > working_days
