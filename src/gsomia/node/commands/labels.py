"""STANAG 4774 labels read against a SPIF: shown, converted between forms, checked.

A label (in the ADatP-4774 XML or spiffing's numeric form, recognised by itself) is read
against the SPIF that governs it: a SPIF file, or a policy imported into the registry
(`policies.stored_policy`). Nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from gsomia.formats import safe_xml, spif, stanag4774
from gsomia.node.schemas import (
    FindingView,
    LabelCategoryView,
    LabelCheckView,
    LabelConvertView,
    LabelShowView,
    PolicyRefView,
)
from gsomia.store import files

FORMS = ("4774", "spiffing")


def read_xml_file(path: Path) -> bytes:
    """An XML input's bytes, read no further than the size XML is read to."""
    return files.read_bounded(path, safe_xml.MAX_BYTES)


def read_spif_file(path: Path) -> spif.Spif:
    return spif.read_spif(read_xml_file(path))


def show_label(source: Path, policy: spif.Spif) -> LabelShowView:
    """What a label says under its SPIF: policy, classification, categories, marking."""
    written = spif.read_label(read_xml_file(source))
    label = spif.resolve(written, policy).require()
    information = spif.to_4774(label, policy).confidentiality_information
    return LabelShowView(
        file=str(source),
        form=written.form,
        policy=PolicyRefView(name=policy.name, oid=policy.oid),
        classification=information.classification,
        categories=[
            LabelCategoryView(tag=c.tag_name, type=c.type, values=c.generic_values)
            for c in information.category
        ],
        marking=spif.marking(label, policy),
    )


def convert_label(
    source: Path,
    policy: spif.Spif,
    to: str,
    destination: Path | None,
    forbidden: Collection[Path] = (),
) -> tuple[LabelConvertView, str]:
    """The label in the form `to` (written to `destination` when given, never over the
    input or `forbidden`), and its text."""
    written = spif.read_label(read_xml_file(source))
    label = spif.resolve(written, policy).require()
    if to == "4774":
        text = stanag4774.write_xml(spif.to_4774(label, policy))
    else:
        text = spif.write_spiffing(label, policy)
    if destination is not None:
        files.write_small(destination, text.encode(), forbidden=[source, *forbidden])
    view = LabelConvertView(
        file=str(source),
        form=written.form,
        to=to,
        output=str(destination) if destination is not None else "-",
    )
    return view, text


def check_label(source: Path, policy: spif.Spif) -> LabelCheckView:
    """Whether a label keeps its SPIF's rules; every rule it breaks is a reason."""
    written = spif.read_label(read_xml_file(source))
    errors, warnings = spif.check(written, policy)
    return LabelCheckView(
        file=str(source),
        policy=PolicyRefView(name=policy.name, oid=policy.oid),
        valid=not errors,
        reasons=[FindingView(rule=f.rule, message=f.message) for f in errors],
        warnings=[FindingView(rule=f.rule, message=f.message) for f in warnings],
    )
