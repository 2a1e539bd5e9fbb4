"""The node's answers as typed models, shared by every interface.

The CLI prints them (as tables, or as JSON with `--json`) and the API serialises them
unchanged; their JSON is a contract (docs/cli.md). Instants carry their offset: an
agreement's instants in its legal time zone, the registry's records in the registry's zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    model_serializer,
)

if TYPE_CHECKING:
    from gsomia.core.agreements import Agreement, Notice, Status
    from gsomia.core.impact import FlowImpact, HoldingImpact, Impact
    from gsomia.core.markings import Scheme
    from gsomia.core.policy import Decision, Reason
    from gsomia.core.routing import Route
    from gsomia.crypto.keys import KeyRecord
    from gsomia.store.changes import ChangeRecord
    from gsomia.store.decisions import DecisionRecord
    from gsomia.store.documents import StoredEvent
from gsomia.store.changes import ChangeRecord
from gsomia.store.registry import ConsentRecord, ItemRecord, PersonRecord, ReleaseRecord

Instant = Annotated[datetime, PlainSerializer(lambda at: at.isoformat(), return_type=str)]
"""An aware instant, written as ISO 8601 with its offset."""


def local(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    """An instant as shown in `zone`."""
    return at.astimezone(zone) if at is not None else None


def last_day(end: datetime | None, zone: ZoneInfo) -> date | None:
    """The last whole day before an exclusive end (the day a deadline or term runs out)."""
    if end is None:
        return None
    return (end.astimezone(zone) - timedelta(microseconds=1)).date()


class Model(BaseModel):
    """Frozen, and serialised by alias (`from` is a JSON key, not a Python name)."""

    model_config = ConfigDict(
        frozen=True, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    def to_json(self) -> Any:
        """The JSON value of this answer, as `--json` prints it and the API returns it."""
        return self.model_dump(mode="json", by_alias=True)


# -- schemes and agreements --------------------------------------------------------------------


class LevelView(Model):
    rank: int
    marking: str
    romanised: str
    english: str


class SchemeView(Model):
    party: str
    """The party; for a policy imported from a SPIF, the policy's name."""
    name: str
    levels: list[LevelView]
    policy_oid: str | None = None
    """The OID of a policy imported from a SPIF (`gsomia scheme import`); None for the
    built-in schemes."""

    @classmethod
    def of(cls, scheme: Scheme) -> SchemeView:
        return cls(
            party=scheme.party,
            name=scheme.name,
            levels=[
                LevelView(
                    rank=level.rank,
                    marking=level.marking,
                    romanised=level.romanised,
                    english=level.english,
                )
                for level in scheme.by_rank()
            ],
        )


class TermView(Model):
    months: int
    automatic_renewal: bool


class NoticeRuleView(Model):
    days: int
    channel: str
    reactivation: str


class ArticlesView(Model):
    term: str
    equivalence: str
    third_party: str
    access: str
    survival: str
    scope: str | None
    forwarding: str | None
    visits: str | None


class HostCalendarView(Model):
    country: str
    time_zone: str


class VisitPracticeView(Model):
    """Visit practice under an agreement, never treaty text (Art 8 states no lead time)."""

    lead_working_days: dict[str, int]
    longest_days: dict[str, int]
    recurring_months: int
    calendars: dict[str, HostCalendarView]
    """Hosts' calendars the agreement names, beyond the built-in KOR, JPN and USA ones."""


