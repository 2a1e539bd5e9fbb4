"""Signed objects that outlive one hop: receipts, consents, consent refusals, diplomatic notes,
notices and reports about items, incident notices, requests for visit and their answers, and
acknowledgements, each a JWS compact serialisation (RFC 7515 §7.1) signed with Ed25519.

Any party verifies them offline, given the signer's public key: JPN verifies the consent KOR
gave for an item that the USA relays, with gsomia or with any JOSE library that knows Ed25519.

- The algorithm is `Ed25519`, the fully-specified identifier of RFC 9864 §2.2, not `EdDSA`
  (RFC 8037 §3.1), which RFC 9864 §4.1 deprecates: `EdDSA` names a family whose curve the key
  chooses, `Ed25519` names one algorithm, so the header alone says how to verify and no key of
  another curve can be substituted. The cost: an offline verifier needs a JOSE library that
  knows RFC 9864 (joserfc from 1.5 does); the signature itself is plain Ed25519 either way.
  Label bindings (`signatures.py`) keep `EdDSA`: items already sealed carry it.
- The protected header is exactly `alg`, `kid` and `typ`. `typ` names the kind
  (`gsomia-receipt+jws`, ...): explicit typing (RFC 8725 §3.11), so that an object of one kind
  never passes for another (a consent presented as a receipt is refused before its claims are
  read). Any other header parameter (`jwk`, `jku`, `x5u`, `crit`, `b64`) is refused: a
  verifier trusts its own keys, never keys an object points to.
- The payload is the claims' canonical JSON, validated on verifying by the kind's pydantic
  model (frozen; unknown claims refused). `iss` is the signing party and must be the party
  whose key signed: no node issues an object in another's name. `iat` is when it was signed
  (RFC 7519 §4.1.1, §4.1.6; seconds since the epoch).

joserfc serialises, parses and checks the JWS (its sizes, its header registry, the algorithm
allowed); this module adds the kinds, the claims and the errors a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, Self, TypeVar

from cryptography.hazmat.primitives.asymmetric import ed25519
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    model_validator,
)

from gsomia.core.agreements import EventKind
from gsomia.core.custody import Disposal, NoticeKind
from gsomia.core.incidents import IncidentKind, State
from gsomia.crypto.keys import VerifyingKeyFor
from gsomia.crypto.signatures import canonical_json
from gsomia.errors import (
    IssuerMismatch,
    ObjectClaimsInvalid,
    ObjectMalformed,
    ObjectSignatureInvalid,
    UnknownObjectSigner,
    WrongObjectKind,
)

ALGORITHM: Final = "Ed25519"
HEADER: Final = frozenset({"alg", "kid", "typ"})
"""The protected header's parameters, all of them."""


class ObjectKind(StrEnum):
    """What a signed object is; its value is the JWS `typ`."""

    RECEIPT = "gsomia-receipt+jws"
    CONSENT = "gsomia-consent+jws"
    CONSENT_REFUSAL = "gsomia-consent-refusal+jws"
    NOTE = "gsomia-note+jws"
    ACK = "gsomia-ack+jws"
    ITEM_NOTICE = "gsomia-item-notice+jws"
    ITEM_REPORT = "gsomia-item-report+jws"
    INCIDENT = "gsomia-incident+jws"
    VISIT_REQUEST = "gsomia-visit-request+jws"
    VISIT_ANSWER = "gsomia-visit-answer+jws"

    @property
    def noun(self) -> str:
        """The kind in words, for messages: `consent refusal`."""
        return self.value.removeprefix("gsomia-").removesuffix("+jws").replace("-", " ")


Party = Annotated[str, Field(pattern=r"^[A-Z]{3,4}$")]
"""A party's code, as the reference data spells it (KOR, JPN, USA)."""
Text = Annotated[str, Field(min_length=1)]
Instant = Annotated[AwareDatetime, PlainSerializer(lambda at: at.isoformat(), return_type=str)]
"""An instant with its UTC offset, written as ISO 8601."""
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Claims(BaseModel):
    """What every signed object claims: who issued it, and when it was signed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    iss: Party
    """The party that signs."""
    iat: int = Field(ge=0)
    """When it was signed, in seconds since the epoch."""


class Reason(BaseModel):
    """One ground of a receiver's decision, as `gsomia.core.policy.Reason` states it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Text
    agreement: str | None
    article: str | None
    message: Text


