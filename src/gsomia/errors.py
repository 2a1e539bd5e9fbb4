"""Every typed error gsomia reports as bad input, in one place.

The CLI prints the message on one line and exits 2; the API answers RFC 9457 problem JSON.
The core's errors are defined in `gsomia.core.errors` (the core imports nothing else of the
project) and re-exported here beside the errors of the shell.
"""

from gsomia.core.errors import (
    GsomiaError,
    InvalidEvent,
    InvalidInstant,
    InvalidRequest,
    InvalidTopic,
    UnknownAgreement,
    UnknownMarking,
    UnknownParty,
)


class ReferenceDataError(GsomiaError):
    """A YAML file of schemes, agreements or histories is malformed or inconsistent."""

    title = "Invalid reference data"


class DatabaseUnavailable(GsomiaError):
    title = "Database unavailable"


class NotFound(GsomiaError):
    """A person, item, consent or decision that the registry does not hold."""

    title = "Not found"


class Conflict(GsomiaError):
    """A request that would duplicate something the registry already holds."""

    title = "Conflict"


class KeyStoreError(GsomiaError):
    """The node's keys are missing, locked (wrong passphrase) or cannot serve the request."""

    title = "Key store error"


class OpenError(GsomiaError):
    """A sealed item failed a check on opening: nothing was decrypted to the destination."""

    title = "Sealed item refused"


class UnsafeContainer(OpenError):
    """The container is malformed or hostile (traversal names, bombs, duplicates, oversize)."""

    title = "Unsafe container"


class NotARecipient(OpenError):
    title = "Not a recipient"


class KeyUnavailable(OpenError):
    """The key the item was wrapped to is unknown here, or was rotated out and destroyed."""

    title = "Key unavailable"


class PayloadAltered(OpenError):
    title = "Payload altered"


class SegmentsReordered(OpenError):
    title = "Segments reordered"


class PayloadTruncated(OpenError):
    title = "Payload truncated"


class ManifestAltered(OpenError):
    """The manifest or the policy no longer matches what the key and signature bind."""

    title = "Manifest or policy altered"


class LabelAltered(OpenError):
    """The label (the STANAG 4774 assertion) or its binding no longer verifies."""

    title = "Label altered"


class UnknownSigner(OpenError):
    title = "Signature by an unknown originator"


__all__ = [
    "Conflict",
    "DatabaseUnavailable",
    "GsomiaError",
    "InvalidEvent",
    "InvalidInstant",
    "InvalidRequest",
    "InvalidTopic",
    "KeyStoreError",
    "KeyUnavailable",
    "LabelAltered",
    "ManifestAltered",
    "NotARecipient",
    "NotFound",
    "OpenError",
    "PayloadAltered",
    "PayloadTruncated",
    "ReferenceDataError",
    "SegmentsReordered",
    "UnknownAgreement",
    "UnknownMarking",
    "UnknownParty",
    "UnknownSigner",
    "UnsafeContainer",
]
