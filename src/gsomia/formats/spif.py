"""Security Policy Information Files (XML SPIF 2.1) and the labels they govern.

A SPIF is a security policy as data: its name and OID, its classifications (name, LACV,
hierarchy), its security category tag sets (each a name and an OID holding tags of a type:
permissive, restrictive, enumerated permissive or restrictive, or informative, the SPIF's
`tagType7`), each tag's categories (name, LACV), the rules that bind them (a category's
`excludedClass`, `excludedCategory` and `requiredCategory`, a classification's
`requiredCategory`, a tag's `singleSelection`), and how a label is displayed (`markingData`
phrases and codes, `markingQualifier` prefixes, suffixes and separators, per language).

One label has two written forms here, both read and written:

- the ADatP-4774 XML (`originatorConfidentialityLabel`, `stanag4774`): policy, classification
  and categories by *name*, a category's `Type` being PERMISSIVE, RESTRICTIVE or INFORMATIVE;
- the numeric form of the open-source spiffing library (namespace `SPIFFING`): the policy by
  OID, the classification and each category by *LACV*, each category with its tag set's OID and
  the tag's exact type (`permissive`, `restrictive`, `enumeratedPermissive`,
  `enumeratedRestrictive`, `informative`).

Reading either form gives a `Label`: the policy's OID, the classification's LACV and the set
of categories as (tag set OID, tag type, LACV), so two forms of the same label compare equal.
What the SPIF does not define is kept as written (`Written`) so that `check` can say what is
wrong; `resolve` turns it into a `Label` or says what it names that the SPIF lacks. The
meaning of the SPIF elements follows the XML SPIF schema 2.1 (xmlspif.org) and the spiffing
library's reading of it; see docs/labels.md.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from lxml import etree

from gsomia.errors import UnreadableXml
from gsomia.formats import safe_xml, stanag4774

NAMESPACE = "http://www.xmlspif.org/spif"
SPIFFING = "http://surevine.com/xmlns/spiffy"
"""The namespace of the spiffing library's label form (its `<label>` with LACVs)."""
_S = f"{{{NAMESPACE}}}"
T = TypeVar("T")


class TagType(StrEnum):
    """A security category tag's type, as the spiffing form writes it."""

    PERMISSIVE = "permissive"
    RESTRICTIVE = "restrictive"
    ENUMERATED_PERMISSIVE = "enumeratedPermissive"
    ENUMERATED_RESTRICTIVE = "enumeratedRestrictive"
    INFORMATIVE = "informative"

    @property
    def label_type(self) -> str:
        """The ADatP-4774 `Type` of a category of this tag (enumerations fold into theirs)."""
        if self in (TagType.PERMISSIVE, TagType.ENUMERATED_PERMISSIVE):
            return "PERMISSIVE"
        if self in (TagType.RESTRICTIVE, TagType.ENUMERATED_RESTRICTIVE):
            return "RESTRICTIVE"
        return "INFORMATIVE"


class Operation(StrEnum):
    """How a `requiredCategory` group is satisfied."""

    ONLY_ONE = "onlyOne"
    ONE_OR_MORE = "oneOrMore"
    ALL = "all"


LOCATIONS = ("pageTop", "pageBottom", "documentStart", "documentEnd")
"""Where a marking is displayed; a `markingData` naming none applies everywhere (spiffing
reads it as `pageBottom` only, the default location, where both readings agree)."""


@dataclass(frozen=True, slots=True)
class Phrase:
    """One `markingData`: its phrase (None: the name) and its codes."""

    phrase: str | None
    codes: frozenset[str]

    def at(self, location: str) -> bool:
        named = self.codes & {*LOCATIONS, "pageTopBottom"}
        if not named:
            return True
        return location in named or (
            "pageTopBottom" in named and location in ("pageTop", "pageBottom")
        )


@dataclass(frozen=True, slots=True)
class Qualifier:
    """One `qualifier` of a `markingQualifier`: a prefix, suffix or separator."""

    code: str
    text: str
    where: str | None
    """The `markingCode` of its markingQualifier (None: everywhere)."""

    def at(self, location: str) -> bool:
        return (
            self.where is None
            or self.where == location
            or (self.where == "pageTopBottom" and location in ("pageTop", "pageBottom"))
        )