class Receipt(Claims):
    """The receiver's answer to a delivery: allowed or denied, with its reasons."""

    delivery_id: Text
    item: Text
    """The sender's reference for the item."""
    receiver: Party
    allowed: bool
    reasons: tuple[Reason, ...]
    receiver_marking: str | None = None
    receiver_item: str | None = None
    """The receiver's reference for its copy."""
    ledger_index: int = Field(ge=0)
    """Where the receiver's ledger records its decision."""
    at: Instant
    """When the receiver decided."""
    content_sha256: Sha256 | None = None

    @model_validator(mode="after")
    def _issued_by_the_receiver(self) -> Self:
        if self.iss != self.receiver:
            raise ValueError("a receipt is issued by its receiver")
        if not self.allowed and not self.reasons:
            raise ValueError("a denial states its reasons")
        return self


class Consent(Claims):
    """An originator's consent for its item, held by `holder`, to go on to a third party."""

    consent_id: Text
    item: Text
    """The originator's reference for the item."""
    originator: Party
    holder: Party
    recipient: Party
    """The third party the item may go to."""
    purpose: Text
    granted_at: Instant
    expires_at: Instant | None = None
    reference: Text
    """The originator's reference for its consent (a letter, a note verbale)."""

    @model_validator(mode="after")
    def _given_by_the_originator(self) -> Self:
        if self.iss != self.originator:
            raise ValueError("a consent is given by the originator")
        if self.recipient in (self.originator, self.holder):
            raise ValueError("a consent lets the item go to a third party")
        if self.expires_at is not None and self.expires_at <= self.granted_at:
            raise ValueError("a consent expires after it is granted")
        return self


class ConsentRefusal(Claims):
    """An originator's refusal of a consent request."""

    request_id: Text
    item: Text
    originator: Party
    reason: Text
    at: Instant

    @model_validator(mode="after")
    def _given_by_the_originator(self) -> Self:
        if self.iss != self.originator:
            raise ValueError("a consent is refused by the originator")
        return self


class Note(Claims):
    """A diplomatic note on an agreement's lifecycle (Art 21: written notice)."""

    note_id: Text
    agreement: Text
    kind: EventKind
    by: Party
    to: Party
    at: Instant
    text: str

    @model_validator(mode="after")
    def _sent_by_its_signer(self) -> Self:
        if self.iss != self.by:
            raise ValueError("a note is signed by the party that sends it")
        if self.to == self.by:
            raise ValueError("a note goes to another party")
        return self


class ItemNotice(Claims):
    """An originator's notice about one of its items to every holder of a copy (Art 6(g),
    6(h)): a new classification, a declassification, or a request to return or destroy every
    copy. Holders pass it on, unchanged, along their own custody chain."""

    notice_id: Text
    kind: NoticeKind
    item: Text
    """The originator's reference for the item."""
    originator: Party
    sequence: int = Field(ge=1)
    """The order of the originator's notices about this item: a holder applies a notice only
    if none later was applied."""
    marking: str | None = None
    """For a re-marking: the item's new marking in the originator's scheme."""
    reference: Text
    """The originator's authority for it (a letter, a decision)."""
    at: Instant

    @model_validator(mode="after")
    def _given_by_the_originator(self) -> Self:
        if self.iss != self.originator:
            raise ValueError("a notice about an item is given by its originator")
        if (self.kind is NoticeKind.REMARK) != (self.marking is not None):
            raise ValueError("a re-marking, and only a re-marking, names the new marking")
        return self


class ItemReport(Claims):
    """A holder's report to the originator that its copy was destroyed or returned, with the
    certificate: when, how, witnessed by whom (Art 6(h), Art 13)."""

    report_id: Text
    kind: Disposal
    item: Text
    """The originator's reference for the item."""
    originator: Party
    holder: Party
    holder_item: Text
    """The holder's reference for its copy."""
    at: Instant
    method: str = ""
    witness: str = ""

    @model_validator(mode="after")
    def _given_by_the_holder(self) -> Self:
        if self.iss != self.holder:
            raise ValueError("a report on a copy is given by its holder")
        if self.holder == self.originator:
            raise ValueError("the originator's own copy is no one else's concern")
        return self


