"""STANAG 4778 bindings: a 4774 label bound to a data object by this node's signature.

`bind` signs with the node's active Ed25519 signing key (so it needs the passphrase);
`verify_binding` checks with the keys the registry holds (its own and its partners',
active or retired), so a partner's binding verifies once its key set is imported. The data
object stays where it is: the binding names it by a path relative to the binding's folder,
and `verify_binding` reads it there (or where `data` says). Nothing is recorded.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import quote, unquote

from gsomia.crypto.signatures import sign_detached, verify_detached
from gsomia.errors import BindingRefused, UnreadableInput
from gsomia.formats import stanag4778
from gsomia.node.commands.keys import keyring
from gsomia.node.commands.labels import read_xml_file
from gsomia.node.context import Node
from gsomia.node.schemas import BindingVerifiedView, BindView
from gsomia.store import files

_CHUNK = 1 << 20


def _sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    with files.open_input(path) as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return digest.digest()


def bind(
    node: Node, source: Path, label_path: Path, destination: Path, passphrase: bytes
) -> BindView:
    """Bind the label in `label_path` to the data object `source`, into `destination`."""
    label = read_xml_file(label_path)
    files.check_output(destination, [*node.database_files(), source, label_path])
    digest = _sha256(source)
    # A relative URI reference (RFC 3986): the path from the binding's folder, percent-encoded.
    uri = quote(Path(os.path.relpath(source.resolve(), destination.resolve().parent)).as_posix())
    with node.read() as tx:
        ring = keyring(tx, passphrase)
    kid, key = ring.signing()
    draft = stanag4778.draft(label, uri, digest, kid)
    signed = draft.finish(sign_detached(draft.signed_info, key))
    files.write_small(destination, signed, forbidden=[*node.database_files(), source, label_path])
    return BindView(
        file=str(source),
        label=str(label_path),
        output=str(destination),
        data_uri=uri,
        data_sha256=digest.hex(),
        signed_by=kid,
    )


def verify_binding(node: Node, path: Path, data: Path | None = None) -> BindingVerifiedView:
    """Verify a binding: its signature by a known party's key, then that neither its label
    nor its data object changed since; `BindingRefused` names the first that fails."""
    binding = stanag4778.read(read_xml_file(path))
    with node.read() as tx:
        ring = keyring(tx, None)
    public = ring.verifying(binding.kid)
    if public is None:
        raise BindingRefused(
            f"the binding is signed with key {binding.kid!r}, which belongs to no known party",
            subject="partner-keys",
        )
    if not verify_detached(binding.signature, binding.signed_info, public):
        raise BindingRefused(f"the binding's signature by {binding.kid} does not verify")
    if not binding.document_intact:
        raise BindingRefused(
            "the label or the data reference was altered after binding (the signed digest of "
            "the binding does not match)"
        )
    target = data if data is not None else _beside(path, binding.data_uri)
    try:
        actual = _sha256(target)
    except UnreadableInput as exc:
        raise UnreadableInput(f"the bound data object cannot be read: {exc.message}") from None
    if actual != binding.data_sha256:
        raise BindingRefused(f"the data object {target} was altered after binding")
    information = binding.label.confidentiality_information
    return BindingVerifiedView(
        binding=str(path),
        data=str(target),
        data_sha256=actual.hex(),
        signed_by=binding.kid,
        signer=ring.party_of(binding.kid) or "",
        policy=information.policy_identifier,
        classification=information.classification,
    )


def _beside(binding: Path, uri: str) -> Path:
    """The data object a binding's relative URI names, from the binding's folder."""
    if "://" in uri or uri.startswith(("/", "file:")):
        raise UnreadableInput(
            f"the binding names its data object by {uri!r}, not a relative path; give it "
            "with --data"
        )
    return binding.parent / unquote(uri)
