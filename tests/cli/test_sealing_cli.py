"""Keys, seal, open and inspect from the command line, across two nodes."""

import json
import os
import zipfile

import pytest

from gsomia.crypto.keys import Purpose
from gsomia.demo import forgery
from gsomia.formats import ztdf
from tests.store.test_files import within


@pytest.fixture
def two_nodes(gsomia, tmp_path, monkeypatch):
    """KOR (the backend under test) and JPN (SQLite) with keys made and exchanged."""
    monkeypatch.setenv("GSOMIA_PASSPHRASE", "correct horse battery staple")
    jpn = f"sqlite:///{tmp_path / 'jpn.db'}"
    gsomia("init", "--party", "KOR")
    gsomia("--db", jpn, "init", "--party", "JPN")
    assert gsomia("keys", "init").code == 0
    assert gsomia("--db", jpn, "keys", "init").code == 0
    gsomia("keys", "export", "-o", str(tmp_path / "kor.json"))
    gsomia("--db", jpn, "keys", "export", "-o", str(tmp_path / "jpn.json"))
    assert gsomia("--db", jpn, "keys", "import", str(tmp_path / "kor.json"), "--trust").code == 0
    assert gsomia("keys", "import", str(tmp_path / "jpn.json"), "--trust").code == 0
    return gsomia, jpn


@pytest.mark.parametrize("wrap", ["wrapped", "ec-wrapped"])
def test_seal_open_and_inspect_between_two_nodes(two_nodes, tmp_path, wrap):
    gsomia, jpn = two_nodes
    plain = tmp_path / "plan.bin"
    plain.write_bytes(os.urandom(100_000))
    sealed = gsomia(
        "seal",
        str(plain),
        "--to",
        "JPN",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--rel-to",
        "JPN",
        "--at",
        "2017-05-15",
        "--wrap",
        wrap,
        "-o",
        str(tmp_path / "plan.tdf"),
        "--json",
    )
    assert sealed.code == 0, sealed.stderr
    assert sealed.json["decisions"][0]["allowed"]
    inspected = gsomia("--db", jpn, "inspect", str(tmp_path / "plan.tdf"), "--json").json
    assert inspected["label"]["marking"] == "군사Ⅱ급비밀"
    assert inspected["label"]["releasable_to"] == ["JPN", "KOR"]
    assert inspected["recipients"][0]["party"] == "JPN"
    assert inspected["recipients"][0]["type"] == wrap
    assert inspected["integrity"]["label"] == "verified"
    opened = gsomia(
        "--db", jpn, "open", str(tmp_path / "plan.tdf"), "-o", str(tmp_path / "out.bin"), "--json"
    )
    assert opened.code == 0, opened.stderr
    assert (tmp_path / "out.bin").read_bytes() == plain.read_bytes()
    assert opened.json["sealed_by"] == "KOR"


def test_sealing_for_a_party_the_agreements_exclude_is_refused(two_nodes, tmp_path):
    gsomia, _ = two_nodes
    plain = tmp_path / "grade-one.bin"
    plain.write_bytes(b"never shared")
    result = gsomia(
        "seal",
        str(plain),
        "--to",
        "JPN",
        "--marking",
        "I",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
        "-o",
        str(tmp_path / "g.tdf"),
    )
    assert result.code == 1
    assert "level_not_covered" in result.stdout
    assert not (tmp_path / "g.tdf").exists()
    assert [d["kind"] for d in gsomia("decision", "list", "--json").json] == ["seal"]


def test_a_tampered_file_is_refused_with_one_line(two_nodes, tmp_path):
    gsomia, jpn = two_nodes
    plain = tmp_path / "p.bin"
    plain.write_bytes(b"x" * 5000)
    gsomia(
        "seal",
        str(plain),
        "--to",
        "JPN",
        "--marking",
        "III",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
        "-o",
        str(tmp_path / "p.tdf"),
    )
    forgery.relabel(tmp_path / "p.tdf", tmp_path / "p.tdf", Topic="logistics")
    result = gsomia("--db", jpn, "open", str(tmp_path / "p.tdf"), "-o", str(tmp_path / "o.bin"))
    assert result.code == 1  # the answer is no: the file fails verification
    assert result.stderr.strip().startswith("error: the label was changed after it was signed")
    assert not (tmp_path / "o.bin").exists()