@dataclass(frozen=True, slots=True)
class Markings:
    """An element's marking data and qualifiers, by language tag ("" when it has none)."""

    phrases: dict[str, tuple[Phrase, ...]] = field(default_factory=dict)
    qualifiers: dict[str, tuple[Qualifier, ...]] = field(default_factory=dict)

    def phrase_for(self, lang: str, location: str) -> Phrase | None:
        """The marking data for a language (its own, its primary subtag's, or the default)
        that applies at `location`."""
        for phrase in _by_language(self.phrases, lang):
            if phrase.at(location):
                return phrase
        return None

    def qualifier(self, lang: str, location: str, code: str) -> str:
        for qualifier in (
            *_by_language(self.qualifiers, lang),
            *(self.qualifiers.get("", ()) if lang else ()),
        ):
            if qualifier.code == code and qualifier.at(location):
                return qualifier.text
        return ""


def _by_language(values: Mapping[str, tuple[T, ...]], lang: str) -> tuple[T, ...]:
    # spiffing's rule, which the SPIF schema leaves open: the tag, then its primary subtag,
    # then the marking with no language.
    for key in (lang, re.split("[-_]", lang, maxsplit=1)[0], ""):
        if key in values:
            return values[key]
    return ()


@dataclass(frozen=True, slots=True)
class CategoryRef:
    """A `categoryGroup` or `excludedCategory`: one category of a tag, or all of them."""

    tag_set: str
    """The tag set's name (as spiffing reads `tagSetRef`) or OID."""
    type: TagType
    lacv: int | None

    def describe(self) -> str:
        which = f"LACV {self.lacv}" if self.lacv is not None else "any category"
        return f"{which} of {self.tag_set!r} ({self.type.label_type.lower()})"


@dataclass(frozen=True, slots=True)
class CategoryGroup:
    """A `requiredCategory`: an operation over category references."""

    operation: Operation
    refs: tuple[CategoryRef, ...]

    def describe(self) -> str:
        how = {"onlyOne": "exactly one of", "oneOrMore": "one or more of", "all": "all of"}
        return f"{how[self.operation]} {', '.join(r.describe() for r in self.refs)}"


@dataclass(frozen=True, slots=True)
class Classification:
    name: str
    lacv: int
    hierarchy: int
    obsolete: bool
    markings: Markings
    required: tuple[CategoryGroup, ...]


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    lacv: int
    obsolete: bool
    markings: Markings
    excluded_classes: frozenset[str]
    excluded: tuple[CategoryRef, ...]
    required: tuple[CategoryGroup, ...]


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    type: TagType
    single_selection: bool
    markings: Markings
    categories: tuple[Category, ...]

    def by_lacv(self, lacv: int) -> Category | None:
        return next((c for c in self.categories if c.lacv == lacv), None)

    def by_name(self, name: str) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)


@dataclass(frozen=True, slots=True)
class TagSet:
    name: str
    oid: str
    tags: tuple[Tag, ...]

    def tag(self, type: TagType) -> Tag | None:
        return next((t for t in self.tags if t.type is type), None)

    def tag_for_label_type(self, label_type: str) -> Tag | None:
        """The tag a 4774 category of `label_type` (PERMISSIVE, ...) belongs to."""
        return next((t for t in self.tags if t.type.label_type == label_type), None)


CategoryKey = tuple[str, TagType, int]
"""A category in a label: its tag set's OID, its tag's type, its LACV."""


