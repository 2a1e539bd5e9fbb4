"""Reading XML that comes from outside: labels, SPIFs and bindings a partner sends.

Everything is parsed by defusedxml first, which refuses a document type declaration
(`forbid_dtd`), and with it every entity and external reference: no STANAG 4774 label, SPIF
or 4778 binding needs one, and XXE and entity expansion ("billion laughs") both need one. Then
the size, the nesting depth and the number of elements are bounded, so that a huge, deeply
nested or swarming document is refused before it fills memory or anything walks it. What
fails is `UnreadableXml`: bad input, one line.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from gsomia.errors import UnreadableXml

MAX_BYTES = 16 * 1024 * 1024
"""The largest document read; NATO's SPIF, the largest of the kind, is under 100 KiB."""
MAX_DEPTH = 32
"""The deepest nesting read; a SPIF nests 10 deep, a 4778 binding with its signature 8."""
MAX_ELEMENTS = 250_000
"""The most elements read; NATO's SPIF has about 1,250."""


def parse(data: bytes | str, what: str) -> ET.Element:
    """The root of the document `data`, named `what` in errors, if it is safe to read.

    The document is parsed as a stream: too deep a nesting or too many elements stop the
    parse where they occur, before the rest is read into memory.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise UnreadableXml(
            f"{what} is {len(raw)} bytes, more than the {MAX_BYTES} read; refused unread"
        )
    root: ET.Element | None = None
    depth = elements = 0
    try:
        for event, element in iterparse(
            io.BytesIO(raw),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "end":
                depth -= 1
                continue
            depth, elements = depth + 1, elements + 1
            root = element if root is None else root
            if depth > MAX_DEPTH:
                raise UnreadableXml(
                    f"{what} is nested more than {MAX_DEPTH} elements deep; refused"
                )
            if elements > MAX_ELEMENTS:
                raise UnreadableXml(f"{what} has more than {MAX_ELEMENTS} elements; refused")
    except DefusedXmlException as exc:
        raise UnreadableXml(
            f"{what} declares a DTD or entities ({type(exc).__name__}), which gsomia never "
            "reads (they are how XML external entity and expansion attacks work)"
        ) from None
    except ET.ParseError as exc:
        raise UnreadableXml(f"{what} is not well-formed XML ({exc})") from None
    if root is None:
        raise UnreadableXml(f"{what} is empty")
    return root


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rpartition("}")[2]


def namespace(tag: str) -> str:
    """An element's namespace, empty when it has none."""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""
