"""Partners' nodes: where each party's node answers, and its pinned keys.

Adding a peer pins its key set under the same rules as importing one (the first only on the
officer's word, after comparing fingerprints out of band) and records its URL; both are
stated in the ledger. Requests from a party's node are verified against that party's pinned
signing keys only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import delete, select

from gsomia.crypto.keys import Purpose, Status, fingerprint
from gsomia.errors import InvalidRequest, NotFound
from gsomia.node import journal
from gsomia.node.commands import keys
from gsomia.node.context import Node, Tx
from gsomia.node.schemas import PeerView
from gsomia.store import keystore, tables


def _url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequest(f"invalid node URL {text!r}; give http(s)://HOST[:PORT]")
    return text.strip().rstrip("/")


def add_peer(node: Node, party: str, url: str, key_set: str, *, trust: bool = False) -> PeerView:
    """Pin a partner node's keys and record where it answers."""
    address = _url(url)
    imported = keys.import_public(node, key_set, trust=trust)
    with node.write() as tx:
        code = tx.known_party(party)
        if imported.party != code:
            raise InvalidRequest(f"the key set is {imported.party}'s, not {code}'s")
        peers = tables.peers
        tx.connection.execute(delete(peers).where(peers.c.party == code))
        tx.connection.execute(peers.insert().values(party=code, url=address, added_at=tx.now))
        journal.state_row(tx, "peer", "peers", code)
        return _view(tx, code)


def remove_peer(node: Node, party: str) -> PeerView:
    """Forget where a party's node answers (its keys stay pinned: old signatures verify)."""
    with node.write() as tx:
        code = tx.known_party(party)
        view = _view(tx, code)
        tx.connection.execute(delete(tables.peers).where(tables.peers.c.party == code))
        journal.state_gone(tx, "peer", "peers", code)
        return view


def peers(node: Node) -> list[PeerView]:
    with node.read() as tx:
        parties = tx.connection.execute(
            select(tables.peers.c.party).order_by(tables.peers.c.party)
        ).scalars()
        return [_view(tx, party) for party in parties]


def peer_url(tx: Tx, party: str) -> str | None:
    """Where a party's node answers, if it is a peer."""
    peers = tables.peers
    found = tx.connection.execute(select(peers.c.url).where(peers.c.party == party))
    return found.scalar_one_or_none()


def _view(tx: Tx, party: str) -> PeerView:
    peers = tables.peers
    row = tx.connection.execute(select(peers).where(peers.c.party == party)).one_or_none()
    if row is None:
        raise NotFound(f"{party} is not a peer of this node", subject="peer")
    signing = [
        k
        for k in keystore.keys(tx.connection, party)
        if k.purpose is Purpose.SIGN and k.status is Status.ACTIVE
    ]
    return PeerView(
        party=party,
        url=row.url,
        added_at=row.added_at.astimezone(tx.time_zone),
        signing_fingerprints=[fingerprint(k.public_pem) for k in signing],
    )
