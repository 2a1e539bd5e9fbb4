"""The OpenTDF/ZTDF container: a ZIP holding `0.payload` and `0.manifest.json`.

The manifest is a set of pydantic models, used both to build gsomia's manifests and to read
anyone's: field names are the snake_case of the OpenTDF 4.3.0 schema's camelCase names (the
JSON keeps the schema's names). Reading refuses a malformed or hostile archive before
anything is decrypted or written: entries other than the two expected (path traversal names
included), duplicate entries, compressed payloads (the payload is ciphertext: compression can
only be a bomb), a manifest over the size or nesting limits, and entries whose declared sizes
do not fit the archive. The container is read from and written to binary file objects; where
the bytes live on disk is the caller's business.

What is written follows the reference implementations (opentdf/platform's Go SDK and key
access service, and otdf-python) where they differ from the 4.3.0 text, and reading accepts
both (docs/sealing.md, "OpenTDF as the reference implementations read it", cites each
source): the manifest names its `schemaVersion`; a policy binding is the base64 of the
HMAC's lowercase hex string, read in that form or as the raw HMAC; every segment states its
sizes; a manifest without `schemaVersion` may carry its segment hashes and root signature
as base64 of hex strings (the Go SDK's legacy form), read as such.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import json
import os
import uuid
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from gsomia.core.labels import Label
from gsomia.errors import ManifestAltered, UnsafeContainer

MANIFEST = "0.manifest.json"
PAYLOAD = "0.payload"
SPEC_VERSION = "4.3.0"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_MANIFEST_DEPTH = 32
"""A manifest nests about ten levels deep; anything far deeper is an attack on the reader."""
MAX_COMPRESSION_RATIO = 100
GCM_NONCE = 12
GCM_TAG = 16
SEGMENT_OVERHEAD = GCM_NONCE + GCM_TAG


def b64(data: bytes) -> str:
    """The manifest's binary fields are standard base64."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error is one
        raise ManifestAltered(f"the manifest's {what} is not base64") from None


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="allow", frozen=True, populate_by_name=True, alias_generator=to_camel
    )


class Segment(_Model):
    hash: str
    """The segment's GMAC tag, base64 (of its hex string in a legacy manifest)."""
    segment_size: int | None = Field(default=None, ge=0)
    encrypted_segment_size: int | None = Field(default=None, ge=SEGMENT_OVERHEAD)

    @classmethod
    def of(cls, tag: bytes, size: int) -> Segment:
        """A segment's entry, its sizes always stated: the 4.3.0 text makes them optional, but
        otdf-python reads every segment's `segmentSize` and `encryptedSegmentSize`, and the Go
        SDK writes them for every segment."""
        return cls(hash=b64(tag), segment_size=size, encrypted_segment_size=size + SEGMENT_OVERHEAD)


class RootSignature(_Model):
    alg: str
    sig: str


class IntegrityInformation(_Model):
    root_signature: RootSignature
    segment_hash_alg: str
    segment_size_default: int = Field(gt=0)
    encrypted_segment_size_default: int = Field(gt=0)
    segments: list[Segment] = Field(min_length=1)


class PolicyBinding(_Model):
    alg: str
    hash: str


class KeyAccess(_Model):
    type: str
    url: str
    protocol: str
    wrapped_key: str
    policy_binding: PolicyBinding
    kid: str = ""
    ephemeral_public_key: str | None = None


class Method(_Model):
    algorithm: str
    is_streamable: bool
    iv: str = ""


class EncryptionInformation(_Model):
    type: str
    key_access: list[KeyAccess] = Field(min_length=1)
    method: Method
    integrity_information: IntegrityInformation
    policy: str
    """The policy object, base64 JSON (`Policy.encode`)."""


