"""The node context: made once per process, and the transactions every use case runs in.

A `Node` holds the engine, the settings, the clock and the caches. The agreement book and the
registry's settings are cached under the registry's generation counter, which grows in the
same transaction as any change to them: every transaction reads the counter first, so no
process decides on agreements another process has since changed. A `Tx` is one transaction:
a use case reads what it decides on and writes the decision and its effects in the same `Tx`,
and writers take turns (`gsomia.store.database.transaction`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, select, update

from gsomia.core.agreements import AgreementBook
from gsomia.core.calendar import check_instant, parse_instant
from gsomia.core.labels import Label, check_topic
from gsomia.errors import Conflict, InvalidRequest, NoParty
from gsomia.store import changes, database, documents, tables

if TYPE_CHECKING:
    from gsomia.crypto.keys import KeyRing, UnlockedKeys
    from gsomia.ledger.checkpoint import VerifierKey
    from gsomia.node.content import ContentStore
    from gsomia.node.settings import Settings
    from gsomia.store.attestation import Bound, TrustedRoot

Clock = Callable[[], datetime]
When = str | datetime
"""An instant as an interface passes it: an aware datetime, or a user's text."""
PARTY = "party"
TIME_ZONE = "time_zone"


ACTOR: ContextVar[str | None] = ContextVar("gsomia_actor", default=None)
"""Who is acting, as the ledger names them (`user:NAME`); set for each officer's request by the
API and the web UI, so that every entry written on their behalf says who acted."""


@contextmanager
def acting_as(actor: str | None) -> Iterator[None]:
    """Attribute every ledger entry written inside to `actor`."""
    token = ACTOR.set(actor)
    try:
        yield
    finally:
        ACTOR.reset(token)


def system_clock() -> datetime:
    return datetime.now(UTC)


def origin(party: str) -> str:
    """The origin of a party's log, which is also the name its checkpoints are signed under."""
    return f"gsomia/{party}"


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    """What the registry records about itself: its party and the zone of its own records."""

    party: str | None
    time_zone: ZoneInfo


@dataclass(slots=True)
class _Cached:
    """What a generation of the registry holds: its settings, and its agreement book, parsed
    only when first asked for (a listing of items needs none)."""

    generation: int
    settings: RegistrySettings
    book: AgreementBook | None = None


