"""Errors the pure core raises for input that cannot be evaluated.

A denial is never an error: it is a `Decision` with reasons. These exceptions are for
requests that do not make sense (an unknown marking, a malformed instant, an event that the
agreement's history cannot accept). Each message is one line saying what is wrong and what
is accepted instead.
"""


class GsomiaError(Exception):
    """Base of every error gsomia reports to a user as bad input."""

    title = "Invalid request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownParty(GsomiaError):
    title = "Unknown party"


class UnknownMarking(GsomiaError):
    title = "Unknown marking"


class UnknownAgreement(GsomiaError):
    title = "Unknown agreement"


class InvalidInstant(GsomiaError):
    title = "Invalid instant"


class InvalidTopic(GsomiaError):
    title = "Invalid topic"


class InvalidEvent(GsomiaError):
    """An event the agreement's history cannot accept (see Art 21 and the lifecycle rules)."""

    title = "Invalid lifecycle event"


class InvalidRequest(GsomiaError):
    title = "Invalid request"
