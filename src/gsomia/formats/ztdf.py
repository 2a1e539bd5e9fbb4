"""The OpenTDF/ZTDF container: a ZIP holding `0.payload` and `0.manifest.json`.

Reading refuses a malformed or hostile archive before anything is decrypted or written:
entries other than the two expected (path traversal names included), duplicate entries,
compressed payloads (the payload is ciphertext: compression can only be a bomb), a manifest
over the size limit, and entries whose declared sizes do not fit the archive.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gsomia.core.labels import Label
from gsomia.errors import ManifestAltered, UnsafeContainer

MANIFEST = "0.manifest.json"
PAYLOAD = "0.payload"
SPEC_VERSION = "4.3.0"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
GCM_NONCE = 12
GCM_TAG = 16


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class Segment(_Model):
    hash: str
    segment_size: int | None = Field(default=None, alias="segmentSize", ge=0)
    encrypted_segment_size: int | None = Field(
        default=None, alias="encryptedSegmentSize", ge=GCM_NONCE + GCM_TAG
    )


class RootSignature(_Model):
    alg: str
    sig: str


class Integrity(_Model):
    root_signature: RootSignature = Field(alias="rootSignature")
    segment_hash_alg: str = Field(alias="segmentHashAlg")
    segment_size_default: int = Field(alias="segmentSizeDefault", gt=0)
    encrypted_segment_size_default: int = Field(alias="encryptedSegmentSizeDefault", gt=0)
    segments: list[Segment] = Field(min_length=1)


class PolicyBinding(_Model):
    alg: str
    hash: str


class KeyAccess(_Model):
    type: str
    url: str
    protocol: str
    wrapped_key: str = Field(alias="wrappedKey")
    policy_binding: PolicyBinding = Field(alias="policyBinding")
    kid: str = ""
    ephemeral_public_key: str | None = Field(default=None, alias="ephemeralPublicKey")


class Method(_Model):
    algorithm: str
    is_streamable: bool = Field(alias="isStreamable")
    iv: str = ""


class EncryptionInformation(_Model):
    type: str
    key_access: list[KeyAccess] = Field(alias="keyAccess", min_length=1)
    method: Method
    integrity: Integrity = Field(alias="integrityInformation")
    policy: str


class Payload(_Model):
    type: str
    url: str
    protocol: str
    is_encrypted: bool = Field(alias="isEncrypted")
    mime_type: str = Field(default="application/octet-stream", alias="mimeType")


class Binding(_Model):
    method: str
    signature: str


class Statement(_Model):
    format: str
    value: Any
    schema_: str = Field(default="", alias="schema")


class Assertion(_Model):
    id: str
    type: str
    scope: str
    applies_to_state: str = Field(default="encrypted", alias="appliesToState")
    statement: Statement
    binding: Binding | None = None


class Manifest(_Model):
    payload: Payload
    encryption: EncryptionInformation = Field(alias="encryptionInformation")
    assertions: list[Assertion] = []
    tdf_spec_version: str = ""

    def segment_sizes(self) -> list[tuple[int, int]]:
        """(plaintext size, encrypted size) of each segment, defaults applied."""
        integrity = self.encryption.integrity
        return [
            (
                s.segment_size if s.segment_size is not None else integrity.segment_size_default,
                s.encrypted_segment_size
                if s.encrypted_segment_size is not None
                else integrity.encrypted_segment_size_default,
            )
            for s in integrity.segments
        ]


ATTRIBUTE_NAMESPACE = "https://gsomia.invalid"
"""The namespace of gsomia's OpenTDF attribute values (a reserved name: no one serves it)."""


def policy_attributes(label: Label) -> list[str]:
    """The label as OpenTDF attribute value FQNs: classification, originator, REL TO, topic."""

    def value(name: str, text: str) -> str:
        return f"{ATTRIBUTE_NAMESPACE}/attr/{name}/value/{text.lower().replace(' ', '-')}"

    attributes = [
        value("classification", label.level.english),
        value("originator", label.originator),
        value("topic", label.topic),
    ]
    attributes += [value("releasable-to", party) for party in sorted(label.releasable_to or ())]
    return attributes


def parse_manifest(raw: dict[str, Any]) -> Manifest:
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ManifestAltered(f"the manifest is malformed at {where}: {error['msg']}") from None
    encryption = manifest.encryption
    if manifest.payload.url != PAYLOAD or not manifest.payload.is_encrypted:
        raise ManifestAltered("the manifest does not describe an encrypted 0.payload")
    if (
        encryption.method.algorithm != "AES-256-GCM"
        or encryption.integrity.segment_hash_alg != "GMAC"
    ):
        raise ManifestAltered("only AES-256-GCM payloads with GMAC segment hashes are accepted")
    for plain, encrypted in manifest.segment_sizes():
        if encrypted != plain + GCM_NONCE + GCM_TAG:
            raise ManifestAltered("a segment's encrypted size does not match its plaintext size")
    return manifest


