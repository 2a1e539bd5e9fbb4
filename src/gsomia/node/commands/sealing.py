"""Sealed files: sealing, opening, inspecting, exporting a release's copy; and the sealing
steps the item use cases compose.

Sealing to another party is a release: it is decided by the agreements first and recorded,
and nothing is sealed when it is denied. Plaintext is written only to a file with no name,
named once every check passed (or, to a stream, only after a first pass verified it all).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from gsomia.core.labels import Label
from gsomia.core.markings import Scheme
from gsomia.core.policy import decide_release
from gsomia.crypto import binding
from gsomia.crypto.keys import KeyRing, Purpose
from gsomia.crypto.sealing import Opened, Recipient, Sealed, adopt, open_sealed, seal
from gsomia.errors import InvalidRequest, KeyStoreError, OpenError, PayloadAltered
from gsomia.formats import ztdf
from gsomia.node import journal
from gsomia.node.commands.keys import keyring
from gsomia.node.context import Node, When
from gsomia.node.schemas import (
    AdoptView,
    ExportView,
    InspectView,
    IntegrityView,
    LabelView,
    OpenView,
    RecipientView,
    SealDecisionView,
    SealView,
    SizesView,
)
from gsomia.store import files
from gsomia.store import registry as register

CHUNK = 4 * 1024 * 1024
Destination = Path | IO[bytes]
"""Where plaintext or a sealed file goes: a path, or an open stream (standard output)."""


def recipients(ring: KeyRing, parties: Sequence[str], wrap: Purpose) -> list[Recipient]:
    """Each party's active wrapping key of the chosen type, or an error naming the gap."""
    found = []
    for party in parties:
        record = ring.active(party, wrap)
        if record is None:
            subject = "keys" if party == ring.party else "partner-keys"
            raise KeyStoreError(f"no active {wrap} key is known for {party}", subject=subject)
        found.append(Recipient(party, record.kid, wrap, record.public_key()))
    return found


def key_rows(ring: KeyRing, parties: Sequence[str], wrap: Purpose) -> list[tuple[str, object]]:
    """The key rows a sealing relies on (the recipients' keys and our signing key), for the
    ledger's attestation."""
    kids: list[object] = [r.kid for r in recipients(ring, parties, wrap)]
    kids.append(ring.signing()[0])
    return [("party_keys", kid) for kid in kids]


def _seal(
    ring: KeyRing,
    source: IO[bytes],
    out: IO[bytes],
    label: Label,
    parties: Sequence[str],
    wrap: Purpose,
    node: Node,
) -> Sealed:
    party = ring.party
    if party is None:
        raise KeyStoreError("this registry has no party of its own yet", subject="party")
    return seal(
        source,
        out,
        label=label,
        recipients=recipients(ring, parties, wrap),
        sealed_by=party,
        signer=ring.signing(),
        now=node.now(),
    )


def seal_file_into(
    ring: KeyRing,
    file: Path,
    out: IO[bytes],
    label: Label,
    parties: Sequence[str],
    wrap: Purpose,
    node: Node,
) -> Sealed:
    """Seal a file (a regular file only) into `out`."""
    with files.open_input(file) as source:
        return _seal(ring, source, out, label, parties, wrap, node)


def reseal(
    ring: KeyRing,
    sealed: Path,
    out: IO[bytes],
    label: Label,
    parties: Sequence[str],
    wrap: Purpose,
    node: Node,
) -> Sealed:
    """Open a sealed copy and seal it again for others, streaming through a pipe: no
    plaintext touches the disk, and the new file has no name until its caller names it."""
    read_end, write_end = os.pipe()
    failure: list[BaseException] = []

    def pump() -> None:
        try:
            with files.open_input(sealed) as source, os.fdopen(write_end, "wb") as sink:
                # The pipe is this process's own: no one else reads a segment it carries.
                open_sealed(source, sink, ring, private_destination=True)
        except BaseException as exc:  # handed to the sealing side below
            failure.append(exc)

    worker = threading.Thread(target=pump, daemon=True)
    worker.start()
    try:
        with os.fdopen(read_end, "rb") as source:
            result = _seal(ring, source, out, label, parties, wrap, node)
    finally:
        worker.join()
    if failure:
        raise failure[0]
    return result


@dataclass(frozen=True, slots=True)
class Checked:
    """A sealed file that passed every check, with the label it carries."""

    label: Label
    sealed_by: str
    opened: Opened


def receive_copy(
    ring: KeyRing, file: Path, copy: IO[bytes], schemes: Mapping[str, Scheme]
) -> Checked:
    """Copy a partner's sealed file into `copy` and check the copy (what is kept is what was
    checked), decrypting nothing to disk."""
    with files.open_input(file) as source:
        while chunk := source.read(CHUNK):
            copy.write(chunk)
    copy.flush()
    copy.seek(0)
    opened = open_sealed(copy, None, ring)
    return Checked(opened.label.to_label(schemes), opened.sealed_by, opened)


