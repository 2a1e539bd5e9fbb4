"""The registry's schema, in one place, for SQLite and PostgreSQL alike.

Agreements' status is never stored: it is derived from `agreement_events` by the core.
Instants are stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored as UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

registry_state = Table(
    "registry_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", BigInteger, nullable=False),
)
"""One row (id 1). `generation` grows in the same transaction as any change to what the node
caches (reference documents, agreement events, registry settings), so that every process
knows when its cache is stale. Write transactions lock this row (PostgreSQL) so that writers
decide one after the other."""

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

schemes = Table(
    "schemes",
    metadata,
    Column("party", String(8), primary_key=True),
    Column("document", Text, nullable=False),
    Column("origin", Text, nullable=False),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("document", Text, nullable=False),
    Column("origin", Text, nullable=False),
)

agreement_events = Table(
    "agreement_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(64), ForeignKey("agreements.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("party", String(8), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("source", String(64), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("agreement_id", "kind", "party", "at", name="uq_agreement_events_event"),
)

persons = Table(
    "persons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("party", String(8), nullable=False),
    Column("position", String(200), nullable=False, default=""),
    Column("clearance", String(64)),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("party", "name", name="uq_persons_party_name"),
)

need_to_know = Table(
    "need_to_know",
    metadata,
    Column("person_id", Integer, ForeignKey("persons.id"), primary_key=True),
    Column("topic", String(64), primary_key=True),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(64), nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("originator", String(8), nullable=False),
    Column("marking", String(64), nullable=False),
    Column("english", String(32), nullable=False),
    Column("topic", String(64), nullable=False, index=True),
    Column("purpose", Text, nullable=False, default=""),
    Column("releasable_to", JSON),
    Column("caveats", JSON, nullable=False),
    Column("holder", String(8), nullable=False),
    Column("holder_marking", String(64)),
    Column("received_from", String(8)),
    Column("originator_reference", String(64)),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("sealed_sha256", String(64)),
    Column("sealed_size", BigInteger),
    Column("delivery_id", String(36)),
)
"""`delivery_id`: for a copy a partner's node delivered, the delivery that brought it."""

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("allowed", Boolean, nullable=False),
    Column("agreement_id", String(64)),
    Column("item_id", Integer, ForeignKey("items.id")),
    Column("person_id", Integer, ForeignKey("persons.id")),
    Column("request", JSON, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

decision_reasons = Table(
    "decision_reasons",
    metadata,
    Column("decision_id", Integer, ForeignKey("decisions.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("code", String(32), nullable=False),
    Column("agreement_id", String(64)),
    Column("article", String(200)),
    Column("message", Text, nullable=False),
)

releases = Table(
    "releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("from_party", String(8), nullable=False),
    Column("to_party", String(8), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("agreement_id", String(64), nullable=False),
    Column("recipient_marking", String(64), nullable=False),
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False),
    Column("sealed_sha256", String(64)),
    Column("sealed_size", BigInteger),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("originator", String(8), nullable=False),
    Column("recipient", String(8), nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("reference", String(200), nullable=False, default=""),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("purpose", Text, nullable=False, default=""),
    Column("token", Text),
)
"""An originator's written consent; `token` is its signed form when it came from the
originator's node (verified again at every transfer it allows)."""

party_keys = Table(
    "party_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("party", String(8), nullable=False, index=True),
    Column("purpose", String(16), nullable=False),
    Column("algorithm", String(16), nullable=False),
    Column("public_pem", Text, nullable=False),
    Column("private_pem", Text),
    Column("origin", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("retired_at", UTCDateTime),
)
"""Key pairs: this node's own (private part encrypted, PKCS #8) and partners' public keys.

`purpose` is `sign` (Ed25519), `wrapped` (RSA-2048) or `ec-wrapped` (EC P-256), the OpenTDF
key access types; `status` is `active` or `retired` (usable to open, never to seal or sign).
"""

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("subject", String(160), index=True),
)
"""The append-only log: entry `position` (0-based) with its canonical JSON body and the
RFC 9162 leaf hash of that body. `subject` names the registry row the entry states
(`items/5`): an index, derived from the body, to find a row's latest entry at once."""

ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("level", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    PrimaryKeyConstraint("level", "position", name="pk_ledger_nodes"),
)
"""Hashes of complete subtrees: 2**level leaves starting at leaf position * 2**level."""

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
"""Signed checkpoints (C2SP tlog-checkpoint, signed-note format), one per tree size."""

# -- the federation: partners' nodes, deliveries, consents and notes across nodes ----------------

peers = Table(
    "peers",
    metadata,
    Column("party", String(8), primary_key=True),
    Column("url", Text, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
)
"""Partners' nodes: where each party's node answers. Its keys are the party's pinned keys."""

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("recipient", String(8), nullable=False, index=True),
    Column("release_id", Integer, ForeignKey("releases.id")),
    Column("subject", String(64)),
    Column("body_sha256", String(64), nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("answer", Text),
    Column("answer_verified", Boolean),
    Column("created_at", UTCDateTime, nullable=False),
    Column("settled_at", UTCDateTime),
)
"""Messages to partners' nodes (`kind`: delivery, note, consent-request, consent, refusal):
what was sent (the body's digest), its state (queued, delivered, refused, failed) and the
partner's signed answer (a receipt, an acknowledgement). Stated in the ledger; the schedule of
attempts lives apart, in `outbox`."""

outbox = Table(
    "outbox",
    metadata,
    Column("delivery_id", String(36), ForeignKey("deliveries.id"), primary_key=True),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False, index=True),
    Column("leased_until", UTCDateTime),
    Column("last_error", Text),
)
"""The schedule of messages not yet settled: the request body to send, how often it was tried,
when to try next (exponential backoff with jitter), the last error. A row goes when its
message settles; a restart loses nothing."""

inbox = Table(
    "inbox",
    metadata,
    Column("sender", String(8), primary_key=True),
    Column("idempotency_key", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("request", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)
"""Requests from partners' nodes already answered, by (sender, Idempotency-Key): a retry gets
the stored answer; the same key with another body (`fingerprint`, its SHA-256) is refused.
`request` keeps what was asked (a delivery's envelope, without its content)."""

nonces = Table(
    "nonces",
    metadata,
    Column("sender", String(8), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", UTCDateTime, nullable=False, index=True),
)
"""Nonces of signed requests seen within the acceptance window: a second use is a replay."""

consent_requests = Table(
    "consent_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("item", String(64), nullable=False),
    Column("originator", String(8), nullable=False),
    Column("holder", String(8), nullable=False),
    Column("recipient", String(8), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("answer", Text),
    Column("answered_at", UTCDateTime),
)
"""Requests for an originator's consent to an onward transfer (Art 6), on both sides: the
holder's own (it asked) and the originator's (it was asked). `item` is the originator's
reference; `answer` the signed consent or refusal."""

witness_log = Table(
    "witness_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("peer", String(8), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("status", Integer, nullable=False),
    Column("detail", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
"""What became of each checkpoint offered for witnessing: ours submitted to a peer's witness
(`role` submitted) and a peer's submitted to ours (`role` witnessed), with the witness's
answer — a refusal (409, 422, 403) stays visible at both ends."""

notes = Table(
    "notes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("agreement_id", String(64), nullable=False),
    Column("event_id", Integer, ForeignKey("agreement_events.id")),
    Column("by", String(8), nullable=False),
    Column("to", String(8), nullable=False),
    Column("token", Text, nullable=False),
    Column("ack", Text),
    Column("acked_at", UTCDateTime),
)
"""Diplomatic notes on an agreement's lifecycle, sent or received: the signed note and, once
the other side recorded it, its signed acknowledgement."""

witnessed = Table(
    "witnessed",
    metadata,
    Column("origin", Text, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
"""As a witness (C2SP tlog-witness): per partner log origin, the latest checkpoint this node
cosigned, its note carrying the log's signatures and this node's cosignature. A row only
moves by compare-and-set from the state a request was judged on."""

cosignatures = Table(
    "cosignatures",
    metadata,
    Column("size", BigInteger, ForeignKey("ledger_checkpoints.size"), nullable=False),
    Column("witness", Text, nullable=False),
    Column("line", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("size", "witness", name="pk_cosignatures"),
)
"""This node's own checkpoints as partners' witnesses cosigned them: one C2SP cosignature
line per checkpoint size and witness name."""

# -- after the hand-over: changes to items, notices about them, derived items ---------------------

item_changes = Table(
    "item_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(8), nullable=False),
    Column("marking", String(64)),
    Column("holder_marking", String(64)),
    Column("reference", String(200), nullable=False, default=""),
    Column("method", String(200)),
    Column("witness_id", Integer, ForeignKey("persons.id")),
    Column("notice_id", String(36)),
    Column("content_erased", Boolean),
    Column("recorded_at", UTCDateTime, nullable=False),
)
"""What happened to an item after it was registered (Art 6(g), 6(h), 13): `kind` is remark,
declassify, destroy, return, return-requested or destroy-requested. A destruction or return is
its certificate: who (`by`), when (`at`), how (`method`), witnessed by whom (`witness_id`), and
whether the sealed content was erased and the erasure checked. A change that came from the
originator's notice names it (`notice_id`)."""

item_notices = Table(
    "item_notices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(24), nullable=False),
    Column("originator", String(8), nullable=False),
    Column("item", String(64), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("by", String(8), nullable=False),
    Column("sender", String(8)),
    Column("token", Text, nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("originator", "item", "sequence", "by", name="uq_item_notices_sequence"),
)
"""Signed notices about an item (`/v1/notices`): the originator's (remark, declassify,
return-request, destroy-request: `by` is the originator) and a holder's report (destroyed,
returned: `by` is the holder). `item` is the originator's reference; `sequence` orders the
originator's notices per item; `sender` is the node that passed it to this one (null for this
node's own); `applied` says whether it changed this node's copies (an older notice arriving
after a newer one is kept, not applied)."""

notice_holders = Table(
    "notice_holders",
    metadata,
    Column("id", String(48), primary_key=True),
    Column("notice_id", String(36), ForeignKey("item_notices.id"), nullable=False, index=True),
    Column("holder", String(8), nullable=False),
    Column("via", String(8)),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("ack", Text),
    Column("acked_at", UTCDateTime),
)
"""To whom a notice went (`id` is `notice/holder`): a holder this node delivered the item to,
directly, or a holder further down the custody chain that a forwarding holder (`via`) named
in its acknowledgement; the holder's signed acknowledgement once it re-marked its copy."""

derivations = Table(
    "derivations",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("original_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("made_by", Integer, ForeignKey("persons.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
"""A reproduction, extract or translation (`kind` copy, extract, translation) is an item of its
own, derived from `original_id` by a cleared person."""

# -- loss or compromise (Art 17) -----------------------------------------------------------------

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("reporter", String(8), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("state", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("discovered_at", UTCDateTime, nullable=False),
    Column("reported_at", UTCDateTime, nullable=False),
    Column("investigating_at", UTCDateTime),
    Column("note", Text, nullable=False, default=""),
    Column("concluded_at", UTCDateTime),
    Column("result", Text, nullable=False, default=""),
    Column("measures", Text, nullable=False, default=""),
    Column("recorded_at", UTCDateTime, nullable=False),
)
"""Cases of loss or compromise, actual or possible (Art 17), on both sides: `role` is
`reporter` for a case this node reports (it holds the items) and `originator` for one a
partner's node reported to it about its own items. The state moves reported -> investigating
-> concluded; each step's instant is kept."""

incident_items = Table(
    "incident_items",
    metadata,
    Column("case_id", String(36), ForeignKey("incidents.id"), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("reference", String(64), nullable=False),
    Column("originator", String(8), nullable=False),
    Column("originator_reference", String(64), nullable=False),
)
"""The items of a case: this node's item, its originator, and the originator's reference (the
one the originator's node knows it by)."""

incident_notices = Table(
    "incident_notices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("step", String(16), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("party", String(8), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("token", Text, nullable=False),
    Column("queued_at", UTCDateTime),
    Column("ack", Text),
    Column("acked_at", UTCDateTime),
)
"""Each step of a case as a signed notice (`direction` `sent` to the originator `party`, or
`received` from the reporting `party`), with the originator node's signed acknowledgement and
the instant it acknowledged (for a notice sent: the acknowledgement's own instant)."""

visits = Table(
    "visits",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("requester", String(8), nullable=False),
    Column("host", String(8), nullable=False),
    Column("agreement_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("facility", Text, nullable=False),
    Column("first_day", String(10), nullable=False),
    Column("last_day", String(10), nullable=False),
    Column("max_marking", String(64), nullable=False),
    Column("visitors", JSON, nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("request", Text, nullable=False),
    Column("answer", Text),
    Column("answered_at", UTCDateTime),
    Column("answer_note", Text),
    Column("decision_id", Integer, ForeignKey("decisions.id")),
    Column("recorded_at", UTCDateTime, nullable=False),
)
"""Requests for visit (Art 8), made by this node's party or of it as host: the signed request
(its visitors with the clearances the requesting party assures), the days in the host's time
zone, the highest level in the host's scheme, and the host's signed answer. `state` is
`requested` at the requesting node until answered, `pending` at the host until it decides,
then `approved` or `refused` at both."""

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(24), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime),
)
"""The node's officers: each acts in one role (`gsomia.core.roles`); the password is kept only
as its argon2id hash, and the ledger states even that only by its SHA-256."""

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("username", String(64), ForeignKey("users.name"), nullable=False, index=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)
"""API tokens (`Authorization: Bearer`), each kept as the SHA-256 of its secret; `id` is the
token's public prefix, which names it in listings and in the ledger."""

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("username", String(64), ForeignKey("users.name"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
"""Browser sessions after a login at `/login`: the cookie's SHA-256, its user, the session's
CSRF token and its expiry. Not bound to the ledger: a session grants nothing its user's role
does not, and every action taken in one is stated in the ledger with its user."""