@contextmanager
def read_container(path: Path) -> Iterator[tuple[dict[str, Any], zipfile.ZipFile]]:
    """The manifest (as JSON) and the open archive, after every structural check."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise UnsafeContainer(f"{path}: no such file") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeContainer(f"{path}: not a ZTDF archive ({exc})") from None
    with archive:
        _check_entries(path, archive)
        manifest_info = archive.getinfo(MANIFEST)
        with archive.open(manifest_info) as stream:
            raw = stream.read(MAX_MANIFEST_BYTES + 1)
        if len(raw) > MAX_MANIFEST_BYTES:
            raise UnsafeContainer(f"{path}: the manifest exceeds {MAX_MANIFEST_BYTES} bytes")
        try:
            manifest = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise UnsafeContainer(f"{path}: the manifest is not JSON") from None
        if not isinstance(manifest, dict):
            raise UnsafeContainer(f"{path}: the manifest is not a JSON object")
        yield manifest, archive


def _check_entries(path: Path, archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    names = [info.filename for info in infos]
    unexpected = [name for name in names if name not in (MANIFEST, PAYLOAD)]
    if unexpected:
        raise UnsafeContainer(
            f"{path}: unexpected entry {unexpected[0]!r}; a ZTDF holds only {PAYLOAD} and {MANIFEST}"
        )
    if len(names) != len(set(names)):
        raise UnsafeContainer(f"{path}: duplicate entries in the archive")
    if set(names) != {MANIFEST, PAYLOAD}:
        raise UnsafeContainer(f"{path}: the archive lacks {PAYLOAD} or {MANIFEST}")
    archive_size = path.stat().st_size
    for info in infos:
        if info.compress_size > archive_size:
            raise UnsafeContainer(
                f"{path}: {info.filename} claims more bytes than the archive holds"
            )
        if info.filename == PAYLOAD and (
            info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size
        ):
            raise UnsafeContainer(
                f"{path}: the payload is compressed; a ZTDF stores ciphertext as is"
            )
        if info.filename == MANIFEST and (
            info.file_size > MAX_MANIFEST_BYTES
            or info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
        ):
            raise UnsafeContainer(f"{path}: the manifest is too large ({info.file_size} bytes)")
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for first, second in itertools.pairwise(ordered):
        if first.header_offset + first.compress_size > second.header_offset:
            raise UnsafeContainer(f"{path}: archive entries overlap")


@contextmanager
def payload_bytes(path: Path, archive: zipfile.ZipFile) -> Iterator[IO[bytes]]:
    """The stored payload's bytes, read straight from the archive file.

    The ZIP CRC is not checked here: every segment is authenticated by AES-GCM, which is a
    stronger check than a CRC, and skipping it keeps opening at the speed of the cipher.
    """
    info = archive.getinfo(PAYLOAD)
    stream = path.open("rb")
    try:
        stream.seek(info.header_offset)
        header = stream.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise UnsafeContainer(f"{path}: the payload's local header is damaged")
        name_length = int.from_bytes(header[26:28], "little")
        extra_length = int.from_bytes(header[28:30], "little")
        if stream.read(name_length) != PAYLOAD.encode():
            raise UnsafeContainer(f"{path}: the payload's local header names another entry")
        stream.seek(extra_length, os.SEEK_CUR)
        yield stream
    finally:
        stream.close()


class ContainerWriter:
    """Writes the payload entry first, then the manifest that describes it."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive

    @contextmanager
    def payload(self) -> Iterator[IO[bytes]]:
        info = zipfile.ZipInfo(PAYLOAD, date_time=(1980, 1, 1, 0, 0, 0))
        with self._archive.open(info, "w", force_zip64=True) as stream:
            yield stream

    def manifest(self, manifest: dict[str, Any]) -> None:
        info = zipfile.ZipInfo(MANIFEST, date_time=(1980, 1, 1, 0, 0, 0))
        self._archive.writestr(info, json.dumps(manifest, ensure_ascii=False, indent=1).encode())


@contextmanager
def write_container(destination: Path) -> Iterator[ContainerWriter]:
    """An archive written next to `destination` and moved into place only on success; on any
    error the partial file is removed, so nothing half-written is left on disk."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".sealing-", suffix=".tdf", dir=destination.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(
            temporary, "w", compression=zipfile.ZIP_STORED, allowZip64=True
        ) as archive:
            yield ContainerWriter(archive)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
