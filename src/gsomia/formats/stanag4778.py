"""STANAG 4778 metadata bindings: a STANAG 4774 label bound to a data object by a signature.

A binding is an ADatP-4778 `BindingInformation` document: one `MetadataBindingContainer`
holding one `MetadataBinding`, whose `Metadata` is the 4774 label and whose `DataReference`
names the data object by a URI relative to the binding (the data travels beside it, detached,
as 4778's data references do). An XML-DSig `Signature` (XML Signature 1.1) is the binding's
last child, with two references:

1. `URI=""` with the enveloped-signature and exclusive C14N transforms: the whole binding
   (label and data reference) but the signature itself;
2. the data reference's URI, without transforms: the SHA-256 of the data object's bytes.

It is signed with the node's Ed25519 signing key (`eddsa-ed25519` of RFC 9231), named by its
key id in `KeyInfo/KeyName`; the verifier looks the key up among the parties' keys it holds,
never in the document. signxml, the usual Python XML-DSig library, signs with RSA, ECDSA, DSA
and HMAC only, and gsomia's signing keys are Ed25519: so this module writes and checks exactly
this one profile itself, with lxml's exclusive canonicalisation, and `verify` refuses any
other shape (other algorithms, transforms, references, a second signature) before a byte is
trusted. It builds and takes apart the document only; signing and verifying the bytes are
the caller's (`gsomia.crypto`).
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import dataclass

from lxml import etree

from gsomia.errors import UnreadableXml
from gsomia.formats import safe_xml, stanag4774

NAMESPACE = "urn:nato:stanag:4778:bindinginformation:1:0"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
ED25519 = "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_MB = f"{{{NAMESPACE}}}"
_DS = f"{{{DSIG}}}"


def _lxml(data: bytes) -> etree._Element:
    """Bytes defusedxml already accepted (no DTD) read by lxml, only to canonicalise them;
    a parser per call (lxml's parsers are not to be shared between threads)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(data, parser)


@dataclass(frozen=True, slots=True)
class Draft:
    """A binding built and digested, waiting for its signature over `signed_info`."""

    document: etree._Element
    signature: etree._Element

    @property
    def signed_info(self) -> bytes:
        """The canonical SignedInfo: the bytes the signature is over."""
        return _canonical(self.signature.find(f"{_DS}SignedInfo"))

    def finish(self, signature: bytes) -> bytes:
        """The signed binding, as UTF-8 XML."""
        value = self.signature.find(f"{_DS}SignatureValue")
        assert value is not None
        value.text = base64.b64encode(signature).decode("ascii")
        return etree.tostring(self.document, xml_declaration=True, encoding="UTF-8") + b"\n"


def draft(label: bytes, data_uri: str, data: bytes, kid: str) -> Draft:
    """A binding of the 4774 label `label` (its XML, bound as written, whatever else it
    carries) to the data object at `data_uri` whose SHA-256 is `data`."""
    stanag4774.read_xml_input(label)  # a 4774 label, and safe to read
    nsmap = {"mb": NAMESPACE}
    root = etree.Element(f"{_MB}BindingInformation", nsmap=nsmap)
    container = etree.SubElement(root, f"{_MB}MetadataBindingContainer")
    binding = etree.SubElement(container, f"{_MB}MetadataBinding")
    metadata = etree.SubElement(binding, f"{_MB}Metadata")
    metadata.append(_lxml(label))
    etree.SubElement(binding, f"{_MB}DataReference", {"URI": data_uri})
    etree.indent(root)
    root = _lxml(etree.tostring(root))  # as a verifier will read it
    document_digest = hashlib.sha256(_canonical(root)).digest()
    signature = etree.SubElement(root, f"{_DS}Signature", nsmap={"ds": DSIG})
    info = etree.SubElement(signature, f"{_DS}SignedInfo")
    etree.SubElement(info, f"{_DS}CanonicalizationMethod", {"Algorithm": EXC_C14N})
    etree.SubElement(info, f"{_DS}SignatureMethod", {"Algorithm": ED25519})
    whole = etree.SubElement(info, f"{_DS}Reference", {"URI": ""})
    transforms = etree.SubElement(whole, f"{_DS}Transforms")
    for algorithm in (ENVELOPED, EXC_C14N):
        etree.SubElement(transforms, f"{_DS}Transform", {"Algorithm": algorithm})
    _digest(whole, document_digest)
    _digest(etree.SubElement(info, f"{_DS}Reference", {"URI": data_uri}), data)
    etree.SubElement(signature, f"{_DS}SignatureValue")
    key_info = etree.SubElement(signature, f"{_DS}KeyInfo")
    etree.SubElement(key_info, f"{_DS}KeyName").text = kid
    return Draft(root, signature)


def _digest(reference: etree._Element, digest: bytes) -> None:
    etree.SubElement(reference, f"{_DS}DigestMethod", {"Algorithm": SHA256})
    etree.SubElement(reference, f"{_DS}DigestValue").text = base64.b64encode(digest).decode()


def _canonical(element: etree._Element | None) -> bytes:
    assert element is not None
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


@dataclass(frozen=True, slots=True)
class Binding:
    """A binding read and its own digest checked; the signature and the data are the caller's
    to check (`signed_info`, `signature`, `kid`; `data_uri`, `data_sha256`)."""

    label: stanag4774.ConfidentialityLabel
    label_xml: str
    data_uri: str
    data_sha256: bytes
    kid: str
    signed_info: bytes
    signature: bytes
    document_intact: bool
    """Whether the label and data reference are those the signature's first reference
    digests (only meaningful once the signature verifies)."""


def read(data: bytes) -> Binding:
    """A binding in the one profile gsomia writes; `UnreadableXml` for any other document."""
    safe_xml.parse(data, "the binding")
    root = _lxml(data)
    if root.tag != f"{_MB}BindingInformation":
        raise UnreadableXml(f"not a STANAG 4778 binding: its root is {root.tag}")
    signatures = root.findall(f"{_DS}Signature")
    bindings = root.findall(f"{_MB}MetadataBindingContainer/{_MB}MetadataBinding")
    if len(signatures) != 1 or len(bindings) != 1:
        raise UnreadableXml(
            "the binding must hold one MetadataBinding and one Signature; it holds "
            f"{len(bindings)} and {len(signatures)}"
        )
    signature, binding = signatures[0], bindings[0]
    labels = binding.findall(f"{_MB}Metadata/*")
    reference = binding.find(f"{_MB}DataReference")
    if len(labels) != 1 or reference is None or not reference.get("URI"):
        raise UnreadableXml("the binding needs one label in Metadata and a DataReference URI")
    label_xml = etree.tostring(labels[0], encoding="unicode")
    label = stanag4774.read_xml_input(label_xml)
    data_uri = str(reference.get("URI"))
    info = signature.find(f"{_DS}SignedInfo")
    if info is None:
        raise UnreadableXml("the binding's signature has no SignedInfo")
    _expect(info, f"{_DS}CanonicalizationMethod", EXC_C14N)
    _expect(info, f"{_DS}SignatureMethod", ED25519)
    references = info.findall(f"{_DS}Reference")
    if [r.get("URI") for r in references] != ["", data_uri]:
        raise UnreadableXml(
            'the binding\'s signature must reference the binding (URI "") and its data '
            f"object ({data_uri}), in that order"
        )
    transforms = [t.get("Algorithm") for t in references[0].iterfind(f"{_DS}Transforms/*")]
    if transforms != [ENVELOPED, EXC_C14N] or references[1].find(f"{_DS}Transforms") is not None:
        raise UnreadableXml("the binding's signature uses transforms gsomia does not accept")
    claimed_document = _reference_digest(references[0])
    data_sha256 = _reference_digest(references[1])
    kid = (signature.findtext(f"{_DS}KeyInfo/{_DS}KeyName") or "").strip()
    if not kid:
        raise UnreadableXml("the binding's signature names no key (KeyInfo/KeyName)")
    unsigned = copy.deepcopy(root)
    for found in unsigned.findall(f"{_DS}Signature"):
        unsigned.remove(found)
    return Binding(
        label=label,
        label_xml=label_xml,
        data_uri=data_uri,
        data_sha256=data_sha256,
        kid=kid,
        signed_info=_canonical(info),
        signature=_base64(signature.findtext(f"{_DS}SignatureValue"), "SignatureValue"),
        document_intact=hashlib.sha256(_canonical(unsigned)).digest() == claimed_document,
    )


def _expect(info: etree._Element, tag: str, algorithm: str) -> None:
    element = info.find(tag)
    if element is None or element.get("Algorithm") != algorithm:
        name = tag.rpartition("}")[2]
        raise UnreadableXml(f"the binding's {name} must be {algorithm}")


def _reference_digest(reference: etree._Element) -> bytes:
    method = reference.find(f"{_DS}DigestMethod")
    if method is None or method.get("Algorithm") != SHA256:
        raise UnreadableXml(f"the binding's digests must be {SHA256}")
    digest = _base64(reference.findtext(f"{_DS}DigestValue"), "DigestValue")
    if len(digest) != hashlib.sha256().digest_size:
        raise UnreadableXml("a DigestValue of the binding is not a SHA-256 digest")
    return digest


def _base64(text: str | None, what: str) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except ValueError:
        raise UnreadableXml(f"the binding's {what} is not base64") from None