class AgreementView(Model):
    id: str
    title: str
    kind: str
    parties: list[str]
    hub: str | None
    signed: str | None
    entry_into_force: Instant
    legal_time_zone: str
    term: TermView | None
    notice: NoticeRuleView | None
    protection_survives_termination: bool
    topics: list[str] | Literal["all"]
    forwarding_requires_originator_approval: bool
    equivalence: list[dict[str, str | list[str]]]
    """Rows of the table: `english` and each party's markings."""
    articles: ArticlesView
    visits: VisitPracticeView
    source: str

    @classmethod
    def of(cls, a: Agreement) -> AgreementView:
        zone = a.legal_time_zone
        return cls(
            id=a.id,
            title=a.title,
            kind=a.kind.value,
            parties=list(a.parties),
            hub=a.hub,
            signed=a.signed,
            entry_into_force=a.entry_into_force.astimezone(zone),
            legal_time_zone=zone.key,
            term=TermView(months=a.term.months, automatic_renewal=a.term.automatic_renewal)
            if a.term
            else None,
            notice=NoticeRuleView(
                days=a.notice.days,
                channel=a.notice.channel,
                reactivation=a.notice.reactivation.value,
            )
            if a.notice
            else None,
            protection_survives_termination=a.protection_survives_termination,
            topics=sorted(a.topics) if a.topics is not None else "all",
            forwarding_requires_originator_approval=a.forwarding_requires_originator_approval,
            equivalence=[
                {"english": row.english, **{p: list(m) for p, m in row.markings.items()}}
                for row in a.equivalences
            ],
            articles=ArticlesView(
                term=a.articles.term,
                equivalence=a.articles.equivalence,
                third_party=a.articles.third_party,
                access=a.articles.access,
                survival=a.articles.survival,
                scope=a.articles.scope,
                forwarding=a.articles.forwarding,
                visits=a.articles.visits,
            ),
            visits=VisitPracticeView(
                lead_working_days={str(k): v for k, v in a.visits.lead_working_days.items()},
                longest_days={str(k): v for k, v in a.visits.longest_days.items()},
                recurring_months=a.visits.recurring_months,
                calendars={
                    party: HostCalendarView(country=c.country, time_zone=c.time_zone.key)
                    for party, c in a.visits.calendars.items()
                },
            ),
            source=a.source,
        )


class NoticeView(Model):
    by: str
    delivered_at: Instant
    takes_effect_at: Instant
    late: bool
    suspended: bool

    @classmethod
    def of(cls, notice: Notice | None, zone: ZoneInfo) -> NoticeView | None:
        if notice is None:
            return None
        return cls(
            by=notice.by,
            delivered_at=notice.delivered_at.astimezone(zone),
            takes_effect_at=notice.takes_effect_at.astimezone(zone),
            late=notice.late,
            suspended=notice.suspended,
        )


class StatusView(Model):
    agreement: str
    at: Instant
    state: str
    in_force: bool
    term_start: Instant | None
    term_end: Instant | None
    term_last_day: date | None
    notice_deadline: Instant | None
    notice_deadline_date: date | None
    terminates_at: Instant | None
    notice: NoticeView | None

    @classmethod
    def of(cls, status: Status, zone: ZoneInfo) -> StatusView:
        return cls(
            agreement=status.agreement,
            at=status.at.astimezone(zone),
            state=status.state.value,
            in_force=status.in_force,
            term_start=local(status.term_start, zone),
            term_end=local(status.term_end, zone),
            term_last_day=last_day(status.term_end, zone),
            notice_deadline=local(status.notice_deadline, zone),
            notice_deadline_date=last_day(status.notice_deadline, zone),
            terminates_at=local(status.terminates_at, zone),
            notice=NoticeView.of(status.notice, zone),
        )


