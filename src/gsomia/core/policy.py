"""Decisions on release, receipt, personal access and onward transfer, each with reasons.

Deny by default: a decision is allowed only when every rule that applies is met, and every
denial carries at least one reason naming the agreement and the article it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from gsomia.core.agreements import Agreement, AgreementBook
from gsomia.core.calendar import check_instant
from gsomia.core.errors import InvalidRequest
from gsomia.core.labels import Label
from gsomia.core.markings import Level, at_or_above


class Code(StrEnum):
    """The stable vocabulary of reasons (documented in docs/reasons.md)."""

    # Reasons that allow.
    AGREEMENT_IN_FORCE = "agreement_in_force"
    LEVEL_COVERED = "level_covered"
    TOPIC_IN_SCOPE = "topic_in_scope"
    RELEASABLE_TO_PARTY = "releasable_to_party"
    ORIGINATOR_ACCESS = "originator_access"
    CLEARANCE_SUFFICIENT = "clearance_sufficient"
    NEED_TO_KNOW = "need_to_know"
    PROTECTION_SURVIVES = "protection_survives"
    CONSENT_VALID = "consent_valid"
    RETURN_TO_ORIGINATOR = "return_to_originator"
    VISIT_WINDOW_VALID = "visit_window_valid"
    LEAD_TIME_MET = "lead_time_met"
    VISIT_APPROVED = "visit_approved"
    VISITOR_LISTED = "visitor_listed"
    WITHIN_VISIT_WINDOW = "within_visit_window"
    WITHIN_VISIT_LEVEL = "within_visit_level"
    # Reasons that deny.
    NO_AGREEMENT = "no_agreement"
    AGREEMENT_NOT_IN_FORCE = "agreement_not_in_force"
    LEVEL_NOT_COVERED = "level_not_covered"
    TOPIC_OUT_OF_SCOPE = "topic_out_of_scope"
    HUB_ROUTE_ONLY = "hub_route_only"
    CLEARANCE_TOO_LOW = "clearance_too_low"
    NO_NEED_TO_KNOW = "no_need_to_know"
    NOT_RELEASABLE_TO_PARTY = "not_releasable_to_party"
    CONSENT_MISSING = "consent_missing"
    CONSENT_EXPIRED = "consent_expired"
    ITEM_DESTROYED = "item_destroyed"
    ITEM_RETURNED = "item_returned"
    VISIT_WINDOW_INVALID = "visit_window_invalid"
    VISIT_WINDOW_PASSED = "visit_window_passed"
    LEAD_TIME_SHORT = "lead_time_short"
    NO_HOST_CALENDAR = "no_host_calendar"
    VISITOR_NOT_OF_REQUESTER = "visitor_not_of_requester"
    VISIT_NOT_APPROVED = "visit_not_approved"
    VISIT_REFUSED = "visit_refused"
    VISITOR_NOT_LISTED = "visitor_not_listed"
    OUTSIDE_VISIT_WINDOW = "outside_visit_window"
    ABOVE_VISIT_LEVEL = "above_visit_level"


@dataclass(frozen=True, slots=True)
class Reason:
    """One ground of a decision: a stable code, the agreement and article it rests on (None
    where no agreement applies), and a sentence a person understands."""

    code: Code
    agreement: str | None
    article: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed or not, with every reason; a denial lists each rule that failed."""

    allowed: bool
    reasons: tuple[Reason, ...]
    agreement: str | None = None
    recipient_level: Level | None = None
    """For a release or receipt: the level the recipient marks its copy with (Art 4)."""
    equivalent: str | None = None
    """The English name of the level both markings stand for."""

    def codes(self) -> tuple[Code, ...]:
        """The reasons' codes, in order."""
        return tuple(reason.code for reason in self.reasons)


@dataclass(frozen=True, slots=True)
class Reader:
    """What personal access depends on (Art 7). `position` is recorded, never decisive."""

    party: str
    clearance: Level | None
    need_to_know: frozenset[str]
    position: str = ""