def check_destination(destination: Destination, forbidden: Collection[Path]) -> None:
    """Refuse an output path before anything is decided or recorded."""
    if isinstance(destination, Path):
        files.check_output(destination, forbidden)


def open_content(
    ring: KeyRing,
    path: Path,
    sha256: str,
    destination: Destination,
    forbidden: Collection[Path],
) -> Opened:
    """Open a stored sealed file, which must be the one the registry recorded."""
    with files.open_input(path) as source:
        hasher = hashlib.sha256()
        while chunk := source.read(CHUNK):
            hasher.update(chunk)
        if hasher.hexdigest() != sha256:
            raise PayloadAltered(
                f"the stored content {path.name} is not the sealed file the registry recorded"
            )
        source.seek(0)
        return _open_to(ring, source, destination, forbidden)


def _open_to(
    ring: KeyRing, source: IO[bytes], destination: Destination, forbidden: Collection[Path]
) -> Opened:
    if isinstance(destination, Path):
        with files.output(destination, forbidden=forbidden) as out:
            return open_sealed(source, out, ring, private_destination=True)
    return open_sealed(source, destination, ring)


def seal_file(
    node: Node,
    source: Path,
    destination: Destination,
    *,
    to: Sequence[str],
    marking: str,
    topic: str,
    at: When | None = None,
    releasable_to: Sequence[str] | None = None,
    purpose: str = "",
    passphrase: bytes,
    wrap: Purpose = Purpose.WRAPPED,
) -> SealView:
    """Seal a file of this party's for parties; every foreign recipient is a release, decided
    and recorded first. Nothing is sealed unless every release is allowed."""
    forbidden = [*node.database_files(), source]
    check_destination(destination, forbidden)
    files.open_input(source).close()  # an unreadable input is refused before any decision
    with node.write() as tx:
        own = tx.own_party()
        label = tx.label(own, marking, topic, releasable_to=releasable_to, purpose=purpose)
        parties = list(dict.fromkeys(tx.known_party(p) for p in to))
        if not parties:
            raise InvalidRequest("name at least one recipient")
        ring = keyring(tx, passphrase)
        recipients(ring, parties, wrap)
        instant = tx.instant(at, own) if at is not None else tx.now
        decisions = []
        for party in parties:
            if party == own:
                continue
            decision = decide_release(tx.book, label, party, instant)
            if decision.allowed:
                tx.attest(*key_rows(ring, [party], wrap))
            decision_id = journal.decision(
                tx,
                kind="seal",
                at=instant,
                decided=decision,
                request={"file": source.name, "from": own, "to": party},
            )
            decisions.append(
                SealDecisionView(
                    **SealDecisionView.fields(decision), to=party, decision_id=decision_id
                )
            )
    if not all(d.allowed for d in decisions):
        return SealView(sealed=None, plaintext_size=None, segments=None, decisions=decisions)
    if isinstance(destination, Path):
        with files.output(destination, forbidden=forbidden) as out:
            sealed = seal_file_into(ring, source, out, label, parties, wrap, node)
    else:
        # A ZIP needs a seekable file: seal into an unnamed one, then copy it out.
        with files.unnamed(Path(os.environ.get("TMPDIR", "/tmp"))) as scratch:
            sealed = seal_file_into(ring, source, scratch.stream, label, parties, wrap, node)
            scratch.stream.seek(0)
            while chunk := scratch.stream.read(CHUNK):
                destination.write(chunk)
    shown = str(destination) if isinstance(destination, Path) else "-"
    return SealView(
        sealed=shown,
        plaintext_size=sealed.plaintext_size,
        segments=sealed.segments,
        decisions=decisions,
    )


def open_file(node: Node, source: Path, destination: Destination, passphrase: bytes) -> OpenView:
    """Open a sealed file addressed to this node, with every check."""
    forbidden = [*node.database_files(), source]
    check_destination(destination, forbidden)
    with node.read() as tx:
        ring = keyring(tx, passphrase)
        schemes = tx.book.schemes
    with files.open_input(source) as stream:
        opened = _open_to(ring, stream, destination, forbidden)
    label = opened.label.to_label(schemes)
    return OpenView(
        output=str(destination) if isinstance(destination, Path) else "-",
        size=opened.plaintext_size,
        sealed_by=opened.sealed_by,
        signer=opened.signer,
        originator=label.originator,
        marking=label.level.marking,
        topic=label.topic,
    )


