"""Sealing and opening items: the two recipes the rest of gsomia uses.

`seal` encrypts a stream into a ZTDF file in fixed-size AES-256-GCM segments (constant
memory whatever the size), wraps the payload key once per recipient party, binds the policy
to the key (HMAC) and the segments to the key (root signature), and carries the label as a
STANAG 4774 handling assertion signed by the sealing party over the label, the manifest and
the root signature. `open_sealed` checks all of it and fails closed with a specific error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import queue
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gsomia.crypto.keys import KeyRing, Purpose, party_url
from gsomia.crypto.signatures import canonical_json, sign_jws, verify_jws
from gsomia.crypto.wrapping import Wrapped, unwrap, wrap
from gsomia.errors import (
    KeyUnavailable,
    LabelAltered,
    ManifestAltered,
    NotARecipient,
    PayloadAltered,
    PayloadTruncated,
    SegmentsReordered,
)
from gsomia.formats import stanag4774, ztdf

SEGMENT_SIZE = 2 * 1024 * 1024
LABEL_ASSERTION = "gsomia-label"
OVERHEAD = ztdf.GCM_NONCE + ztdf.GCM_TAG


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
    manifest: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Opened:
    label: dict[str, Any]
    sealed_by: str
    signer: str
    plaintext_size: int
    manifest: dict[str, Any]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ManifestAltered(f"the manifest's {what} is not base64") from None


def seal(
    source: IO[bytes],
    destination: Path,
    *,
    label: dict[str, Any],
    attributes: Sequence[str],
    recipients: Sequence[Recipient],
    sealed_by: str,
    signer: tuple[str, ed25519.Ed25519PrivateKey],
    segment_size: int = SEGMENT_SIZE,
    mime_type: str = "application/octet-stream",
) -> Sealed:
    """Seal `source` into `destination` for `recipients`; `label` is the 4774 assertion value."""
    if not recipients:
        raise ValueError("a sealed item needs at least one recipient")
    key = AESGCM.generate_key(bit_length=256)
    cipher = AESGCM(key)
    segments: list[dict[str, Any]] = []
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
                segments.append(_segment(tags[-1], length, segment_size))
                total += length
                if length < segment_size:
                    break
        policy = b64(canonical_json(_policy(attributes)))
        manifest = _manifest(key, segments, tags, policy, recipients, segment_size, mime_type)
        manifest["encryptionInformation"]["method"]["iv"] = b64(first_nonce)
        manifest["assertions"] = [_label_assertion(manifest, label, sealed_by, signer)]
        writer.manifest(manifest)
    return Sealed(total, len(segments), manifest)


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


def _segment(tag: bytes, length: int, segment_size: int) -> dict[str, Any]:
    segment: dict[str, Any] = {"hash": b64(tag)}
    if length != segment_size:
        segment["segmentSize"] = length
        segment["encryptedSegmentSize"] = length + OVERHEAD
    return segment


def _policy(attributes: Sequence[str]) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "body": {"dataAttributes": [{"attribute": a} for a in attributes], "dissem": []},
    }


def _manifest(
    key: bytes,
    segments: list[dict[str, Any]],
    tags: list[bytes],
    policy: str,
    recipients: Sequence[Recipient],
    segment_size: int,
    mime_type: str,
) -> dict[str, Any]:
    binding = b64(hmac.digest(key, policy.encode("ascii"), "sha256"))
    access = []
    for recipient in recipients:
        wrapped = wrap(key, recipient.purpose, recipient.public_key)
        entry: dict[str, Any] = {
            "type": recipient.purpose.value,
            "url": party_url(recipient.party),
            "protocol": "kas",
            "kid": recipient.kid,
            "wrappedKey": b64(wrapped.wrapped_key),
            "policyBinding": {"alg": "HS256", "hash": binding},
        }
        if wrapped.ephemeral_public_pem is not None:
            entry["ephemeralPublicKey"] = wrapped.ephemeral_public_pem
        access.append(entry)
    return {
        "tdf_spec_version": ztdf.SPEC_VERSION,
        "payload": {
            "type": "reference",
            "url": ztdf.PAYLOAD,
            "protocol": "zip",
            "isEncrypted": True,
            "mimeType": mime_type,
            "tdf_spec_version": ztdf.SPEC_VERSION,
        },
        "encryptionInformation": {
            "type": "split",
            "keyAccess": access,
            "method": {"algorithm": "AES-256-GCM", "isStreamable": True, "iv": ""},
            "integrityInformation": {
                "rootSignature": {"alg": "HS256", "sig": b64(_root_signature(key, tags))},
                "segmentHashAlg": "GMAC",
                "segmentSizeDefault": segment_size,
                "encryptedSegmentSizeDefault": segment_size + OVERHEAD,
                "segments": segments,
            },
            "policy": policy,
        },
    }


def _root_signature(key: bytes, tags: Iterable[bytes]) -> bytes:
    return hmac.digest(key, b"".join(tags), "sha256")


def _without_assertions(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k != "assertions"}


def _label_assertion(
    manifest: dict[str, Any],
    label: dict[str, Any],
    sealed_by: str,
    signer: tuple[str, ed25519.Ed25519PrivateKey],
) -> dict[str, Any]:
    assertion: dict[str, Any] = {
        "id": LABEL_ASSERTION,
        "type": "handling",
        "scope": "payload",
        "appliesToState": "encrypted",
        "statement": {"format": "json-structured", "schema": stanag4774.SCHEMA, "value": label},
    }
    claims = {
        "assertionHash": hashlib.sha256(canonical_json(assertion)).hexdigest(),
        "manifestHash": hashlib.sha256(canonical_json(_without_assertions(manifest))).hexdigest(),
        "rootSignature": manifest["encryptionInformation"]["integrityInformation"]["rootSignature"][
            "sig"
        ],
        "sealedBy": sealed_by,
    }
    kid, key = signer
    assertion["binding"] = {"method": "jws", "signature": sign_jws(claims, key, kid)}
    return assertion


def verify_label(
    raw: dict[str, Any], verifying: Callable[[str], ed25519.Ed25519PublicKey | None]
) -> tuple[dict[str, Any], str, str]:
    """The label value, the sealing party and the signer's key id, once the binding verifies.

    Needs no private key: `inspect` runs it too.
    """
    manifest = ztdf.parse_manifest(raw)
    assertions = [
        a
        for a in raw.get("assertions", [])
        if isinstance(a, dict) and a.get("id") == LABEL_ASSERTION
    ]
    if len(assertions) != 1 or not isinstance(assertions[0].get("binding"), dict):
        raise LabelAltered("the item carries no single bound gsomia label assertion")
    assertion = assertions[0]
    kid, claims = verify_jws(str(assertion["binding"].get("signature", "")), verifying)
    unbound = {k: v for k, v in assertion.items() if k != "binding"}
    if claims.get("assertionHash") != hashlib.sha256(canonical_json(unbound)).hexdigest():
        raise LabelAltered("the label was changed after it was signed")
    if (
        claims.get("manifestHash")
        != hashlib.sha256(canonical_json(_without_assertions(raw))).hexdigest()
    ):
        raise ManifestAltered("the manifest was changed after it was signed")
    if claims.get("rootSignature") != manifest.encryption.integrity.root_signature.sig:
        raise ManifestAltered("the manifest's root signature is not the one that was signed")
    value = assertion["statement"]["value"]
    if not isinstance(value, dict):
        raise LabelAltered("the label assertion holds no label")
    return value, str(claims.get("sealedBy", "")), kid


def open_sealed(path: Path, destination: Path | IO[bytes] | None, keys: KeyRing) -> Opened:
    """Check everything, then decrypt `path` to `destination` (None: verify only).

    A path receives the plaintext through a temporary file beside it, moved into place only
    once every segment has verified; on any failure nothing is left behind. A stream receives
    segments as they verify (its owner decides what a failure means for what it holds).
    """
    with ztdf.read_container(path) as (raw, archive):
        label, sealed_by, signer = verify_label(raw, keys.verifying)
        manifest = ztdf.parse_manifest(raw)
        key = _payload_key(manifest, keys)
        _check_bindings(manifest, key)
        sizes = manifest.segment_sizes()
        payload_size = archive.getinfo(ztdf.PAYLOAD).file_size
        expected = sum(encrypted for _, encrypted in sizes)
        if payload_size < expected:
            raise PayloadTruncated(
                f"the payload holds {payload_size} bytes; the manifest describes {expected}"
            )
        if payload_size > expected:
            raise PayloadAltered(
                f"the payload holds {payload_size - expected} bytes more than the manifest describes"
            )
        with ztdf.payload_bytes(path, archive) as payload, _staged(destination) as out:
            total = _decrypt_segments(payload, out, manifest, key, sizes)
    return Opened(label, sealed_by, signer, total, raw)


def _payload_key(manifest: ztdf.Manifest, keys: KeyRing) -> bytes:
    if keys.party is None:
        raise NotARecipient("this registry has no party; run gsomia init --party P")
    ours = [kao for kao in manifest.encryption.key_access if kao.url == party_url(keys.party)]
    if not ours:
        parties = sorted({kao.url.rsplit(":", 1)[-1] for kao in manifest.encryption.key_access})
        raise NotARecipient(f"the item is sealed for {', '.join(parties)}, not for {keys.party}")
    failure: KeyUnavailable | None = None
    for kao in ours:
        try:
            purpose = Purpose(kao.type)
        except ValueError:
            raise ManifestAltered(f"unknown key access type {kao.type!r}") from None
        try:
            private = keys.private(kao.kid)
            wrapped = Wrapped(_b64decode(kao.wrapped_key, "wrappedKey"), kao.ephemeral_public_key)
            return unwrap(wrapped, purpose, private, kao.kid)
        except KeyUnavailable as exc:
            failure = exc
    assert failure is not None
    raise failure


def _check_bindings(manifest: ztdf.Manifest, key: bytes) -> None:
    encryption = manifest.encryption
    expected = b64(hmac.digest(key, encryption.policy.encode("ascii"), "sha256"))
    for kao in encryption.key_access:
        if kao.policy_binding.alg == "HS256" and hmac.compare_digest(
            kao.policy_binding.hash, expected
        ):
            break
    else:
        raise ManifestAltered("the policy does not match its binding to the item's key")
    tags = [_b64decode(s.hash, "segment hash") for s in encryption.integrity.segments]
    root = _b64decode(encryption.integrity.root_signature.sig, "root signature")
    if not hmac.compare_digest(root, _root_signature(key, tags)):
        raise ManifestAltered("the segment list does not match the root signature")


def _decrypt_segments(
    payload: IO[bytes],
    out: IO[bytes] | None,
    manifest: ztdf.Manifest,
    key: bytes,
    sizes: list[tuple[int, int]],
) -> int:
    """Verify and decrypt every segment in order; plaintext goes out only once verified."""
    tags = [_b64decode(s.hash, "segment hash") for s in manifest.encryption.integrity.segments]
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
    encrypted = bytearray(largest + OVERHEAD)
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


@contextmanager
def _staged(destination: Path | IO[bytes] | None) -> Iterator[IO[bytes] | None]:
    """A temporary file beside the destination, renamed into place only on success."""
    if destination is None or not isinstance(destination, Path):
        yield destination
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=".opening-", dir=destination.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


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