@dataclass(frozen=True, slots=True)
class Consent:
    """The originator's prior written approval for one item to go to one third party (Art 6)."""

    item: str
    originator: str
    recipient: str
    granted_at: datetime
    expires_at: datetime | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        check_instant(self.granted_at)
        if self.expires_at is not None:
            check_instant(self.expires_at)

    def valid_at(self, at: datetime) -> bool:
        """Whether the consent is prior to `at` and not expired at `at` (Art 6)."""
        return self.granted_at <= check_instant(at) and (
            self.expires_at is None or at < self.expires_at
        )


def show_instant(at: datetime, zone: ZoneInfo) -> str:
    """An instant as people read it in the agreement's zone, with its offset."""
    return at.astimezone(zone).isoformat(timespec="minutes")


def decide_release(book: AgreementBook, label: Label, recipient: str, at: datetime) -> Decision:
    """Rule 2 (Art 21, Art 4): the originator releases only under an agreement in force
    between the two parties at `at`, for a level its equivalence table covers and a topic in
    its scope."""
    if label.holder is not None and label.holder != label.originator:
        raise InvalidRequest(
            f"{label.holder} holds this item but did not originate it: that is an onward "
            "transfer, which needs the originator's consent"
        )
    return decide_hop(book, label, label.originator, label.level, recipient, at)


def decide_receipt(book: AgreementBook, label: Label, receiver: str, at: datetime) -> Decision:
    """Rule 3 (Art 4): a receiving party accepts an item only on the terms its sender could
    release it, and marks its copy with its own equivalent level."""
    sender = label.held_by
    level = label.holder_level or label.level
    return decide_hop(book, label, sender, level, receiver, at)


def decide_hop(
    book: AgreementBook,
    label: Label,
    sender: str,
    level: Level,
    recipient: str,
    at: datetime,
) -> Decision:
    """Rule 2 (Art 21, Art 4) for one hand-over from `sender` to `recipient`, under a
    bilateral agreement between them."""
    check_instant(at)
    if sender == recipient:
        raise InvalidRequest(f"sender and recipient are both {sender}; name another party")
    book.scheme(recipient)
    candidates = book.bilateral(sender, recipient)
    if not candidates:
        reasons = [
            Reason(
                Code.NO_AGREEMENT,
                None,
                None,
                f"no agreement binds {sender} and {recipient}; nothing may be released",
            )
        ]
        reasons.extend(_hub_hints(book, sender, recipient, label.topic))
        return Decision(False, tuple(reasons))
    denials: list[Reason] = []
    for agreement in candidates:
        decision = _under_agreement(book, agreement, label, level, sender, recipient, at)
        if decision.allowed:
            return decision
        denials.extend(decision.reasons)
    denials.extend(_hub_hints(book, sender, recipient, label.topic))
    return Decision(False, tuple(denials), agreement=candidates[0].id)


def _under_agreement(
    book: AgreementBook,
    agreement: Agreement,
    label: Label,
    level: Level,
    sender: str,
    recipient: str,
    at: datetime,
) -> Decision:
    articles, zone = agreement.articles, agreement.legal_time_zone
    allow: list[Reason] = []
    deny: list[Reason] = []
    lifecycle = book.lifecycles[agreement.id]
    if lifecycle.in_force(at):
        allow.append(
            Reason(
                Code.AGREEMENT_IN_FORCE,
                agreement.id,
                articles.term,
                f"{agreement.id} is in force between {sender} and {recipient} "
                f"at {show_instant(at, zone)}",
            )
        )
    else:
        deny.append(_not_in_force(lifecycle.agreement, lifecycle.terminated_at, at))
    marking = agreement.equivalent_marking(level, recipient)
    recipient_level = None
    english = agreement.equivalent_english(level)
    if marking is None:
        covered = ", ".join(
            m for row in agreement.equivalences for m in row.markings.get(sender, ())[:1]
        )
        deny.append(
            Reason(
                Code.LEVEL_NOT_COVERED,
                agreement.id,
                articles.equivalence,
                f"{level} is not covered by {agreement.id}; it covers only {covered}",
            )
        )
    else:
        recipient_level = book.scheme(recipient).by_marking(marking)
        allow.append(
            Reason(
                Code.LEVEL_COVERED,
                agreement.id,
                articles.equivalence,
                f"{level} is covered: {recipient} marks it {recipient_level} ({english})",
            )
        )
    if agreement.topics is not None:
        allow_or_deny = allow if agreement.in_scope(label.topic) else deny
        allow_or_deny.append(_scope_reason(agreement, label.topic))
    if not label.may_be_held_by(recipient):
        deny.append(_not_releasable(label, recipient, agreement))
    elif label.releasable_to is not None:
        allow.append(
            Reason(
                Code.RELEASABLE_TO_PARTY,
                agreement.id,
                articles.third_party,
                f"the item's marking releases it to {recipient}",
            )
        )
    if deny:
        return Decision(False, tuple(deny), agreement.id)
    return Decision(True, tuple(allow), agreement.id, recipient_level, english)