@dataclass(frozen=True, slots=True)
class Spif:
    """A security policy, as its SPIF defines it."""

    name: str
    oid: str
    version: str
    markings: Markings
    classifications: tuple[Classification, ...]
    tag_sets: tuple[TagSet, ...]

    def classification(self, lacv: int) -> Classification | None:
        return next((c for c in self.classifications if c.lacv == lacv), None)

    def classification_named(self, name: str) -> Classification | None:
        # ADatP-4774 labels write policy and classification names in any case (the SPIF's own
        # example writes "unclassified"); names are unique in a SPIF regardless of case.
        wanted = name.strip().casefold()
        return next((c for c in self.classifications if c.name.casefold() == wanted), None)

    def tag_set(self, ref: str) -> TagSet | None:
        """A tag set by OID or by name."""
        return next((t for t in self.tag_sets if ref in (t.oid, t.name)), None)

    def lookup(self, key: CategoryKey) -> tuple[TagSet, Tag, Category]:
        tag_set = self.tag_set(key[0])
        tag = tag_set.tag(key[1]) if tag_set else None
        category = tag.by_lacv(key[2]) if tag else None
        if tag_set is None or tag is None or category is None:
            raise KeyError(key)
        return tag_set, tag, category

    def order(self, keys: Iterable[CategoryKey]) -> list[CategoryKey]:
        """Categories in the SPIF's order: tag sets, tags and categories as it lists them."""
        rank: dict[CategoryKey, int] = {}
        for tag_set in self.tag_sets:
            for tag in tag_set.tags:
                for category in tag.categories:
                    rank[(tag_set.oid, tag.type, category.lacv)] = len(rank)
        return sorted(keys, key=lambda key: rank.get(key, len(rank)))

    def matches(self, ref: CategoryRef, keys: frozenset[CategoryKey]) -> bool:
        """Whether a label with categories `keys` holds what `ref` names."""
        tag_set = self.tag_set(ref.tag_set)
        if tag_set is None:
            return False
        return any(
            oid == tag_set.oid and type is ref.type and (ref.lacv is None or lacv == ref.lacv)
            for oid, type, lacv in keys
        )

    def satisfied(self, group: CategoryGroup, keys: frozenset[CategoryKey]) -> bool:
        found = sum(self.matches(ref, keys) for ref in group.refs)
        if group.operation is Operation.ONLY_ONE:
            return found == 1
        if group.operation is Operation.ALL:
            return found == len(group.refs)
        return found >= 1


# -- reading a SPIF ------------------------------------------------------------------------


def read_spif(data: bytes | str) -> Spif:
    """A SPIF from its XML; `UnreadableXml` says what is missing or malformed."""
    root = safe_xml.parse(data, "the SPIF")
    if root.tag != f"{_S}SPIF":
        raise UnreadableXml(f"not a SPIF: its root is {root.tag}, not {{{NAMESPACE}}}SPIF")
    policy = _child(root, "securityPolicyId", "the SPIF")
    name, oid = _attribute(policy, "name", "securityPolicyId"), _attribute(policy, "id", "")
    classifications = tuple(
        _classification(element)
        for element in _children(root, "securityClassifications", "securityClassification")
    )
    if not classifications:
        raise UnreadableXml(f"the SPIF of {name} defines no classification")
    names = {c.name for c in classifications}
    tag_sets = tuple(
        TagSet(
            _attribute(element, "name", "securityCategoryTagSet"),
            _attribute(element, "id", "securityCategoryTagSet"),
            tuple(_tag(tag, names) for tag in element.findall(f"{_S}securityCategoryTag")),
        )
        for element in _children(root, "securityCategoryTagSets", "securityCategoryTagSet")
    )
    return Spif(name, oid, root.get("version", ""), _markings(root), classifications, tag_sets)


def _child(element: ET.Element, name: str, where: str) -> ET.Element:
    found = element.find(f"{_S}{name}")
    if found is None:
        raise UnreadableXml(f"not a SPIF: {where} has no {name}")
    return found


def _children(root: ET.Element, holder: str, name: str) -> Iterator[ET.Element]:
    found = root.find(f"{_S}{holder}")
    return iter(() if found is None else found.findall(f"{_S}{name}"))


def _attribute(element: ET.Element, name: str, where: str) -> str:
    value = element.get(name)
    if not value:
        raise UnreadableXml(f"the SPIF's {where or safe_xml.local(element.tag)} has no {name}")
    return value


_LACV = re.compile(r"[0-9]{1,20}")


def lacv_of(text: str | None) -> int | None:
    """A LACV written in decimal (an ASN.1 INTEGER; the NATO SPIF pads some: "004"), or None
    for anything else (ASCII digits only, at most 20 of them)."""
    if text is None or not _LACV.fullmatch(text.strip()):
        return None
    return int(text.strip())


