"""Sealing and opening items: the one recipe the rest of gsomia uses, both directions.

`seal` encrypts a stream into a ZTDF container in fixed-size AES-256-GCM segments (constant
memory whatever the size), wraps the payload key once per recipient party, binds the policy
(the label as OpenTDF attributes) to the key with an HMAC and the segments to the key with
the root signature, and carries the label as a STANAG 4774 handling assertion signed by the
sealing party (`binding`). `open_sealed` checks all of it and fails closed with a specific
error. Like pyca's Fernet, the recipe takes the time as a parameter. It reads and writes file
objects and never names a file: where the bytes land on disk is the caller's choice.
"""

from __future__ import annotations

import hmac
import os
import queue
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gsomia.core.labels import Label
from gsomia.crypto import binding
from gsomia.crypto.keys import KeyRing, Purpose, party_url
from gsomia.crypto.wrapping import Wrapped, unwrap, wrap
from gsomia.errors import (
    InvalidRequest,
    KeyUnavailable,
    LabelAltered,
    ManifestAltered,
    NotARecipient,
    PayloadAltered,
    PayloadTruncated,
    SegmentsReordered,
)
from gsomia.formats import ztdf
from gsomia.formats.stanag4774 import LabelStatement
from gsomia.formats.ztdf import SEGMENT_OVERHEAD, b64, b64decode

SEGMENT_SIZE = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Recipient:
    party: str
    kid: str
    purpose: Purpose
    public_key: Any


@dataclass(frozen=True, slots=True)
class Sealed:
    plaintext_size: int
    segments: int


@dataclass(frozen=True, slots=True)
class Opened:
    label: LabelStatement
    sealed_by: str
    signer: str
    plaintext_size: int


def seal(
    source: IO[bytes],
    destination: IO[bytes],
    *,
    label: Label,
    recipients: Sequence[Recipient],
    sealed_by: str,
    signer: tuple[str, ed25519.Ed25519PrivateKey],
    now: datetime,
    segment_size: int = SEGMENT_SIZE,
    mime_type: str = "application/octet-stream",
) -> Sealed:
    """Seal `source` into `destination` (a writable, seekable binary file) for `recipients`,
    labelled `label` as of `now`."""
    if not recipients:
        raise ValueError("a sealed item needs at least one recipient")
    key = AESGCM.generate_key(bit_length=256)
    cipher = AESGCM(key)
    segments: list[ztdf.Segment] = []
    tags: list[bytes] = []
    first_nonce = b""
    total = 0
    plain = bytearray(segment_size)
    with ztdf.write_container(destination) as writer:
        with (
            writer.payload() as payload,
            _BackgroundWriter(payload, segment_size + ztdf.GCM_TAG) as background,
        ):
            while True:
                length = _read_segment(source, plain)
                if not length and segments:
                    break
                nonce = os.urandom(ztdf.GCM_NONCE)
                first_nonce = first_nonce or nonce
                out = background.buffer()
                sealed = memoryview(out)[: length + ztdf.GCM_TAG]
                cipher.encrypt_into(nonce, memoryview(plain)[:length], None, sealed)
                tags.append(bytes(sealed[length:]))
                background.write(out, nonce, sealed)
                segments.append(ztdf.Segment.of(tags[-1], length))
                total += length
                if length < segment_size:
                    break
        policy = ztdf.Policy.of(ztdf.policy_attributes(label)).encode()
        manifest = ztdf.Manifest(
            schema_version=ztdf.SPEC_VERSION,
            payload=ztdf.Payload(
                type="reference",
                url=ztdf.PAYLOAD,
                protocol="zip",
                is_encrypted=True,
                mime_type=mime_type,
            ),
            encryption_information=ztdf.EncryptionInformation(
                type="split",
                key_access=[_key_access(key, policy, recipient) for recipient in recipients],
                method=ztdf.Method(
                    algorithm="AES-256-GCM", is_streamable=True, iv=b64(first_nonce)
                ),
                integrity_information=ztdf.IntegrityInformation(
                    root_signature=ztdf.RootSignature(
                        alg="HS256", sig=b64(_root_signature(key, tags))
                    ),
                    segment_hash_alg="GMAC",
                    segment_size_default=segment_size,
                    encrypted_segment_size_default=segment_size + SEGMENT_OVERHEAD,
                    segments=segments,
                ),
                policy=policy,
            ),
        )
        statement = LabelStatement.from_label(label, now)
        writer.manifest(binding.bind(manifest, statement, sealed_by, signer))
    return Sealed(total, len(segments))


