"""Exports of the registry for the tools of the field: its items as a STIX 2.1 bundle.

An export for a partner holds only the items the agreements let go to that partner at the
export's instant, each decided as its hand-over would be (Rule 2 for the party's own items;
Rule 5, Art 6, for those it received) and recorded as an `export` decision, allowed or
denied (Rule 14), and it gives no more than a delivery would: the item's metadata, marked
with the partner's equivalent level (Art 4), never its content. Without a partner, the
export is for the registry's own party: every item it holds and still uses, marked as it
holds it, and nothing is decided.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import IO

from gsomia.core.markings import Level
from gsomia.core.policy import Decision
from gsomia.errors import InvalidRequest
from gsomia.formats import stix
from gsomia.node import journal
from gsomia.node.commands import items
from gsomia.node.commands.keys import keyring
from gsomia.node.context import Node, Tx, When
from gsomia.node.schemas import ExportedItemView, StixExportView
from gsomia.store import changes, files
from gsomia.store import registry as register
from gsomia.store.registry import ItemRecord


def export_stix(
    node: Node,
    destination: Path | IO[bytes],
    *,
    recipient: str | None = None,
    since: When | None = None,
    at: When | None = None,
) -> StixExportView:
    """Write the STIX bundle of what `recipient` (default: the registry's own party) may see
    at `at` (default: now), of the items registered or changed since `since`; the bundle is
    checked with stix2 before it is named at `destination`."""
    if isinstance(destination, Path):
        with files.output(destination, forbidden=node.database_files()) as out:
            view, text = _export(node, recipient, since, at, str(destination))
            out.write(text.encode())
        return view
    view, text = _export(node, recipient, since, at, "-")
    destination.write(text.encode())
    destination.flush()
    return view


def _export(
    node: Node, recipient: str | None, since: When | None, at: When | None, output: str
) -> tuple[StixExportView, str]:
    with node.write() as tx:
        own = tx.own_party()
        to = tx.known_party(recipient) if recipient is not None else own
        instant = tx.instant(at, own, to) if at is not None else tx.now
        start = tx.instant(since, own, to) if since is not None else None
        tlp = stix.tlp_levels(_tlp_setting(node.settings.stix_tlp))
        summaries: list[stix.ItemSummary] = []
        exported: list[ExportedItemView] = []
        withheld: list[ExportedItemView] = []
        for item in register.items(tx.connection, holder=own):
            modified = _modified(tx, item, instant)
            if modified is None or (start is not None and modified < start):
                continue
            if to == own:
                if items.out_of_use(tx, item, "exported") is None:
                    level = _held_level(tx, item)
                    summaries.append(_summary(item, item.holder, level, modified, tlp))
                    exported.append(_own_view(item, level))
                continue
            decision, decision_id = _decide(tx, item, to, instant)
            view = ExportedItemView(
                **ExportedItemView.fields(decision), item=item.reference, decision_id=decision_id
            )
            if decision.allowed and decision.recipient_level is not None:
                summaries.append(_summary(item, to, decision.recipient_level, modified, tlp))
                exported.append(view)
            else:
                withheld.append(view)
        text = stix.write_bundle(own, to, summaries)
        return StixExportView(
            party=own,
            recipient=to,
            at=instant.astimezone(tx.time_zone),
            since=start.astimezone(tx.time_zone) if start is not None else None,
            output=output,
            exported=exported,
            withheld=withheld,
        ), text


def _modified(tx: Tx, item: ItemRecord, instant: datetime) -> datetime | None:
    """When the item last changed by `instant` (its registration, or a later change); None if
    it was registered after `instant`, when it did not exist yet."""
    if item.registered_at > instant:
        return None
    changed = [c.at for c in changes.changes(tx.connection, item.id) if c.at <= instant]
    return max([item.registered_at, *changed])


def _decide(tx: Tx, item: ItemRecord, to: str, instant: datetime) -> tuple[Decision, int]:
    """The hand-over's decision for the item's metadata, recorded whatever it says."""
    label = items.label_of(tx, item)
    ring = keyring(tx, None)  # verifying the originators' consents needs public keys only
    gone = items.out_of_use(tx, item, "exported")
    if gone is not None:
        decision = gone
    else:
        hand_over = items.hand_over(tx, item, label, to, instant, ring)
        decision = hand_over.decision
        if decision.allowed:
            tx.attest(("items", item.id), *(("consents", c.id) for c in hand_over.consents))
    decision_id = journal.decision(
        tx,
        kind="export",
        at=instant,
        decided=decision,
        request={"item": item.reference, "from": label.held_by, "to": to, "format": "stix"},
        item_id=item.id,
    )
    return decision, decision_id


def _summary(
    item: ItemRecord, to: str, level: Level, modified: datetime, tlp: dict[str, stix.Tlp]
) -> stix.ItemSummary:
    """What `to` is told of the item: its metadata, marked at `level` in `to`'s scheme (the
    recipient's equivalent, or the registry's own level in its own view)."""
    return stix.ItemSummary(
        reference=item.reference,
        title=item.title,
        originator=item.originator,
        originator_reference=item.originator_reference or item.reference,
        originator_marking=item.marking,
        recipient=to,
        marking=level.marking,
        english=level.english,
        topic=item.topic,
        purpose=item.purpose,
        releasable_to=tuple(sorted(item.releasable_to)) if item.releasable_to is not None else None,
        caveats=item.caveats,
        registered_at=item.registered_at,
        modified_at=modified,
        tlp=tlp.get(level.english.upper()),
    )


def _held_level(tx: Tx, item: ItemRecord) -> Level:
    """The level the registry marks its copy with: its own for a copy it received (Art 4)."""
    label = items.label_of(tx, item)
    return label.holder_level or label.level


def _own_view(item: ItemRecord, level: Level) -> ExportedItemView:
    return ExportedItemView(
        allowed=True,
        agreement=None,
        recipient_marking=level.marking,
        equivalent=level.english,
        reasons=[],
        item=item.reference,
        decision_id=None,
    )


def _tlp_setting(text: str | None) -> list[tuple[str, str]]:
    """`SECRET=amber+strict,CONFIDENTIAL=amber` as pairs (the `stix_tlp` setting)."""
    pairs = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        english, sep, label = part.partition("=")
        if not sep or not english.strip():
            raise InvalidRequest(
                f"stix_tlp: {part.strip()!r} is not LEVEL=TLP (e.g. SECRET=amber+strict)"
            )
        pairs.append((english, label))
    return pairs
