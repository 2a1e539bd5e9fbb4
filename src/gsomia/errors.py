"""Every error gsomia reports, in one documented tree (docs/errors.md).

    GsomiaError
    ├── BadInput                     exit 2; HTTP 400, 404, 409, 422 (503 when the database is)
    │   ├── InvalidRequest, InvalidInstant, InvalidTopic, InvalidEvent         (core)
    │   ├── UnknownParty, UnknownMarking, UnknownAgreement                      (core)
    │   ├── NotFound, Conflict, NoParty, ReferenceDataError, KeyStoreError
<<<<<<< HEAD
    │   ├── UnsafeOutput, UnreadableInput, UnsafeContainer, UnreadableXml
=======
    │   ├── UnsafeOutput, UnreadableInput, UnsafeContainer, Unlabelled
>>>>>>> ztdf
    │   └── DatabaseUnavailable, SchemaOutdated, Busy
    └── Refused                      exit 1
        ├── Denied                   HTTP 403: the agreements' rules say no, with reasons
        └── VerificationFailed       HTTP 422: a file, signature, proof or ledger fails
            ├── OpenError            a sealed item refused (and its specific failures;
            │                        an unreadable container is UnsafeContainer, bad input)
            ├── KeySetRejected       a partner's key set that does not verify or is not pinned
            ├── SignatureRejected    a request or response between nodes whose message
            │                        signature (RFC 9421) or Content-Digest does not hold
            ├── ObjectRejected       a signed receipt, consent, note or acknowledgement (JWS)
            │                        that does not verify
            ├── BindingRefused       a STANAG 4778 binding whose label, data or signature
            │                        does not verify
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


class UnreadableXml(BadInput):
    """An XML document (a STANAG 4774 label, a SPIF, a STANAG 4778 binding) that gsomia will
    not read: malformed, of another kind, naming what its policy does not define, or hostile
    (a DTD or entities, oversize, nested too deep). Nothing in it was acted on."""

    title = "Unreadable XML"
    status = 422
    slug = "unreadable-xml"


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


class Unlabelled(BadInput):
    """A ZTDF that carries no gsomia label at all (sealed by other OpenTDF software): gsomia
    cannot tell how to handle it until a recipient binds one (`gsomia adopt`)."""

    title = "Unlabelled item"
    status = 422
    slug = "unlabelled"


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


class NotAuthenticated(Refused):
    """A request to the officers' API or web UI with no valid credential: no token or session,
    an unknown, revoked or expired one, or a wrong password. Over HTTP, 401."""

    title = "Not authenticated"
    status = 401
    slug = "not-authenticated"


class Forbidden(Refused):
    """An officer's request that the officer's role does not allow (`gsomia.core.roles`), or
    a browser form whose CSRF token does not match its session. Over HTTP, 403."""

    title = "Forbidden"
    status = 403
    slug = "forbidden"


class SignatureRejected(VerificationFailed):
    """A request or response between nodes whose message signature (RFC 9421) does not hold:
    nothing it carries was acted on. Over HTTP, 401: the request is not authenticated."""

    title = "Message signature rejected"
    status = 401
    slug = "signature-rejected"


class SignatureMissing(SignatureRejected):
    """A message that carries no gsomia signature."""

    title = "Signature missing"
    slug = "signature-missing"


class SignatureIncomplete(SignatureRejected):
    """A signature that leaves out a component or a parameter the federation requires."""

    title = "Signature incomplete"
    slug = "signature-incomplete"


class SignatureInvalid(SignatureRejected):
    """A signature that cannot be read, or that does not verify: the message was altered
    after signing, or signed with another key than the one it names."""

    title = "Signature invalid"
    slug = "signature-invalid"


class SignatureStale(SignatureRejected):
    """A signature created outside the accepted window: too long ago (a replay or a delayed
    message), or further ahead of the verifier's clock than the allowed skew."""

    title = "Signature stale"
    slug = "signature-stale"


class UnknownMessageSigner(SignatureRejected):
    """A message signed with a key that belongs to no known partner."""

    title = "Message signed by an unknown key"
    slug = "unknown-message-signer"


class DigestMismatch(SignatureRejected):
    """A message whose content does not match its Content-Digest (RFC 9530), or that carries
    none."""

    title = "Content digest mismatch"
    slug = "digest-mismatch"


class BindingRefused(VerificationFailed):
    """A STANAG 4778 binding that does not verify: its label or data altered since binding,
    its signature wrong, or by a key no known party holds."""

    title = "Binding refused"
    slug = "binding-refused"


class ObjectRejected(VerificationFailed):
    """A signed object (a receipt, consent, consent refusal, note or acknowledgement: a JWS)
    that does not verify."""

    title = "Signed object rejected"
    slug = "object-rejected"


class ObjectMalformed(ObjectRejected):
    """Text that is not a JWS compact serialisation with the header gsomia signs."""

    title = "Signed object malformed"
    slug = "object-malformed"


class WrongObjectKind(ObjectRejected):
    """A signed object of another kind than the one expected (its `typ`): a consent presented
    as a receipt, say."""

    title = "Wrong kind of signed object"
    slug = "wrong-object-kind"


class UnknownObjectSigner(ObjectRejected):
    """A signed object by a key that belongs to no known party."""

    title = "Object signed by an unknown key"
    slug = "unknown-object-signer"


class ObjectSignatureInvalid(ObjectRejected):
    """A signed object whose signature does not verify, or that is not signed with Ed25519."""

    title = "Object signature invalid"
    slug = "object-signature-invalid"


class ObjectClaimsInvalid(ObjectRejected):
    """A signed object whose claims do not match the model of its kind."""

    title = "Object claims invalid"
    slug = "object-claims-invalid"


class IssuerMismatch(ObjectRejected):
    """A signed object whose issuer (`iss`) is not the party whose key signed it."""

    title = "Issuer mismatch"
    slug = "issuer-mismatch"


__all__ = [
    "PROBLEM_TYPE_PREFIX",
    "BadInput",
    "Busy",
    "Conflict",
    "DatabaseUnavailable",
    "Denied",
    "DigestMismatch",
    "Forbidden",
    "GsomiaError",
    "InvalidEvent",
    "InvalidInstant",
    "InvalidRequest",
    "InvalidTopic",
    "IssuerMismatch",
    "KeySetRejected",
    "KeyStoreError",
    "KeyUnavailable",
    "LabelAltered",
    "ManifestAltered",
    "NoParty",
    "NotARecipient",
    "NotAuthenticated",
    "NotFound",
    "ObjectClaimsInvalid",
    "ObjectMalformed",
    "ObjectRejected",
    "ObjectSignatureInvalid",
    "OpenError",
    "PayloadAltered",
    "PayloadTruncated",
    "ReferenceDataError",
    "Refused",
    "SchemaOutdated",
    "SegmentsReordered",
    "SignatureIncomplete",
    "SignatureInvalid",
    "SignatureMissing",
    "SignatureRejected",
    "SignatureStale",
    "UnknownAgreement",
    "UnknownMarking",
    "UnknownMessageSigner",
    "UnknownObjectSigner",
    "UnknownParty",
    "UnknownSigner",
    "Unlabelled",
    "UnreadableInput",
    "UnsafeContainer",
    "UnsafeOutput",
    "VerificationFailed",
    "WrongObjectKind",
]
