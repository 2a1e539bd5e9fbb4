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


__all__ = [
    "Conflict",
    "DatabaseUnavailable",
    "GsomiaError",
    "InvalidEvent",
    "InvalidInstant",
    "InvalidRequest",
    "InvalidTopic",
    "NotFound",
    "ReferenceDataError",
    "UnknownAgreement",
    "UnknownMarking",
    "UnknownParty",
]
