"""Registered items as a STIX 2.1 bundle with data markings, and such a bundle read back.

What a bundle holds (docs/exports.md explains each choice):

- one `gsomia-item` object per item: a new STIX Domain Object defined by an
  `extension-definition` (STIX 2.1 §7.3, extension type `new-sdo`), the mechanism 2.1 gives
  in place of the deprecated `x-` custom objects. It carries the item's metadata only, as a
  delivery to the recipient would (reference, title, originator, markings, topic, purpose,
  releasability, caveats, registration); never content;
- one `marking-definition` per national classification used: a marking whose meaning is a
  property extension (STIX 2.1 §7.2.1 and §7.3) naming the scheme's party, the native marking
  and the English equivalent level, so a receiving tool reads the level, not only a
  statement's free text. Each item's `object_marking_refs` names the classification its
  recipient marks it with (Art 4 of the agreements);
- the FIRST TLP 2.0 marking definitions, exactly as OASIS publishes them
  (oasis-open/cti-stix-common-objects, extension-definition--60a3c5c5-…), for the levels a
  TLP mapping names;
- the identities and the two extension definitions the objects refer to.

Every bundle is checked with the `stix2` library, the gsomia extensions registered with their
property types so that no unknown or ill-typed property passes, before it is written and
when it is read.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import stix2
from pydantic import BaseModel, ConfigDict
from stix2 import properties as p
from stix2.exceptions import STIXError
from stix2.v21 import CustomExtension, CustomObject

from gsomia.errors import InvalidRequest

NAMESPACE = uuid.UUID("5d6a3f0e-9f57-4d5c-9a51-2b7a43b1d0c4")
"""The UUIDv5 namespace of the identifiers gsomia derives (STIX 2.1 §2.9 allows v5)."""
DEFINED = "2026-11-30T00:00:00.000Z"
"""When gsomia's extension definitions and identities were first defined: fixed, so the same
object is the same in every bundle."""
GSOMIA_IDENTITY = f"identity--{uuid.uuid5(NAMESPACE, 'gsomia')}"
CLASSIFICATION_EXTENSION = "extension-definition--8e0b4b5a-2f1c-4f0e-b1f7-7c9d3c5a1e21"
ITEM_EXTENSION = "extension-definition--c3a1f6d2-5b8e-4d47-9a0c-1e6f2b9d4a73"
ITEM_TYPE = "gsomia-item"
TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_CREATED = "2022-10-01T00:00:00.000Z"
Tlp = Literal["clear", "green", "amber", "amber+strict", "red"]
TLP_MARKINGS: dict[Tlp, str] = {
    # FIRST TLP 2.0 as STIX marking definitions (oasis-open/cti-stix-common-objects).
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_LIMIT = 64 * 1024 * 1024


@CustomExtension(
    CLASSIFICATION_EXTENSION,
    [
        ("extension_type", p.EnumProperty(["property-extension"], required=True)),
        ("party", p.StringProperty(required=True)),
        ("classification", p.StringProperty(required=True)),
        ("english", p.StringProperty(required=True)),
    ],
)
class _Classification:
    """A national classification as a marking definition's meaning."""


@CustomExtension(
    TLP_EXTENSION,
    [
        ("extension_type", p.EnumProperty(["property-extension"], required=True)),
        ("tlp_2_0", p.EnumProperty(list(TLP_MARKINGS), required=True)),
    ],
)
class _Tlp:
    """FIRST TLP 2.0, as the OASIS extension defines it."""


@CustomObject(
    ITEM_TYPE,
    [
        ("reference", p.StringProperty(required=True)),
        ("title", p.StringProperty(required=True)),
        ("originator", p.StringProperty(required=True)),
        ("originator_reference", p.StringProperty(required=True)),
        ("originator_marking", p.StringProperty(required=True)),
        ("recipient", p.StringProperty(required=True)),
        ("marking", p.StringProperty(required=True)),
        ("english", p.StringProperty(required=True)),
        ("topic", p.StringProperty(required=True)),
        ("purpose", p.StringProperty()),
        ("releasable_to", p.ListProperty(p.StringProperty)),
        ("caveats", p.ListProperty(p.StringProperty)),
        ("registered_at", p.TimestampProperty(required=True)),
    ],
    extension_name=ITEM_EXTENSION,
)
class _Item:
    """A registered item's metadata, as its recipient may see it."""


class ItemSummary(BaseModel):
    """What a partner may see of an item: its metadata as a delivery gives it, marked with
    the recipient's equivalent level (Art 4); `tlp` when a mapping names that level."""

    model_config = ConfigDict(frozen=True)

    reference: str
    title: str
    originator: str
    originator_reference: str
    originator_marking: str
    recipient: str
    marking: str
    english: str
    topic: str
    purpose: str = ""
    releasable_to: tuple[str, ...] | None = None
    caveats: tuple[str, ...] = ()
    registered_at: datetime
    modified_at: datetime
    tlp: Tlp | None = None


