"""The label's binding: one label per item, bound to the manifest and the payload by the
sealing party's signature. An extra assertion that looks like a label is an attack: a reader
would take it for the item's label although nothing binds it."""

from __future__ import annotations

import base64
import copy

import pytest

from gsomia.crypto.binding import LABEL_ASSERTION, unbound_labels, verify_label
from gsomia.errors import LabelAltered
from gsomia.formats import stanag4774
from tests.crypto.test_sealing import entries, leftovers, open_path, rewrite, sealed

FORGED_VALUE = {
    "ConfidentialityInformation": {"PolicyIdentifier": "KOR", "Classification": "UNCLASSIFIED"}
}
XML_LABEL = (
    f'<originatorConfidentialityLabel xmlns="{stanag4774.SCHEMA}"><ConfidentialityInformation>'
    "<PolicyIdentifier>KOR</PolicyIdentifier><Classification>UNCLASSIFIED</Classification>"
    "</ConfidentialityInformation></originatorConfidentialityLabel>"
)


def assertion(id_: str, type_: str = "other", schema: str = "", value=None, format_="string"):
    return {
        "id": id_,
        "type": type_,
        "scope": "payload",
        "appliesToState": "unencrypted",
        "statement": {"format": format_, "schema": schema, "value": value or "routine"},
    }


LOOKALIKES = {
    "type-handling": assertion("note-1", type_="handling"),
    "4774-schema": assertion("note-2", schema=stanag4774.SCHEMA),
    "confidentiality-schema": assertion("note-3", schema="Confidentiality Metadata Label v2"),
    "value-holding-confidentiality-information": assertion("note-4", value=FORGED_VALUE),
    "xml-value": assertion("note-5", value=XML_LABEL, format_="xml-structured"),
    "base64-value": assertion(
        "note-6", value=base64.b64encode(XML_LABEL.encode()).decode(), format_="base64binary"
    ),
    "id-naming-a-label": assertion("Label-2"),
}


def with_extra(tmp_path, rings, extra):
    path = sealed(tmp_path, rings, b"plaintext marker")
    manifest, payload = entries(path)
    manifest["assertions"].append(copy.deepcopy(extra))
    rewrite(path, manifest, payload)
    return path, manifest


@pytest.mark.parametrize("extra", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_open_refuses_an_unbound_assertion_that_looks_like_a_label(tmp_path, rings, extra):
    path, _ = with_extra(tmp_path, rings, extra)
    with pytest.raises(LabelAltered) as error:
        open_path(path, rings["JPN"], tmp_path / "out")
    assert error.value.message == (
        f"assertion {extra['id']!r} looks like a label but is not the bound gsomia label"
    )
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("extra", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_unbound_labels_names_each_lookalike(tmp_path, rings, extra):
    _, manifest = with_extra(tmp_path, rings, extra)
    assert unbound_labels(manifest) == [extra["id"]]


def test_an_unrelated_assertion_does_not_stop_an_item_from_opening(tmp_path, rings):
    path, manifest = with_extra(tmp_path, rings, assertion("retention", value={"days": 30}))
    assert unbound_labels(manifest) == []
    open_path(path, rings["JPN"], tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == b"plaintext marker"


def test_a_second_gsomia_label_is_refused(tmp_path, rings):
    path = sealed(tmp_path, rings, b"x")
    manifest, payload = entries(path)
    manifest["assertions"].append(copy.deepcopy(manifest["assertions"][0]))
    rewrite(path, manifest, payload)
    with pytest.raises(LabelAltered, match="no single bound gsomia label"):
        open_path(path, rings["JPN"], tmp_path / "out")


def test_a_label_without_its_binding_is_refused(tmp_path, rings):
    manifest, _ = entries(sealed(tmp_path, rings, b"x"))
    del manifest["assertions"][0]["binding"]
    with pytest.raises(LabelAltered, match="no single bound gsomia label"):
        verify_label(manifest, rings["JPN"].verifying)


def test_the_bound_label_verifies_without_any_private_key(tmp_path, rings, records):
    from tests.keyrings import ring_for

    manifest, _ = entries(sealed(tmp_path, rings, b"x"))
    public_only = ring_for("USA", records)  # holds KOR's public keys only
    bound = verify_label(manifest, public_only.verifying)
    assert (bound.sealed_by, bound.statement.topic) == ("KOR", "nk-missile")
    assert bound.signer.startswith("kor-sign-")
    assert manifest["assertions"][0]["id"] == LABEL_ASSERTION