def _lacv(text: str | None, where: str) -> int:
    lacv = lacv_of(text)
    if lacv is None:
        raise UnreadableXml(f"the SPIF's {where} is not a non-negative decimal integer: {text!r}")
    return lacv


def _flag(element: ET.Element, name: str) -> bool:
    return element.get(name, "false").strip() in ("true", "1")


def _classification(element: ET.Element) -> Classification:
    name = _attribute(element, "name", "securityClassification")
    lacv = _lacv(element.get("lacv"), f"LACV of classification {name!r}")
    return Classification(
        name,
        lacv,
        _lacv(element.get("hierarchy", str(lacv)), f"hierarchy of classification {name!r}"),
        _flag(element, "obsolete"),
        _markings(element),
        tuple(_group(e) for e in element.findall(f"{_S}requiredCategory")),
    )


def _tag_type(element: ET.Element) -> TagType:
    kind = element.get("tagType", "")
    if kind == "enumerated":
        permissive = element.get("enumType", "") == "permissive"
        return TagType.ENUMERATED_PERMISSIVE if permissive else TagType.ENUMERATED_RESTRICTIVE
    if kind in ("permissive", "restrictive"):
        return TagType(kind)
    if kind in ("tagType7", "informative"):
        return TagType.INFORMATIVE
    raise UnreadableXml(f"the SPIF names an unknown tagType {kind!r}")


def _tag(element: ET.Element, classes: set[str]) -> Tag:
    name = _attribute(element, "name", "securityCategoryTag")
    categories = []
    for category in element.findall(f"{_S}tagCategory"):
        category_name = _attribute(category, "name", f"tag {name!r}'s tagCategory")
        excluded = frozenset((e.text or "").strip() for e in category.findall(f"{_S}excludedClass"))
        unknown = sorted(excluded - classes)
        if unknown:
            raise UnreadableXml(
                f"the SPIF excludes {category_name!r} of {name!r} from classifications it does "
                f"not define: {', '.join(unknown)}"
            )
        categories.append(
            Category(
                category_name,
                _lacv(category.get("lacv"), f"LACV of category {category_name!r} of {name!r}"),
                _flag(category, "obsolete"),
                _markings(category),
                excluded,
                tuple(_ref(e) for e in category.findall(f"{_S}excludedCategory")),
                tuple(_group(e) for e in category.findall(f"{_S}requiredCategory")),
            )
        )
    return Tag(
        name,
        _tag_type(element),
        _flag(element, "singleSelection"),
        _markings(element),
        tuple(categories),
    )


def _ref(element: ET.Element) -> CategoryRef:
    lacv = element.get("lacv")
    return CategoryRef(
        _attribute(element, "tagSetRef", safe_xml.local(element.tag)),
        _tag_type(element),
        None if lacv is None else _lacv(lacv, "LACV of a category reference"),
    )


def _group(element: ET.Element) -> CategoryGroup:
    operation = element.get("operation", "")
    if operation not in {o.value for o in Operation}:
        raise UnreadableXml(f"the SPIF's requiredCategory has an unknown operation {operation!r}")
    return CategoryGroup(
        Operation(operation), tuple(_ref(e) for e in element.findall(f"{_S}categoryGroup"))
    )


_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _markings(element: ET.Element) -> Markings:
    phrases: dict[str, list[Phrase]] = {}
    for data in element.findall(f"{_S}markingData"):
        codes = frozenset((c.text or "").strip() for c in data.findall(f"{_S}code"))
        phrases.setdefault(data.get(_LANG, ""), []).append(Phrase(data.get("phrase"), codes))
    qualifiers: dict[str, list[Qualifier]] = {}
    for holder in element.findall(f"{_S}markingQualifier"):
        for q in holder.findall(f"{_S}qualifier"):
            text, code = q.get("markingQualifier"), q.get("qualifierCode")
            if text is not None and code:
                qualifiers.setdefault(q.get(_LANG, ""), []).append(
                    Qualifier(code, text, holder.get("markingCode"))
                )
    return Markings(
        {k: tuple(v) for k, v in phrases.items()}, {k: tuple(v) for k, v in qualifiers.items()}
    )