class IncidentNotice(Claims):
    """One step of a case of loss or compromise, sent by the party that holds the items to
    their originator (Art 17): the report, the opening of the investigation, or its
    conclusion with the result and the measures taken against recurrence."""

    notice_id: Text
    case_id: Text
    state: State
    """The case's state after this step (`reported`, `investigating`, `concluded`)."""
    kind: IncidentKind
    reporter: Party
    """The party that holds the items and reports: the signer."""
    originator: Party
    """The party informed: the originator of every item named."""
    items: tuple[Text, ...] = Field(min_length=1)
    """The originator's references of the items concerned (its own items only)."""
    discovered_at: Instant
    reported_at: Instant
    at: Instant
    """When this step was taken."""
    summary: Text
    note: str = ""
    """The investigation's note, if any."""
    result: str = ""
    measures: str = ""

    @model_validator(mode="after")
    def _sent_by_the_reporter(self) -> Self:
        if self.iss != self.reporter:
            raise ValueError("an incident notice is signed by the party that reports")
        if self.originator == self.reporter:
            raise ValueError("an incident notice goes to the items' originator, another party")
        if not self.discovered_at <= self.reported_at <= self.at:
            raise ValueError("a case is discovered, then reported, then moved on, in that order")
        concluded = self.state is State.CONCLUDED
        if concluded != bool(self.result.strip() and self.measures.strip()):
            raise ValueError("a conclusion, and only a conclusion, states result and measures")
        return self


class Ack(Claims):
    """A party's acknowledgement that it received and recorded a signed object."""

    of: Text
    """The acknowledged object's id."""
    kind: ObjectKind
    """What was acknowledged."""
    by: Party
    at: Instant
    ledger_index: int = Field(ge=0)
    """Where the acknowledging party's ledger records it."""
    forwarded_to: tuple[Party, ...] = ()
    """For a notice about an item: the holders further down the custody chain that the
    acknowledging party passed it on to."""

    @model_validator(mode="after")
    def _signed_by_its_sender(self) -> Self:
        if self.iss != self.by:
            raise ValueError("an acknowledgement is signed by the party that sends it")
        return self


