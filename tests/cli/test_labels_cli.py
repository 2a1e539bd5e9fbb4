"""STANAG 4774 labels, SPIF import and STANAG 4778 bindings from the command line: the
contract (commands, options, JSON keys, exit codes)."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import VECTORS as SHARED_VECTORS

VECTORS = SHARED_VECTORS / "stanag4774-spiffing"
SPIF = str(VECTORS / "nato-4774-policy.xml")


def test_label_show_gives_policy_classification_categories_and_marking(gsomia):
    shown = gsomia("label", "show", str(VECTORS / "nato-4774-17-4.xml"), "--spif", SPIF, "--json")
    assert shown.code == 0, shown.stderr
    view = shown.json
    assert {"policy", "classification", "categories", "marking"} <= set(view)
    assert view["policy"] == {"name": "NATO", "oid": "1.3.26.1.3.1"}
    assert view["classification"] == "RESTRICTED"
    assert view["form"] == "spiffing"
    by_tag = {c["tag"]: c for c in view["categories"]}
    assert set(by_tag["Releasable To"]) == {"tag", "type", "values"}
    assert by_tag["Releasable To"]["type"] == "PERMISSIVE"
    assert sorted(by_tag["Releasable To"]["values"]) == ["CHE", "JPN", "NATO", "UKR"]
    assert view["marking"] == "NATO RESTRICTED Releasable to Japan, Switzerland, Ukraine"
    text = gsomia("label", "show", str(VECTORS / "nato-4774-17-4.nato"), "--spif", SPIF).stdout
    assert "marking: NATO RESTRICTED Releasable to Japan" in text


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_label_convert_goes_both_ways_to_the_same_label(gsomia, tmp_path, number):
    numeric, xml = tmp_path / "label.xml", tmp_path / "label.nato"
    source = str(VECTORS / f"nato-4774-17-{number}.nato")
    to_numeric = gsomia(
        "label", "convert", source, "--spif", SPIF, "--to", "spiffing", "-o", str(numeric)
    )
    assert to_numeric.code == 0, to_numeric.stderr
    assert "http://surevine.com/xmlns/spiffy" in numeric.read_text()
    back = gsomia("label", "convert", str(numeric), "--spif", SPIF, "--to", "4774", "-o", str(xml))
    assert back.code == 0, back.stderr
    assert oct(xml.stat().st_mode & 0o777) == "0o600"
    original = gsomia("label", "show", source, "--spif", SPIF, "--json").json
    again = gsomia("label", "show", str(xml), "--spif", SPIF, "--json").json
    vector = gsomia(
        "label", "show", str(VECTORS / f"nato-4774-17-{number}.xml"), "--spif", SPIF, "--json"
    ).json
    for view in (original, again, vector):
        view.pop("file")
        view.pop("form")
    assert original == again == vector


def test_label_convert_without_output_prints_the_label(gsomia):
    printed = gsomia(
        "label", "convert", str(VECTORS / "nato-4774-17-2.xml"), "--spif", SPIF, "--to", "4774"
    )
    assert printed.code == 0
    assert printed.stdout.startswith("<originatorConfidentialityLabel")
    assert "<Classification>UNCLASSIFIED</Classification>" in printed.stdout


def _label(tmp_path, classification: str, categories: str = "") -> str:
    path = tmp_path / "label.nato"
    path.write_text(
        '<originatorConfidentialityLabel xmlns="urn:nato:stanag:4774:confidentialitymetadatalabel:1:0">'
        f"<ConfidentialityInformation><PolicyIdentifier>NATO</PolicyIdentifier>"
        f"<Classification>{classification}</Classification>{categories}"
        "</ConfidentialityInformation></originatorConfidentialityLabel>"
    )
    return str(path)


def test_label_check_exits_0_for_a_valid_label(gsomia):
    checked = gsomia(
        "label", "check", str(VECTORS / "nato-4774-17-1.nato"), "--spif", SPIF, "--json"
    )
    assert checked.code == 0
    assert checked.json["valid"] is True and checked.json["reasons"] == []


def test_label_check_exits_1_with_the_rule_broken(gsomia, tmp_path):
    atomal = '<Category TagName="Additional Sensitivity" Type="RESTRICTIVE"><GenericValue>ATOMAL</GenericValue></Category>'
    checked = gsomia("label", "check", _label(tmp_path, "UNCLASSIFIED", atomal), "--spif", SPIF)
    assert checked.code == 1
    assert "ATOMAL (Additional Sensitivity) is not allowed at UNCLASSIFIED" in checked.stdout
    assert "[excludedClass]" in checked.stdout
    unknown = gsomia("label", "check", _label(tmp_path, "MOST SECRET"), "--spif", SPIF, "--json")
    assert unknown.code == 1
    assert unknown.json["reasons"][0]["rule"] == "definition"


def test_label_check_exits_2_for_an_unreadable_label(gsomia, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<originatorConfidentialityLabel>")
    checked = gsomia("label", "check", str(broken), "--spif", SPIF)
    assert checked.code == 2
    assert checked.stderr.count("\n") == 1 and "not well-formed" in checked.stderr
    missing = gsomia("label", "check", str(tmp_path / "none.xml"), "--spif", SPIF)
    assert missing.code == 2


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            '<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><l>&x;</l>',
            "declares a DTD or entities",
        ),
        (
            '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>',
            "declares a DTD or entities",
        ),
        ("<a>" * 5000 + "</a>" * 5000, "nested more than"),
    ],
    ids=["external-entity", "entity-expansion", "deep"],
)
def test_hostile_xml_is_refused_in_one_line(gsomia, tmp_path, document, message):
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(document)
    for command in (
        ["label", "show", str(hostile), "--spif", SPIF],
        ["label", "check", str(VECTORS / "nato-4774-17-1.nato"), "--spif", str(hostile)],
        ["scheme", "import", str(hostile)],
        ["verify-binding", str(hostile)],
    ):
        result = gsomia(*command)
        assert result.code == 2, command
        assert message in result.stderr and result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr


def test_a_huge_label_is_refused(gsomia, tmp_path):
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as out:
        out.write(b"<label>")
        out.truncate(17 * 1024 * 1024)
    result = gsomia("label", "show", str(huge), "--spif", SPIF)
    assert result.code == 2 and "refused unread" in result.stderr


def test_scheme_import_makes_the_spif_a_scheme_once(gsomia, tmp_path):
    first = gsomia("scheme", "import", SPIF, "--json")
    assert first.code == 0, first.stderr
    assert first.json["outcome"] == "added"
    assert first.json["classifications"][0] == "TOP SECRET"
    assert gsomia("scheme", "import", SPIF, "--json").json["outcome"] == "unchanged"
    listed = gsomia("scheme", "list", "--json").json
    imported = [s for s in listed if s.get("policy_oid") == "1.3.26.1.3.1"]
    assert [lv["marking"] for lv in imported[0]["levels"]] == [
        "TOP SECRET",
        "SECRET",
        "CONFIDENTIAL",
        "RESTRICTED",
        "UNCLASSIFIED",
    ]
    newer = tmp_path / "nato-80.xml"
    newer.write_text(
        (VECTORS / "nato-4774-policy.xml").read_text().replace('version="79"', 'version="80"')
    )
    refused = gsomia("scheme", "import", str(newer))
    assert refused.code == 2 and "--replace" in refused.stderr
    assert (
        gsomia("scheme", "import", str(newer), "--replace", "--json").json["outcome"] == "updated"
    )
    renamed = tmp_path / "renamed.xml"
    renamed.write_text(newer.read_text().replace('name="NATO" id=', 'name="OTAN" id='))
    clash = gsomia("scheme", "import", str(renamed))
    assert clash.code == 2 and "already imported as 'NATO'" in clash.stderr
    assert gsomia("ledger", "verify").code == 0


def test_an_imported_policy_serves_as_the_spif(gsomia, tmp_path):
    label = str(VECTORS / "nato-4774-17-4.nato")
    missing = gsomia("label", "check", label, "--spif", "NATO")
    assert missing.code == 2 and "gsomia scheme import" in missing.stderr
    assert gsomia("scheme", "import", SPIF).code == 0
    for ref in ("NATO", "1.3.26.1.3.1"):
        assert gsomia("label", "check", label, "--spif", ref).code == 0
    shown = gsomia("label", "show", label, "--spif", "NATO", "--json").json
    assert shown["policy"] == {"name": "NATO", "oid": "1.3.26.1.3.1"}


def test_convert_never_writes_over_the_spif(gsomia, tmp_path):
    spif = tmp_path / "policy.xml"
    spif.write_bytes((VECTORS / "nato-4774-policy.xml").read_bytes())
    label = str(VECTORS / "nato-4774-17-2.nato")
    result = gsomia(
        "label", "convert", label, "--spif", str(spif), "--to", "spiffing", "-o", str(spif)
    )
    assert result.code == 2
    assert spif.read_bytes() == (VECTORS / "nato-4774-policy.xml").read_bytes()


@pytest.fixture
def keyed(gsomia, monkeypatch):
    monkeypatch.setenv("GSOMIA_PASSPHRASE", "correct horse battery staple")
    gsomia("init", "--party", "KOR")
    assert gsomia("keys", "init").code == 0
    return gsomia


def test_bind_and_verify_binding(keyed, tmp_path):
    gsomia = keyed
    data = tmp_path / "plans.bin"
    data.write_bytes(b"the plans")
    out = tmp_path / "plans.binding.xml"
    bound = gsomia(
        "bind", str(data), "--label", str(VECTORS / "nato-4774-17-4.nato"), "-o", str(out), "--json"
    )
    assert bound.code == 0, bound.stderr
    assert bound.json["data_uri"] == "plans.bin"
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    verified = gsomia("verify-binding", str(out), "--json")
    assert verified.code == 0, verified.stderr
    assert verified.json["signer"] == "KOR"
    assert (verified.json["policy"], verified.json["classification"]) == ("NATO", "RESTRICTED")
    spaced = tmp_path / "sub dir" / "the plans.bin"
    spaced.parent.mkdir()
    spaced.write_bytes(b"more plans")
    bound = gsomia(
        "bind",
        str(spaced),
        "--label",
        str(VECTORS / "nato-4774-17-1.nato"),
        "-o",
        str(tmp_path / "s.xml"),
        "--json",
    )
    assert bound.json["data_uri"] == "sub%20dir/the%20plans.bin"
    assert gsomia("verify-binding", str(tmp_path / "s.xml")).code == 0
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(data, moved / "copy.bin")
    assert gsomia("verify-binding", str(out), "--data", str(moved / "copy.bin")).code == 0


def test_data_altered_after_binding_is_refused(keyed, tmp_path):
    gsomia = keyed
    data = tmp_path / "plans.bin"
    data.write_bytes(b"the plans")
    out = tmp_path / "b.xml"
    gsomia("bind", str(data), "--label", str(VECTORS / "nato-4774-17-4.nato"), "-o", str(out))
    data.write_bytes(b"the plans, amended")
    refused = gsomia("verify-binding", str(out))
    assert refused.code == 1
    assert "data object" in refused.stderr and "altered after binding" in refused.stderr


def test_a_label_altered_after_binding_is_refused(keyed, tmp_path):
    gsomia = keyed
    data = tmp_path / "plans.bin"
    data.write_bytes(b"the plans")
    out = tmp_path / "b.xml"
    gsomia("bind", str(data), "--label", str(VECTORS / "nato-4774-17-4.nato"), "-o", str(out))
    out.write_text(out.read_text().replace("RESTRICTED", "UNCLASSIFIED"))
    refused = gsomia("verify-binding", str(out))
    assert refused.code == 1
    assert "label or the data reference was altered" in refused.stderr


def test_a_binding_by_an_unknown_key_is_refused(keyed, tmp_path, monkeypatch):
    gsomia = keyed
    data = tmp_path / "plans.bin"
    data.write_bytes(b"the plans")
    out = tmp_path / "b.xml"
    gsomia("bind", str(data), "--label", str(VECTORS / "nato-4774-17-4.nato"), "-o", str(out))
    other = f"sqlite:///{tmp_path / 'jpn.db'}"
    gsomia("--db", other, "init", "--party", "JPN")
    refused = gsomia("--db", other, "verify-binding", str(out))
    assert refused.code == 1
    assert "belongs to no known party" in refused.stderr


def test_bind_refuses_a_label_that_is_not_4774(keyed, tmp_path):
    gsomia = keyed
    data = tmp_path / "plans.bin"
    data.write_bytes(b"x")
    result = gsomia(
        "bind",
        str(data),
        "--label",
        str(VECTORS / "nato-4774-17-4.xml"),
        "-o",
        str(tmp_path / "b.xml"),
    )
    assert result.code == 2 and "not a STANAG 4774 label" in result.stderr
