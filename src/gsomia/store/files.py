"""The node's files on disk: inputs read only if they are regular files, outputs that have no
name until they are complete.

- `open_input` opens without blocking and refuses anything but a regular file, so that a FIFO
  cannot hang a command and a device such as /dev/zero cannot feed it without end.
- `unnamed` makes a file with no name on disk (Linux `O_TMPFILE`, mode 0600) in a folder;
  `Unnamed.link` gives it a name there once its content is complete. A process killed before
  that leaves nothing behind: the kernel frees an unnamed file with its last descriptor.
  Where the file system cannot make unnamed files, a named temporary (mode 0600, O_EXCL) takes
  its place; that is weaker: a process killed before the end leaves it behind.
- `output` is the two together for a destination path, after `check_output` has refused the
  paths gsomia must not write: directories, symbolic links, devices, FIFOs, a missing folder,
  and the files the caller names as `forbidden` (its database, the input being read).

Everything written here is readable by its owner only (0600): it holds sealed or clear content.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import stat
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from gsomia.errors import UnreadableInput, UnsafeOutput

MODE = 0o600
_TMPFILE = getattr(os, "O_TMPFILE", 0)
"""0 where the platform has no unnamed files: `Unnamed` then falls back to a named temporary."""
_UNSUPPORTED = {errno.EOPNOTSUPP, errno.EINVAL, errno.EISDIR}
"""What opening an unnamed file fails with where the file system cannot make one (EOPNOTSUPP),
or the kernel predates O_TMPFILE (EINVAL, or EISDIR: it reads the flag as O_DIRECTORY)."""


def open_input(path: Path) -> BinaryIO:
    """`path` open for reading, if it is a regular file (`UnreadableInput` otherwise).

    It is opened non-blocking, so that opening a FIFO returns at once (with no writer, a
    blocking open would wait for one), then checked, then made blocking again for reading.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UnreadableInput(f"{path}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket cannot even be opened: say what it is
            with contextlib.suppress(OSError):
                _check_regular(path, path.stat().st_mode)
        raise UnreadableInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        _check_regular(path, os.fstat(descriptor).st_mode)
        os.set_blocking(descriptor, True)
        raw = io.FileIO(descriptor, "rb", closefd=True)
    except BaseException:
        os.close(descriptor)
        raise
    raw.name = str(path)  # messages name the file, not its descriptor
    return io.BufferedReader(raw)


def _check_regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise UnreadableInput(f"will not read {path}: it is {_kind(mode)}, not a regular file")


def check_output(destination: Path, forbidden: Collection[Path] = ()) -> None:
    """Refuse (`UnsafeOutput`) a destination gsomia must not write to."""
    folder = destination.parent
    if not folder.is_dir():
        raise UnsafeOutput(f"will not write {destination}: the folder {folder} does not exist")
    try:
        status: os.stat_result | None = destination.lstat()
    except FileNotFoundError:
        status = None
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise UnsafeOutput(f"will not write {destination}: it is {_kind(status.st_mode)}")
    for path in forbidden:
        if _same_file(destination, status, path):
            raise UnsafeOutput(f"will not write {destination}: it is {path}, which must stay")


def _same_file(destination: Path, status: os.stat_result | None, other: Path) -> bool:
    if destination.resolve() == other.resolve():
        return True
    if status is None:
        return False
    try:
        theirs = other.stat()
    except OSError:
        return False
    return (status.st_dev, status.st_ino) == (theirs.st_dev, theirs.st_ino)


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


class Unnamed:
    """A readable, writable, seekable file in `folder`, with no name on disk until `link`."""

    def __init__(self, folder: Path) -> None:
        try:
            self._folder = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise UnsafeOutput(f"cannot write in {folder}: {exc.strerror}") from None
        try:
            descriptor, self._temporary = self._create()
        except OSError as exc:
            os.close(self._folder)
            raise UnsafeOutput(f"cannot write in {folder}: {exc.strerror}") from None
        self.stream: BinaryIO = open(descriptor, "w+b")  # noqa: SIM115 (closed by `close`)

    def _create(self) -> tuple[int, str | None]:
        """An unnamed file, or a named temporary where the file system has none."""
        if _TMPFILE:
            try:
                flags = _TMPFILE | os.O_RDWR | os.O_CLOEXEC
                return os.open(".", flags, MODE, dir_fd=self._folder), None
            except OSError as exc:
                if exc.errno not in _UNSUPPORTED:
                    raise
        name = f".gsomia-{secrets.token_hex(8)}.tmp"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        return os.open(name, flags, MODE, dir_fd=self._folder), name

    def link(self, name: str) -> None:
        """Name the complete file `name` in its folder, replacing any file of that name, and
        make both the content and the name durable."""
        self.stream.flush()
        os.fsync(self.stream.fileno())
        if self._temporary is None:
            self._link_unnamed(name)
        else:
            os.replace(self._temporary, name, src_dir_fd=self._folder, dst_dir_fd=self._folder)
            self._temporary = None  # renamed: nothing is left to remove
        os.fsync(self._folder)

    def _link_unnamed(self, name: str) -> None:
        # os.link without a directory descriptor calls link(2), which does not follow the
        # /proc magic link; with one it calls linkat(2) with AT_SYMLINK_FOLLOW, which does.
        proc = f"/proc/self/fd/{self.stream.fileno()}"
        try:
            os.link(proc, name, dst_dir_fd=self._folder, follow_symlinks=True)
            return
        except FileExistsError:
            pass  # linkat(2) never replaces: link under a random name, then rename over
        temporary = f".gsomia-{secrets.token_hex(8)}.tmp"
        os.link(proc, temporary, dst_dir_fd=self._folder, follow_symlinks=True)
        try:
            os.replace(temporary, name, src_dir_fd=self._folder, dst_dir_fd=self._folder)
        except BaseException:
            os.unlink(temporary, dir_fd=self._folder)
            raise

    def close(self) -> None:
        """Close the file; unless it was linked, nothing of it remains."""
        self.stream.close()
        if self._temporary is not None:
            os.unlink(self._temporary, dir_fd=self._folder)
        os.close(self._folder)


@contextmanager
def unnamed(folder: Path) -> Iterator[Unnamed]:
    """An unnamed file in `folder`, gone on leaving unless linked."""
    file = Unnamed(folder)
    try:
        yield file
    finally:
        file.close()


@contextmanager
def output(destination: Path, *, forbidden: Collection[Path] = ()) -> Iterator[BinaryIO]:
    """A file that becomes `destination` only when the block ends without an exception; on an
    exception, or if the process dies, nothing is left on disk."""
    check_output(destination, forbidden)
    with unnamed(destination.parent) as file:
        yield file.stream
        try:
            file.link(destination.name)
        except OSError as exc:
            raise UnsafeOutput(f"cannot write {destination}: {exc.strerror}") from None


def sync_directory(folder: Path) -> None:
    """Make the names in `folder` durable (after a rename into it)."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_bounded(path: Path, limit: int) -> bytes:
    """A regular file's bytes, at most `limit` + 1 of them: a caller that finds more than
    `limit` knows the file is too large without having read it all."""
    with open_input(path) as source:
        return source.read(limit + 1)


def write_small(destination: Path, data: bytes, *, forbidden: Collection[Path] = ()) -> None:
    """Write a small file whole, owner-only, under its name only once complete."""
    with output(destination, forbidden=forbidden) as stream:
        stream.write(data)
