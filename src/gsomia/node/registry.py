"""A node's registry: its database, its settings and the agreements it knows.

Every use case of the node runs against a `Registry`. The registry reads the clock (the core
never does) and turns stored documents and events into the core's `AgreementBook`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine

from gsomia.core.agreements import AgreementBook
from gsomia.core.calendar import parse_instant
from gsomia.core.labels import Label, check_topic
from gsomia.errors import InvalidRequest
from gsomia.reference import parse_agreement, parse_scheme
from gsomia.store import database, documents

PARTY = "party"
TIME_ZONE = "time_zone"


class Registry:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._book: AgreementBook | None = None
        self._settings: dict[str, str] | None = None

    @classmethod
    def open(cls, url: str) -> Registry:
        """Open the database at `url`, creating and migrating it on first use."""
        from gsomia.node.setup import load_reference

        engine = database.connect(url)
        registry = cls(engine)
        if database.current_revision(engine) != database.head_revision():
            database.migrate(engine)
        with registry.transaction() as connection:
            empty = not documents.documents(connection, "schemes")
        if empty:
            load_reference(registry)
        return registry

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    def changed(self) -> None:
        """Forget the cached agreements and settings after their documents, events or values
        changed."""
        self._book = None
        self._settings = None

    def book(self) -> AgreementBook:
        if self._book is None:
            with self.transaction() as connection:
                scheme_docs = documents.documents(connection, "schemes")
                agreement_docs = documents.documents(connection, "agreements")
                stored = documents.events(connection)
            schemes = [parse_scheme(doc.document, doc.origin) for doc in scheme_docs]
            by_party = {scheme.party: scheme for scheme in schemes}
            agreements = [
                parse_agreement(doc.document, doc.origin, by_party) for doc in agreement_docs
            ]
            self._book = AgreementBook(schemes, agreements, (s.event for s in stored))
        return self._book

    @property
    def database_file(self) -> Path | None:
        """The SQLite file holding the registry, if it is one (no output may replace it)."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database)
        return None

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def setting(self, key: str) -> str | None:
        """A setting of the registry, read once (with all the others) until `changed`."""
        if self._settings is None:
            with self.transaction() as connection:
                self._settings = documents.settings(connection)
        return self._settings.get(key)

    @property
    def party(self) -> str | None:
        return self.setting(PARTY)

    def own_party(self, given: str | None) -> str:
        """The party a command acts for: the one given, else the registry's own."""
        party = given or self.party
        if party is None:
            raise InvalidRequest(
                "this registry has no party of its own; run gsomia init --party KOR "
                "(or another party) or name the party with --holder"
            )
        return self.known_party(party)

    def known_party(self, party: str) -> str:
        code = party.strip().upper()
        self.book().scheme(code)
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
        level = self.book().scheme(party).read(marking)
        releasable = (
            frozenset(self.known_party(p) for p in releasable_to) | {party}
            if releasable_to is not None
            else None
        )
        return Label(party, level, check_topic(topic), purpose, releasable, tuple(caveats))

    @property
    def time_zone(self) -> ZoneInfo:
        """The zone the registry shows its own records in and reads bare dates in."""
        return ZoneInfo(self.setting(TIME_ZONE) or "UTC")

    def instant(self, text: str, *parties: str) -> datetime:
        """Read a user's instant; a bare date is the start of that day in the legal time zone
        of the agreement binding `parties`, or in the registry's zone."""
        zone = self.book().zone_for(*parties) if parties else None
        return parse_instant(text, zone or self.time_zone)


def check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(
            f"unknown time zone {name!r}; use an IANA name such as Asia/Seoul or UTC"
        ) from None
    return name