def _not_in_force(agreement: Agreement, terminated_at: datetime | None, at: datetime) -> Reason:
    zone = agreement.legal_time_zone
    if at < agreement.entry_into_force:
        why = f"it enters into force at {show_instant(agreement.entry_into_force, zone)}"
    else:
        assert terminated_at is not None
        why = f"it terminated at {show_instant(terminated_at, zone)}"
    return Reason(
        Code.AGREEMENT_NOT_IN_FORCE,
        agreement.id,
        agreement.articles.term,
        f"{agreement.id} is not in force at {show_instant(at, zone)}: {why}",
    )


def _scope_reason(agreement: Agreement, topic: str) -> Reason:
    assert agreement.topics is not None
    scope = ", ".join(sorted(agreement.topics))
    if agreement.in_scope(topic):
        return Reason(
            Code.TOPIC_IN_SCOPE,
            agreement.id,
            agreement.articles.scope,
            f"{topic} is within the scope of {agreement.id} ({scope})",
        )
    return Reason(
        Code.TOPIC_OUT_OF_SCOPE,
        agreement.id,
        agreement.articles.scope,
        f"{topic} is outside the scope of {agreement.id}, which covers only {scope}",
    )


def _not_releasable(label: Label, party: str, agreement: Agreement | None) -> Reason:
    allowed = ", ".join(sorted((label.releasable_to or frozenset()) | {label.originator}))
    return Reason(
        Code.NOT_RELEASABLE_TO_PARTY,
        agreement.id if agreement else None,
        agreement.articles.third_party if agreement else None,
        f"the item is releasable only to {allowed}, not to {party}",
    )


def _hub_hints(book: AgreementBook, sender: str, recipient: str, topic: str) -> list[Reason]:
    """Where a hub arrangement joins the two parties, say that it allows no direct exchange."""
    hints = []
    for hub in book.hubs_joining(sender, recipient):
        if hub.in_scope(topic):
            message = (
                f"{hub.id} allows no direct exchange between {sender} and {recipient}; "
                f"on {topic} the legal route goes through {hub.hub}, the hub, with {sender}'s "
                "approval"
            )
            hints.append(Reason(Code.HUB_ROUTE_ONLY, hub.id, hub.articles.forwarding, message))
        else:
            hints.append(_scope_reason(hub, topic))
    return hints


