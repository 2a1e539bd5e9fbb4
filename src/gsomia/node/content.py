"""Where a node keeps sealed content: a content-addressed directory of ZTDF files.

Content is never stored in clear: only sealed files enter the store, named by the SHA-256
of the sealed file. A SQLite registry keeps its store beside the database file
(`registry.db` → `registry.content/`); another database keeps it in the user data directory
unless `GSOMIA_CONTENT_DIR` names one (a shared deployment points it at shared storage).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import platformdirs

from gsomia.errors import NotFound
from gsomia.node.registry import Registry

CHUNK = 4 * 1024 * 1024


def directory(registry: Registry) -> Path:
    configured = os.environ.get("GSOMIA_CONTENT_DIR")
    if configured:
        return Path(configured)
    url = registry.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).with_suffix(".content")
    name = f"{url.host or 'local'}-{url.database or 'db'}"
    return Path(platformdirs.user_data_dir("gsomia")) / "content" / name


def staging_path(registry: Registry) -> Path:
    """A fresh path inside the store's directory, for a file about to be sealed."""
    folder = directory(registry)
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".incoming-", suffix=".tdf", dir=folder)
    os.close(handle)
    return Path(name)


def digest(path: Path) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def keep(registry: Registry, sealed: Path, *, move: bool) -> tuple[str, int]:
    """Put a sealed file into the store (moving or copying it); returns its digest and size."""
    sha256, size = digest(sealed)
    target = path_of(registry, sha256, must_exist=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    if move:
        os.replace(sealed, target)
    elif not target.exists():
        staged = staging_path(registry)
        with sealed.open("rb") as source, staged.open("wb") as out:
            while chunk := source.read(CHUNK):
                out.write(chunk)
        os.replace(staged, target)
    return sha256, size


def path_of(registry: Registry, sha256: str, *, must_exist: bool = True) -> Path:
    path = directory(registry) / f"{sha256}.tdf"
    if must_exist and not path.exists():
        raise NotFound(f"sealed content {sha256[:12]}… is missing from {directory(registry)}")
    return path