# -- labels in either form ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Label:
    """A label as its policy reads it: two forms of one label are equal."""

    policy: str
    """The policy's OID."""
    classification: int
    categories: frozenset[CategoryKey] = frozenset()


@dataclass(frozen=True, slots=True)
class WrittenCategory:
    tag_set: str
    """The tag set's name (4774) or OID (spiffing)."""
    type: str
    value: str
    """The category's name (4774) or LACV (spiffing)."""


@dataclass(frozen=True, slots=True)
class Written:
    """A label as written, in either form, before its SPIF is consulted."""

    form: str
    """"4774" or "spiffing"."""
    policy_name: str | None
    policy_oid: str | None
    classification: str
    """A name (4774) or a LACV (spiffing)."""
    categories: tuple[WrittenCategory, ...]


def read_label(data: bytes | str) -> Written:
    """A label in either form, recognised by its root element's namespace."""
    root = safe_xml.parse(data, "the label")
    namespace = safe_xml.namespace(root.tag)
    if namespace == stanag4774.SCHEMA:
        information = stanag4774.read_xml_input(data).confidentiality_information
        uri = information.policy_uri or ""
        return Written(
            "4774",
            information.policy_identifier,
            uri.removeprefix("urn:oid:") if uri.startswith("urn:oid:") else None,
            information.classification,
            tuple(
                WrittenCategory(c.tag_name, c.type, v)
                for c in information.category
                for v in c.generic_values
            ),
        )
    if namespace == SPIFFING and safe_xml.local(root.tag) == "label":
        policy = root.find(f"{{{SPIFFING}}}policy")
        classification = root.find(f"{{{SPIFFING}}}classification")
        if policy is None or not policy.get("id"):
            raise UnreadableXml("the spiffing label names no policy")
        if classification is None or classification.get("lacv") is None:
            raise UnreadableXml("the spiffing label has no classification LACV")
        categories = []
        for tag in root.findall(f"{{{SPIFFING}}}tag"):
            values = (tag.get("id"), tag.get("type"), tag.get("lacv"))
            if not all(values):
                raise UnreadableXml("a tag of the spiffing label lacks its id, type or lacv")
            categories.append(WrittenCategory(*(str(v) for v in values)))
        return Written(
            "spiffing", None, policy.get("id"), str(classification.get("lacv")), tuple(categories)
        )
    raise UnreadableXml(
        f"the label is neither an ADatP-4774 label ({stanag4774.SCHEMA}) nor a spiffing "
        f"label ({SPIFFING}): its root is {root.tag}"
    )


@dataclass(frozen=True, slots=True)
class Resolved:
    """A written label read against a SPIF: the label, and what the SPIF does not define."""

    label: Label | None
    unknown: tuple[str, ...]

    def require(self) -> Label:
        if self.label is None or self.unknown:
            raise UnreadableXml(f"the label does not fit its SPIF: {'; '.join(self.unknown)}")
        return self.label


def resolve(written: Written, spif: Spif) -> Resolved:
    """The label `written` means under `spif`, or what in it the SPIF does not define."""
    if written.policy_oid is not None and written.policy_oid != spif.oid:
        return Resolved(None, (f"the label's policy is {written.policy_oid}, not {spif.oid}",))
    if written.policy_name is not None and (written.policy_name.casefold() != spif.name.casefold()):
        return Resolved(
            None, (f"the label's policy is {written.policy_name!r}, not {spif.name!r}",)
        )
    unknown = []
    if written.form == "4774":
        classification = spif.classification_named(written.classification)
    else:
        lacv = lacv_of(written.classification)
        classification = spif.classification(lacv) if lacv is not None else None
    if classification is None:
        unknown.append(
            f"classification {written.classification!r} is not one of {spif.name}'s "
            f"({', '.join(c.name for c in spif.classifications)})"
        )
    keys = set()
    for category in written.categories:
        key = _category_key(category, written.form, spif)
        if isinstance(key, str):
            unknown.append(key)
        else:
            keys.add(key)
    if classification is None:
        return Resolved(None, tuple(unknown))
    return Resolved(Label(spif.oid, classification.lacv, frozenset(keys)), tuple(unknown))


