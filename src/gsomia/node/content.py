"""Where a node keeps sealed content: a content-addressed directory of ZTDF files.

Content is never stored in clear: only sealed files enter the store, named by the SHA-256
of the sealed file. A file enters unnamed (`incoming`) and gets its name only once complete
(`keep`), so that an interrupted command leaves nothing behind. A SQLite registry keeps its
store beside the database file (`registry.db` → `registry.content/`); another database keeps
it in the user data directory unless `GSOMIA_CONTENT_DIR` names one (a shared deployment
points it at shared storage).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import platformdirs

from gsomia.errors import NotFound
from gsomia.node.registry import Registry
from gsomia.store import files

CHUNK = 4 * 1024 * 1024


def directory(registry: Registry) -> Path:
    configured = os.environ.get("GSOMIA_CONTENT_DIR")
    if configured:
        return Path(configured)
    database = registry.database_file
    if database is not None:
        return database.with_suffix(".content")
    url = registry.engine.url
    name = f"{url.host or 'local'}-{url.database or 'db'}"
    return Path(platformdirs.user_data_dir("gsomia")) / "content" / name


@contextmanager
def incoming(registry: Registry) -> Iterator[files.Unnamed]:
    """An unnamed file in the store's directory, for content about to be sealed or copied."""
    folder = directory(registry)
    folder.mkdir(parents=True, exist_ok=True)
    with files.unnamed(folder) as file:
        yield file


def digest(stream: IO[bytes]) -> tuple[str, int]:
    """SHA-256 and size of a file's content, read from its start."""
    stream.seek(0)
    hasher = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def keep(registry: Registry, sealed: files.Unnamed) -> tuple[str, int]:
    """Name an incoming sealed file by its digest in the store; returns the digest and size."""
    sha256, size = digest(sealed.stream)
    if not path_of(registry, sha256, must_exist=False).exists():
        sealed.link(f"{sha256}.tdf")
    return sha256, size


def path_of(registry: Registry, sha256: str, *, must_exist: bool = True) -> Path:
    path = directory(registry) / f"{sha256}.tdf"
    if must_exist and not path.exists():
        raise NotFound(f"sealed content {sha256[:12]}… is missing from {directory(registry)}")
    return path
