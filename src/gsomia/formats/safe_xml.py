"""Reading XML that comes from outside: labels, SPIFs and bindings a partner sends.

Everything is parsed by defusedxml first, which refuses a document type declaration
(`forbid_dtd`), and with it every entity and external reference: no STANAG 4774 label, SPIF
or 4778 binding needs one, and XXE and entity expansion ("billion laughs") both need one. Then
the size and the nesting depth are bounded, so that a huge or deeply nested document is
refused before anything walks it. What fails is `UnreadableXml`: bad input, one line.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gsomia.errors import UnreadableXml

MAX_BYTES = 16 * 1024 * 1024
"""The largest document read; NATO's SPIF, the largest of the kind, is under 100 KiB."""
MAX_DEPTH = 32
"""The deepest nesting read; a SPIF nests 6 deep, a 4778 binding with its signature 8."""


def parse(data: bytes | str, what: str) -> ET.Element:
    """The root of the document `data`, named `what` in errors, if it is safe to read."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise UnreadableXml(
            f"{what} is {len(raw)} bytes, more than the {MAX_BYTES} read; refused unread"
        )
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnreadableXml(
            f"{what} declares a DTD or entities ({type(exc).__name__}), which gsomia never "
            "reads (they are how XML external entity and expansion attacks work)"
        ) from None
    except ET.ParseError as exc:
        raise UnreadableXml(f"{what} is not well-formed XML ({exc})") from None
    check_depth(root, what)
    return root


def check_depth(root: ET.Element, what: str) -> None:
    """Refuse a document nested deeper than `MAX_DEPTH` (walked without recursion)."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UnreadableXml(f"{what} is nested more than {MAX_DEPTH} elements deep; refused")
        stack.extend((child, depth + 1) for child in element)


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rpartition("}")[2]


def namespace(tag: str) -> str:
    """An element's namespace, empty when it has none."""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""
