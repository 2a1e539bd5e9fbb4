"""The label's binding to the content, carried as the OpenTDF assertion binding (`jws`).

The sealing party signs four claims in an EdDSA JWS: the SHA-256 of the label assertion
without its binding (the label), the SHA-256 of the manifest without its assertions (key
access, policy, segments), the root signature (an HMAC under the payload key over every
segment's tag) and the sealing party. The hashes are over the canonical JSON of the manifest
as stored, so verifying reads the document itself and needs no private key.

An item has one label. Any other assertion that looks like a label (type `handling`, a STANAG
4774 schema, a value holding `ConfidentialityInformation`, an id that names a label) could be
taken by some reader for the item's label although nothing binds it: an item carrying one is
refused (`LabelAltered`), and `unbound_labels` names them for inspection.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from gsomia.crypto.signatures import canonical_json, sign_jws, verify_jws
from gsomia.errors import LabelAltered, ManifestAltered
from gsomia.formats import stanag4774, ztdf
from gsomia.formats.stanag4774 import LabelStatement

LABEL_ASSERTION = "gsomia-label"
_LABEL_SCHEMA = re.compile(r"4774|confidentiality\s*metadata\s*label", re.IGNORECASE)


class Claims(BaseModel):
    """What the sealing party signs: the JWS payload of the label's binding."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, alias_generator=to_camel)

    assertion_hash: str
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
    """`manifest` with `statement` as its one assertion, signed by `signer` for `sealed_by`."""
    assertion = ztdf.Assertion(
        id=LABEL_ASSERTION,
        type="handling",
        scope="payload",
        applies_to_state="encrypted",
        statement=ztdf.Statement(
            format="json-structured", schema=stanag4774.SCHEMA, value=statement.document()
        ),
    )
    claims = Claims(
        assertion_hash=_digest(assertion.document()),
        manifest_hash=_digest(manifest.model_copy(update={"assertions": None}).document()),
        root_signature=manifest.encryption_information.integrity_information.root_signature.sig,
        sealed_by=sealed_by,
    )
    kid, key = signer
    signature = sign_jws(claims.model_dump(by_alias=True), key, kid)
    signed = assertion.model_copy(
        update={"binding": ztdf.Binding(method="jws", signature=signature)}
    )
    return manifest.model_copy(update={"assertions": [signed]})


def verify_label(
    document: dict[str, Any], verifying: Callable[[str], ed25519.Ed25519PublicKey | None]
) -> BoundLabel:
    """The label, the sealing party and the signer, once the binding verifies and no other
    assertion passes for a label. `document` is the manifest as stored (JSON)."""
    manifest = ztdf.parse_manifest(document)
    labels = [a for a in document.get("assertions") or () if a["id"] == LABEL_ASSERTION]
    if len(labels) != 1 or labels[0].get("binding") is None:
        raise LabelAltered("the item carries no single bound gsomia label assertion")
    assertion = labels[0]
    kid, payload = verify_jws(assertion["binding"]["signature"], verifying)
    try:
        claims = Claims.model_validate(payload)
    except ValidationError:
        raise LabelAltered("the label's binding does not carry the claims gsomia signs") from None
    if claims.assertion_hash != _digest({k: v for k, v in assertion.items() if k != "binding"}):
        raise LabelAltered("the label was changed after it was signed")
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
    return BoundLabel(
        LabelStatement.parse(assertion["statement"].get("value")), claims.sealed_by, kid
    )


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