def test_a_wrong_passphrase_is_one_line_and_reveals_nothing(two_nodes, monkeypatch, tmp_path):
    gsomia, _ = two_nodes
    monkeypatch.setenv("GSOMIA_PASSPHRASE", "not it")
    result = gsomia("keys", "export", "-o", str(tmp_path / "x.json"))
    assert result.code == 2
    assert result.stderr.strip().endswith(
        "wrong passphrase — set GSOMIA_PASSPHRASE or GSOMIA_PASSPHRASE_FILE"
    )
    assert result.stderr.count("\n") == 1
    assert "PRIVATE KEY" not in result.stderr + result.stdout


def test_without_a_passphrase_key_commands_say_how_to_give_one(gsomia, monkeypatch):
    monkeypatch.delenv("GSOMIA_PASSPHRASE", raising=False)
    gsomia("init", "--party", "KOR")
    result = gsomia("keys", "init")
    assert result.code == 2
    assert "GSOMIA_PASSPHRASE" in result.stderr


def test_keys_rotate_list_and_destroy(two_nodes):
    gsomia, _ = two_nodes
    rotated = gsomia("keys", "rotate", "--json").json
    assert len(rotated["new"]) == len(rotated["retired"]) == len(Purpose)
    listed = {k["kid"]: k for k in gsomia("keys", "list", "--json").json}
    assert all(listed[kid]["status"] == "retired" for kid in rotated["retired"])
    destroyed = gsomia("keys", "destroy", rotated["retired"][0], "--json").json
    assert destroyed["status"] == "destroyed"
    assert gsomia("keys", "destroy", rotated["new"][0]["kid"]).code == 2


def test_an_item_with_content_flows_from_korea_to_japan(two_nodes, tmp_path):
    gsomia, jpn = two_nodes
    plain = tmp_path / "imagery.bin"
    plain.write_bytes(os.urandom(300_000))
    item = gsomia(
        "item",
        "register",
        "--title",
        "Sunan imagery",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2017-08-30",
        "--file",
        str(plain),
        "--json",
    ).json
    assert item["sealed"]["size"] > 300_000
    released = gsomia(
        "item", "release", item["reference"], "--to", "JPN", "--at", "2017-08-30", "--json"
    ).json
    assert released["allowed"]
    release = gsomia("releases", "--json").json[0]
    assert released["sealed_copy"].endswith(release["sealed"]["sha256"] + ".tdf")
    copy = tmp_path / "outbox.tdf"  # what the federation will carry to Japan's node
    exported = gsomia("release", "export", str(release["id"]), "-o", str(copy))
    assert exported.code == 0, exported.stderr
    assert "sealed copy" in exported.stdout and str(copy) in exported.stdout
    received = gsomia(
        "--db", jpn, "item", "receive", "--file", str(copy), "--at", "2017-08-31", "--json"
    )
    assert received.code == 0, received.stderr
    assert received.json["item"]["holder_marking"] == "極秘"
    person = gsomia(
        "--db",
        jpn,
        "person",
        "add",
        "--name",
        "Sato",
        "--clearance",
        "gokuhi",
        "--need-to-know",
        "nk-missile",
        "--json",
    ).json
    opened = gsomia(
        "--db",
        jpn,
        "item",
        "open",
        received.json["item"]["reference"],
        "--person",
        str(person["id"]),
        "--at",
        "2017-09-01",
        "-o",
        str(tmp_path / "read.bin"),
        "--json",
    )
    assert opened.code == 0, opened.stderr
    assert (tmp_path / "read.bin").read_bytes() == plain.read_bytes()


def seal_for_japan(gsomia, tmp_path, content: bytes = b"x" * 5000):
    plain = tmp_path / "p.bin"
    plain.write_bytes(content)
    result = gsomia(
        "seal",
        str(plain),
        "--to",
        "JPN",
        "--marking",
        "III",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
        "-o",
        str(tmp_path / "p.tdf"),
    )
    assert result.code == 0, result.stderr
    return tmp_path / "p.tdf"