def _category_key(category: WrittenCategory, form: str, spif: Spif) -> CategoryKey | str:
    tag_set = spif.tag_set(category.tag_set)
    if tag_set is None:
        return f"tag set {category.tag_set!r} is not defined by the SPIF"
    if form == "4774":
        tag = tag_set.tag_for_label_type(category.type)
        if tag is None:
            kinds = ", ".join(t.type.label_type for t in tag_set.tags)
            return f"tag set {tag_set.name!r} has no {category.type} tag (the SPIF has {kinds})"
        found = tag.by_name(category.value)
    else:
        try:
            tag_type = TagType(category.type)
        except ValueError:
            return f"unknown tag type {category.type!r}"
        tag = tag_set.tag(tag_type)
        if tag is None:
            return f"tag set {tag_set.name!r} has no {tag_type} tag"
        lacv = lacv_of(category.value)
        found = tag.by_lacv(lacv) if lacv is not None else None
    if found is None:
        return f"{category.value!r} is not a category of {tag_set.name!r} ({tag.type})"
    return (tag_set.oid, tag.type, found.lacv)


def to_4774(label: Label, spif: Spif) -> stanag4774.ConfidentialityLabel:
    """The ADatP-4774 form: names, one Category per tag, in the SPIF's order."""
    classification = _classification_of(label, spif)
    grouped: dict[tuple[str, TagType], list[str]] = {}
    tags: dict[tuple[str, TagType], tuple[TagSet, Tag]] = {}
    for key in spif.order(label.categories):
        tag_set, tag, category = spif.lookup(key)
        grouped.setdefault((key[0], key[1]), []).append(category.name)
        tags[(key[0], key[1])] = (tag_set, tag)
    return stanag4774.ConfidentialityLabel(
        confidentiality_information=stanag4774.ConfidentialityInformation(
            policy_identifier=spif.name,
            policy_uri=f"urn:oid:{spif.oid}",
            classification=classification.name,
            category=[
                stanag4774.Category(
                    tag_name=tags[group][0].name,
                    type=tags[group][1].type.label_type,
                    generic_values=values,
                )
                for group, values in grouped.items()
            ],
        )
    )


def write_spiffing(label: Label, spif: Spif) -> str:
    """The spiffing form: the policy's OID, and LACVs with each tag's exact type."""
    root = etree.Element(f"{{{SPIFFING}}}label", nsmap={None: SPIFFING})  # type: ignore[dict-item]
    etree.SubElement(root, f"{{{SPIFFING}}}policy", {"id": spif.oid})
    lacv = _classification_of(label, spif).lacv
    etree.SubElement(root, f"{{{SPIFFING}}}classification", {"lacv": str(lacv)})
    for oid, type, value in spif.order(label.categories):
        etree.SubElement(
            root, f"{{{SPIFFING}}}tag", {"type": type.value, "id": oid, "lacv": str(value)}
        )
    return etree.tostring(root, encoding="unicode", pretty_print=True)


def _classification_of(label: Label, spif: Spif) -> Classification:
    classification = spif.classification(label.classification)
    if label.policy != spif.oid or classification is None:
        raise UnreadableXml(f"the label is not one of {spif.name}'s")
    return classification


# -- the SPIF's rules ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule of the SPIF a label breaks (or, as a warning, strains)."""

    rule: str
    """The SPIF element the rule comes from (excludedClass, requiredCategory, ...)."""
    message: str


