"""Every error gsomia reports, in one documented tree (docs/errors.md).

    GsomiaError
    ├── BadInput                     exit 2; HTTP 400, 404, 409, 422 (503 when the database is)
    │   ├── InvalidRequest, InvalidInstant, InvalidTopic, InvalidEvent         (core)
    │   ├── UnknownParty, UnknownMarking, UnknownAgreement                      (core)
    │   ├── NotFound, Conflict, NoParty, ReferenceDataError, KeyStoreError
    │   ├── UnsafeOutput, UnreadableInput, UnsafeContainer
    │   └── DatabaseUnavailable, SchemaOutdated, Busy
    └── Refused                      exit 1
        ├── Denied                   HTTP 403: the agreements' rules say no, with reasons
        └── VerificationFailed       HTTP 422: a file, signature, proof or ledger fails
            ├── OpenError            a sealed item refused (and its specific failures;
            │                        an unreadable container is UnsafeContainer, bad input)
            ├── KeySetRejected       a partner's key set that does not verify or is not pinned
            └── ledger errors        (gsomia.ledger.errors)

The core's errors are defined in `gsomia.core.errors` (the core imports nothing else of the
project) and re-exported here beside the errors of the shell. Lower layers' exceptions (the
database driver's, the operating system's) are translated into these where they happen.
"""

from gsomia.core.errors import (
    PROBLEM_TYPE_PREFIX,
    BadInput,
    Denied,
    GsomiaError,
    InvalidEvent,
    InvalidInstant,
    InvalidRequest,
    InvalidTopic,
    Refused,
    UnknownAgreement,
    UnknownMarking,
    UnknownParty,
    VerificationFailed,
)


class ReferenceDataError(BadInput):
    """A YAML file of schemes, agreements or histories is malformed or inconsistent."""

    title = "Invalid reference data"
    status = 422
    slug = "invalid-reference-data"


class NotFound(BadInput):
    """A person, item, consent, decision or entry that the registry does not hold."""

    title = "Not found"
    status = 404
    slug = "not-found"


class Conflict(BadInput):
    """A request that would duplicate or contradict something the registry already holds."""

    title = "Conflict"
    status = 409
    slug = "conflict"


class NoParty(BadInput):
    """The registry has no party of its own yet, and the request needs one."""

    title = "Registry has no party"
    status = 409
    slug = "no-party"


class KeyStoreError(BadInput):
    """The node's keys are missing, locked (wrong passphrase) or cannot serve the request."""

    title = "Key store error"
    status = 409
    slug = "key-store"


class UnsafeOutput(BadInput):
    """An output path gsomia will not write to (a directory, a symlink, a device, the
    registry's own database, the input itself, a folder that does not exist)."""

    title = "Output refused"
    status = 400
    slug = "unsafe-output"


class UnreadableInput(BadInput):
    """An input file that does not exist, cannot be read or is not a regular file."""

    title = "Input refused"
    status = 400
    slug = "unreadable-input"


class DatabaseUnavailable(BadInput):
    """The database cannot be reached, does not exist, or cannot hold a registry."""

    title = "Database unavailable"
    status = 503
    slug = "database-unavailable"


class SchemaOutdated(BadInput):
    """The registry's schema is older (or newer) than this version of gsomia."""

    title = "Registry schema out of date"
    status = 503
    slug = "schema-outdated"


class Busy(BadInput):
    """Another writer held the registry longer than the bounded wait."""

    title = "Registry busy"
    status = 503
    slug = "busy"


class OpenError(VerificationFailed):
    """A sealed item failed a check on opening: nothing was decrypted to the destination."""

    title = "Sealed item refused"
    slug = "sealed-item-refused"


class UnsafeContainer(BadInput):
    """A file that is no readable ZTDF container: malformed or hostile (traversal names,
    bombs, duplicates, oversize, nesting too deep). Unreadable, it is bad input: nothing was
    verified, and nothing was decrypted."""

    title = "Unreadable container"
    status = 422
    slug = "unsafe-container"


class NotARecipient(OpenError):
    """The item is sealed for other parties only."""

    title = "Not a recipient"
    slug = "not-a-recipient"


class KeyUnavailable(OpenError):
    """The key the item was wrapped to is unknown here, or was rotated out and destroyed."""

    title = "Key unavailable"
    slug = "key-unavailable"


class PayloadAltered(OpenError):
    """A segment of the payload does not match its authentication tag."""

    title = "Payload altered"
    slug = "payload-altered"


class SegmentsReordered(OpenError):
    """The payload's segments are not in the order the manifest binds."""

    title = "Segments reordered"
    slug = "segments-reordered"


class PayloadTruncated(OpenError):
    """The payload holds fewer bytes than the manifest describes."""

    title = "Payload truncated"
    slug = "payload-truncated"


class ManifestAltered(OpenError):
    """The manifest or the policy no longer matches what the key and signature bind."""

    title = "Manifest or policy altered"
    slug = "manifest-altered"


class LabelAltered(OpenError):
    """The label (the STANAG 4774 assertion) or its binding no longer verifies, or another
    assertion that looks like a label is not bound by a trusted signature."""

    title = "Label altered"
    slug = "label-altered"


class UnknownSigner(OpenError):
    """A signature by a key that belongs to no known party."""

    title = "Signature by an unknown originator"
    slug = "unknown-signer"


class KeySetRejected(VerificationFailed):
    """A partner's key set that does not verify, or that would replace a pinned set."""

    title = "Key set rejected"
    slug = "key-set-rejected"


__all__ = [
    "PROBLEM_TYPE_PREFIX",
    "BadInput",
    "Busy",
    "Conflict",
    "DatabaseUnavailable",
    "Denied",
    "GsomiaError",
    "InvalidEvent",
    "InvalidInstant",
    "InvalidRequest",
    "InvalidTopic",
    "KeySetRejected",
    "KeyStoreError",
    "KeyUnavailable",
    "LabelAltered",
    "ManifestAltered",
    "NoParty",
    "NotARecipient",
    "NotFound",
    "OpenError",
    "PayloadAltered",
    "PayloadTruncated",
    "ReferenceDataError",
    "Refused",
    "SchemaOutdated",
    "SegmentsReordered",
    "UnknownAgreement",
    "UnknownMarking",
    "UnknownParty",
    "UnknownSigner",
    "UnreadableInput",
    "UnsafeContainer",
    "UnsafeOutput",
    "VerificationFailed",
]
