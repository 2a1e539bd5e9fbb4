"""Hostile or malformed ZIP containers are refused before anything is decrypted or written."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from gsomia.crypto.sealing import seal
from gsomia.errors import UnsafeContainer
from gsomia.formats import ztdf
from gsomia.store import files
from tests.crypto.test_sealing import LABEL, entries, leftovers, open_path, sealed
from tests.keyrings import NOW, recipient


@pytest.fixture
def good(tmp_path, rings) -> tuple[dict[str, Any], bytes]:
    return entries(sealed(tmp_path, rings, b"content" * 100))


def refused(path: Path, rings, match: str) -> None:
    out = path.parent / "out.bin"
    with pytest.raises(UnsafeContainer, match=match):
        open_path(path, rings["JPN"], out)
    assert not out.exists()
    assert leftovers(path.parent) == []


def build(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, compression in members:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


def test_a_path_traversal_name_is_refused(tmp_path, rings, good):
    manifest, payload = good
    path = build(
        tmp_path / "t.tdf",
        [
            (ztdf.PAYLOAD, payload, 0),
            (ztdf.MANIFEST, json.dumps(manifest).encode(), 0),
            ("../../etc/cron.d/x", b"x", 0),
        ],
    )
    refused(path, rings, "unexpected entry '../../etc/cron.d/x'")


def test_duplicate_entries_are_refused(tmp_path, rings, good):
    manifest, payload = good
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = build(
            tmp_path / "d.tdf",
            [
                (ztdf.PAYLOAD, payload, 0),
                (ztdf.MANIFEST, json.dumps(manifest).encode(), 0),
                (ztdf.MANIFEST, b"{}", 0),
            ],
        )
    refused(path, rings, "duplicate entries")


def test_a_compressed_payload_zip_bomb_is_refused(tmp_path, rings, good):
    manifest, _ = good
    bomb = b"\0" * (32 * 1024 * 1024)
    path = build(
        tmp_path / "b.tdf",
        [
            (ztdf.PAYLOAD, bomb, zipfile.ZIP_DEFLATED),
            (ztdf.MANIFEST, json.dumps(manifest).encode(), 0),
        ],
    )
    assert path.stat().st_size < 1024 * 1024
    refused(path, rings, "payload is compressed")


def test_a_huge_manifest_is_refused(tmp_path, rings, good):
    _, payload = good
    huge = json.dumps({"padding": "x" * (ztdf.MAX_MANIFEST_BYTES + 10)}).encode()
    path = build(
        tmp_path / "h.tdf",
        [(ztdf.PAYLOAD, payload, 0), (ztdf.MANIFEST, huge, zipfile.ZIP_DEFLATED)],
    )
    refused(path, rings, "manifest is too large")


def test_a_missing_manifest_is_refused(tmp_path, rings, good):
    _, payload = good
    refused(build(tmp_path / "m.tdf", [(ztdf.PAYLOAD, payload, 0)]), rings, "lacks")


def test_a_manifest_that_is_not_json_is_refused(tmp_path, rings, good):
    _, payload = good
    refused(
        build(
            tmp_path / "j.tdf", [(ztdf.PAYLOAD, payload, 0), (ztdf.MANIFEST, b"\xff{not json", 0)]
        ),
        rings,
        "not JSON",
    )


def test_something_that_is_not_a_zip_is_refused(tmp_path, rings):
    path = tmp_path / "n.tdf"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    refused(path, rings, "not a ZTDF archive")


@pytest.mark.parametrize(
    "manifest",
    [
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps({"x": json.loads("[" * 200 + "]" * 200)}).encode(),
    ],
    ids=["beyond-the-parser", "beyond-the-limit"],
)
def test_a_deeply_nested_manifest_is_refused_in_one_line(tmp_path, rings, good, manifest):
    _, payload = good
    path = build(tmp_path / "deep.tdf", [(ztdf.PAYLOAD, payload, 0), (ztdf.MANIFEST, manifest, 0)])
    refused(path, rings, "nests deeper than 32 levels")


def test_a_container_is_read_from_a_file_object(tmp_path, rings):
    path = sealed(tmp_path, rings, b"content" * 100)
    container = ztdf.read_container(io.BytesIO(path.read_bytes()))
    assert container.size == path.stat().st_size
    assert container.manifest.segment_sizes() == [(700, 728)]
    assert len(container.payload().read(container.payload_size)) == 728


def test_a_manifest_with_a_wrong_payload_reference_is_refused(tmp_path, rings, good):
    from gsomia.errors import ManifestAltered

    manifest, payload = good
    manifest["payload"]["url"] = "../payload"
    path = build(
        tmp_path / "u.tdf",
        [(ztdf.PAYLOAD, payload, 0), (ztdf.MANIFEST, json.dumps(manifest).encode(), 0)],
    )
    with pytest.raises(ManifestAltered):
        open_path(path, rings["JPN"], tmp_path / "out")


def test_a_failed_seal_leaves_nothing_on_disk(tmp_path, rings):
    class Broken(io.RawIOBase):
        calls = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.calls += 1
            if self.calls > 2:
                raise OSError("device gone")
            buffer[:10] = b"0123456789"
            return 10

    with pytest.raises(OSError, match="device gone"), files.output(tmp_path / "x.tdf") as out:
        seal(
            io.BufferedReader(Broken(), buffer_size=10),
            out,
            label=LABEL,
            recipients=[recipient(rings["KOR"], "JPN")],
            sealed_by="KOR",
            signer=rings["KOR"].signing(),
            now=NOW,
            segment_size=64,
        )
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_archive_is_refused(tmp_path, rings):
    path = sealed(tmp_path, rings, b"content" * 1000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])  # the central directory is cut off
    refused(path, rings, "not a ZTDF archive")


def test_a_manifest_that_fails_its_checksum_is_refused(tmp_path, rings, good):
    manifest, payload = good
    path = build(
        tmp_path / "c.tdf",
        [(ztdf.PAYLOAD, payload, 0), (ztdf.MANIFEST, json.dumps(manifest).encode(), 0)],
    )
    data = bytearray(path.read_bytes())
    at = data.index(b'"encryptionInformation"')
    data[at + 1] ^= 0x20  # the stored manifest changes; its CRC-32 no longer matches
    path.write_bytes(bytes(data))
    refused(path, rings, "the manifest cannot be read")


def test_a_manifest_in_an_unknown_compression_is_refused(tmp_path, rings, good):
    manifest, payload = good
    path = build(
        tmp_path / "z.tdf",
        [(ztdf.PAYLOAD, payload, 0), (ztdf.MANIFEST, json.dumps(manifest).encode(), 0)],
    )
    data = bytearray(path.read_bytes())
    for signature in (b"PK\x03\x04", b"PK\x01\x02"):  # the method in both headers: 99
        at = data.index(signature, data.index(signature) + 1)
        offset = 8 if signature == b"PK\x03\x04" else 10
        data[at + offset : at + offset + 2] = (99).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    refused(path, rings, "the manifest cannot be read")
