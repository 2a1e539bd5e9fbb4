"""Use cases on sealed content: sealing and opening files, sealed item content, inspection.

Sealing to another party is a release: it is decided by the agreements first and recorded,
and nothing is sealed when it is denied.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from gsomia.core.labels import Label
from gsomia.core.policy import Decision, decide_release
from gsomia.crypto.keys import KeyRing, Purpose
from gsomia.crypto.sealing import Opened, Recipient, Sealed, open_sealed, seal, verify_label
from gsomia.errors import InvalidRequest, KeyStoreError, OpenError, UnsafeContainer
from gsomia.formats import stanag4774, ztdf
from gsomia.node import journal
from gsomia.node.registry import Registry


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
    destination: Path,
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
        label=stanag4774.statement_value(label, now),
        attributes=ztdf.policy_attributes(label),
        recipients=recipients(ring, parties, wrap),
        sealed_by=party,
        signer=ring.signing(),
    )


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
        with source.open("rb") as stream:
            sealed = seal_stream(ring, stream, destination, label, parties, wrap, registry.now())
    except OSError as exc:
        raise InvalidRequest(f"cannot read {source}: {exc.strerror}") from None
    return SealOutcome(outcomes, sealed)


def open_file(
    registry: Registry, ring: KeyRing, source: Path, destination: Path
) -> tuple[Opened, Label]:
    """Open a sealed file addressed to this node, with every check; the label it carried."""
    opened = open_sealed(source, destination, ring)
    return opened, stanag4774.label_from(opened.label, registry.book().schemes)


def reseal(
    ring: KeyRing,
    sealed: Path,
    destination: Path,
    label: Label,
    parties: Sequence[str],
    wrap: Purpose,
    now: datetime,
) -> Sealed:
    """Open a sealed copy and seal it again for others, streaming: no plaintext touches disk."""
    read_end, write_end = os.pipe()
    failure: list[BaseException] = []

    def pump() -> None:
        try:
            with os.fdopen(write_end, "wb") as sink:
                open_sealed(sealed, sink, ring)
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
        destination.unlink(missing_ok=True)
        raise failure[0]
    return result


def inspect_file(registry: Registry, ring: KeyRing, source: Path) -> dict[str, Any]:
    """What a sealed file says about itself, checked as far as possible without opening it."""
    with ztdf.read_container(source) as (raw, archive):
        manifest = ztdf.parse_manifest(raw)
        payload_size = archive.getinfo(ztdf.PAYLOAD).file_size
    sizes = manifest.segment_sizes()
    integrity: dict[str, Any] = {
        "container": "ok",
        "payload_size_matches": payload_size == sum(e for _, e in sizes),
        "label": "verified",
    }
    label_view: dict[str, Any] | None = None
    try:
        value, sealed_by, signer = verify_label(raw, ring.verifying)
        integrity["sealed_by"], integrity["signer"] = sealed_by, signer
        label = stanag4774.label_from(value, registry.book().schemes)
        label_view = _label_view(label)
    except OpenError as exc:
        integrity["label"] = f"{exc.title.lower()}: {exc.message}"
    return {
        "file": str(source),
        "label": label_view,
        "recipients": [
            {"party": kao.url.rsplit(":", 1)[-1], "type": kao.type, "kid": kao.kid}
            for kao in manifest.encryption.key_access
        ],
        "sizes": {
            "plaintext": sum(p for p, _ in sizes),
            "payload": payload_size,
            "file": source.stat().st_size,
            "segments": len(sizes),
            "segment_size": manifest.encryption.integrity.segment_size_default,
        },
        "integrity": integrity,
        "policy_attributes": _attributes(manifest),
    }


def _attributes(manifest: ztdf.Manifest) -> list[str]:
    try:
        policy = json.loads(base64.b64decode(manifest.encryption.policy))
        return [a["attribute"] for a in policy["body"]["dataAttributes"]]
    except (ValueError, KeyError, TypeError):
        raise UnsafeContainer("the policy is not a base64 JSON policy object") from None


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
