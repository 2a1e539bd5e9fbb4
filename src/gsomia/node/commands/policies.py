"""Partners' security policies, imported from their SPIFs as schemes of the registry.

A SPIF is data: `import_spif` stores the file itself (checked readable first) under the
policy's name and OID, and logs the row to the ledger like the built-in schemes. Importing
the same SPIF again changes nothing. A different SPIF under a name already imported is
refused unless `replace` says it is meant (a partner's new policy version); a SPIF whose OID
is already imported under another name is always refused: one OID, one policy.
"""

from __future__ import annotations

from pathlib import Path

from gsomia.errors import Conflict, NotFound, UnreadableXml
from gsomia.formats import spif
from gsomia.node import journal
from gsomia.node.commands.labels import read_xml_file
from gsomia.node.context import Node
from gsomia.node.schemas import PolicyImportedView
from gsomia.store import documents

NAME_LENGTH, OID_LENGTH = 64, 128
"""The lengths of the `policies` table's name and OID columns."""


def import_spif(node: Node, path: Path, *, replace: bool = False) -> PolicyImportedView:
    """Make the policy a SPIF defines a scheme of the registry."""
    data = read_xml_file(path)
    policy = spif.read_spif(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableXml(f"{path}: the registry stores SPIFs in UTF-8; convert it") from None
    if len(policy.name) > NAME_LENGTH or len(policy.oid) > OID_LENGTH:
        raise UnreadableXml(
            f"the SPIF's policy name or OID is too long to store (at most {NAME_LENGTH} and "
            f"{OID_LENGTH} characters)"
        )
    with node.write() as tx:
        stored = {p.name: p for p in documents.policies(tx.connection)}
        same_oid = [p for p in stored.values() if p.oid == policy.oid and p.name != policy.name]
        if same_oid:
            raise Conflict(
                f"policy {policy.oid} is already imported as {same_oid[0].name!r}; "
                f"one OID names one policy (this SPIF calls it {policy.name!r})",
                subject="policy",
            )
        current = stored.get(policy.name)
        if current is not None and current.document == text:
            outcome = "unchanged"
        elif current is not None and not replace:
            raise Conflict(
                f"another SPIF of policy {policy.name!r} is already imported "
                f"(from {current.origin}); replace it only if this one is meant to supersede it",
                subject="spif-replace",
            )
        else:
            outcome = "added" if current is None else "updated"
            documents.save_policy(
                tx.connection, documents.StoredPolicy(policy.name, policy.oid, text, path.name)
            )
            journal.state_row(tx, "reference_document", "policies", policy.name)
            tx.changed()
    return PolicyImportedView(
        name=policy.name,
        oid=policy.oid,
        version=policy.version,
        outcome=outcome,
        classifications=[
            c.name for c in sorted(policy.classifications, key=lambda c: -c.hierarchy)
        ],
    )


def stored_policy(node: Node, ref: str) -> spif.Spif:
    """An imported policy by its name or OID (`NotFound` if none)."""
    with node.read() as tx:
        stored = documents.policies(tx.connection)
    found = next((p for p in stored if ref in (p.name, p.oid)), None)
    if found is None:
        raise NotFound(f"no SPIF file {ref} and no imported policy of that name", subject="policy")
    return spif.read_spif(found.document.encode("utf-8"))


def imported(node: Node) -> list[spif.Spif]:
    """The imported policies, read from their stored SPIFs."""
    with node.read() as tx:
        stored = documents.policies(tx.connection)
    return [spif.read_spif(p.document.encode("utf-8")) for p in stored]
