"""After the hand-over, between live nodes: a re-marking reaches a holder downstream of the
hub; a notice from anyone but the originator is refused; a destroyed copy no longer opens and
its originator is told."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gsomia.core.custody import NoticeKind
from gsomia.crypto import objects
from gsomia.node.commands.keys import keyring, sign_object
from gsomia.node.context import Node as Registry
from gsomia.node.settings import Settings
from tests.federation.conftest import PASSPHRASE, Federation
from tests.federation.test_exchange import _signed

pytestmark = pytest.mark.xdist_group("federation-custody")


def _register(node: Any, title: str, at: str, *extra: str) -> str:
    made = node.run(
        "item", "register", "--title", title, "--marking", "II", "--topic", "nk-missile",
        "--at", at, "--json", *extra,
    ).json  # fmt: skip
    return str(made["reference"])


def _copy(node: Any, originator: str, reference: str) -> dict[str, Any] | None:
    listed = node.run("item", "list", "--originator", originator, "--json").json
    return next((i for i in listed if i["originator_reference"] == reference), None)


def test_a_remarking_reaches_the_holder_downstream_of_the_hub(federation: Federation):
    """Art 6(g): KOR re-marks an item it relayed to JPN through the USA (TISA); the USA
    re-marks its copy and passes the notice on; JPN re-marks its own; both acknowledge, and
    KOR sees every holder with the marking each now has."""
    kor, jpn, usa = federation["KOR"], federation["JPN"], federation["USA"]
    reference = _register(kor, "KN-23 flight profile", "2019-12-01")
    kor.run("item", "release", reference, "--to", "USA", "--for", "JPN", "--at", "2019-12-02")
    federation.wait(lambda: _copy(jpn, "KOR", reference) is not None, 90, "the copy at JPN")
    remarked = kor.run(
        "item", "remark", reference, "--marking", "III", "--reference", "MND 2020-14",
        "--at", "2020-01-10", "--json",
    ).json  # fmt: skip
    assert remarked["notice"]["holders"] == ["USA"]
    assert remarked["item"]["marking"] == "군사Ⅲ급비밀"

    def acknowledged() -> dict[str, Any]:
        holders = kor.run("item", "holders", reference, "--json").json["holders"]
        return {h["party"]: h for h in holders if h["acknowledged"]}

    federation.wait(lambda: set(acknowledged()) == {"USA", "JPN"}, 90, "both acknowledgements")
    holders = acknowledged()
    assert (holders["JPN"]["via"], holders["JPN"]["marking"]) == ("USA", "秘")
    assert holders["USA"]["marking"] == "CONFIDENTIAL"
    assert not any(h["overdue"] for h in holders.values())
    at_usa, at_jpn = _copy(usa, "KOR", reference), _copy(jpn, "KOR", reference)
    assert at_usa is not None and at_jpn is not None
    assert (at_usa["marking"], at_usa["holder_marking"]) == ("군사Ⅲ급비밀", "CONFIDENTIAL")
    assert (at_jpn["marking"], at_jpn["holder_marking"]) == ("군사Ⅲ급비밀", "秘")
    shown = jpn.run("item", "show", at_jpn["reference"], "--json").json
    assert [(c["kind"], c["by"], c["reference"]) for c in shown["changes"]] == [
        ("remark", "KOR", "MND 2020-14")
    ]
    for node in (kor, jpn, usa):
        assert node.run("ledger", "verify").code == 0


def test_a_notice_from_anyone_but_the_originator_is_refused(federation: Federation):
    """Art 6(g): the USA holds a Korean item; a re-marking signed by the USA — whether it names
    itself or Korea as the originator — changes nothing at JPN."""
    kor, jpn = federation["KOR"], federation["JPN"]
    reference = _register(kor, "for Japan", "2018-03-01")
    kor.run("item", "release", reference, "--to", "JPN", "--at", "2018-03-02")
    federation.wait(lambda: _copy(jpn, "KOR", reference) is not None, 90, "the copy at JPN")
    url = f"{jpn.url}/v1/notices"
    usa = federation["USA"]
    with Registry.open(Settings(database=usa.database)) as america, america.read() as tx:
        ring = keyring(tx, PASSPHRASE.encode())
    for originator in ("USA", "KOR"):
        notice = objects.ItemNotice(
            iss="USA" if originator == "USA" else "KOR",
            iat=int(datetime.now(UTC).timestamp()),
            notice_id=str(uuid.uuid4()),
            kind=NoticeKind.REMARK,
            item=reference,
            originator=originator,
            sequence=1,
            marking="CONFIDENTIAL" if originator == "USA" else "군사Ⅲ급비밀",
            reference="forged",
            at=datetime.now(UTC),
        )
        token = sign_object(ring, objects.ObjectKind.ITEM_NOTICE, notice)  # USA's key
        body = json.dumps({"notice": token}).encode()
        with Registry.open(Settings(database=usa.database)) as america:
            headers = _signed(america, url, body, key=str(uuid.uuid4()))
        answer = httpx.post(url, content=body, headers=headers)
        assert 400 <= answer.status_code < 500, answer.text
    copy = _copy(jpn, "KOR", reference)
    assert copy is not None and copy["marking"] == "군사Ⅱ급비밀"
    assert jpn.run("item", "show", copy["reference"], "--json").json["changes"] == []


def test_a_destroyed_copy_no_longer_opens_and_its_originator_is_told(
    federation: Federation, tmp_path: Path
):
    """Art 6(h), Art 13: JPN destroys its sealed copy with a witness; the content is erased,
    every later opening or transfer is denied, and KOR's node shows JPN's copy destroyed."""
    kor, jpn = federation["KOR"], federation["JPN"]
    document = tmp_path / "plan.bin"
    document.write_bytes(b"illustrative content\n" * 100)
    reference = _register(kor, "to be destroyed", "2018-04-01", "--file", str(document))
    kor.run("item", "release", reference, "--to", "JPN", "--at", "2018-04-02")
    federation.wait(lambda: _copy(jpn, "KOR", reference) is not None, 90, "the copy at JPN")
    copy = _copy(jpn, "KOR", reference)
    assert copy is not None and copy["sealed"] is not None
    witness = jpn.run(
        "person", "add", "--name", "Sato Hanako", "--clearance", "極秘",
        "--need-to-know", "nk-missile", "--json",
    ).json["id"]  # fmt: skip
    destroyed = jpn.run(
        "item", "destroy", copy["reference"], "--method", "secure erasure",
        "--witness", str(witness), "--at", "2018-05-01", "--json",
    ).json  # fmt: skip
    assert destroyed["change"]["content_erased"] is True
    assert destroyed["reported_to"] == "KOR"
    content = jpn.folder / "content" / f"{copy['sealed']['sha256']}.tdf"
    assert not content.exists()
    opened = jpn.run(
        "item", "open", copy["reference"], "--person", str(witness), "--at", "2018-05-02",
        "-o", str(tmp_path / "out.bin"), check=False,
    )  # fmt: skip
    assert opened.code == 1 and "item_destroyed" in opened.stdout
    assert not (tmp_path / "out.bin").exists()
    assert jpn.run("item", "show", copy["reference"], "--json").json["state"] == "destroyed"

    def reported() -> bool:
        holders = kor.run("item", "holders", reference, "--json").json["holders"]
        return any(h["party"] == "JPN" and h["disposal"] == "destroyed" for h in holders)

    federation.wait(reported, 90, "the destruction report at KOR")
    again = jpn.run("item", "destroy", copy["reference"], "--method", "x", "--witness",
                    str(witness), check=False)  # fmt: skip
    assert again.code == 2 and "destroyed" in again.stderr