def test_an_unbound_label_is_refused_by_open_and_reported_by_inspect(two_nodes, tmp_path):
    gsomia, jpn = two_nodes
    sealed = seal_for_japan(gsomia, tmp_path)
    with zipfile.ZipFile(sealed) as archive:
        manifest = json.loads(archive.read(ztdf.MANIFEST))
        payload = archive.read(ztdf.PAYLOAD)
    forged = json.loads(json.dumps(manifest["assertions"][0]))
    del forged["binding"]
    forged["id"] = "handling-1"
    value = json.loads(forged["statement"]["value"])
    value["ConfidentialityInformation"]["Classification"] = "평문"
    forged["statement"]["value"] = json.dumps(value)
    manifest["assertions"].append(forged)
    with zipfile.ZipFile(sealed, "w") as archive:
        archive.writestr(ztdf.PAYLOAD, payload)
        archive.writestr(ztdf.MANIFEST, json.dumps(manifest))
    opened = gsomia("--db", jpn, "open", str(sealed), "-o", str(tmp_path / "o.bin"))
    assert opened.code == 1
    assert opened.stderr.strip() == (
        "error: assertion 'handling-1' looks like a label but is not the bound gsomia label"
    )
    assert not (tmp_path / "o.bin").exists()
    inspected = gsomia("--db", jpn, "inspect", str(sealed), "--json").json["integrity"]
    assert inspected["unbound_labels"] == ["handling-1"]
    assert inspected["label"] != "verified"
    assert "handling-1" in inspected["label"]


def test_open_to_standard_output_writes_the_content_and_reports_on_stderr(two_nodes, tmp_path):
    gsomia, jpn = two_nodes
    sealed = seal_for_japan(gsomia, tmp_path, b"the plan, in clear\n" * 300)
    opened = gsomia("--db", jpn, "open", str(sealed), "-o", "-")
    assert opened.code == 0, opened.stderr
    assert opened.stdout == "the plan, in clear\n" * 300
    assert "sealed by KOR" in opened.stderr


def test_open_never_overwrites_the_registry_or_its_input(two_nodes, tmp_path):
    gsomia, jpn = two_nodes
    sealed = seal_for_japan(gsomia, tmp_path)
    for path in (tmp_path / "jpn.db", sealed):
        before = path.read_bytes()
        result = gsomia("--db", jpn, "open", str(sealed), "-o", str(path))
        assert result.code == 2
        assert (
            result.stderr.strip() == f"error: will not write {path}: it is {path}, which must stay"
        )
        assert path.read_bytes() == before


def test_seal_never_overwrites_its_input(two_nodes, tmp_path):
    gsomia, _ = two_nodes
    plain = tmp_path / "p.bin"
    plain.write_bytes(b"x")
    result = gsomia(
        "seal", str(plain), "--to", "JPN", "--marking", "III", "--topic", "t", "-o", str(plain)
    )
    assert result.code == 2
    assert "which must stay" in result.stderr
    assert plain.read_bytes() == b"x"
    assert gsomia("decision", "list", "--json").json == []  # refused before deciding


@pytest.fixture
def one_node(gsomia, monkeypatch, tmp_path):
    monkeypatch.setenv("GSOMIA_PASSPHRASE", "correct horse battery staple")
    monkeypatch.chdir(tmp_path)
    gsomia("init", "--party", "KOR")
    return gsomia


@pytest.mark.parametrize("command", [["inspect"], ["open", "-o", "out.bin"]])
@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_device_or_fifo_input_is_refused_at_once_in_one_line(
    one_node, tmp_path, command, special
):
    if special == "fifo":
        os.mkfifo(tmp_path / "fifo")
    result = within(20, lambda: one_node(command[0], special, *command[1:]))
    assert result.code == 2
    assert result.stderr.count("\n") == 1
    assert "not a regular file" in result.stderr
    assert not (tmp_path / "out.bin").exists()