def decide_access(book: AgreementBook, reader: Reader, label: Label, at: datetime) -> Decision:
    """Rule 4 (Art 7): access needs a clearance at or above the item's level in the reader's
    scheme and need-to-know for its topic, and the reader's party must hold the item.
    Rank or appointment alone never grants access. Access to received items does not depend
    on the agreement still being in force: protection survives termination (Art 21)."""
    check_instant(at)
    allow: list[Reason] = []
    deny: list[Reason] = []
    own_item = reader.party == label.originator
    agreement = None if own_item else _equivalence_agreement(book, label.originator, reader.party)
    if own_item:
        required: Level | None = label.level
        allow.append(
            Reason(
                Code.ORIGINATOR_ACCESS,
                None,
                None,
                f"{reader.party} originated the item; its own rules and marking apply",
            )
        )
    elif reader.party != label.held_by or not label.may_be_held_by(reader.party):
        deny.append(_not_releasable_to_reader(book, label, reader.party))
        required = None
    else:
        required = _level_for_reader(book, label, reader.party, agreement, allow, deny)
    if reader.clearance is None:
        deny.append(
            Reason(
                Code.CLEARANCE_TOO_LOW,
                agreement.id if agreement else None,
                agreement.articles.access if agreement else None,
                "the reader holds no personnel security clearance",
            )
        )
    elif required is not None:
        _check_clearance(reader.clearance, required, agreement, allow, deny)
    _check_need_to_know(reader, label.topic, agreement, allow, deny)
    if agreement is not None and not deny:
        lifecycle = book.lifecycles[agreement.id]
        if not lifecycle.in_force(at) and at >= agreement.entry_into_force:
            allow.append(
                Reason(
                    Code.PROTECTION_SURVIVES,
                    agreement.id,
                    agreement.articles.survival,
                    f"{agreement.id} is no longer in force, but what was exchanged under it "
                    "stays protected and accessible to cleared readers with need-to-know",
                )
            )
    if deny:
        return Decision(False, tuple(deny), agreement.id if agreement else None)
    return Decision(True, tuple(allow), agreement.id if agreement else None)


def _equivalence_agreement(book: AgreementBook, originator: str, reader: str) -> Agreement | None:
    """The bilateral agreement whose table relates the originator's levels to the reader's."""
    candidates = book.bilateral(originator, reader)
    return candidates[0] if candidates else None


def _not_releasable_to_reader(book: AgreementBook, label: Label, party: str) -> Reason:
    held = label.held_by
    # A received copy is held under the agreement it came by; the originator's own copy would
    # reach a reader of `party` under the agreement between the two.
    agreement = _equivalence_agreement(
        book, label.originator, held if held != label.originator else party
    )
    reason = _not_releasable(label, party, agreement)
    if party != held and label.may_be_held_by(party):
        message = f"{held} holds this copy; a reader of {party} may not access it"
        return Reason(reason.code, reason.agreement, reason.article, message)
    return reason


def _level_for_reader(
    book: AgreementBook,
    label: Label,
    party: str,
    agreement: Agreement | None,
    allow: list[Reason],
    deny: list[Reason],
) -> Level | None:
    if label.holder_level is not None:
        return label.holder_level
    if agreement is None:
        deny.append(
            Reason(
                Code.NO_AGREEMENT,
                None,
                None,
                f"no agreement between {label.originator} and {party} gives {label.level} "
                f"an equivalent in {party}'s scheme",
            )
        )
        return None
    marking = agreement.equivalent_marking(label.level, party)
    if marking is None:
        deny.append(
            Reason(
                Code.LEVEL_NOT_COVERED,
                agreement.id,
                agreement.articles.equivalence,
                f"{label.level} has no equivalent in {party}'s scheme under {agreement.id}",
            )
        )
        return None
    level = book.scheme(party).by_marking(marking)
    allow.append(
        Reason(
            Code.LEVEL_COVERED,
            agreement.id,
            agreement.articles.equivalence,
            f"{party} holds the item as {level}, equivalent of {label.originator}'s {label.level}",
        )
    )
    return level


def _check_clearance(
    clearance: Level,
    required: Level,
    agreement: Agreement | None,
    allow: list[Reason],
    deny: list[Reason],
) -> None:
    agreement_id = agreement.id if agreement else None
    article = agreement.articles.access if agreement else None
    if clearance.party != required.party:
        deny.append(
            Reason(
                Code.CLEARANCE_TOO_LOW,
                agreement_id,
                article,
                f"the clearance {clearance} is of {clearance.party}'s scheme; access needs a "
                f"{required.party} clearance at or above {required}",
            )
        )
    elif at_or_above(clearance, required):
        allow.append(
            Reason(
                Code.CLEARANCE_SUFFICIENT,
                agreement_id,
                article,
                f"clearance {clearance} is at or above {required}",
            )
        )
    else:
        deny.append(
            Reason(
                Code.CLEARANCE_TOO_LOW,
                agreement_id,
                article,
                f"clearance {clearance} is below the item's {required}",
            )
        )


