"""The Label as a NATO STANAG 4774 confidentiality label, in the JSON form OpenTDF carries.

The originator's marking is the label's `ConfidentialityInformation` (its policy is the
originator's national scheme); a received copy adds the holder's equivalent marking as an
alternative confidentiality label, as ADatP-4778 allows. gsomia's own fields (originator,
holder, topic, purpose) travel beside them. The models read and write that JSON (field names
are the snake_case of its PascalCase names); `read_xml` and `write_xml` read and write the
XML form of ADatP-4774 (an `originatorConfidentialityLabel`) from and to the same models.
Untrusted XML is read through `safe_xml` (no DTD, no entities, bounded size and depth).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_pascal

from gsomia.core.labels import Label
from gsomia.core.markings import Level, Scheme
from gsomia.errors import LabelAltered, UnreadableXml
from gsomia.formats import safe_xml

SCHEMA = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
RELEASABLE_TO = "Releasable To"
CAVEATS = "Caveats"
_NS = {"l": SCHEMA}


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="allow", frozen=True, populate_by_name=True, alias_generator=to_pascal
    )


class Category(_Model):
    tag_name: str
    type: str
    generic_values: list[str]


class ConfidentialityInformation(_Model):
    policy_identifier: str
    """The scheme the classification belongs to: the party whose marking it is."""
    policy_uri: str | None = None
    """The policy's identifier as a URI (`urn:oid:...`), when the label gives one."""
    classification: str
    category: list[Category] = []

    @classmethod
    def of(
        cls, level: Level, releasable: frozenset[str] | None, caveats: tuple[str, ...]
    ) -> ConfidentialityInformation:
        categories = []
        if releasable is not None:
            categories.append(
                Category(
                    tag_name=RELEASABLE_TO, type="PERMISSIVE", generic_values=sorted(releasable)
                )
            )
        if caveats:
            categories.append(
                Category(tag_name=CAVEATS, type="RESTRICTIVE", generic_values=list(caveats))
            )
        return cls(policy_identifier=level.party, classification=level.marking, category=categories)

    def level(self, schemes: Mapping[str, Scheme]) -> Level:
        scheme = schemes.get(self.policy_identifier)
        if scheme is None:
            raise LabelAltered(f"the label names an unknown scheme {self.policy_identifier!r}")
        return scheme.by_marking(self.classification)

    def values(self, tag_name: str) -> list[str] | None:
        """The values of a category, or None when the label has no such category."""
        found = [c for c in self.category if c.tag_name == tag_name]
        return [v for c in found for v in c.generic_values] if found else None


class ConfidentialityLabel(_Model):
    """An ADatP-4774 confidentiality label: what any STANAG 4774 label holds."""

    xmlns: str = SCHEMA
    confidentiality_information: ConfidentialityInformation


