"""Use cases on sealed content: sealing and opening files, sealed item content, inspection.

Sealing to another party is a release: it is decided by the agreements first and recorded,
and nothing is sealed when it is denied.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from gsomia.core.labels import Label
from gsomia.core.policy import Decision, decide_release
from gsomia.crypto.binding import unbound_labels, verify_label
from gsomia.crypto.keys import KeyRing, Purpose
from gsomia.crypto.sealing import Opened, Recipient, Sealed, open_sealed, seal
from gsomia.errors import InvalidRequest, KeyStoreError, OpenError
from gsomia.formats import ztdf
from gsomia.node import journal
from gsomia.node.registry import Registry
from gsomia.store import files


def recipients(ring: KeyRing, parties: Sequence[str], wrap: Purpose) -> list[Recipient]:
    """Each party's active wrapping key of the chosen type, or a clear error naming the gap."""
    found = []
    for party in parties:
        record = ring.active(party, wrap)
        if record is None:
            how = "run gsomia keys init" if party == ring.party else f"import {party}'s public keys"
            raise KeyStoreError(f"no active {wrap} key is known for {party}; {how}")
        found.append(Recipient(party, record.kid, wrap, record.public_key()))
    return found


def seal_stream(
    ring: KeyRing,
    source: IO[bytes],
    destination: IO[bytes],
    label: Label,
    parties: Sequence[str],
    wrap: Purpose,
    now: datetime,
) -> Sealed:
    party = ring.party
    if party is None:
        raise KeyStoreError("this registry has no party; run gsomia init --party P")
    return seal(
        source,
        destination,
        label=label,
        recipients=recipients(ring, parties, wrap),
        sealed_by=party,
        signer=ring.signing(),
        now=now,
    )


def protected(registry: Registry, *inputs: Path) -> list[Path]:
    """The files no output may replace: the registry's database and the command's inputs."""
    return [*inputs, *([registry.database_file] if registry.database_file else [])]


@dataclass(frozen=True, slots=True)
class SealOutcome:
    decisions: list[tuple[str, int, Decision]]
    """(recipient, recorded decision id, decision) for every foreign recipient."""
    sealed: Sealed | None

    @property
    def allowed(self) -> bool:
        return all(decision.allowed for _, _, decision in self.decisions)


def seal_file(
    registry: Registry,
    ring: KeyRing,
    source: Path,
    destination: Path,
    *,
    to: Sequence[str],
    label: Label,
    at: datetime,
    wrap: Purpose = Purpose.WRAPPED,
) -> SealOutcome:
    """Seal a file for parties; every foreign recipient is a release decided and recorded."""
    parties = list(dict.fromkeys(registry.known_party(p) for p in to))
    if not parties:
        raise InvalidRequest("name at least one recipient with --to")
    recipients(ring, parties, wrap)
    forbidden = protected(registry, source)
    files.check_output(destination, forbidden)
    book = registry.book()
    outcomes = []
    with registry.transaction() as connection:
        for party in parties:
            if party == label.originator:
                continue
            decision = decide_release(book, label, party, at)
            decision_id = journal.decision(
                connection,
                kind="seal",
                at=at,
                decided=decision,
                request={"file": source.name, "from": label.originator, "to": party},
                recorded_at=registry.now(),
            )
            outcomes.append((party, decision_id, decision))
    if not all(d.allowed for _, _, d in outcomes):
        return SealOutcome(outcomes, None)
    try:
        with (
            files.open_input(source) as stream,
            files.output(destination, forbidden=forbidden) as out,
        ):
            sealed = seal_stream(ring, stream, out, label, parties, wrap, registry.now())
    except OSError as exc:
        raise InvalidRequest(f"cannot read {source}: {exc.strerror}") from None
    return SealOutcome(outcomes, sealed)


def open_file(
    registry: Registry, ring: KeyRing, source: Path, destination: Path | IO[bytes]
) -> tuple[Opened, Label]:
    """Open a sealed file addressed to this node, with every check; the label it carried.

    A path receives the plaintext under its name only once every check has passed; a stream
    (standard output) receives it only after a first pass has verified all of it.
    """
    with files.open_input(source) as stream:
        if isinstance(destination, Path):
            with files.output(destination, forbidden=protected(registry, source)) as out:
                opened = open_sealed(stream, out, ring, private_destination=True)
        else:
            opened = open_sealed(stream, destination, ring)
    return opened, opened.label.to_label(registry.book().schemes)


def reseal(
    ring: KeyRing,
    sealed: Path,
    destination: IO[bytes],
    label: Label,
    parties: Sequence[str],
    wrap: Purpose,
    now: datetime,
) -> Sealed:
    """Open a sealed copy and seal it again for others, streaming: no plaintext touches disk.

    `destination` must be unnamed: on a failure to open, what it holds is to be discarded.
    """
    read_end, write_end = os.pipe()
    failure: list[BaseException] = []

    def pump() -> None:
        try:
            with os.fdopen(write_end, "wb") as sink, files.open_input(sealed) as source:
                # One pass: the sealing side's output is discarded unless this succeeds.
                open_sealed(source, sink, ring, private_destination=True)
        except BaseException as exc:  # reported to the sealing side below
            failure.append(exc)

    worker = threading.Thread(target=pump, daemon=True)
    worker.start()
    try:
        with os.fdopen(read_end, "rb") as source:
            result = seal_stream(ring, source, destination, label, parties, wrap, now)
    finally:
        worker.join()
    if failure:
        raise failure[0]
    return result


def inspect_file(registry: Registry, ring: KeyRing, source: Path) -> dict[str, Any]:
    """What a sealed file says about itself, checked as far as possible without opening it."""
    with files.open_input(source) as stream:
        container = ztdf.read_container(stream)
    manifest, raw = container.manifest, container.document
    sizes = manifest.segment_sizes()
    integrity: dict[str, Any] = {
        "container": "ok",
        "payload_size_matches": container.payload_size == sum(e for _, e in sizes),
        "label": "verified",
        "unbound_labels": unbound_labels(raw),
    }
    label_view: dict[str, Any] | None = None
    try:
        bound = verify_label(raw, ring.verifying)
        integrity["sealed_by"], integrity["signer"] = bound.sealed_by, bound.signer
        label_view = _label_view(bound.statement.to_label(registry.book().schemes))
    except OpenError as exc:
        integrity["label"] = f"{exc.title.lower()}: {exc.message}"
    encryption = manifest.encryption_information
    return {
        "file": str(source),
        "label": label_view,
        "recipients": [
            {"party": kao.url.rsplit(":", 1)[-1], "type": kao.type, "kid": kao.kid}
            for kao in encryption.key_access
        ],
        "sizes": {
            "plaintext": sum(p for p, _ in sizes),
            "payload": container.payload_size,
            "file": container.size,
            "segments": len(sizes),
            "segment_size": encryption.integrity_information.segment_size_default,
        },
        "integrity": integrity,
        "policy_attributes": [
            a.attribute for a in ztdf.Policy.decode(encryption.policy).body.data_attributes
        ],
    }


def _label_view(label: Label) -> dict[str, Any]:
    return {
        "originator": label.originator,
        "marking": label.level.marking,
        "english": label.level.english,
        "topic": label.topic,
        "purpose": label.purpose,
        "releasable_to": sorted(label.releasable_to) if label.releasable_to is not None else None,
        "caveats": list(label.caveats),
        "holder": label.holder,
        "holder_marking": label.holder_level.marking if label.holder_level else None,
    }