class Payload(_Model):
    type: str
    url: str
    protocol: str
    is_encrypted: bool
    mime_type: str = "application/octet-stream"
    tdf_spec_version: str | None = Field(default=None, alias="tdf_spec_version")


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
    applies_to_state: str = "encrypted"
    statement: Statement
    binding: Binding | None = None

    def document(self) -> dict[str, Any]:
        """The assertion as JSON, as the manifest carries it."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Manifest(_Model):
    payload: Payload
    encryption_information: EncryptionInformation
    assertions: list[Assertion] | None = None
    schema_version: str | None = None
    """The TDF version (`schemaVersion`); the Go SDK reads its absence as a legacy file."""
    tdf_spec_version: str | None = Field(default=None, alias="tdf_spec_version")
    """Where gsomia before `schemaVersion` wrote the version; read, no longer written."""

    def document(self) -> dict[str, Any]:
        """The manifest as JSON: what is written, hashed and signed."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def segment_sizes(self) -> list[tuple[int, int]]:
        """(plaintext size, encrypted size) of each segment, defaults applied."""
        integrity = self.encryption_information.integrity_information
        return [
            (
                s.segment_size if s.segment_size is not None else integrity.segment_size_default,
                s.encrypted_segment_size
                if s.encrypted_segment_size is not None
                else integrity.encrypted_segment_size_default,
            )
            for s in integrity.segments
        ]


@dataclass(frozen=True, slots=True)
class Integrity:
    """A manifest's segment hashes and root signature, decoded from either encoding."""

    tags: list[bytes]
    """Each segment's GMAC tag."""
    aggregate: bytes
    """What the root signature (and an assertion's `assertionSig`) covers: the segment hashes
    in order, as encoded (raw tags, or their hex strings in a legacy manifest)."""
    root_signature: bytes
    """The root signature's HMAC-SHA256."""
    hex_encoded: bool


def integrity(manifest: Manifest) -> Integrity:
    """The segment hashes and root signature, decoded.

    With `schemaVersion` they are base64 of the raw bytes. Without it, the Go SDK writes base64
    of their lowercase hex strings (opentdf/platform sdk/tdf.go, `calculateSignature` with
    `isLegacyTDF`); gsomia before `schemaVersion` wrote raw bytes. The two cannot be confused:
    a tag is 16 bytes, its hex string 32 hex digits.
    """
    info = manifest.encryption_information.integrity_information
    hashes = [b64decode(s.hash, "segment hash") for s in info.segments]
    root = b64decode(info.root_signature.sig, "root signature")
    legacy = manifest.schema_version is None and all(
        len(h) == 2 * GCM_TAG and _is_hex(h) for h in hashes
    )
    if not legacy:
        return Integrity(hashes, b"".join(hashes), root, hex_encoded=False)
    if len(root) != 64 or not _is_hex(root):
        raise ManifestAltered("the legacy manifest's root signature is not a hex HMAC-SHA256")
    return Integrity(
        [bytes.fromhex(h.decode()) for h in hashes],
        b"".join(hashes),
        bytes.fromhex(root.decode()),
        hex_encoded=True,
    )


def _is_hex(data: bytes) -> bool:
    try:
        binascii.unhexlify(data)
    except binascii.Error:
        return False
    return True


def policy_binding_hash(mac: bytes) -> str:
    """The policy binding as the reference implementations write it: base64 of the HMAC's
    lowercase hex string (opentdf/platform sdk/tdf.go; opentdf/spec schema/OpenTDF/manifest.md's
    example), which the key access service hex-decodes (service/kas/access/rewrap.go)."""
    return b64(mac.hex().encode("ascii"))


def policy_binding_matches(text: str, mac: bytes) -> bool:
    """Whether a policy binding holds `mac`, written as base64 of the raw HMAC (the 4.3.0
    text, gsomia before) or of its hex string (the reference implementations)."""
    try:
        stored = base64.b64decode(text, validate=True)
    except ValueError:
        return False
    if len(stored) == 2 * len(mac) and _is_hex(stored):
        stored = bytes.fromhex(stored.decode())
    return hmac.compare_digest(stored, mac)


class DataAttribute(_Model):
    attribute: str


