"""`gsomia item remark|declassify|recall|holders|destroy|return|copy`: the contract's
options and JSON keys; bad input gives one line, exit 2, and changes nothing; a change only
the originator may make is a no (exit 1)."""

import pytest

from tests.cli.test_bad_input import assert_one_line_error


@pytest.fixture
def korea(gsomia, monkeypatch):
    monkeypatch.setenv("GSOMIA_PASSPHRASE", "custody cli passphrase")
    assert gsomia("init", "--party", "KOR", "--time-zone", "Asia/Seoul").code == 0
    assert gsomia("keys", "init").code == 0
    made = gsomia(
        "item", "register", "--title", "KN-23 profile", "--marking", "II",
        "--topic", "nk-missile", "--at", "2018-01-10", "--json",
    )  # fmt: skip
    witness = gsomia(
        "person", "add", "--name", "Kim Min-ji", "--clearance", "II",
        "--need-to-know", "nk-missile", "--json",
    )  # fmt: skip
    return gsomia, made.json["reference"], str(witness.json["id"])


def changes(gsomia, reference):
    return gsomia("item", "show", reference, "--json").json["changes"]


def test_remark_holders_destroy_and_copy_keep_their_json_keys(korea):
    gsomia, reference, witness = korea
    gsomia("item", "release", reference, "--to", "JPN", "--at", "2018-01-12")
    copied = gsomia(
        "item", "copy", reference, "--by", witness, "--kind", "translation", "--at",
        "2018-01-13", "--json",
    )  # fmt: skip
    assert copied.code == 0 and copied.json["allowed"]
    remarked = gsomia(
        "item", "remark", reference, "--marking", "III", "--reference", "MND 2018-3",
        "--at", "2018-02-01", "--json",
    )  # fmt: skip
    assert remarked.code == 0, remarked.stderr
    assert set(remarked.json) >= {"item", "change", "copies", "notice"}
    assert remarked.json["copies"] == [copied.json["item"]["reference"]]
    assert remarked.json["notice"]["holders"] == ["JPN"]
    holders = gsomia("item", "holders", reference, "--at", "2018-03-30", "--json")
    assert holders.code == 0
    assert set(holders.json) == {"item", "originator", "marking", "state", "ack_within", "holders"}
    [japan] = holders.json["holders"]
    assert set(japan) == {
        "party", "via", "marking", "english", "notice", "notice_kind", "sent_at",
        "acknowledged", "acknowledged_at", "overdue", "disposal", "disposed_at",
    }  # fmt: skip
    assert (japan["party"], japan["marking"], japan["overdue"]) == ("JPN", "秘", True)
    table = gsomia("item", "holders", reference, "--at", "2018-03-30")
    assert "OVERDUE" in table.stdout
    destroyed = gsomia(
        "item", "destroy", reference, "--method", "shredding", "--witness", witness,
        "--at", "2018-04-01", "--json",
    )  # fmt: skip
    assert destroyed.code == 0
    certificate = destroyed.json["change"]
    assert (certificate["kind"], certificate["method"], certificate["witness"]) == (
        "destroy",
        "shredding",
        int(witness),
    )
    opened = gsomia("item", "access", reference, "--person", witness, "--at", "2018-04-02")
    assert opened.code == 1 and "item_destroyed" in opened.stdout
    assert gsomia("ledger", "verify").code == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("remark", "{ref}", "--marking", "SECRET//X", "--reference", "R"), ("SECRET//X",)),
        (("remark", "{ref}", "--marking", "II", "--reference", "R"), ("already marked",)),
        (("remark", "{ref}", "--marking", "III", "--reference", " "), ("--reference",)),
        (
            ("remark", "{ref}", "--marking", "III", "--reference", "R", "--at", "2018-13-01"),
            ("2018-13-01",),
        ),
        (("remark", "NO-SUCH", "--marking", "III", "--reference", "R"), ("NO-SUCH",)),
        (("destroy", "{ref}", "--method", "shredding", "--witness", "99"), ("99",)),
        (("destroy", "{ref}", "--method", " ", "--witness", "{witness}"), ("method",)),
        (("return", "{ref}"), ("no one to return it to",)),
        (("copy", "{ref}", "--by", "{witness}", "--marking", "III"), ("at least",)),
        (("copy", "{ref}", "--by", "{witness}", "--kind", "summary"), ("summary",)),
        (("recall", "{ref}", "--ask", "burn", "--reference", "R"), ("burn",)),
        (("holders", "{ref}", "--ack-within", "-1"), ("--ack-within",)),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(korea, args, words):
    gsomia, reference, witness = korea
    before = gsomia("ledger", "verify", "--json").json["size"]
    filled = [a.format(ref=reference, witness=witness) for a in args]
    result = gsomia("item", *filled)
    assert_one_line_error(result, *(w.format(ref=reference) for w in words))
    assert changes(gsomia, reference) == []
    assert gsomia("ledger", "verify", "--json").json["size"] == before


def test_a_holder_cannot_remark_the_originators_item(gsomia):
    """Art 6(g): exit 1, the answer is no."""
    assert gsomia("init", "--party", "JPN", "--time-zone", "Asia/Tokyo").code == 0
    received = gsomia(
        "item", "receive", "--title", "KN-23 profile", "--originator", "KOR",
        "--marking", "II", "--topic", "nk-missile", "--at", "2018-01-12", "--json",
    )  # fmt: skip
    reference = received.json["item"]["reference"]
    result = gsomia("item", "remark", reference, "--marking", "III", "--reference", "ours")
    assert result.code == 1 and "only its originator, KOR" in result.stderr
    assert changes(gsomia, reference) == []