class Node:
    """One registry, opened once per process."""

    def __init__(self, settings: Settings, engine: Engine, clock: Clock = system_clock) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.url = database.parse(settings.database)
        self.name = database.shown(self.url)
        self._cached: _Cached | None = None
        self._attested: int | None = None
        self._trusted: tuple[int, TrustedRoot] | None = None
        self._content: ContentStore | None = None
        self._unlocked: UnlockedKeys | None = None

    @property
    def unlocked(self) -> UnlockedKeys:
        """The private keys this process has unlocked, each once for the process's life."""
        if self._unlocked is None:
            from gsomia.crypto.keys import UnlockedKeys

            self._unlocked = UnlockedKeys()
        return self._unlocked

    @classmethod
    def open(cls, settings: Settings, clock: Clock = system_clock) -> Node:
        """Open an existing registry at the schema this gsomia reads; nothing is created."""
        engine = database.connect(settings.database, busy_timeout=settings.busy_timeout)
        try:
            database.check_schema(engine, database.shown(database.parse(settings.database)))
        except BaseException:
            engine.dispose()
            raise
        node = cls(settings, engine, clock)
        node._check_party()
        return node

    @classmethod
    def create(
        cls, settings: Settings, clock: Clock = system_clock, *, existing: bool = False
    ) -> tuple[Node, str | None]:
        """Create (unless `existing`) or migrate the registry; returns the node and the schema
        it had before."""
        engine = database.connect(
            settings.database, create=not existing, busy_timeout=settings.busy_timeout
        )
        try:
            before, _ = database.migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(settings, engine, clock), before

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A transaction that only reads (one snapshot)."""
        with database.transaction(self.engine, write=False) as connection:
            yield Tx(self, connection, write=False)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """A transaction that reads what it decides on and writes what it decided, after every
        writer before it committed."""
        with database.transaction(self.engine, write=True) as connection:
            yield Tx(self, connection, write=True)

    @property
    def content(self) -> ContentStore:
        """The content store of sealed files (its interrupted writes settled on first use)."""
        if self._content is None:
            from gsomia.node.content import ContentStore

            self._content = ContentStore.for_node(self)
        return self._content

    def database_files(self) -> list[Path]:
        """The files of a SQLite registry (database, WAL, shared memory): never an output."""
        path = database.sqlite_path(self.url)
        if path is None:
            return []
        return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]

    def _check_party(self) -> None:
        expected = self.settings.party
        if expected is None:
            return
        with self.read() as tx:
            party = tx.registry.party
        if party is not None and party != expected:
            raise Conflict(
                f"the registry at {self.name} belongs to {party}, but the settings name {expected}",
                subject="party",
            )

    def _cache(self, connection: Connection, generation: int) -> _Cached:
        cached = self._cached
        if cached is None or cached.generation != generation:
            values = documents.settings(connection)
            registry = RegistrySettings(values.get(PARTY), ZoneInfo(values.get(TIME_ZONE) or "UTC"))
            cached = _Cached(generation, registry)
            self._cached = cached
        return cached


def _book(connection: Connection) -> AgreementBook:
    from gsomia.reference import parse_agreement, parse_scheme

    scheme_docs = documents.documents(connection, "schemes")
    agreement_docs = documents.documents(connection, "agreements")
    events = [stored.event for stored in documents.events(connection)]
    schemes = [parse_scheme(doc.document, doc.origin) for doc in scheme_docs]
    by_party = {scheme.party: scheme for scheme in schemes}
    agreements = [parse_agreement(doc.document, doc.origin, by_party) for doc in agreement_docs]
    return AgreementBook(schemes, agreements, events)


class Tx:
    """One transaction of a node: the connection, the instant it records things at, and the
    agreements and settings as this transaction sees them."""

    def __init__(self, node: Node, connection: Connection, *, write: bool) -> None:
        self.node = node
        self.connection = connection
        self.write = write
        self.now = node.now()
        self._generation = _generation(connection)

    # -- what the transaction sees -------------------------------------------------------------

    @property
    def book(self) -> AgreementBook:
        cached = self.node._cache(self.connection, self._generation)
        if cached.book is None:
            cached.book = _book(self.connection)
        return cached.book

    @property
    def registry(self) -> RegistrySettings:
        return self.node._cache(self.connection, self._generation).settings

    @property
    def party(self) -> str | None:
        return self.registry.party

    @property
    def time_zone(self) -> ZoneInfo:
        """The zone the registry shows its own records in and reads bare dates in."""
        return self.registry.time_zone

    def changed(self) -> None:
        """Record that what the caches hold changed: the generation grows with this
        transaction, and this transaction sees the change at once."""
        state = tables.registry_state
        self.connection.execute(
            update(state).where(state.c.id == 1).values(generation=state.c.generation + 1)
        )
        self._generation = _generation(self.connection)

    # -- the ledger's attestation ----------------------------------------------------------

    def attest(self, *rows: tuple[str, object]) -> None:
        """Refuse to rely on rows the ledger does not attest (`RowNotAttested`); the
        agreements, events and settings behind the book are checked with them, once per
        generation."""
        from gsomia.store import attestation

        trusted = self._trusted_root()
        if self.node._attested != self._generation:
            for table in ("schemes", "agreements", "agreement_events", "settings"):
                attestation.check_complete(self.connection, attestation.BOUND[table])
            attestation.check(self.connection, self._book_rows(), trusted)
            self.node._attested = self._generation
        items = [key for table, key in rows if table == "items"]
        if items:
            # What became of an item (destroyed, returned, re-marked) is part of relying on
            # it: its change rows are checked too, and a change row deleted is refused.
            attestation.check_complete(self.connection, attestation.BOUND["item_changes"])
            rows += tuple(
                ("item_changes", key) for key in changes.change_ids(self.connection, items)
            )
        if rows:
            attestation.check(
                self.connection, [(attestation.BOUND[table], key) for table, key in rows], trusted
            )

    def _book_rows(self) -> list[tuple[Bound, object]]:
        from gsomia.store.attestation import BOUND

        rows: list[tuple[Bound, object]] = []
        for kind in ("schemes", "agreements"):
            rows += [(BOUND[kind], doc.key) for doc in documents.documents(self.connection, kind)]
        rows += [(BOUND["agreement_events"], s.id) for s in documents.events(self.connection)]
        rows += [(BOUND["settings"], key) for key in documents.settings(self.connection)]
        return rows

    def _trusted_root(self) -> TrustedRoot | None:
        """The latest checkpoint, its signature verified with this node's own keys."""
        from gsomia.ledger.checkpoint import open_checkpoint
        from gsomia.ledger.errors import NoteError, RowNotAttested
        from gsomia.store import ledger_rows
        from gsomia.store.attestation import TrustedRoot

        latest = ledger_rows.latest_checkpoint(self.connection)
        if latest is None:
            return None
        cached = self.node._trusted
        if cached is not None and cached[0] == latest.size:
            return cached[1]
        party = self.party
        keys = self._verifier_keys(party) if party else []
        try:
            checkpoint = open_checkpoint(latest.note, keys)
        except NoteError as exc:
            raise RowNotAttested(
                f"the latest signed checkpoint (size {latest.size}) does not verify: {exc.message}"
            ) from None
        if (checkpoint.size, checkpoint.root) != (latest.size, latest.root):
            raise RowNotAttested(
                f"the checkpoint stored for size {latest.size} is not the one that was signed"
            )
        trusted = TrustedRoot(checkpoint.size, checkpoint.root)
        self.node._trusted = (latest.size, trusted)
        return trusted

    def _verifier_keys(self, party: str) -> list[VerifierKey]:
        """The node's own log keys, their rows checked against the ledger first."""
        from gsomia.crypto.keys import KeyRing, Purpose
        from gsomia.store import attestation, keystore
        from gsomia.store.attestation import BOUND

        signing = [r for r in keystore.keys(self.connection, party) if r.purpose is Purpose.SIGN]
        attestation.check(self.connection, [(BOUND["party_keys"], r.kid) for r in signing])
        return verifier_keys(KeyRing(party, signing, None), party)

    # -- reading a user's words --------------------------------------------------------------

    def own_party(self) -> str:
        """The registry's own party; `NoParty` when it has none yet."""
        party = self.party
        if party is None:
            raise NoParty("this registry has no party of its own yet", subject="party")
        return party

    def known_party(self, party: str) -> str:
        """A party code as the schemes know it (upper case), or `UnknownParty`."""
        code = party.strip().upper()
        self.book.scheme(code)
        return code

    def label(
        self,
        originator: str,
        marking: str,
        topic: str,
        *,
        releasable_to: Iterable[str] | None = None,
        purpose: str = "",
        caveats: Iterable[str] = (),
    ) -> Label:
        """The label of an originator's item from a user's words: the marking read in the
        originator's scheme, releasability (if given) always including the originator."""
        party = self.known_party(originator)
        level = self.book.scheme(party).read(marking)
        releasable = (
            frozenset(self.known_party(p) for p in releasable_to) | {party}
            if releasable_to is not None
            else None
        )
        return Label(party, level, check_topic(topic), purpose, releasable, tuple(caveats))

    def instant(self, when: When, *parties: str) -> datetime:
        """An instant given as an aware datetime, or in a user's words: a bare date is the
        start of that day in the legal time zone of the agreement binding `parties`, or in
        the registry's zone."""
        if isinstance(when, datetime):
            return check_instant(when)
        zone = self.book.zone_for(*(p.strip().upper() for p in parties)) if parties else None
        return parse_instant(when, zone or self.time_zone)


def _generation(connection: Connection) -> int:
    state = tables.registry_state
    return int(connection.execute(select(state.c.generation).where(state.c.id == 1)).scalar_one())


def verifier_keys(ring: KeyRing, party: str) -> list[VerifierKey]:
    """A party's signing keys, active and retired, as the verifier keys of its log."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from gsomia.crypto.keys import Purpose
    from gsomia.ledger.checkpoint import VerifierKey

    keys = []
    for record in ring.records():
        if record.party == party and record.purpose is Purpose.SIGN:
            public = record.public_key()
            assert isinstance(public, Ed25519PublicKey)
            keys.append(VerifierKey(origin(party), public))
    return keys


def check_zone(name: str) -> str:
    """An IANA time zone name, or `InvalidRequest`."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(
            f"unknown time zone {name!r}; use an IANA name such as Asia/Seoul or UTC"
        ) from None
    return name