class PolicyBody(_Model):
    data_attributes: list[DataAttribute] | None = None
    """None where a writer has none: otdf-python writes `null`."""
    dissem: list[str] | None = []

    def attributes(self) -> list[str]:
        return [a.attribute for a in self.data_attributes or ()]


class Policy(_Model):
    """The OpenTDF policy object: the attribute values an access decision would rest on."""

    uuid: str
    body: PolicyBody

    @classmethod
    def of(cls, attributes: Sequence[str]) -> Policy:
        return cls(
            uuid=str(uuid.uuid4()),
            body=PolicyBody(data_attributes=[DataAttribute(attribute=a) for a in attributes]),
        )

    def encode(self) -> str:
        """The policy as the manifest carries it: base64 JSON."""
        return b64(self.model_dump_json(by_alias=True).encode())

    @classmethod
    def decode(cls, text: str) -> Policy:
        try:
            return cls.model_validate_json(base64.b64decode(text, validate=True))
        except ValueError:  # binascii's and pydantic's errors are ValueErrors
            raise UnsafeContainer("the policy is not a base64 JSON policy object") from None


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


def sealed_by_gsomia(manifest: Manifest) -> bool:
    """Whether the policy carries gsomia's attribute values: gsomia sealed the item, whatever
    became of its label."""
    try:
        attributes = Policy.decode(manifest.encryption_information.policy).body.attributes()
    except UnsafeContainer:
        return False
    return any(a.startswith(f"{ATTRIBUTE_NAMESPACE}/") for a in attributes)


def parse_manifest(document: dict[str, Any]) -> Manifest:
    """The manifest model of a JSON manifest, refused unless it describes what gsomia opens."""
    try:
        manifest = Manifest.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ManifestAltered(f"the manifest is malformed at {where}: {error['msg']}") from None
    encryption = manifest.encryption_information
    if manifest.payload.url != PAYLOAD or not manifest.payload.is_encrypted:
        raise ManifestAltered("the manifest does not describe an encrypted 0.payload")
    if (
        encryption.method.algorithm != "AES-256-GCM"
        or encryption.integrity_information.segment_hash_alg != "GMAC"
    ):
        raise ManifestAltered("only AES-256-GCM payloads with GMAC segment hashes are accepted")
    for plain, encrypted in manifest.segment_sizes():
        if encrypted != plain + SEGMENT_OVERHEAD:
            raise ManifestAltered("a segment's encrypted size does not match its plaintext size")
    return manifest


@dataclass(frozen=True, slots=True)
class Container:
    """A ZTDF archive that passed every structural check."""

    document: dict[str, Any]
    """The manifest as JSON, exactly as stored: what the label binding hashes."""
    manifest: Manifest
    payload_size: int
    size: int
    """The archive's size in bytes."""
    source: IO[bytes]
    payload_offset: int

    def payload(self) -> IO[bytes]:
        """The source, positioned at the stored payload's first byte.

        The ZIP CRC is not checked: every segment is authenticated by AES-GCM, a stronger check
        than a CRC, and skipping it keeps opening at the speed of the cipher.
        """
        self.source.seek(self.payload_offset)
        return self.source