def check(written: Written, spif: Spif) -> tuple[list[Finding], list[Finding]]:
    """The SPIF rules `written` breaks, and warnings (obsolete values); no reasons: valid."""
    resolved = resolve(written, spif)
    errors = [Finding("definition", message) for message in resolved.unknown]
    label = resolved.label
    if label is None:
        return errors, []
    classification = spif.classification(label.classification)
    assert classification is not None
    warnings = []
    if classification.obsolete:
        warnings.append(Finding("obsolete", f"classification {classification.name} is obsolete"))
    for group in classification.required:
        if not spif.satisfied(group, label.categories):
            errors.append(
                Finding(
                    "requiredCategory",
                    f"{classification.name} requires {group.describe()} "
                    "(the classification's requiredCategory)",
                )
            )
    counts: dict[tuple[str, TagType], int] = {}
    for key in spif.order(label.categories):
        tag_set, _, category = spif.lookup(key)
        counts[(key[0], key[1])] = counts.get((key[0], key[1]), 0) + 1
        what = f"{category.name} ({tag_set.name})"
        if category.obsolete:
            warnings.append(Finding("obsolete", f"{what} is obsolete"))
        if classification.name in category.excluded_classes:
            errors.append(
                Finding(
                    "excludedClass",
                    f"{what} is not allowed at {classification.name} (its excludedClass)",
                )
            )
        for ref in category.excluded:
            if spif.matches(ref, label.categories):
                errors.append(
                    Finding(
                        "excludedCategory",
                        f"{what} excludes {ref.describe()}, which the label also holds",
                    )
                )
        for group in category.required:
            if not spif.satisfied(group, label.categories):
                errors.append(Finding("requiredCategory", f"{what} requires {group.describe()}"))
    for (oid, type), count in counts.items():
        holder = spif.tag_set(oid)
        single = holder.tag(type) if holder else None
        if holder and single and single.single_selection and count > 1:
            errors.append(
                Finding(
                    "singleSelection",
                    f"{holder.name} allows one category only (singleSelection), "
                    f"the label holds {count}",
                )
            )
    return errors, warnings


# -- the display marking -------------------------------------------------------------------


def marking(label: Label, spif: Spif, lang: str = "", location: str = "pageBottom") -> str:
    """The marking the SPIF prescribes for `label` at `location` (in language `lang`).

    The policy's name comes first unless a `replacePolicy` phrase stands in for it (the
    policy's, the classification's, or a category's, in that order); then the classification
    (unless a category's `suppressClassName`); then each tag's categories between its
    qualifiers' prefix and suffix, joined by its separator. A `noNameDisplay` or
    `noMarkingDisplay` category shows nothing; one without marking data shows its name.
    """
    classification = _classification_of(label, spif)
    ordered = [spif.lookup(key) for key in spif.order(label.categories)]
    policy_data = spif.markings.phrase_for(lang, location)
    class_data = classification.markings.phrase_for(lang, location)
    separator = spif.markings.qualifier(lang, location, "separator") or " "
    if policy_data and "replacePolicy" in policy_data.codes:
        head = policy_data.phrase or spif.name
    elif class_data and "replacePolicy" in class_data.codes:
        head = class_data.phrase or classification.name
    else:
        replacing = (
            data.phrase or category.name
            for _, _, category in ordered
            if (data := category.markings.phrase_for(lang, location))
            and "replacePolicy" in data.codes
        )
        head = next(replacing, spif.name)
    parts = [head]
    suppressed = any(
        (data := category.markings.phrase_for(lang, location)) and "suppressClassName" in data.codes
        for _, _, category in ordered
    )
    if not suppressed:
        shown = class_data or policy_data
        parts.append(_shown(shown, classification.name, class_data is not None) or "")
    tags: dict[str, tuple[Tag, list[str]]] = {}
    for _, tag, category in ordered:
        phrase = _shown(category.markings.phrase_for(lang, location), category.name, True)
        if phrase:
            tags.setdefault(tag.name, (tag, []))[1].append(phrase)
    for tag, phrases in tags.values():
        join = tag.markings.qualifier(lang, location, "separator") or "/"
        prefix = tag.markings.qualifier(lang, location, "prefix")
        suffix = tag.markings.qualifier(lang, location, "suffix")
        parts.append(f"{prefix}{join.join(phrases)}{suffix}")
    text = separator.join(part for part in parts if part)
    prefix = spif.markings.qualifier(lang, location, "prefix")
    suffix = spif.markings.qualifier(lang, location, "suffix")
    return f"{prefix}{text}{suffix}"


def _shown(data: Phrase | None, name: str, own: bool) -> str | None:
    """What an element shows: nothing, its phrase, or its name."""
    if data is None:
        return name
    if {"noNameDisplay", "noMarkingDisplay"} & data.codes:
        return None
    if "replacePolicy" in data.codes or data.phrase is None or not own:
        return name
    return data.phrase