class Bundle(BaseModel):
    """A bundle read back: who exported it, for whom, and the items."""

    model_config = ConfigDict(frozen=True)

    exporter: str
    recipient: str | None
    items: tuple[ItemSummary, ...]


def write_bundle(exporter: str, recipient: str, items: Sequence[ItemSummary]) -> str:
    """The bundle of `items` `exporter` gives `recipient`, as JSON text, checked with stix2."""
    exporter_id = _party_id(exporter)
    objects: list[dict[str, Any]] = [
        _identity(GSOMIA_IDENTITY, "gsomia", "system"),
        _identity(exporter_id, exporter, "organization"),
        _extension(
            CLASSIFICATION_EXTENSION, "gsomia national classification", "property-extension"
        ),
        _extension(ITEM_EXTENSION, "gsomia registered item", "new-sdo"),
    ]
    classifications: dict[str, dict[str, Any]] = {}
    tlps: set[Tlp] = set()
    for item in items:
        marking = _classification(exporter, exporter_id, item)
        classifications.setdefault(marking["id"], marking)
        if item.tlp is not None:
            tlps.add(item.tlp)
    objects.extend(classifications.values())
    objects.extend(_tlp(level) for level in TLP_MARKINGS if level in tlps)
    objects.extend(_item(exporter, exporter_id, item) for item in items)
    # The bundle is a wrapper, not a versioned object: its id names its exact content.
    digest = hashlib.sha256(json.dumps(objects, sort_keys=True).encode()).hexdigest()
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid5(NAMESPACE, digest)}",
        "objects": objects,
    }
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    _parse(text)
    return text


def read_bundle(text: str) -> Bundle:
    """The items of a gsomia STIX bundle, each with the classification its markings name;
    `InvalidRequest` for anything stix2 or gsomia's extensions refuse."""
    if len(text) > _LIMIT:
        raise InvalidRequest("the STIX bundle is larger than 64 MiB")
    bundle = _parse(text)
    by_id = {o["id"]: o for o in bundle["objects"]}
    exporters = [
        o for o in by_id.values() if o["type"] == "identity" and o["identity_class"] != "system"
    ]
    if len(exporters) != 1:
        raise InvalidRequest("a gsomia STIX bundle names exactly one exporting party")
    exporter = exporters[0]
    items = tuple(_summary(o, by_id) for o in by_id.values() if o["type"] == ITEM_TYPE)
    recipients = {i.recipient for i in items}
    if len(recipients) > 1:
        raise InvalidRequest("the STIX bundle mixes items for several recipients")
    if any(by_id[i]["created_by_ref"] != exporter["id"] for i in by_id if i.startswith(ITEM_TYPE)):
        raise InvalidRequest("the STIX bundle holds items another party created")
    return Bundle(
        exporter=exporter["name"],
        recipient=next(iter(recipients)) if recipients else None,
        items=items,
    )


def _parse(text: str) -> dict[str, Any]:
    try:
        parsed = stix2.parse(text, allow_custom=False, version="2.1")
    except (STIXError, ValueError, TypeError, KeyError) as exc:
        raise InvalidRequest(f"not a valid STIX 2.1 bundle: {' '.join(str(exc).split())}") from None
    if parsed.get("type") != "bundle":
        raise InvalidRequest("not a STIX 2.1 bundle: the top object must be a bundle")
    document: dict[str, Any] = json.loads(text)
    return document


def _summary(item: dict[str, Any], by_id: Mapping[str, dict[str, Any]]) -> ItemSummary:
    refs = item.get("object_marking_refs", [])
    classifications = [
        by_id[r]["extensions"][CLASSIFICATION_EXTENSION]
        for r in refs
        if r in by_id and CLASSIFICATION_EXTENSION in by_id[r].get("extensions", {})
    ]
    if len(classifications) != 1:
        raise InvalidRequest(
            f"item {item.get('reference')!r} must name exactly one classification marking, "
            f"not {len(classifications)}"
        )
    classification = classifications[0]
    if (classification["party"], classification["classification"], classification["english"]) != (
        item["recipient"],
        item["marking"],
        item["english"],
    ):
        raise InvalidRequest(
            f"item {item['reference']!r} is marked {item['marking']} for {item['recipient']} "
            f"but its marking definition says {classification['classification']} for "
            f"{classification['party']}"
        )
    tlps = [level for level, ref in TLP_MARKINGS.items() if ref in refs]
    if any(ref not in by_id for ref in refs):
        raise InvalidRequest(f"item {item['reference']!r} names a marking the bundle lacks")
    releasable = item.get("releasable_to")
    return ItemSummary(
        reference=item["reference"],
        title=item["title"],
        originator=item["originator"],
        originator_reference=item["originator_reference"],
        originator_marking=item["originator_marking"],
        recipient=item["recipient"],
        marking=item["marking"],
        english=item["english"],
        topic=item["topic"],
        purpose=item.get("purpose", ""),
        releasable_to=tuple(releasable) if releasable is not None else None,
        caveats=tuple(item.get("caveats", ())),
        registered_at=_instant(item["registered_at"]),
        modified_at=_instant(item["modified"]),
        tlp=tlps[0] if tlps else None,
    )


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _stamp(at: datetime) -> str:
    """A STIX timestamp (RFC 3339, UTC, milliseconds)."""
    if at.tzinfo is None:
        raise ValueError("a STIX timestamp needs an aware instant")
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _party_id(party: str) -> str:
    return f"identity--{uuid.uuid5(NAMESPACE, f'party:{party}')}"


