"""The Label as a NATO STANAG 4774 confidentiality label, in the JSON form OpenTDF carries.

The originator's marking is the label's `ConfidentialityInformation` (its policy is the
originator's national scheme); a received copy adds the holder's equivalent marking as an
alternative confidentiality label, as ADatP-4778 allows. gsomia's own fields (originator,
holder, topic, purpose) travel beside them. `read_xml` reads the XML form of ADatP-4774 into
the same structure.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gsomia.core.labels import Label
from gsomia.core.markings import Level, Scheme
from gsomia.errors import LabelAltered

SCHEMA = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
_NS = {"l": SCHEMA}


def _information(
    level: Level, releasable: frozenset[str] | None, caveats: tuple[str, ...]
) -> dict[str, Any]:
    categories: list[dict[str, Any]] = []
    if releasable is not None:
        categories.append(
            {"TagName": "Releasable To", "Type": "PERMISSIVE", "GenericValues": sorted(releasable)}
        )
    if caveats:
        categories.append(
            {"TagName": "Caveats", "Type": "RESTRICTIVE", "GenericValues": list(caveats)}
        )
    return {
        "PolicyIdentifier": level.party,
        "Classification": level.marking,
        "Category": categories,
    }


def statement_value(label: Label, created_at: datetime) -> dict[str, Any]:
    """The assertion value for `label` (Rule 3: originator's name and holder's equivalent)."""
    value: dict[str, Any] = {
        "Xmlns": SCHEMA,
        "CreationTime": created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "ConfidentialityInformation": _information(label.level, label.releasable_to, label.caveats),
        "Originator": label.originator,
        "Topic": label.topic,
        "Purpose": label.purpose,
        "EnglishEquivalent": label.level.english,
    }
    if label.holder is not None and label.holder_level is not None:
        value["Holder"] = label.holder
        value["AlternativeConfidentialityInformation"] = [
            _information(label.holder_level, label.releasable_to, label.caveats)
        ]
    return value


def label_from(value: Mapping[str, Any], schemes: Mapping[str, Scheme]) -> Label:
    """The Label a statement carries; `LabelAltered` if it is not one gsomia can read."""
    try:
        information = value["ConfidentialityInformation"]
        originator = str(value["Originator"])
        level = schemes[information["PolicyIdentifier"]].by_marking(information["Classification"])
        releasable = _releasable(information)
        caveats = tuple(
            v
            for c in information.get("Category", [])
            if c["TagName"] == "Caveats"
            for v in c["GenericValues"]
        )
        holder = value.get("Holder")
        holder_level = None
        if holder is not None:
            alternative = value["AlternativeConfidentialityInformation"][0]
            holder_level = schemes[alternative["PolicyIdentifier"]].by_marking(
                alternative["Classification"]
            )
        return Label(
            originator,
            level,
            str(value["Topic"]),
            str(value.get("Purpose", "")),
            releasable,
            caveats,
            holder,
            holder_level,
        )
    except (KeyError, IndexError, TypeError) as exc:
        raise LabelAltered(
            f"the label assertion is incomplete ({exc!s}); it cannot be read"
        ) from None


def _releasable(information: Mapping[str, Any]) -> frozenset[str] | None:
    for category in information.get("Category", []):
        if category["TagName"] == "Releasable To":
            return frozenset(category["GenericValues"])
    return None


def read_xml(text: str) -> dict[str, Any]:
    """An ADatP-4774 XML label (originatorConfidentialityLabel) as the JSON structure above."""
    root = ET.fromstring(text)
    information = root.find("l:ConfidentialityInformation", _NS)
    if information is None:
        raise LabelAltered("not a STANAG 4774 label: no ConfidentialityInformation")
    categories = [
        {
            "TagName": category.get("TagName"),
            "Type": category.get("Type"),
            "GenericValues": [v.text for v in category.findall("l:GenericValue", _NS)],
        }
        for category in information.findall("l:Category", _NS)
    ]
    return {
        "Xmlns": SCHEMA,
        "ConfidentialityInformation": {
            "PolicyIdentifier": (information.findtext("l:PolicyIdentifier", "", _NS) or "").strip(),
            "Classification": (information.findtext("l:Classification", "", _NS) or "").strip(),
            "Category": categories,
        },
    }
