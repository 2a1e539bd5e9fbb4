"""What goes wrong with the ledger, each failure its own type with a message a person can act on.

Verification fails closed: a proof or a note that does not verify raises one of these, never
returns a bare `False`.
"""

from gsomia.errors import BadInput, Conflict, NotFound, VerificationFailed


class LedgerError(VerificationFailed):
    """Base of the ledger's verification failures (exit 1, HTTP 422)."""

    title = "Ledger error"
    slug = "ledger"


class ProofError(LedgerError):
    """A proof that cannot be produced for the sizes asked, or that does not verify."""

    title = "Invalid proof"
    slug = "invalid-proof"


class IndexOutOfRange(ProofError):
    """A leaf index outside the tree (RFC 9162 §2.1.3.2 step 1)."""


class SizeOutOfRange(ProofError):
    """Tree sizes for which no proof exists (RFC 9162 §2.1.4: 0 < first < second)."""


class WrongProofLength(ProofError):
    """A path with more or fewer hashes than the tree sizes call for."""


class MalformedProof(ProofError):
    """A path element that is not a 32-byte SHA-256 hash."""


class RootMismatch(ProofError):
    """A path that resolves to a root other than the one expected."""


class NoteError(LedgerError):
    """A signed note or checkpoint that cannot be read or trusted."""

    title = "Invalid signed note"
    slug = "invalid-note"


class MalformedNote(NoteError):
    """Text that is not a C2SP signed note."""


class MalformedCheckpoint(NoteError):
    """A note whose text is not a C2SP tlog-checkpoint body."""


class UnknownKey(NoteError):
    """A note signed by no key the verifier knows."""


class BadSignature(NoteError):
    """A signature by a known key that does not verify: the note is rejected whole."""


class WrongOrigin(NoteError):
    """A checkpoint of another log than the one expected."""


class MalformedCosignature(NoteError):
    """A witness's signature line that is not a C2SP cosignature/v1: not a key ID, an 8-byte
    timestamp and a 64-byte Ed25519 signature, or a timestamp beyond 2**63 - 1."""


class NotCosigned(NoteError):
    """A note that carries no cosignature from the witness key asked about."""


class MalformedWitnessRequest(BadInput):
    """An add-checkpoint request that is not an old size line, at most 63 base64 proof lines,
    an empty line and a signed note (C2SP tlog-witness): answered 400."""

    title = "Malformed witness request"
    status = 400
    slug = "malformed-witness-request"


class InvalidEntry(BadInput):
    """An entry that cannot be logged: empty kind, body not a JSON object, naive instant."""

    title = "Invalid ledger entry"
    slug = "invalid-entry"


class EntryNotFound(NotFound):
    """A position the ledger does not hold."""


class LedgerDamaged(LedgerError):
    """Stored hashes the ledger needs are missing; `verify` says what else is wrong."""

    title = "Ledger damaged"
    slug = "ledger-damaged"


class LedgerConflict(Conflict):
    """Positions taken by a concurrent appender, still taken after retrying."""


class RowNotAttested(LedgerError):
    """A registry row that is not exactly what its ledger entry states: refused at use."""

    title = "Registry row not attested by the ledger"
    slug = "row-not-attested"
