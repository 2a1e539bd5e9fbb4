"""What nodes send each other: the bodies of node-to-node requests, validated at the boundary.

Every request is signed as a whole (RFC 9421, the body covered by its digest), so these bodies
need no signature of their own; what must outlive one hop — receipts, consents, notes,
acknowledgements — travels inside them as signed objects (`gsomia.crypto.objects`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gsomia.errors import InvalidRequest


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ItemLabel(_Model):
    """An item as its sender describes it (the sealed copy's own label must agree)."""

    reference: str = Field(max_length=64)
    """The sender's reference for its copy."""
    title: str = Field(max_length=300)
    originator: str = Field(max_length=8)
    originator_reference: str | None = Field(default=None, max_length=64)
    marking: str = Field(max_length=64)
    """The originator's marking."""
    holder_marking: str | None = Field(default=None, max_length=64)
    """The sender's marking of its copy, when the sender is not the originator."""
    topic: str = Field(max_length=64)
    purpose: str = ""
    releasable_to: list[str] | None = None
    caveats: list[str] = []


class Hop(_Model):
    """One earlier hand-over of the item on its way here, with its receipt's digest."""

    sender: str
    recipient: str
    at: datetime
    agreement: str
    delivery_id: str
    receipt_sha256: str | None


class Envelope(_Model):
    """A delivery: the item, the hand-over it is, and what it carries."""

    delivery_id: str
    sender: str
    recipient: str
    final_recipient: str | None = None
    """For a relay through a hub (TISA): the party the item is meant for."""
    agreement: str
    released_at: datetime
    """The instant of the release or transfer, as the sender decided it."""
    item: ItemLabel
    content_sha256: str | None = None
    custody: list[Hop] = []
    consents: list[str] = []
    """The originator's signed consents the hand-over relies on (Art 6)."""


class Delivery(_Model):
    envelope: Envelope
    content: str | None = None
    """The sealed copy (ZTDF), base64."""


class NoteMessage(_Model):
    note: str
    """The signed note."""


class ItemNoticeMessage(_Model):
    """A notice about an item (`/v1/notices`): exactly one of the originator's signed notice,
    a holder's signed report on its copy, or a downstream holder's signed acknowledgement of
    a notice that reached it through another holder."""

    notice: str | None = None
    report: str | None = None
    ack: str | None = None


class ConsentRequestMessage(_Model):
    request_id: str
    item: str
    """The originator's reference."""
    originator: str
    holder: str
    recipient: str
    purpose: str = Field(max_length=2000)
    requested_at: datetime


class ConsentMessage(_Model):
    request_id: str | None = None
    consent: str | None = None
    """The originator's signed consent."""
    refusal: str | None = None
    """Or its signed refusal."""


class IncidentMessage(_Model):
    notice: str
    """The signed incident notice (a step of a case of loss or compromise, Art 17)."""


class VisitRequestMessage(_Model):
    request: str
    """The visiting party's signed request for visit."""


class VisitAnswerMessage(_Model):
    answer: str
    """The host's signed approval or refusal."""


class Answer(_Model):
    """What a node answers a signed request with: one signed object."""

    receipt: str | None = None
    ack: str | None = None


M = TypeVar("M", bound=_Model)


def parse(model: type[M], data: bytes | str | dict[str, Any]) -> M:
    """A body read as `model`, or one line saying where it is malformed."""
    try:
        if isinstance(data, dict):
            return model.model_validate(data)
        return model.model_validate_json(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the top"
        raise InvalidRequest(f"malformed {model.__name__} at {where}: {error['msg']}") from None