class RecordedEventView(Model):
    """A lifecycle event as recorded; the notice's effect only while a notice stands."""

    agreement: str
    event: str
    by: str
    at: Instant
    state: str
    takes_effect_at: Instant | None = None
    late: bool | None = None
    notice_deadline: Instant | None = None
    notice_deadline_date: date | None = None

    @model_serializer(mode="wrap")
    def _without_effect(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.takes_effect_at is None:
            for key in ("takes_effect_at", "late", "notice_deadline", "notice_deadline_date"):
                data.pop(key, None)
        return data


class NoteStateView(Model):
    """A diplomatic note carrying an event to a partner, and whether it was acknowledged."""

    id: str
    to: str
    acknowledged: bool


class EventView(Model):
    id: int
    event: str
    by: str
    at: Instant
    note: str
    source: str
    notes: list[NoteStateView] = []
    """The notes that carried this event to the partners' nodes."""

    @classmethod
    def of(
        cls, stored: StoredEvent, zone: ZoneInfo, notes: list[NoteStateView] | None = None
    ) -> EventView:
        return cls(
            id=stored.id,
            event=stored.event.kind.value,
            by=stored.event.by,
            at=stored.event.at.astimezone(zone),
            note=stored.event.note,
            source=stored.source,
            notes=notes or [],
        )


class LoadedView(Model):
    agreement: str
    outcome: str


class HistoryLoadedView(Model):
    history: str
    events_added: int


class InitView(Model):
    database: str
    party: str | None
    time_zone: str
    created: bool
    """Whether this run created the registry."""
    schema_before: str | None
    schema_now: str
    loaded: dict[str, dict[str, int]]
    """Per kind of reference document: how many were added, updated, unchanged."""


# -- decisions and routes ----------------------------------------------------------------------


class ReasonView(Model):
    code: str
    agreement: str | None
    article: str | None
    message: str

    @classmethod
    def of(cls, reason: Reason) -> ReasonView:
        return cls(
            code=reason.code.value,
            agreement=reason.agreement,
            article=reason.article,
            message=reason.message,
        )


class DecisionView(Model):
    allowed: bool
    agreement: str | None
    recipient_marking: str | None
    equivalent: str | None
    reasons: list[ReasonView]

    @staticmethod
    def fields(decision: Decision) -> dict[str, Any]:
        """The decision's fields, for this view and the views that extend it."""
        return {
            "allowed": decision.allowed,
            "agreement": decision.agreement,
            "recipient_marking": decision.recipient_level.marking
            if decision.recipient_level
            else None,
            "equivalent": decision.equivalent,
            "reasons": [ReasonView.of(r) for r in decision.reasons],
        }

    @classmethod
    def of(cls, decision: Decision) -> DecisionView:
        return cls(**cls.fields(decision))


class AccessDecisionView(Model):
    allowed: bool
    agreement: str | None
    reasons: list[ReasonView]

    @classmethod
    def of(cls, decision: Decision) -> AccessDecisionView:
        return cls(
            allowed=decision.allowed,
            agreement=decision.agreement,
            reasons=[ReasonView.of(r) for r in decision.reasons],
        )


class ConsentNeedView(Model):
    originator: str
    to: str
    article: str | None


class HopView(Model):
    sender: str = Field(alias="from")
    to: str
    agreement: str
    recipient_marking: str
    equivalent: str
    releasable_to: list[str]


class RouteView(Model):
    path: list[str]
    agreements: list[str]
    via: str | None
    consents_required: list[ConsentNeedView]
    hops: list[HopView]

    @classmethod
    def of(cls, route: Route) -> RouteView:
        return cls(
            path=list(route.path),
            agreements=list(route.agreements),
            via=route.via,
            consents_required=[
                ConsentNeedView(originator=c.originator, to=c.to, article=c.article)
                for c in route.consents_required
            ],
            hops=[
                HopView.model_validate(
                    {
                        "from": hop.sender,
                        "to": hop.recipient,
                        "agreement": hop.agreement,
                        "recipient_marking": hop.recipient_level.marking,
                        "equivalent": hop.recipient_level.english,
                        "releasable_to": sorted(hop.label.releasable_to or ()),
                    }
                )
                for hop in route.hops
            ],
        )


class FlowView(Model):
    """A flow from an originator to a partner, and what becomes of it in the what-if."""

    sender: str = Field(alias="from")
    to: str
    marking: str
    """In the originator's scheme."""
    equivalent: str
    topic: str
    items: int
    outcome: Literal["continues", "rerouted", "stops"]
    direct: DecisionView
    """The direct hand-over at the instant, in the what-if."""
    routes: list[RouteView]
    """The paths through a hub, when the flow is rerouted."""

    @classmethod
    def of(cls, found: FlowImpact) -> FlowView:
        label = found.flow.label
        return cls.model_validate(
            {
                "from": label.originator,
                "to": found.flow.recipient,
                "marking": label.level.marking,
                "equivalent": label.level.english,
                "topic": label.topic,
                "items": found.flow.items,
                "outcome": found.outcome.value,
                "direct": DecisionView.of(found.direct),
                "routes": [RouteView.of(route) for route in found.routes],
            }
        )


class HoldingView(Model):
    """Copies this registry received from a party of the agreement: still protected (Art 21),
    and who may still read them."""

    originator: str
    holder: str
    marking: str
    holder_marking: str | None
    topic: str
    items: int
    protected: bool
    article: str | None
    """The article under which protection survives, once the agreement has ended."""
    readers: list[str]

    @classmethod
    def of(cls, found: HoldingImpact) -> HoldingView:
        label = found.holding.label
        return cls(
            originator=label.originator,
            holder=label.held_by,
            marking=label.level.marking,
            holder_marking=label.holder_level.marking if label.holder_level else None,
            topic=label.topic,
            items=found.holding.items,
            protected=True,
            article=found.survival_article,
            readers=list(found.readers),
        )


class ImpactView(Model):
    """If an agreement were no longer in force from an instant: a what-if, nothing recorded."""

    agreement: str
    at: Instant
    recorded: bool
    """Always false: an impact is a question, not an event."""
    items_continuing: int
    items_rerouted: int
    items_stopped: int
    items_protected: int
    flows: list[FlowView]
    holdings: list[HoldingView]

    @classmethod
    def of(cls, found: Impact) -> ImpactView:
        from gsomia.core.impact import Outcome

        return cls(
            agreement=found.agreement,
            at=found.at,
            recorded=False,
            items_continuing=found.items(Outcome.CONTINUES),
            items_rerouted=found.items(Outcome.REROUTED),
            items_stopped=found.items(Outcome.STOPS),
            items_protected=sum(h.holding.items for h in found.holdings),
            flows=[FlowView.of(f) for f in found.flows],
            holdings=[HoldingView.of(h) for h in found.holdings],
        )


# -- the register ------------------------------------------------------------------------------


class PersonView(Model):
    id: int
    name: str
    party: str
    position: str
    clearance: str | None
    need_to_know: list[str]
    recorded_at: Instant

    @classmethod
    def of(cls, p: PersonRecord, zone: ZoneInfo) -> PersonView:
        return cls(
            id=p.id,
            name=p.name,
            party=p.party,
            position=p.position,
            clearance=p.clearance,
            need_to_know=sorted(p.need_to_know),
            recorded_at=p.recorded_at.astimezone(zone),
        )


class SealedView(Model):
    sha256: str
    size: int | None

    @classmethod
    def of(cls, sha256: str | None, size: int | None) -> SealedView | None:
        return cls(sha256=sha256, size=size) if sha256 else None


class ItemView(Model):
    id: int
    reference: str
    title: str
    originator: str
    marking: str
    english: str
    topic: str
    purpose: str
    releasable_to: list[str] | None
    caveats: list[str]
    holder: str
    holder_marking: str | None
    received_from: str | None
    originator_reference: str | None
    registered_at: Instant
    sealed: SealedView | None

    @staticmethod
    def fields(i: ItemRecord, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "id": i.id,
            "reference": i.reference,
            "title": i.title,
            "originator": i.originator,
            "marking": i.marking,
            "english": i.english,
            "topic": i.topic,
            "purpose": i.purpose,
            "releasable_to": sorted(i.releasable_to) if i.releasable_to is not None else None,
            "caveats": list(i.caveats),
            "holder": i.holder,
            "holder_marking": i.holder_marking,
            "received_from": i.received_from,
            "originator_reference": i.originator_reference,
            "registered_at": i.registered_at.astimezone(zone),
            "sealed": SealedView.of(i.sealed_sha256, i.sealed_size),
        }

    @classmethod
    def of(cls, i: ItemRecord, zone: ZoneInfo) -> ItemView:
        return cls(**cls.fields(i, zone))


class ReleaseView(Model):
    id: int
    item_id: int
    kind: str
    sender: str = Field(alias="from")
    to: str
    at: Instant
    agreement: str
    recipient_marking: str
    decision_id: int
    sealed: SealedView | None

    @classmethod
    def of(cls, r: ReleaseRecord, zone: ZoneInfo) -> ReleaseView:
        return cls.model_validate(
            {
                "id": r.id,
                "item_id": r.item_id,
                "kind": r.kind,
                "from": r.from_party,
                "to": r.to_party,
                "at": r.at.astimezone(zone),
                "agreement": r.agreement_id,
                "recipient_marking": r.recipient_marking,
                "decision_id": r.decision_id,
                "sealed": SealedView.of(r.sealed_sha256, r.sealed_size),
            }
        )


class ConsentView(Model):
    id: int
    item_id: int
    originator: str
    to: str
    granted_at: Instant
    expires_at: Instant | None
    reference: str

    @classmethod
    def of(cls, c: ConsentRecord, zone: ZoneInfo) -> ConsentView:
        return cls(
            id=c.id,
            item_id=c.item_id,
            originator=c.originator,
            to=c.recipient,
            granted_at=c.granted_at.astimezone(zone),
            expires_at=local(c.expires_at, zone),
            reference=c.reference,
        )


class DecisionRecordView(Model):
    id: int
    kind: str
    at: Instant
    allowed: bool
    agreement: str | None
    item_id: int | None
    person_id: int | None
    request: dict[str, Any]
    reasons: list[ReasonView]
    recorded_at: Instant

    @classmethod
    def of(cls, d: DecisionRecord, zone: ZoneInfo) -> DecisionRecordView:
        return cls(
            id=d.id,
            kind=d.kind,
            at=d.at.astimezone(zone),
            allowed=d.allowed,
            agreement=d.agreement_id,
            item_id=d.item_id,
            person_id=d.person_id,
            request=d.request,
            reasons=[ReasonView.of(r) for r in d.reasons],
            recorded_at=d.recorded_at.astimezone(zone),
        )


class ChangeView(Model):
    """A change to an item after registration; for a destruction or return, its
    certificate."""

    id: int
    kind: str
    at: Instant
    by: str
    marking: str | None
    holder_marking: str | None
    reference: str
    method: str | None
    witness: int | None
    notice: str | None
    content_erased: bool | None
    """For a destruction or return: whether the sealed content was erased and the erasure
    checked (null when the item had no content here, or the erasure is not yet checked)."""

    @classmethod
    def of(cls, c: ChangeRecord, zone: ZoneInfo) -> ChangeView:
        return cls(
            id=c.id,
            kind=c.kind,
            at=c.at.astimezone(zone),
            by=c.by,
            marking=c.marking,
            holder_marking=c.holder_marking,
            reference=c.reference,
            method=c.method,
            witness=c.witness_id,
            notice=c.notice_id,
            content_erased=c.content_erased,
        )


class DerivationView(Model):
    original: str
    kind: str
    made_by: int
    at: Instant


class ItemDetailView(ItemView):
    state: str
    """held, declassified, destroyed or returned."""
    derived_from: DerivationView | None = None
    releases: list[ReleaseView]
    consents: list[ConsentView]
    decisions: list[DecisionRecordView]
    changes: list[ChangeView] = []


class NoticeSentView(Model):
    """A notice about an item, and the holders it went to."""

    notice: str
    kind: str
    sequence: int
    holders: list[str]


class ItemChangedView(Model):
    """What `item remark|declassify|recall|destroy|return` recorded."""

    item: ItemView
    change: ChangeView
    copies: list[str]
    """This node's other items the change reached too (items derived from it)."""
    notice: NoticeSentView | None = None
    reported_to: str | None = None
    """For a destruction or return: the originator the report was queued to."""


class HolderView(Model):
    """One holder of a copy and where its latest notice stands."""

    party: str
    via: str | None
    marking: str | None
    """The holder's equivalent of the item's current marking; null when no agreement covers
    it (the holder is asked to return or destroy its copy)."""
    english: str | None
    notice: str | None
    notice_kind: str | None
    sent_at: Instant | None
    acknowledged: bool
    acknowledged_at: Instant | None
    overdue: bool
    """The latest notice waited unacknowledged for more than `ack_within` working days."""
    disposal: str | None
    disposed_at: Instant | None


class HoldersView(Model):
    item: str
    originator: str
    marking: str
    state: str
    ack_within: int
    """Working days (of this node's party) a holder has to acknowledge a notice."""
    holders: list[HolderView]


class ActionView(DecisionView):
    """A decision that was recorded, and what it produced when allowed."""

    decision_id: int
    item: ItemView | None = None
    release_id: int | None = None
    sealed_copy: str | None = None
    """Where the recipient's sealed copy is kept, for a release of sealed content."""
    output: str | None = None
    """Where opened content was written, for an allowed opening."""


# -- keys and sealed files ---------------------------------------------------------------------


class KeyView(Model):
    kid: str
    party: str
    purpose: str
    algorithm: str
    status: str
    own: bool
    fingerprint: str
    created_at: Instant
    retired_at: Instant | None

    @classmethod
    def of(cls, k: KeyRecord, own_party: str | None) -> KeyView:
        from gsomia.crypto.keys import fingerprint

        return cls(
            kid=k.kid,
            party=k.party,
            purpose=k.purpose.value,
            algorithm=k.algorithm,
            status=k.status.value,
            own=k.party == own_party,
            fingerprint=fingerprint(k.public_pem),
            created_at=k.created_at,
            retired_at=k.retired_at,
        )


class RotatedView(Model):
    new: list[KeyView]
    retired: list[str]


class ImportedView(Model):
    party: str
    added: list[str]
    already_known: list[str]
    retired: list[str] = []
    """Keys of the party's previous set, retired by an explicit replacement."""


class ExportedView(Model):
    party: str
    output: str
    keys: list[str]
    fingerprints: list[str]


class SealDecisionView(DecisionView):
    to: str
    decision_id: int


class SealView(Model):
    sealed: str | None
    plaintext_size: int | None
    segments: int | None
    decisions: list[SealDecisionView]


class OpenView(Model):
    output: str
    size: int
    sealed_by: str
    signer: str
    originator: str
    marking: str
    topic: str


class AdoptView(Model):
    output: str
    size: int
    segments: int
    labelled_by: str
    originator: str
    marking: str
    topic: str


class LabelView(Model):
    originator: str
    marking: str
    english: str
    topic: str
    purpose: str
    releasable_to: list[str] | None
    caveats: list[str]
    holder: str | None
    holder_marking: str | None


class RecipientView(Model):
    party: str
    type: str
    kid: str


class SizesView(Model):
    plaintext: int
    payload: int
    file: int
    segments: int
    segment_size: int


class IntegrityView(Model):
    container: str
    payload_size_matches: bool
    label: str
    """`verified`, or what is wrong with the label."""
    sealed_by: str | None = None
    signer: str | None = None
    unbound_labels: list[str] = []
    """Assertions that look like labels but are not the bound gsomia label."""


class InspectView(Model):
    file: str
    label: LabelView | None
    recipients: list[RecipientView]
    sizes: SizesView
    integrity: IntegrityView
    policy_attributes: list[str]


class ExportView(Model):
    release_id: int
    item: str
    to: str
    output: str
    sha256: str
    size: int


# -- the federation -----------------------------------------------------------------------------


class PeerView(Model):
    party: str
    url: str
    added_at: Instant
    signing_fingerprints: list[str]
    """The party's pinned active signing keys, as partners compare them out of band."""


class DeliveryView(Model):
    """A message to a partner's node: its state, its attempts, the partner's signed answer."""

    id: str
    kind: str
    to: str
    release_id: int | None
    subject: str | None
    state: str
    attempts: int
    next_attempt_at: Instant | None
    last_error: str | None
    answer: str | None
    """The partner's signed answer (a receipt or an acknowledgement), as a JWS."""
    answer_verified: bool | None
    created_at: Instant
    settled_at: Instant | None


class ConsentRequestView(Model):
    """A request for an originator's consent to an onward transfer, made here or of us."""

    id: str
    item: str
    """The originator's reference of the item."""
    originator: str
    holder: str
    to: str
    purpose: str
    requested_at: Instant
    state: str
    """`pending`, `granted` or `refused`."""
    answered_at: Instant | None
    asked_of_us: bool
    """Whether this node is the originator asked (and so the one to answer)."""


class CustodyHopView(Model):
    """One hand-over of an item or of one of its copies."""

    sender: str = Field(alias="from")
    to: str
    at: Instant
    agreement: str
    delivery_id: str | None
    state: str
    receipt_sha256: str | None
    receipt_verified: bool | None
    """Whether the receipt's signature verifies against the receiver's pinned keys (None
    where this node holds only its digest, from an earlier hop)."""


class CustodyView(Model):
    item: str
    originator: str
    hops: list[CustodyHopView]


class WitnessView(Model):
    """Witnessing between this node and one peer, both ways."""

    party: str
    witness: str
    """The name the peer's witness key cosigns under."""
    cosigned_size: int | None
    """The largest checkpoint of ours the peer's witness cosigned."""
    last_submission: dict[str, Any] | None
    """Our latest checkpoint offered to it: size, status, detail, at (a refusal shows here)."""
    witnessed_size: int | None
    """The largest checkpoint of the peer's log our witness cosigned."""
    last_witnessed: dict[str, Any] | None
    """The peer's latest checkpoint offered to our witness, and our answer."""


# -- the ledger --------------------------------------------------------------------------------


class HeadView(Model):
    size: int
    root: str
    signed_now: bool
    checkpoint: str


class LedgerEntryView(Model):
    position: int
    kind: str
    recorded_at: str
    leaf_hash: str
    body: dict[str, Any]


class ProofEntryView(Model):
    position: int
    kind: str
    recorded_at: str
    body: dict[str, Any]


class ProofView(Model):
    format: str
    entry: ProofEntryView
    leaf_hash: str
    tree_size: int
    root: str
    path: list[str]
    checkpoint: str


class CheckView(Model):
    entry: int
    kind: str
    tree_size: int
    origin: str
    verified: bool


class ConsistencyView(Model):
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    path: list[str]


class ProblemView(Model):
    kind: str
    start: int | None
    end: int | None
    message: str
    table: str | None = None
    key: str | None = None
    fields: list[str] = []


class VerifyView(Model):
    ok: bool
    size: int
    checkpoints: int
    first_divergence: int | None
    rows_checked: int
    problems: list[ProblemView]


# -- the officers ------------------------------------------------------------------------------


class UserView(Model):
    """An officer's account; never its password or its hash."""

    name: str
    role: str
    language: str
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, record: Any) -> UserView:
        return cls(
            name=record.name,
            role=record.role,
            language=record.language,
            created_at=record.created_at,
            disabled_at=record.disabled_at,
        )