def _read_segment(source: IO[bytes], buffer: bytearray, size: int | None = None) -> int:
    """Fill `buffer` (its first `size` bytes) as far as the stream allows: a short read from a
    pipe is not the end of the stream."""
    view = memoryview(buffer)
    wanted = len(buffer) if size is None else size
    readinto = getattr(source, "readinto", None)
    filled = 0
    while filled < wanted:
        if readinto is not None:
            count = readinto(view[filled:wanted])
        else:
            data = source.read(wanted - filled)
            count = len(data)
            view[filled : filled + count] = data
        if not count:
            break
        filled += count
    return filled


def _key_access(key: bytes, policy: str, recipient: Recipient) -> ztdf.KeyAccess:
    """The payload key wrapped for one recipient, with the policy bound to the key."""
    wrapped = wrap(key, recipient.purpose, recipient.public_key)
    return ztdf.KeyAccess(
        type=recipient.purpose.value,
        url=party_url(recipient.party),
        protocol="kas",
        kid=recipient.kid,
        wrapped_key=b64(wrapped.wrapped_key),
        policy_binding=ztdf.PolicyBinding(
            alg="HS256", hash=ztdf.policy_binding_hash(_policy_binding(key, policy))
        ),
        ephemeral_public_key=wrapped.ephemeral_public_pem,
    )


def _policy_binding(key: bytes, policy: str) -> bytes:
    """HMAC-SHA256 under the payload key over the policy as the manifest carries it."""
    return hmac.digest(key, policy.encode(), "sha256")


def _root_signature(key: bytes, tags: Iterable[bytes]) -> bytes:
    return hmac.digest(key, b"".join(tags), "sha256")


def open_sealed(
    source: IO[bytes],
    destination: IO[bytes] | None,
    keys: KeyRing,
    *,
    private_destination: bool = False,
) -> Opened:
    """Check everything, then decrypt `source` to `destination` (None: verify only).

    Plaintext reaches `destination` only once verified. With `private_destination`, the
    caller vouches that no one can read `destination` before this returns (a file with no
    name yet, linked by the caller only on success): each segment goes there as soon as it
    verifies, in one pass. Otherwise (a pipe, standard output) every segment is verified
    first, and decrypted again, re-verified, for a second pass that writes; a source changed
    between the passes can then only cut the output short, never alter it.
    """
    container = ztdf.read_container(source)
    bound = binding.verify_label(container.document, keys.verifying)
    manifest = container.manifest
    key, sizes = _verified_keys(container, keys)
    if destination is not None and not private_destination:
        _decrypt_segments(container.payload(), None, manifest, key, sizes)
    total = _decrypt_segments(container.payload(), destination, manifest, key, sizes)
    return Opened(bound.statement, bound.sealed_by, bound.signer, total)


