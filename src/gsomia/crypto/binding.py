"""The label's binding to the content, carried as the OpenTDF assertion binding (`jws`).

The sealing party signs five claims in an EdDSA JWS: the SHA-256 of the label assertion
without its binding (`assertionHash`, hex), `assertionSig` (base64 of the segment hashes
followed by that SHA-256, as the Go SDK's assertion check recomputes it: opentdf/platform
sdk/tdf.go), the SHA-256 of the manifest without its assertions (key access, policy,
segments), the root signature (an HMAC under the payload key over every segment's tag) and
the sealing party. The hashes are over the canonical JSON (RFC 8785 for these documents) of
the manifest as stored, so verifying reads the document itself and needs no private key.

The label statement's value is its JSON as a string (format `json`, as the Go SDK's own
system-metadata assertion): the Go SDK turns an object value into a string of its own
encoding before hashing (`Statement.UnmarshalJSON`, sdk/assertion.go), so only a string value
hashes the same in gsomia and in the Go SDK. A value written as an object (gsomia before) is
still read.

An item has one label. Any other assertion that looks like a label (type `handling`, a STANAG
4774 schema, a value holding `ConfidentialityInformation`, an id that names a label) could be
taken by some reader for the item's label although nothing binds it: an item carrying one is
refused (`LabelAltered`), and `unbound_labels` names them for inspection.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from gsomia.crypto.signatures import canonical_json, sign_jws, verify_jws
from gsomia.errors import InvalidRequest, LabelAltered, ManifestAltered, Unlabelled
from gsomia.formats import stanag4774, ztdf
from gsomia.formats.stanag4774 import LabelStatement

LABEL_ASSERTION = "gsomia-label"
_LABEL_SCHEMA = re.compile(r"4774|confidentiality\s*metadata\s*label", re.IGNORECASE)


class Claims(BaseModel):
    """What the sealing party signs: the JWS payload of the label's binding."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, alias_generator=to_camel)

    assertion_hash: str
    assertion_sig: str | None = None
    """Absent from labels gsomia signed before it wrote `schemaVersion`."""
    manifest_hash: str
    root_signature: str
    sealed_by: str


@dataclass(frozen=True, slots=True)
class BoundLabel:
    statement: LabelStatement
    sealed_by: str
    signer: str
    """The key id of the signing key."""


def bind(
    manifest: ztdf.Manifest,
    statement: LabelStatement,
    sealed_by: str,
    signer: tuple[str, ed25519.Ed25519PrivateKey],
) -> ztdf.Manifest:
    """`manifest` with `statement` as its label assertion, signed by `signer` for `sealed_by`.

    The manifest's other assertions (a foreign writer's, such as the Go SDK's system metadata)
    are kept; a manifest that already carries a gsomia label is refused.
    """
    others = list(manifest.assertions or ())
    if any(a.id == LABEL_ASSERTION for a in others):
        raise InvalidRequest("the item already carries a gsomia label; it is not labelled twice")
    assertion = label_assertion(statement)
    digest = _digest(assertion.document())
    claims = Claims(
        assertion_hash=digest,
        assertion_sig=_assertion_sig(ztdf.integrity(manifest), digest),
        manifest_hash=_digest(manifest.model_copy(update={"assertions": None}).document()),
        root_signature=manifest.encryption_information.integrity_information.root_signature.sig,
        sealed_by=sealed_by,
    )
    kid, key = signer
    signature = sign_jws(claims.model_dump(by_alias=True, exclude_none=True), key, kid)
    signed = assertion.model_copy(
        update={"binding": ztdf.Binding(method="jws", signature=signature)}
    )
    return manifest.model_copy(update={"assertions": [*others, signed]})


def label_assertion(statement: LabelStatement) -> ztdf.Assertion:
    """The unsigned label assertion: a STANAG 4774 handling assertion on the payload."""
    return ztdf.Assertion(
        id=LABEL_ASSERTION,
        type="handling",
        scope="payload",
        applies_to_state="encrypted",
        statement=ztdf.Statement(
            format="json",
            schema=stanag4774.SCHEMA,
            value=canonical_json(statement.document()).decode(),
        ),
    )