class TokenView(Model):
    """An API token by its public id; the secret is shown once, when issued."""

    id: str
    user: str
    created_at: datetime
    revoked_at: datetime | None


class ExportedItemView(DecisionView):
    """An item considered for an export, with the decision that let it go or kept it back."""

    item: str
    decision_id: int | None
    """None for an export to the registry's own party, which decides nothing."""


class StixExportView(Model):
    """A STIX export: for whom, at which instant, since when, and what went and what not."""

    party: str
    recipient: str
    at: Instant
    since: Instant | None
    output: str
    exported: list[ExportedItemView]
    withheld: list[ExportedItemView]


# -- STANAG 4774 labels, SPIFs and STANAG 4778 bindings ----------------------------------------


class PolicyRefView(Model):
    name: str
    oid: str


class LabelCategoryView(Model):
    tag: str
    """The tag set's name (the 4774 TagName)."""
    type: str
    """PERMISSIVE, RESTRICTIVE or INFORMATIVE (the 4774 Type)."""
    values: list[str]


class LabelShowView(Model):
    file: str
    form: str
    """The form the file is in: "4774" or "spiffing"."""
    policy: PolicyRefView
    classification: str
    categories: list[LabelCategoryView]
    marking: str
    """The display marking the SPIF prescribes (page bottom, default language)."""


class FindingView(Model):
    rule: str
    """The SPIF rule: definition, excludedClass, excludedCategory, requiredCategory,
    singleSelection (obsolete, for a warning)."""
    message: str


class LabelCheckView(Model):
    file: str
    policy: PolicyRefView
    valid: bool
    reasons: list[FindingView]
    warnings: list[FindingView]


class LabelConvertView(Model):
    file: str
    form: str
    to: str
    output: str


class BindView(Model):
    file: str
    label: str
    output: str
    data_uri: str
    data_sha256: str
    signed_by: str
    """The signing key's id."""


class BindingVerifiedView(Model):
    binding: str
    data: str
    data_sha256: str
    signed_by: str
    signer: str
    """The party whose key signed it."""
    policy: str
    classification: str


class PolicyImportedView(Model):
    name: str
    oid: str
    version: str
    outcome: str
    """added, updated or unchanged."""
    classifications: list[str]