def adopt(
    source: IO[bytes],
    destination: IO[bytes],
    keys: KeyRing,
    *,
    label: Label,
    signer: tuple[str, ed25519.Ed25519PrivateKey],
    now: datetime,
) -> Sealed:
    """Bind `label` to a ZTDF sealed for this party by other OpenTDF software (otdf-python, the
    Go SDK), which carries no gsomia label, and write the labelled copy to `destination`.

    The payload and every part of the manifest are kept as they are (other assertions
    included); only the label assertion is added, signed by this party. Nothing is labelled
    that this party cannot open: the key access, the policy binding, the root signature and
    every segment are verified first (the decrypted segments go nowhere).
    """
    if keys.party is None:
        raise NotARecipient("this node has no party: nothing is addressed to it", subject="party")
    container = ztdf.read_container(source)
    manifest = container.manifest
    if binding.LABEL_ASSERTION in {a.id for a in manifest.assertions or ()}:
        raise InvalidRequest("the item already carries a gsomia label; open it instead")
    if ztdf.sealed_by_gsomia(manifest):
        raise LabelAltered("the item was sealed by gsomia and its label was removed")
    others = binding.unbound_labels(container.document)
    if others:
        raise InvalidRequest(
            f"assertion {others[0]!r} looks like a label already; gsomia adds no second one"
        )
    key, sizes = _verified_keys(container, keys)
    _decrypt_segments(container.payload(), None, manifest, key, sizes)
    with ztdf.write_container(destination) as writer:
        payload = container.payload()
        remaining = container.payload_size
        with writer.payload() as out:
            while remaining:
                chunk = payload.read(min(remaining, SEGMENT_SIZE))
                if not chunk:
                    raise PayloadTruncated("the payload ended while it was copied")
                out.write(chunk)
                remaining -= len(chunk)
        statement = LabelStatement.from_label(label, now)
        writer.manifest(binding.bind(manifest, statement, keys.party, signer))
    return Sealed(sum(plain for plain, _ in sizes), len(sizes))


def _verified_keys(container: ztdf.Container, keys: KeyRing) -> tuple[bytes, list[tuple[int, int]]]:
    """The payload key and the segment sizes, once the key access, the policy binding, the
    root signature and the payload's length all check out."""
    manifest = container.manifest
    key = _payload_key(manifest, keys)
    _check_bindings(manifest, key)
    sizes = manifest.segment_sizes()
    expected = sum(encrypted for _, encrypted in sizes)
    if container.payload_size < expected:
        raise PayloadTruncated(
            f"the payload holds {container.payload_size} bytes; the manifest describes {expected}"
        )
    if container.payload_size > expected:
        raise PayloadAltered(
            f"the payload holds {container.payload_size - expected} bytes more than the manifest describes"
        )
    return key, sizes


def _payload_key(manifest: ztdf.Manifest, keys: KeyRing) -> bytes:
    if keys.party is None:
        raise NotARecipient("this node has no party: nothing is addressed to it", subject="party")
    access = manifest.encryption_information.key_access
    ours = [kao for kao in access if kao.url == party_url(keys.party)]
    if not ours:
        parties = sorted({kao.url.rsplit(":", 1)[-1] for kao in access})
        raise NotARecipient(f"the item is sealed for {', '.join(parties)}, not for {keys.party}")
    failure: KeyUnavailable | None = None
    for kao in ours:
        try:
            purpose = Purpose(kao.type)
        except ValueError:
            raise ManifestAltered(f"unknown key access type {kao.type!r}") from None
        try:
            private = keys.private(kao.kid)
            wrapped = Wrapped(b64decode(kao.wrapped_key, "wrappedKey"), kao.ephemeral_public_key)
            return unwrap(wrapped, purpose, private, kao.kid)
        except KeyUnavailable as exc:
            failure = exc
    assert failure is not None
    raise failure


def _check_bindings(manifest: ztdf.Manifest, key: bytes) -> None:
    encryption = manifest.encryption_information
    expected = _policy_binding(key, encryption.policy)
    if not any(
        kao.policy_binding.alg == "HS256"
        and ztdf.policy_binding_matches(kao.policy_binding.hash, expected)
        for kao in encryption.key_access
    ):
        raise ManifestAltered("the policy does not match its binding to the item's key")
    integrity = ztdf.integrity(manifest)
    if encryption.integrity_information.root_signature.alg != "HS256" or not hmac.compare_digest(
        integrity.root_signature, _root_signature(key, [integrity.aggregate])
    ):
        raise ManifestAltered("the segment list does not match the root signature")