class Visitor(BaseModel):
    """A visitor as the requesting party names it, with the clearance it assures (a native
    marking of its own scheme, or None)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    party: Party
    clearance: Annotated[str, Field(min_length=1, max_length=64)] | None


class VisitRequest(Claims):
    """A request for visit from the visiting party's competent authority to the host's
    (Art 8): what for, where, on which days (inclusive, in the host's time zone), the
    highest level of the host's scheme, and who, with the clearances it assures."""

    request_id: Text
    requester: Party
    host: Party
    agreement: Text
    type: Literal["one-time", "recurring", "emergency"]
    purpose: Annotated[str, Field(min_length=1, max_length=2000)]
    facility: Annotated[str, Field(min_length=1, max_length=300)]
    first_day: date
    last_day: date
    max_marking: Annotated[str, Field(min_length=1, max_length=64)]
    """The highest level, a native marking of the host's scheme."""
    visitors: tuple[Visitor, ...] = Field(min_length=1, max_length=100)
    requested_at: Instant

    @model_validator(mode="after")
    def _asked_by_the_visiting_party(self) -> Self:
        if self.iss != self.requester:
            raise ValueError("a request for visit is signed by the visiting party")
        if self.host == self.requester:
            raise ValueError("a visit is requested of another party")
        if self.last_day < self.first_day:
            raise ValueError("a visit ends on or after its first day")
        return self


class VisitAnswer(Claims):
    """The host's approval or refusal of a request for visit (Art 8: only the host grants
    permission), with the reasons of its decision."""

    request_id: Text
    host: Party
    requester: Party
    approved: bool
    at: Instant
    """When the host decided."""
    note: str = Field(default="", max_length=2000)
    """The host's note on an approval, or its reason for a refusal."""
    reasons: tuple[Reason, ...] = ()

    @model_validator(mode="after")
    def _given_by_the_host(self) -> Self:
        if self.iss != self.host:
            raise ValueError("a visit is approved or refused by its host")
        if not self.approved and not self.note:
            raise ValueError("a refusal states its reason")
        return self


MODELS: Final[dict[ObjectKind, type[Claims]]] = {
    ObjectKind.RECEIPT: Receipt,
    ObjectKind.CONSENT: Consent,
    ObjectKind.CONSENT_REFUSAL: ConsentRefusal,
    ObjectKind.NOTE: Note,
    ObjectKind.ACK: Ack,
    ObjectKind.ITEM_NOTICE: ItemNotice,
    ObjectKind.ITEM_REPORT: ItemReport,
    ObjectKind.INCIDENT: IncidentNotice,
    ObjectKind.VISIT_REQUEST: VisitRequest,
    ObjectKind.VISIT_ANSWER: VisitAnswer,
}
"""The claims each kind carries."""

M = TypeVar("M", bound=Claims)


def sign_object(kind: ObjectKind, claims: Claims, key: ed25519.Ed25519PrivateKey, kid: str) -> str:
    """`claims` signed with `key` as an object of `kind`: a JWS compact serialisation."""
    _check_model(kind, type(claims))
    header = {"alg": ALGORITHM, "kid": kid, "typ": kind.value}
    payload = canonical_json(claims.model_dump(mode="json"))
    return jws.serialize_compact(header, payload, OKPKey.import_key(key), algorithms=[ALGORITHM])


def verify_object(
    token: str,
    kind: ObjectKind,
    key_for: VerifyingKeyFor,
    model: type[M],
    *,
    party_of: Callable[[str], str | None],
) -> tuple[str, M]:
    """The signer's key id and the verified claims of a `kind` object; an `ObjectRejected`
    error otherwise. `party_of` names the party a key id belongs to (`KeyRing.party_of`): the
    claims' issuer must be that party."""
    _check_model(kind, model)
    try:
        signed = jws.extract_compact(token.encode("ascii"))
    except (JoseError, ValueError):
        raise ObjectMalformed(
            f"the {kind.noun} is not a JWS compact serialisation (RFC 7515 §7.1)"
        ) from None
    kid = _check_header(signed.headers(), kind)
    key = key_for(kid)
    if key is None:
        raise UnknownObjectSigner(
            f"the {kind.noun} is signed with key {kid!r}, which belongs to no known party",
            subject="partner-keys",
        )
    if not jws.validate_compact(signed, OKPKey.import_key(key), algorithms=[ALGORITHM]):
        raise ObjectSignatureInvalid(
            f"the {kind.noun}'s signature by {kid} does not verify: it was altered after "
            "signing, or signed with another key"
        )
    try:
        claims = model.model_validate_json(signed.payload)
    except ValidationError as exc:
        raise ObjectClaimsInvalid(
            f"the {kind.noun} signed by {kid} does not hold a {kind.noun}'s claims: "
            f"{_first_error(exc)}"
        ) from None
    party = party_of(kid)
    if party != claims.iss:
        raise IssuerMismatch(
            f"the {kind.noun} names {claims.iss} as its issuer but is signed with {kid}, "
            f"a key of {party or 'no known party'}"
        )
    return kid, claims


def _check_header(header: Any, kind: ObjectKind) -> str:
    """The key id of a header that is exactly gsomia's for `kind`."""
    if not isinstance(header, dict) or set(header) != HEADER:
        shown = sorted(header) if isinstance(header, dict) else type(header).__name__
        raise ObjectMalformed(
            f"the {kind.noun}'s JWS header holds {shown}; gsomia signs exactly alg, kid and typ"
        )
    if header["alg"] != ALGORITHM:
        raise ObjectSignatureInvalid(
            f"the {kind.noun} is signed with alg {header['alg']!r}; only {ALGORITHM} is accepted"
        )
    if header["typ"] != kind.value:
        raise WrongObjectKind(
            f"a {kind.noun} ({kind.value}) was expected; this object is a {header['typ']!r}"
        )
    kid = header["kid"]
    if not isinstance(kid, str):
        raise ObjectMalformed(f"the {kind.noun}'s key id is not a string")
    return kid


def _check_model(kind: ObjectKind, model: type[Claims]) -> None:
    """Each kind has its model: a caller mixing them up has a defect, not an attack."""
    if model is not MODELS[kind]:
        raise TypeError(f"a {kind.noun} holds {MODELS[kind].__name__} claims, not {model.__name__}")


def _first_error(exc: ValidationError) -> str:
    """The first of a model's complaints, on one line, with how many others there are."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "claims"
    more = exc.error_count() - 1
    message = first["msg"].removeprefix("Value error, ")  # a model's own rule, already a sentence
    return f"{where}: {message}" + (f" (and {more} more)" if more else "")
