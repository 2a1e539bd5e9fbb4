"""What a ledger entry is, and the exact bytes its leaf hash covers.

An entry is a kind (`decision`, `release`, `receipt`, ...), the instant it was recorded and a
JSON object. The leaf is the canonical JSON of all three,

    {"body":{...},"kind":"decision","recorded_at":"2019-11-22T15:00:00.000000Z"}

so neither the kind nor the time of an entry can change without changing its leaf hash.
Canonical JSON here is UTF-8 with sorted keys, no insignificant whitespace and no escaping of
non-ASCII characters, so a partner rebuilds the same bytes from the same entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from gsomia.ledger.errors import InvalidEntry

MAX_KIND = 32
"""The width of `ledger_entries.kind`."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One logged entry at its position, with the hash the tree holds for it."""

    position: int
    kind: str
    body: Mapping[str, Any]
    recorded_at: datetime
    leaf_hash: bytes

    @property
    def leaf_data(self) -> bytes:
        """The bytes whose RFC 9162 leaf hash is `leaf_hash`."""
        return leaf_data(self.kind, instant_text(self.recorded_at), canonical_json(self.body))


def canonical_json(body: Mapping[str, Any]) -> str:
    """The one serialisation of a JSON object that the ledger stores and hashes."""
    if not isinstance(body, Mapping):
        raise InvalidEntry(f"an entry's body is a JSON object, not {type(body).__name__}")
    try:
        return json.dumps(
            body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise InvalidEntry(f"an entry's body cannot be written as JSON: {exc}") from None


def instant_text(instant: datetime) -> str:
    """An aware instant as RFC 3339 UTC with microseconds, the precision both databases keep."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidEntry(f"instant {instant.isoformat()} has no UTC offset")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def require_kind(kind: str) -> str:
    if not isinstance(kind, str) or not 0 < len(kind) <= MAX_KIND or not kind.isprintable():
        raise InvalidEntry(f"entry kind {kind!r} must be 1 to {MAX_KIND} printable characters")
    return kind


def leaf_data(kind: str, recorded_at: str, body_json: str) -> bytes:
    """The canonical JSON of {"body", "kind", "recorded_at"} from a body already canonical.

    Written out rather than re-serialised because the keys are already in sorted order and the
    body is stored canonical: this runs once per entry appended or verified.
    """
    return (
        f'{{"body":{body_json},"kind":{_json_string(kind)},"recorded_at":"{recorded_at}"}}'.encode()
    )


@lru_cache(maxsize=256)
def _json_string(text: str) -> str:
    # A node logs a handful of kinds, so each is serialised once.
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """An entry as stored: its body is the canonical JSON text the leaf hash covers."""

    position: int
    kind: str
    body: str
    leaf_hash: bytes
    recorded_at: datetime
    subject: str | None = None
    """The registry row the entry states (`items/5`), if any."""


@dataclass(frozen=True, slots=True)
class CheckpointRecord:
    """A signed checkpoint as stored: the note is what was signed."""

    size: int
    root: bytes
    note: str
    created_at: datetime