def verify_label(
    document: dict[str, Any], verifying: Callable[[str], ed25519.Ed25519PublicKey | None]
) -> BoundLabel:
    """The label, the sealing party and the signer, once the binding verifies and no other
    assertion passes for a label. `document` is the manifest as stored (JSON)."""
    manifest = ztdf.parse_manifest(document)
    labels = [a for a in document.get("assertions") or () if a["id"] == LABEL_ASSERTION]
    if not labels and ztdf.sealed_by_gsomia(manifest):
        raise LabelAltered("the item was sealed by gsomia and its label was removed")
    if not labels and not unbound_labels(document):
        raise Unlabelled(
            "the item carries no gsomia label (sealed by other OpenTDF software?); "
            "a recipient can bind one with `gsomia adopt`"
        )
    if len(labels) != 1 or labels[0].get("binding") is None:
        raise LabelAltered("the item carries no single bound gsomia label assertion")
    assertion = labels[0]
    kid, payload = verify_jws(assertion["binding"]["signature"], verifying)
    try:
        claims = Claims.model_validate(payload)
    except ValidationError:
        raise LabelAltered("the label's binding does not carry the claims gsomia signs") from None
    digest = _digest({k: v for k, v in assertion.items() if k != "binding"})
    if claims.assertion_hash != digest:
        raise LabelAltered("the label was changed after it was signed")
    if claims.assertion_sig is None and manifest.schema_version is not None:
        raise LabelAltered("the label's binding lacks the assertionSig claim")
    if claims.assertion_sig is not None and claims.assertion_sig != _assertion_sig(
        ztdf.integrity(manifest), digest
    ):
        raise ManifestAltered("the segment hashes are not the ones the label was bound to")
    if claims.manifest_hash != _digest({k: v for k, v in document.items() if k != "assertions"}):
        raise ManifestAltered("the manifest was changed after it was signed")
    if (
        claims.root_signature
        != manifest.encryption_information.integrity_information.root_signature.sig
    ):
        raise ManifestAltered("the manifest's root signature is not the one that was signed")
    others = unbound_labels(document)
    if others:
        raise LabelAltered(
            f"assertion {others[0]!r} looks like a label but is not the bound gsomia label"
        )
    return BoundLabel(_statement(assertion["statement"].get("value")), claims.sealed_by, kid)


def _statement(value: Any) -> LabelStatement:
    """The label statement, from its JSON text (or, as gsomia wrote it before, an object)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise LabelAltered("the label assertion's value is not JSON") from None
    return LabelStatement.parse(value)


def _assertion_sig(integrity: ztdf.Integrity, digest: str) -> str:
    """base64(segment hashes ‖ assertion hash), the hash raw, or as its hex string in a legacy
    manifest: what the Go SDK's reader recomputes and compares (opentdf/platform sdk/tdf.go)."""
    hashed = digest.encode("ascii") if integrity.hex_encoded else bytes.fromhex(digest)
    return ztdf.b64(integrity.aggregate + hashed)


def unbound_labels(document: dict[str, Any]) -> list[str]:
    """The ids of the assertions that look like a label but are not gsomia's bound label."""
    assertions = document.get("assertions")
    if not isinstance(assertions, list):
        return []
    return [
        str(a.get("id"))
        for a in assertions
        if isinstance(a, dict) and a.get("id") != LABEL_ASSERTION and _looks_like_label(a)
    ]


def _looks_like_label(assertion: dict[str, Any]) -> bool:
    statement = assertion.get("statement")
    statement = statement if isinstance(statement, dict) else {}
    value = statement.get("value")
    text = canonical_json(value).decode()
    if isinstance(value, str):  # a base64binary statement hides its label from a plain search
        with contextlib.suppress(ValueError):
            text += base64.b64decode(value).decode("utf-8", errors="ignore")
    return (
        str(assertion.get("type", "")).lower() == "handling"
        or "label" in str(assertion.get("id", "")).lower()
        or _LABEL_SCHEMA.search(str(statement.get("schema", ""))) is not None
        or "confidentialityinformation" in text.lower()
    )


def _digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()