def _check_need_to_know(
    reader: Reader,
    topic: str,
    agreement: Agreement | None,
    allow: list[Reason],
    deny: list[Reason],
) -> None:
    agreement_id = agreement.id if agreement else None
    article = agreement.articles.access if agreement else None
    if topic in reader.need_to_know:
        allow.append(Reason(Code.NEED_TO_KNOW, agreement_id, article, f"need-to-know for {topic}"))
        return
    position = f" ({reader.position})" if reader.position else ""
    deny.append(
        Reason(
            Code.NO_NEED_TO_KNOW,
            agreement_id,
            article,
            f"the reader{position} has no established need-to-know for {topic}; "
            "rank, appointment or clearance alone never grant access",
        )
    )


def decide_transfer(
    book: AgreementBook,
    label: Label,
    item: str,
    recipient: str,
    at: datetime,
    consents: Iterable[Consent],
) -> Decision:
    """Rule 5 (Art 6): a holder that is not the originator may pass an item to a third party
    only with the originator's prior written consent for that item and that recipient, not
    expired, and under an agreement in force between holder and recipient."""
    check_instant(at)
    holder = label.held_by
    if holder == label.originator:
        return decide_release(book, label, recipient, at)
    basis = _equivalence_agreement(book, label.originator, holder)
    basis_id = basis.id if basis else None
    third_party_article = basis.articles.third_party if basis else None
    if recipient == label.originator:
        return Decision(
            True,
            (
                Reason(
                    Code.RETURN_TO_ORIGINATOR,
                    basis_id,
                    third_party_article,
                    f"returning the item to its originator {recipient} needs no consent",
                ),
            ),
            basis_id,
            label.level,
            label.level.english,
        )
    matching = [c for c in consents if c.item == item and c.recipient == recipient]
    valid = [c for c in matching if c.valid_at(at)]
    consent_reason = _consent_reason(label, item, recipient, at, matching, valid, basis)
    # The originator's consent is its own act of widening the item's releasability.
    widened = (
        replace(label, releasable_to=(label.releasable_to or frozenset()) | {recipient})
        if valid
        else label
    )
    hop = decide_receipt(book, widened, recipient, at)
    if not valid:
        reasons = (consent_reason, *tuple(r for r in hop.reasons if not hop.allowed))
        return Decision(False, reasons, basis_id)
    if not hop.allowed:
        return hop
    return Decision(
        True,
        (consent_reason, *hop.reasons),
        hop.agreement,
        hop.recipient_level,
        hop.equivalent,
    )


def _consent_reason(
    label: Label,
    item: str,
    recipient: str,
    at: datetime,
    matching: list[Consent],
    valid: list[Consent],
    basis: Agreement | None,
) -> Reason:
    basis_id = basis.id if basis else None
    article = basis.articles.third_party if basis else None
    if valid:
        consent = valid[0]
        reference = f" ({consent.reference})" if consent.reference else ""
        return Reason(
            Code.CONSENT_VALID,
            basis_id,
            article,
            f"{label.originator} gave written consent{reference} for item {item} to go to "
            f"{recipient}",
        )
    expired = [c for c in matching if c.expires_at is not None and c.expires_at <= at]
    if expired:
        latest = max(c.expires_at for c in expired if c.expires_at is not None)
        return Reason(
            Code.CONSENT_EXPIRED,
            basis_id,
            article,
            f"{label.originator}'s consent for item {item} to go to {recipient} expired at "
            f"{latest.isoformat(timespec='minutes')}",
        )
    return Reason(
        Code.CONSENT_MISSING,
        basis_id,
        article,
        f"{label.originator} has given no prior written consent for item {item} to go to "
        f"{recipient}",
    )