def test_item_register_refuses_a_device_as_its_file(one_node):
    arguments = ["--title", "t", "--marking", "III", "--topic", "t", "--at", "2018-01-01"]
    result = within(20, lambda: one_node("item", "register", *arguments, "--file", "/dev/zero"))
    assert result.code == 2
    assert result.stderr.strip() == (
        "error: will not read /dev/zero: it is a character device, not a regular file"
    )


def test_a_short_passphrase_cannot_protect_new_keys(gsomia, monkeypatch):
    monkeypatch.setenv("GSOMIA_PASSPHRASE", "too short")
    gsomia("init", "--party", "KOR")
    result = gsomia("keys", "init")
    assert result.code == 2
    assert result.stderr.strip() == (
        "error: a passphrase protecting keys needs at least 12 characters — choose a longer "
        "one in GSOMIA_PASSPHRASE or GSOMIA_PASSPHRASE_FILE"
    )
    assert gsomia("keys", "list", "--json").json == []


def test_keys_export_says_what_it_wrote_and_the_fingerprint_to_compare(one_node, tmp_path):
    one_node("keys", "init")
    exported = one_node("keys", "export", "-o", str(tmp_path / "kor.json"))
    assert exported.code == 0, exported.stderr
    fingerprint = next(
        k["fingerprint"] for k in one_node("keys", "list", "--json").json if k["purpose"] == "sign"
    )
    assert exported.stdout.strip() == (
        f"wrote KOR's public key set to {tmp_path / 'kor.json'}: {len(Purpose)} keys; signing-key "
        f"fingerprint {fingerprint}"
    )
    assert (tmp_path / "kor.json").stat().st_mode & 0o077 == 0
    refused = one_node("keys", "export", "-o", str(tmp_path))
    assert refused.code == 2 and "a directory" in refused.stderr


def otdf_python_sealed_for_japan(tmp_path, data: bytes):
    """A ZTDF sealed by otdf-python for JPN's RSA key from JPN's exported key set."""
    from otdf_python.config import KASInfo, TDFConfig
    from otdf_python.tdf import TDF

    keyset = json.loads((tmp_path / "jpn.json").read_text())
    rsa = next(k for k in keyset["keys"] if k["purpose"] == "wrapped")
    config = TDFConfig(
        kas_info_list=[
            KASInfo(url="urn:gsomia:party:JPN", public_key=rsa["public_pem"], kid=rsa["kid"])
        ]
    )
    _, _, stream = TDF().create_tdf(data, config)
    path = tmp_path / "foreign.tdf"
    path.write_bytes(stream.getvalue())
    return path


def test_an_otdf_python_file_is_refused_unlabelled_then_adopted_and_opened(two_nodes, tmp_path):
    gsomia, jpn = two_nodes
    data = os.urandom(50_000)
    foreign = otdf_python_sealed_for_japan(tmp_path, data)
    refused = gsomia("--db", jpn, "open", str(foreign), "-o", str(tmp_path / "o.bin"))
    assert refused.code == 2
    assert refused.stderr.strip().startswith("error: the item carries no gsomia label")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.bin").exists()
    labelled = tmp_path / "labelled.tdf"
    adopted = gsomia(
        "--db", jpn, "adopt", str(foreign), "--from", "KOR", "--marking", "II",
        "--topic", "nk-missile", "-o", str(labelled), "--json",
    )  # fmt: skip
    assert adopted.code == 0, adopted.stderr
    assert adopted.json["labelled_by"] == "JPN"
    assert adopted.json["marking"] == "군사Ⅱ급비밀"
    assert adopted.json["size"] == len(data)
    opened = gsomia("--db", jpn, "open", str(labelled), "-o", str(tmp_path / "o.bin"), "--json")
    assert opened.code == 0, opened.stderr
    assert (tmp_path / "o.bin").read_bytes() == data
    assert opened.json["sealed_by"] == "JPN" and opened.json["originator"] == "KOR"
    again = gsomia(
        "--db", jpn, "adopt", str(labelled), "--from", "KOR", "--marking", "II",
        "--topic", "nk-missile", "-o", str(tmp_path / "again.tdf"),
    )  # fmt: skip
    assert again.code == 2
    assert "already carries a gsomia label" in again.stderr
