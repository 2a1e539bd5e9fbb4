"""Where a node keeps sealed content: a content-addressed directory of ZTDF files.

Content is never stored in clear: only sealed files enter the store, named by the SHA-256
of the sealed file. A SQLite registry keeps its store beside the database file
(`registry.db` → `registry.content/`); another database keeps it in the user data directory
unless the settings name one (a shared deployment points it at shared storage). The store's
folders are readable by their owner only.

A sealed file is written with no name (`gsomia.store.files`), named under `.pending/` once
complete, and moved to its place only after the transaction that records it committed; the
first use of the store in a process settles what an interrupted one left: a pending file
the registry records is moved into place, any other is deleted. So a `kill -9` at any
instant leaves neither a stray file nor a row without its content.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

import platformdirs
from sqlalchemy import select, union

from gsomia.errors import NotFound
from gsomia.store import files, tables

if TYPE_CHECKING:
    from gsomia.node.context import Node

CHUNK = 4 * 1024 * 1024
PENDING = ".pending"


class ContentStore:
    """A node's sealed files, by digest."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def for_node(cls, node: Node) -> ContentStore:
        store = cls(_directory(node))
        store._prepare()
        store.sweep(lambda digests: _recorded(node, digests))
        return store

    def _prepare(self) -> None:
        for folder in (self.directory, self.directory / PENDING):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        """The file of a recorded digest; `NotFound` when the store lost it."""
        for path in (self.directory / f"{sha256}.tdf", self.directory / PENDING / f"{sha256}.tdf"):
            if path.exists():
                return path
        raise NotFound(
            f"sealed content {sha256[:12]}… is missing from {self.directory}", subject="content"
        )

    @contextmanager
    def incoming(self) -> Iterator[files.Unnamed]:
        """A file with no name yet in the store's folder, to write a sealed file into."""
        with files.unnamed(self.directory / PENDING) as unnamed:
            yield unnamed

    def pend(self, unnamed: files.Unnamed) -> tuple[str, int]:
        """Name a complete sealed file under `.pending/` by its digest; (digest, size)."""
        sha256, size = digest(unnamed.stream)
        unnamed.link(f"{sha256}.tdf")
        return sha256, size

    def settle(self, sha256: str) -> None:
        """Move a pending file into place, once the row that records it committed."""
        pending = self.directory / PENDING / f"{sha256}.tdf"
        if pending.exists():
            os.replace(pending, self.directory / f"{sha256}.tdf")
            files.sync_directory(self.directory)

    def erase(self, sha256: str) -> bool:
        """Delete a sealed file (a destroyed or returned item's) and make the deletion
        durable; whether it is gone. The file was only ever ciphertext: erasing it and its
        name is what a content store can do (the recipient's key alone opened it)."""
        for path in (self.directory / f"{sha256}.tdf", self.directory / PENDING / f"{sha256}.tdf"):
            path.unlink(missing_ok=True)
            files.sync_directory(path.parent)
        return not any(
            p.exists()
            for p in (self.directory / f"{sha256}.tdf", self.directory / PENDING / f"{sha256}.tdf")
        )

    def sweep(self, recorded: Callable[[Collection[str]], set[str]]) -> list[str]:
        """Settle or delete what an interrupted write left under `.pending/`."""
        pending = {
            path.stem: path for path in (self.directory / PENDING).glob("*.tdf") if path.is_file()
        }
        if not pending:
            return []
        kept = recorded(pending)
        for sha256, path in pending.items():
            if sha256 in kept:
                self.settle(sha256)
            else:
                path.unlink(missing_ok=True)
        return sorted(set(pending) - kept)


def digest(stream: IO[bytes]) -> tuple[str, int]:
    """SHA-256 and size of a whole seekable stream (left at its end)."""
    hasher = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def _directory(node: Node) -> Path:
    if node.settings.content_dir is not None:
        return node.settings.content_dir
    url = node.url
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).expanduser().with_suffix(".content")
    name = f"{url.host or 'local'}-{url.database or 'db'}"
    return Path(platformdirs.user_data_dir("gsomia")) / "content" / name


def _recorded(node: Node, digests: Collection[str]) -> set[str]:
    items, releases = tables.items, tables.releases
    query = union(
        select(items.c.sealed_sha256).where(items.c.sealed_sha256.in_(digests)),
        select(releases.c.sealed_sha256).where(releases.c.sealed_sha256.in_(digests)),
    )
    with node.read() as tx:
        return {row[0] for row in tx.connection.execute(query)}
