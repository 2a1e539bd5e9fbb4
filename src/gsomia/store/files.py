"""Placeholder: unnamed files linked into place (to be merged with the crypto branch)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class Unnamed:
    def __init__(self, stream: IO[bytes], fd: int) -> None:
        self.stream = stream
        self._fd = fd

    def link(self, path: Path) -> None:
        self.stream.flush()
        os.fsync(self._fd)
        try:
            os.link(f"/proc/self/fd/{self._fd}", path, follow_symlinks=True)
        except FileExistsError:
            pass
        sync_directory(path.parent)


@contextmanager
def unnamed(directory: Path) -> Iterator[Unnamed]:
    fd = os.open(directory, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w+b") as stream:
        yield Unnamed(stream, fd)


def sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