def _identity(identity_id: str, name: str, identity_class: str) -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id,
        "created": DEFINED,
        "modified": DEFINED,
        "name": name,
        "identity_class": identity_class,
    }


def _extension(extension_id: str, name: str, extension_type: str) -> dict[str, Any]:
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": extension_id,
        "created_by_ref": GSOMIA_IDENTITY,
        "created": DEFINED,
        "modified": DEFINED,
        "name": name,
        "schema": _DESCRIPTIONS[extension_type],
        "version": "1.0.0",
        "extension_types": [extension_type],
    }


_DESCRIPTIONS = {
    "property-extension": (
        "A national classification level as a data marking: party (the scheme's ISO 3166-1 "
        "alpha-3 or organisation code), classification (the native marking, NFC Unicode) and "
        "english (the equivalent level the agreement's equivalence table names)."
    ),
    "new-sdo": (
        "The metadata of an item of classified military information registered under a "
        "GSOMIA, as its recipient may see it; never its content."
    ),
}


def _classification(exporter: str, exporter_id: str, item: ItemSummary) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": classification_id(exporter, item.recipient, item.marking),
        "created_by_ref": exporter_id,
        "created": DEFINED,
        "name": f"{item.recipient} {item.marking} ({item.english})",
        "extensions": {
            CLASSIFICATION_EXTENSION: {
                "extension_type": "property-extension",
                "party": item.recipient,
                "classification": item.marking,
                "english": item.english,
            }
        },
    }


def _tlp(level: Tlp) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_MARKINGS[level],
        "created": TLP_CREATED,
        "name": f"TLP:{level.upper()}",
        "extensions": {TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}},
    }


def classification_id(exporter: str, recipient: str, marking: str) -> str:
    """The marking definition of a recipient's classification in an exporter's bundles."""
    return f"marking-definition--{uuid.uuid5(NAMESPACE, f'classification:{exporter}:{recipient}:{marking}')}"


def _item(exporter: str, exporter_id: str, item: ItemSummary) -> dict[str, Any]:
    markings = [classification_id(exporter, item.recipient, item.marking)]
    if item.tlp is not None:
        markings.append(TLP_MARKINGS[item.tlp])
    found: dict[str, Any] = {
        "type": ITEM_TYPE,
        "spec_version": "2.1",
        "id": f"{ITEM_TYPE}--{uuid.uuid5(NAMESPACE, f'item:{exporter}:{item.recipient}:{item.reference}')}",
        "created_by_ref": exporter_id,
        "created": _stamp(item.registered_at),
        "modified": _stamp(max(item.modified_at, item.registered_at)),
        "object_marking_refs": markings,
        "extensions": {ITEM_EXTENSION: {"extension_type": "new-sdo"}},
        "reference": item.reference,
        "title": item.title,
        "originator": item.originator,
        "originator_reference": item.originator_reference,
        "originator_marking": item.originator_marking,
        "recipient": item.recipient,
        "marking": item.marking,
        "english": item.english,
        "topic": item.topic,
        "registered_at": _stamp(item.registered_at),
        "caveats": list(item.caveats),
    }
    if item.purpose:
        found["purpose"] = item.purpose
    if item.releasable_to is not None:
        found["releasable_to"] = sorted(item.releasable_to)
    if not item.caveats:
        del found["caveats"]
    return found


def tlp_levels(mapping: Iterable[tuple[str, str]]) -> dict[str, Tlp]:
    """A TLP mapping (English equivalent level -> TLP 2.0 label) checked: keys upper case."""
    levels: dict[str, Tlp] = {}
    for english, tlp in mapping:
        text = tlp.strip().lower().removeprefix("tlp:")
        label = next((known for known in TLP_MARKINGS if known == text), None)
        if label is None:
            raise InvalidRequest(
                f"{tlp!r} is no TLP 2.0 label; use one of {', '.join(TLP_MARKINGS)}"
            )
        levels[english.strip().upper()] = label
    return levels