def adopt_file(
    node: Node,
    source: Path,
    destination: Destination,
    *,
    originator: str,
    marking: str,
    topic: str,
    releasable_to: Sequence[str] | None = None,
    purpose: str = "",
    passphrase: bytes,
) -> AdoptView:
    """Bind a gsomia label, signed by this party, to a ZTDF sealed for it by other OpenTDF
    software, once this party has verified it can open it; the labelled copy then opens,
    is inspected and received like any sealed item. The marking is read in the originator's
    scheme. Nothing is released: the content stays addressed to the parties it was."""
    forbidden = [*node.database_files(), source]
    check_destination(destination, forbidden)
    with node.read() as tx:
        label = tx.label(originator, marking, topic, releasable_to=releasable_to, purpose=purpose)
        ring = keyring(tx, passphrase)
    with files.open_input(source) as stream:
        if isinstance(destination, Path):
            with files.output(destination, forbidden=forbidden) as out:
                done = adopt(stream, out, ring, label=label, signer=ring.signing(), now=node.now())
        else:
            # A ZIP needs a seekable file: write into an unnamed one, then copy it out.
            with files.unnamed(Path(os.environ.get("TMPDIR", "/tmp"))) as scratch:
                done = adopt(
                    stream, scratch.stream, ring, label=label, signer=ring.signing(), now=node.now()
                )
                scratch.stream.seek(0)
                while chunk := scratch.stream.read(CHUNK):
                    destination.write(chunk)
    return AdoptView(
        output=str(destination) if isinstance(destination, Path) else "-",
        size=done.plaintext_size,
        segments=done.segments,
        labelled_by=ring.party or "",
        originator=label.originator,
        marking=label.level.marking,
        topic=label.topic,
    )


def inspect_file(node: Node, source: Path) -> InspectView:
    """What a sealed file says about itself, checked as far as possible without opening it."""
    with node.read() as tx:
        ring = keyring(tx, None)
        schemes = tx.book.schemes
    with files.open_input(source) as stream:
        container = ztdf.read_container(stream)
    manifest = container.manifest
    sizes = manifest.segment_sizes()
    label_view: LabelView | None = None
    integrity = IntegrityView(
        container="ok",
        payload_size_matches=container.payload_size == sum(e for _, e in sizes),
        label="verified",
        unbound_labels=binding.unbound_labels(container.document),
    )
    try:
        bound = binding.verify_label(container.document, ring.verifying)
        label = bound.statement.to_label(schemes)
        label_view = _label_view(label)
        integrity = integrity.model_copy(
            update={"sealed_by": bound.sealed_by, "signer": bound.signer}
        )
    except OpenError as exc:
        integrity = integrity.model_copy(update={"label": f"{exc.title.lower()}: {exc.message}"})
    encryption = manifest.encryption_information
    return InspectView(
        file=str(source),
        label=label_view,
        recipients=[
            RecipientView(party=kao.url.rsplit(":", 1)[-1], type=kao.type, kid=kao.kid)
            for kao in encryption.key_access
        ],
        sizes=SizesView(
            plaintext=sum(p for p, _ in sizes),
            payload=container.payload_size,
            file=container.size,
            segments=len(sizes),
            segment_size=encryption.integrity_information.segment_size_default,
        ),
        integrity=integrity,
        policy_attributes=_attributes(encryption.policy),
    )


def _attributes(policy: str) -> list[str]:
    return ztdf.Policy.decode(policy).body.attributes()


def _label_view(label: Label) -> LabelView:
    return LabelView(
        originator=label.originator,
        marking=label.level.marking,
        english=label.level.english,
        topic=label.topic,
        purpose=label.purpose,
        releasable_to=sorted(label.releasable_to) if label.releasable_to is not None else None,
        caveats=list(label.caveats),
        holder=label.holder,
        holder_marking=label.holder_level.marking if label.holder_level else None,
    )


def export_release(node: Node, release_id: int, destination: Destination) -> ExportView:
    """Write out the recipient's sealed copy of a release (for hand carriage or a partner's
    node), exactly as the registry keeps it."""
    forbidden = node.database_files()
    check_destination(destination, forbidden)
    with node.read() as tx:
        release = register.release(tx.connection, release_id)
        item = register.item(tx.connection, release.item_id)
    if release.sealed_sha256 is None:
        raise InvalidRequest(f"release {release_id} of {item.reference} carried no sealed content")
    path = node.content.path_of(release.sealed_sha256)
    with files.open_input(path) as source:
        if isinstance(destination, Path):
            with files.output(destination, forbidden=forbidden) as out:
                _copy_checked(source, out, release.sealed_sha256)
        else:
            _copy_checked(source, destination, release.sealed_sha256)
    return ExportView(
        release_id=release_id,
        item=item.reference,
        to=release.to_party,
        output=str(destination) if isinstance(destination, Path) else "-",
        sha256=release.sealed_sha256,
        size=release.sealed_size or 0,
    )


def _copy_checked(source: IO[bytes], out: IO[bytes], sha256: str) -> None:
    hasher = hashlib.sha256()
    while chunk := source.read(CHUNK):
        hasher.update(chunk)
        out.write(chunk)
    if hasher.hexdigest() != sha256:
        raise PayloadAltered("the stored sealed copy is not the one the registry recorded")
