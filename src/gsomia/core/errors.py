"""The roots of gsomia's error tree, and the errors the pure core raises.

Two families, as every interface reports them:

- `BadInput`: a request that cannot be evaluated (an unknown marking, a malformed instant, an
  event the agreement's history cannot accept). The CLI exits 2; the API answers 400, 404, 409
  or 422. Nothing was changed.
- `Refused`: the answer is no. `Denied` by the agreements' rules (HTTP 403), or
  `VerificationFailed`: a file, signature, proof or ledger that does not verify (HTTP 422).
  The CLI exits 1.

A denial of a release or an access is normally not raised at all: it is a `Decision` with
reasons, recorded like an allowed one. Each class carries its HTTP status and a stable problem
type (RFC 9457 `type`, `urn:gsomia:problem:<slug>`). Messages are one line saying what is
wrong and what is accepted instead; they name no command or option of any interface (the
interfaces add their own hints).
"""

from __future__ import annotations

from typing import ClassVar

PROBLEM_TYPE_PREFIX = "urn:gsomia:problem:"


class GsomiaError(Exception):
    """Base of every error gsomia reports to a user."""

    title: ClassVar[str] = "Invalid request"
    status: ClassVar[int] = 400
    slug: ClassVar[str] = "invalid-request"
    exit_code: ClassVar[int] = 2

    def __init__(self, message: str, *, subject: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.subject = subject
        """What the error is about (`item`, `person`, `keys`, ...), for interfaces' hints."""

    @classmethod
    def problem_type(cls) -> str:
        """The stable RFC 9457 problem type URI of this error."""
        return PROBLEM_TYPE_PREFIX + cls.slug


class BadInput(GsomiaError):
    """A request that cannot be evaluated: nothing was changed (exit 2)."""


class Refused(GsomiaError):
    """The answer is no: denied by the rules, or something failed verification (exit 1)."""

    exit_code: ClassVar[int] = 1


class Denied(Refused):
    """An action the agreements' rules deny; `reasons` says why, citing the articles."""

    title = "Denied"
    status = 403
    slug = "denied"

    def __init__(self, message: str, reasons: tuple[object, ...] = (), **kwargs: str) -> None:
        super().__init__(message, **kwargs)
        self.reasons = reasons


class VerificationFailed(Refused):
    """A file, signature, proof or ledger that does not verify."""

    title = "Verification failed"
    status = 422
    slug = "verification-failed"


class InvalidRequest(BadInput):
    """A request that is malformed or contradicts itself."""

    title = "Invalid request"
    status = 400
    slug = "invalid-request"


class UnknownParty(BadInput):
    """A party code no scheme is known for."""

    title = "Unknown party"
    status = 422
    slug = "unknown-party"


class UnknownMarking(BadInput):
    """A marking the party's scheme does not have."""

    title = "Unknown marking"
    status = 422
    slug = "unknown-marking"


class UnknownAgreement(BadInput):
    """An agreement id the registry does not know."""

    title = "Unknown agreement"
    status = 404
    slug = "unknown-agreement"


class InvalidInstant(BadInput):
    """An instant that is malformed, lacks its offset or lies outside the supported range."""

    title = "Invalid instant"
    status = 400
    slug = "invalid-instant"


class InvalidTopic(BadInput):
    """A topic that is not a slug."""

    title = "Invalid topic"
    status = 400
    slug = "invalid-topic"


class InvalidEvent(BadInput):
    """An event the agreement's history cannot accept (see Art 21 and the lifecycle table)."""

    title = "Invalid lifecycle event"
    status = 409
    slug = "invalid-event"