def _decrypt_segments(
    payload: IO[bytes],
    out: IO[bytes] | None,
    manifest: ztdf.Manifest,
    key: bytes,
    sizes: list[tuple[int, int]],
) -> int:
    """Verify and decrypt every segment in order; plaintext goes out only once verified."""
    tags = ztdf.integrity(manifest).tags
    largest = max((plain for plain, _ in sizes), default=0)
    if out is None:
        return _decrypt_into(payload, None, AESGCM(key), tags, sizes, largest)
    with _BackgroundWriter(out, largest) as background:
        return _decrypt_into(payload, background, AESGCM(key), tags, sizes, largest)


def _decrypt_into(
    payload: IO[bytes],
    out: _BackgroundWriter | None,
    cipher: AESGCM,
    tags: list[bytes],
    sizes: list[tuple[int, int]],
    largest: int,
) -> int:
    encrypted = bytearray(largest + SEGMENT_OVERHEAD)
    scratch = bytearray(largest) if out is None else None
    total = 0
    for index, (plain_size, encrypted_size) in enumerate(sizes):
        view = memoryview(encrypted)[:encrypted_size]
        if _read_segment(payload, encrypted, encrypted_size) < encrypted_size:
            raise PayloadTruncated(f"segment {index} is cut short")
        tag = bytes(view[-ztdf.GCM_TAG :])
        if not hmac.compare_digest(tag, tags[index]):
            if tag in tags:
                raise SegmentsReordered(f"segment {index} holds segment {tags.index(tag)}'s data")
            raise PayloadAltered(f"segment {index} does not match its integrity hash")
        target = out.buffer() if out is not None else scratch
        assert target is not None
        plaintext = memoryview(target)[:plain_size]
        try:
            cipher.decrypt_into(view[: ztdf.GCM_NONCE], view[ztdf.GCM_NONCE :], None, plaintext)
        except InvalidTag:
            if out is not None:
                out.release(target)
            raise PayloadAltered(f"segment {index} was altered") from None
        if out is not None:
            out.write(target, plaintext)
        total += plain_size
    return total


class _BackgroundWriter:
    """Writes segments on a second thread, so that ZIP checksums and file I/O overlap the
    cipher. Segments live in a fixed pool of buffers, each back in the pool once written:
    memory stays bounded and no segment is allocated anew."""

    def __init__(self, sink: IO[bytes], buffer_size: int, buffers: int = 4) -> None:
        self._sink = sink
        self._buffer_size = buffer_size
        self._unallocated = buffers
        self._free: queue.Queue[bytearray] = queue.Queue()
        self._queue: queue.Queue[tuple[bytearray, tuple[Any, ...]] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _BackgroundWriter:
        self._thread.start()
        return self

    def buffer(self) -> bytearray:
        """A free buffer, waiting for the writer to finish with one if none is free."""
        if self._error is not None:
            raise self._error
        if self._unallocated and self._free.empty():
            self._unallocated -= 1  # allocated on demand: a small item needs one buffer
            return bytearray(self._buffer_size)
        return self._free.get()

    def release(self, buffer: bytearray) -> None:
        self._free.put(buffer)

    def write(self, buffer: bytearray, *chunks: Any) -> None:
        """Write `chunks` (views into `buffer` or small bytes), then free `buffer`."""
        self._queue.put((buffer, chunks))

    def _run(self) -> None:
        while (task := self._queue.get()) is not None:
            buffer, chunks = task
            if self._error is None:
                try:
                    for chunk in chunks:
                        self._sink.write(chunk)
                except BaseException as exc:  # handed to the producing thread
                    self._error = exc
            self._free.put(buffer)

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if kind is None and self._error is not None:
            raise self._error