class LabelStatement(ConfidentialityLabel):
    """The statement of gsomia's label assertion: a 4774 label with gsomia's fields beside it."""

    creation_time: datetime
    originator: str
    topic: str
    purpose: str = ""
    english_equivalent: str
    holder: str | None = None
    alternative_confidentiality_information: list[ConfidentialityInformation] | None = None
    stanag4774_xml: str | None = None
    """The originator's label in its ADatP-4774 XML form (`write_xml`), beside the JSON, for
    tools that read only the XML; when present it must say what the JSON says."""

    @classmethod
    def from_label(cls, label: Label, created_at: datetime) -> LabelStatement:
        """The statement for `label` (Rule 3: originator's name and holder's equivalent)."""
        holder, alternative = None, None
        if label.holder is not None and label.holder_level is not None:
            holder = label.holder
            alternative = [
                ConfidentialityInformation.of(
                    label.holder_level, label.releasable_to, label.caveats
                )
            ]
        information = ConfidentialityInformation.of(label.level, label.releasable_to, label.caveats)
        return cls(
            creation_time=created_at.astimezone(UTC),
            confidentiality_information=information,
            stanag4774_xml=write_xml(information),
            originator=label.originator,
            topic=label.topic,
            purpose=label.purpose,
            english_equivalent=label.level.english,
            holder=holder,
            alternative_confidentiality_information=alternative,
        )

    @classmethod
    def parse(cls, value: Any) -> LabelStatement:
        """The statement a label assertion carries; `LabelAltered` if gsomia cannot read it."""
        try:
            statement = cls.model_validate(value)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or "its top"
            raise LabelAltered(
                f"the label assertion is incomplete (at {where}: {error['msg']}); it cannot be read"
            ) from None
        if statement.stanag4774_xml is not None:
            try:
                written = read_xml(statement.stanag4774_xml).confidentiality_information
            except UnreadableXml as exc:
                raise LabelAltered(f"the label's 4774 XML cannot be read: {exc.message}") from None
            if written != statement.confidentiality_information:
                raise LabelAltered("the label's 4774 XML and its JSON say different things")
        return statement

    def to_label(self, schemes: Mapping[str, Scheme]) -> Label:
        """The Label this statement carries, its markings read in their schemes."""
        information = self.confidentiality_information
        releasable = information.values(RELEASABLE_TO)
        holder_level = None
        if self.holder is not None:
            if not self.alternative_confidentiality_information:
                raise LabelAltered(f"the label names holder {self.holder} but not its marking")
            holder_level = self.alternative_confidentiality_information[0].level(schemes)
        return Label(
            self.originator,
            information.level(schemes),
            self.topic,
            self.purpose,
            frozenset(releasable) if releasable is not None else None,
            tuple(information.values(CAVEATS) or ()),
            self.holder,
            holder_level,
        )

    def document(self) -> dict[str, Any]:
        """The statement as JSON, as the assertion carries it."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


ROOT = "originatorConfidentialityLabel"


def read_xml(text: str | bytes) -> ConfidentialityLabel:
    """An ADatP-4774 XML label (originatorConfidentialityLabel); `UnreadableXml` for XML that
    is malformed or hostile, `LabelAltered` for a document that is no such label."""
    root = safe_xml.parse(text, "the label")
    if safe_xml.namespace(root.tag) != SCHEMA:
        raise LabelAltered(f"not a STANAG 4774 label: its namespace is not {SCHEMA}")
    information = root.find("l:ConfidentialityInformation", _NS)
    if information is None:
        raise LabelAltered("not a STANAG 4774 label: no ConfidentialityInformation")
    policy = information.find("l:PolicyIdentifier", _NS)
    # ADatP-4774 names the attribute URI; Table 17's first example writes URL.
    uri = None if policy is None else policy.get("URI") or policy.get("URL")
    try:
        return ConfidentialityLabel(
            confidentiality_information=ConfidentialityInformation(
                policy_identifier=(information.findtext("l:PolicyIdentifier", "", _NS)).strip(),
                policy_uri=uri,
                classification=(information.findtext("l:Classification", "", _NS)).strip(),
                category=[
                    Category(
                        tag_name=category.get("TagName", ""),
                        type=category.get("Type", ""),
                        generic_values=[
                            (v.text or "").strip() for v in category.findall("l:GenericValue", _NS)
                        ],
                    )
                    for category in information.findall("l:Category", _NS)
                ],
            )
        )
    except ValidationError as exc:
        raise LabelAltered(f"not a STANAG 4774 label: {exc.errors()[0]['msg']}") from None


def read_xml_input(text: str | bytes) -> ConfidentialityLabel:
    """`read_xml` for a label given as input rather than found in a sealed item: a document
    that is no 4774 label is bad input (`UnreadableXml`), not a label altered."""
    try:
        return read_xml(text)
    except LabelAltered as exc:
        raise UnreadableXml(exc.message) from None


def write_xml(label: ConfidentialityLabel | ConfidentialityInformation) -> str:
    """The ADatP-4774 XML form of a label (an originatorConfidentialityLabel), as text without
    an XML declaration; `read_xml` reads it back to an equal label."""
    information = (
        label.confidentiality_information if isinstance(label, ConfidentialityLabel) else label
    )
    # The stubs type nsmap's keys as str, but None is how lxml names the default namespace.
    root = etree.Element(f"{{{SCHEMA}}}{ROOT}", nsmap={None: SCHEMA})  # type: ignore[dict-item]
    element = etree.SubElement(root, f"{{{SCHEMA}}}ConfidentialityInformation")
    policy = etree.SubElement(element, f"{{{SCHEMA}}}PolicyIdentifier")
    policy.text = information.policy_identifier
    if information.policy_uri:
        policy.set("URI", information.policy_uri)
    etree.SubElement(element, f"{{{SCHEMA}}}Classification").text = information.classification
    for category in information.category:
        tag = etree.SubElement(
            element, f"{{{SCHEMA}}}Category", {"TagName": category.tag_name, "Type": category.type}
        )
        for value in category.generic_values:
            etree.SubElement(tag, f"{{{SCHEMA}}}GenericValue").text = value
    return etree.tostring(root, encoding="unicode", pretty_print=True)