def read_container(source: IO[bytes]) -> Container:
    """The manifest and where the payload lies, after every structural check.

    `source` is a seekable binary file; it stays open (the caller owns it).
    """
    name = _name(source)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeContainer(f"{name}not a ZTDF archive ({exc})") from None
    with archive:
        size = source.seek(0, os.SEEK_END)
        _check_entries(name, archive, size)
        try:
            with archive.open(MANIFEST) as stream:
                raw = stream.read(MAX_MANIFEST_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as exc:
            raise UnsafeContainer(f"{name}the manifest cannot be read ({exc})") from None
        payload = archive.getinfo(PAYLOAD)
    if len(raw) > MAX_MANIFEST_BYTES:
        raise UnsafeContainer(f"{name}the manifest exceeds {MAX_MANIFEST_BYTES} bytes")
    document = _manifest_json(name, raw)
    return Container(
        document,
        parse_manifest(document),
        payload.file_size,
        size,
        source,
        _payload_offset(name, source, payload),
    )


def _name(source: IO[bytes]) -> str:
    """The file's name as a message prefix, when it has one."""
    name = getattr(source, "name", None)
    return f"{name}: " if isinstance(name, str) else ""


def _manifest_json(name: str, raw: bytes) -> dict[str, Any]:
    too_deep = f"{name}the manifest nests deeper than {MAX_MANIFEST_DEPTH} levels"
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UnsafeContainer(f"{name}the manifest is not JSON") from None
    except RecursionError:
        raise UnsafeContainer(too_deep) from None
    if _deeper_than(document, MAX_MANIFEST_DEPTH):
        raise UnsafeContainer(too_deep)
    if not isinstance(document, dict):
        raise UnsafeContainer(f"{name}the manifest is not a JSON object")
    return document


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON `value` nests deeper than `limit`; iterative, so that depth cannot hurt it."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = list(item.values()) if isinstance(item, dict) else item
        if isinstance(children, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in children)
    return False


def _check_entries(name: str, archive: zipfile.ZipFile, archive_size: int) -> None:
    infos = archive.infolist()
    names = [info.filename for info in infos]
    unexpected = [entry for entry in names if entry not in (MANIFEST, PAYLOAD)]
    if unexpected:
        raise UnsafeContainer(
            f"{name}unexpected entry {unexpected[0]!r}; a ZTDF holds only {PAYLOAD} and {MANIFEST}"
        )
    if len(names) != len(set(names)):
        raise UnsafeContainer(f"{name}duplicate entries in the archive")
    if set(names) != {MANIFEST, PAYLOAD}:
        raise UnsafeContainer(f"{name}the archive lacks {PAYLOAD} or {MANIFEST}")
    for info in infos:
        if info.compress_size > archive_size:
            raise UnsafeContainer(f"{name}{info.filename} claims more bytes than the archive holds")
        if info.filename == PAYLOAD and (
            info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size
        ):
            raise UnsafeContainer(
                f"{name}the payload is compressed; a ZTDF stores ciphertext as is"
            )
        if info.filename == MANIFEST and (
            info.file_size > MAX_MANIFEST_BYTES
            or info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
        ):
            raise UnsafeContainer(f"{name}the manifest is too large ({info.file_size} bytes)")
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for first, second in itertools.pairwise(ordered):
        if first.header_offset + first.compress_size > second.header_offset:
            raise UnsafeContainer(f"{name}archive entries overlap")


def _payload_offset(name: str, source: IO[bytes], info: zipfile.ZipInfo) -> int:
    """Where the payload's bytes start: after its local header, read and checked here."""
    source.seek(info.header_offset)
    header = source.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise UnsafeContainer(f"{name}the payload's local header is damaged")
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    if source.read(name_length) != PAYLOAD.encode():
        raise UnsafeContainer(f"{name}the payload's local header names another entry")
    return info.header_offset + 30 + name_length + extra_length


class ContainerWriter:
    """Writes the payload entry first, then the manifest that describes it."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive

    @contextmanager
    def payload(self) -> Iterator[IO[bytes]]:
        info = zipfile.ZipInfo(PAYLOAD, date_time=(1980, 1, 1, 0, 0, 0))
        with self._archive.open(info, "w", force_zip64=True) as stream:
            yield stream

    def manifest(self, manifest: Manifest) -> None:
        info = zipfile.ZipInfo(MANIFEST, date_time=(1980, 1, 1, 0, 0, 0))
        text = json.dumps(manifest.document(), ensure_ascii=False, indent=1)
        self._archive.writestr(info, text.encode())


@contextmanager
def write_container(destination: IO[bytes]) -> Iterator[ContainerWriter]:
    """An archive written into `destination`, a writable, seekable binary file."""
    with zipfile.ZipFile(
        destination, "w", compression=zipfile.ZIP_STORED, allowZip64=True
    ) as archive:
        yield ContainerWriter(archive)
