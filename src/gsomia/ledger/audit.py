"""Checking a stored ledger against itself and against the checkpoints it signed.

Three records of the same history can disagree: the entries' bodies, the hashes stored beside
them (leaf hashes and complete-subtree hashes), and the signed checkpoints. The audit rebuilds
the tree from the bodies alone and reports every disagreement. Only the checkpoints are
signed, so they decide what the history was: a checkpoint whose root the bodies no longer
reproduce is followed down the tree, trusting a stored subtree hash only once it combines with
its sibling into a hash already trusted, to the first position where the history diverges.
When the stored hashes on that path are intact this is the exact entry; when they were
rewritten too, it is the smallest range the checkpoint still vouches for.

The audit does no I/O itself: it reads the iterables and the lookup it is given.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from gsomia.ledger.checkpoint import VerifierKey, parse_checkpoint, parse_note, verify_note
from gsomia.ledger.entries import CheckpointRecord, EntryRecord, instant_text, leaf_data
from gsomia.ledger.errors import NoteError
from gsomia.ledger.merkle import (
    RangeHash,
    leaf_hash,
    levels_range_hash,
    node_hash,
    split,
    subtree_levels,
)

RecordedRange = Callable[[int, int], bytes | None]
"""The tree hash of a range from the stored hashes, None when one of them is missing."""


class ProblemKind(StrEnum):
    ALTERED_ENTRY = "altered-entry"
    """An entry whose kind, time or body no longer gives its recorded leaf hash."""
    DAMAGED_LEAF_HASH = "damaged-leaf-hash"
    """A recorded leaf hash that is wrong, though a checkpoint vouches for the entry itself."""
    MISSING_ENTRY = "missing-entry"
    """Positions with no entry below the highest one stored."""
    UNEXPECTED_ENTRY = "unexpected-entry"
    """An entry at a negative position."""
    SUBTREE_MISMATCH = "subtree-mismatch"
    """Stored subtree hashes that disagree with the entries, not explained by an altered entry."""
    MISSING_SUBTREE = "missing-subtree"
    """Complete subtrees whose hash is not stored."""
    UNEXPECTED_SUBTREE = "unexpected-subtree"
    """Stored subtree hashes beyond the end of the log."""
    CHECKPOINT_MISMATCH = "checkpoint-mismatch"
    """A signed checkpoint whose root the entries no longer reproduce."""
    CHECKPOINT_BEYOND_LOG = "checkpoint-beyond-log"
    """A signed checkpoint of more entries than the log holds."""
    CHECKPOINT_UNCHECKED = "checkpoint-unchecked"
    """A checkpoint that cannot be recomputed because entries below its size are missing."""
    INVALID_CHECKPOINT = "invalid-checkpoint"
    """A checkpoint whose note is malformed, unsigned by a known key, or disagrees with its row."""


DIVERGENCES = frozenset(
    {
        ProblemKind.ALTERED_ENTRY,
        ProblemKind.MISSING_ENTRY,
        ProblemKind.UNEXPECTED_ENTRY,
        ProblemKind.CHECKPOINT_MISMATCH,
        ProblemKind.CHECKPOINT_BEYOND_LOG,
    }
)
"""The problems that mean the history itself changed, not only a stored hash or a note."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One disagreement, concerning the positions from `start` to `end` (exclusive)."""

    kind: ProblemKind
    start: int
    end: int
    message: str


@dataclass(frozen=True, slots=True)
class Report:
    """What `verify` found: nothing when `ok`."""

    size: int
    checkpoints: int
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def divergence(self) -> tuple[int, int] | None:
        """The earliest range in which the history differs from what was committed to."""
        ranges = [(p.start, p.end) for p in self.problems if p.kind in DIVERGENCES]
        return min(ranges) if ranges else None

    @property
    def first_divergence(self) -> int | None:
        """The first position at which the history may differ; exact when `divergence` is one
        position wide."""
        divergence = self.divergence
        return None if divergence is None else divergence[0]


@dataclass(frozen=True, slots=True)
class _EntriesSeen:
    leaves: list[bytes | None]
    altered: list[int]
    problems: list[Problem]


def audit(
    entries: Iterable[EntryRecord],
    subtrees: Iterable[tuple[int, int, bytes]],
    checkpoints: Sequence[CheckpointRecord],
    recorded: RecordedRange,
    keys: Sequence[VerifierKey] = (),
) -> Report:
    """Rebuild the tree from `entries` and report every disagreement with the stored hashes
    (`subtrees`, `recorded`) and the signed `checkpoints` (their signatures too, when `keys`
    are given). `subtrees` is read after `entries`."""
    seen = _read_entries(entries)
    levels = recomputed_levels(seen.leaves)
    checkpoint_problems, vouched = _check_checkpoints(checkpoints, levels, recorded, keys)
    problems = [
        *seen.problems,
        *(_altered_entry(position, vouched) for position in seen.altered),
        *compare_subtrees(levels, subtrees, seen.altered),
        *checkpoint_problems,
    ]
    return Report(len(seen.leaves), len(checkpoints), tuple(problems))


def recomputed_levels(leaves: Sequence[bytes | None]) -> list[list[bytes | None]]:
    """`merkle.subtree_levels` over leaves some of which are missing (None): a subtree over a
    missing leaf cannot be recomputed and is None too."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append(
            [
                None if left is None or right is None else node_hash(left, right)
                for left, right in zip(below[0:-1:2], below[1::2], strict=True)
            ]
        )
    return levels


def locate_divergence(
    size: int, root: bytes, recorded: RecordedRange, recomputed: RangeHash
) -> tuple[int, int]:
    """The smallest range of the tree of `size` leaves, committed to by `root`, in which the
    recomputed history first differs from the committed one.

    MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n])) (RFC 9162 §2.1.1): of the recorded and the
    recomputed hash of each half, a pair that combines into the trusted hash is trusted in turn
    (collision resistance leaves no other), and the search goes on in the leftmost half whose
    trusted hash the recomputed one misses. With no such pair, the search stops there.
    """
    start, end, committed = 0, size, root
    while end - start > 1:
        middle = start + split(end - start)
        halves = _trusted_halves(committed, start, middle, end, recorded, recomputed)
        if halves is None:
            break
        left, right = halves
        if left != recomputed(start, middle):
            end, committed = middle, left
        else:
            start, committed = middle, right
    return start, end


def compare_subtrees(
    levels: Sequence[Sequence[bytes | None]],
    stored: Iterable[tuple[int, int, bytes]],
    altered: Sequence[int],
) -> list[Problem]:
    """Stored subtree hashes that disagree with the recomputed ones, are missing, or lie beyond
    the log, summed up per level. A disagreement above an altered entry (`altered`, sorted) is
    that entry's consequence and is not reported again."""
    expected = [len(level) if index else 0 for index, level in enumerate(levels)]
    present = [bytearray(count) for count in expected]
    disagreeing: dict[int, list[int]] = {}
    unexpected: dict[int, list[int]] = {}
    for level, index, hash_ in stored:
        if not 0 < level < len(levels) or not 0 <= index < expected[level]:
            unexpected.setdefault(level, []).append(index)
            continue
        present[level][index] = 1
        recomputed = levels[level][index]
        if recomputed is not None and recomputed != hash_ and not _covers(level, index, altered):
            disagreeing.setdefault(level, []).append(index)
    problems = [
        _subtree_problem(ProblemKind.SUBTREE_MISMATCH, level, indexes, "disagree with the entries")
        for level, indexes in sorted(disagreeing.items())
    ]
    for level in range(1, len(levels)):
        missing = [index for index, flag in enumerate(present[level]) if not flag]
        if missing:
            problems.append(
                _subtree_problem(ProblemKind.MISSING_SUBTREE, level, missing, "are not stored")
            )
    problems.extend(
        _subtree_problem(ProblemKind.UNEXPECTED_SUBTREE, level, indexes, "lie beyond the log")
        for level, indexes in sorted(unexpected.items())
    )
    return problems


def _read_entries(entries: Iterable[EntryRecord]) -> _EntriesSeen:
    seen = _EntriesSeen([], [], [])
    for entry in entries:
        if entry.position < len(seen.leaves):
            seen.problems.append(
                Problem(
                    ProblemKind.UNEXPECTED_ENTRY,
                    0,
                    1,
                    f"an entry is stored at position {entry.position}, before the log's first",
                )
            )
            continue
        if entry.position > len(seen.leaves):
            seen.problems.append(_missing_entries(len(seen.leaves), entry.position))
            seen.leaves.extend([None] * (entry.position - len(seen.leaves)))
        data = leaf_data(entry.kind, instant_text(entry.recorded_at), entry.body)
        recomputed = leaf_hash(data)
        if recomputed != entry.leaf_hash:
            seen.altered.append(entry.position)
        seen.leaves.append(recomputed)
    return seen


def _check_checkpoints(
    checkpoints: Sequence[CheckpointRecord],
    levels: Sequence[Sequence[bytes | None]],
    recorded: RecordedRange,
    keys: Sequence[VerifierKey],
) -> tuple[list[Problem], int]:
    """Problems with the checkpoints, and the largest size whose checkpoint the entries match."""
    size = len(levels[0])
    first_gap = next((i for i, leaf in enumerate(levels[0]) if leaf is None), size)
    # Checkpoints are recomputed only up to the first missing entry, where no `None` is left.
    recomputed = levels_range_hash(
        subtree_levels([leaf for leaf in levels[0][:first_gap] if leaf is not None])
    )
    problems: list[Problem] = []
    vouched = 0
    diverged: tuple[int, tuple[int, int]] | None = None
    for record in checkpoints:
        committed_size, committed_root, note_problem = _committed(record, keys)
        if note_problem is not None:
            problems.append(note_problem)
        if committed_size > size:
            problems.append(
                Problem(
                    ProblemKind.CHECKPOINT_BEYOND_LOG,
                    size,
                    committed_size,
                    f"the checkpoint of size {committed_size} commits to entries "
                    f"{size}..{committed_size - 1}, which the log no longer holds",
                )
            )
            continue
        if committed_size > first_gap:
            problems.append(
                Problem(
                    ProblemKind.CHECKPOINT_UNCHECKED,
                    first_gap,
                    first_gap + 1,
                    f"the checkpoint of size {committed_size} cannot be recomputed: "
                    f"entry {first_gap} is missing",
                )
            )
            continue
        if recomputed(0, committed_size) == committed_root:
            vouched = max(vouched, committed_size)
            continue
        if diverged is None:
            located = locate_divergence(committed_size, committed_root, recorded, recomputed)
            diverged = (committed_size, located)
        problems.append(_checkpoint_mismatch(committed_size, *diverged))
    return problems, vouched


def _committed(
    record: CheckpointRecord, keys: Sequence[VerifierKey]
) -> tuple[int, bytes, Problem | None]:
    """The size and root a checkpoint's note commits to, and what is wrong with the note."""
    try:
        note = verify_note(record.note, keys) if keys else parse_note(record.note)
        signed = parse_checkpoint(note.text)
    except NoteError as exc:
        problem = Problem(
            ProblemKind.INVALID_CHECKPOINT,
            0,
            record.size,
            f"the checkpoint of size {record.size} cannot be trusted: {exc.message}",
        )
        return record.size, record.root, problem
    if (signed.size, signed.root) != (record.size, record.root):
        problem = Problem(
            ProblemKind.INVALID_CHECKPOINT,
            0,
            record.size,
            f"the checkpoint stored for size {record.size} holds a note signed for size "
            f"{signed.size} with root {signed.root.hex()}; the note is what was signed",
        )
        return signed.size, signed.root, problem
    return signed.size, signed.root, None


def _trusted_halves(
    committed: bytes,
    start: int,
    middle: int,
    end: int,
    recorded: RecordedRange,
    recomputed: RangeHash,
) -> tuple[bytes, bytes] | None:
    lefts = [h for h in (recorded(start, middle), recomputed(start, middle)) if h is not None]
    rights = [h for h in (recorded(middle, end), recomputed(middle, end)) if h is not None]
    for left in lefts:
        for right in rights:
            if node_hash(left, right) == committed:
                return left, right
    return None


def _covers(level: int, index: int, positions: Sequence[int]) -> bool:
    first = bisect.bisect_left(positions, index << level)
    return first < len(positions) and positions[first] < (index + 1) << level


def _altered_entry(position: int, vouched: int) -> Problem:
    if position < vouched:
        return Problem(
            ProblemKind.DAMAGED_LEAF_HASH,
            position,
            position + 1,
            f"the recorded leaf hash of entry {position} is wrong; the entry itself matches "
            f"the checkpoint of size {vouched}",
        )
    return Problem(
        ProblemKind.ALTERED_ENTRY,
        position,
        position + 1,
        f"entry {position} no longer matches its leaf hash: its kind, time or body was changed",
    )


def _missing_entries(start: int, end: int) -> Problem:
    shown = f"entry {start} is" if end - start == 1 else f"entries {start}..{end - 1} are"
    return Problem(ProblemKind.MISSING_ENTRY, start, end, f"{shown} missing")


def _checkpoint_mismatch(size: int, first_size: int, located: tuple[int, int]) -> Problem:
    start, end = located
    where = f"at entry {start}" if end - start == 1 else f"within entries {start}..{end - 1}"
    if size == first_size:
        message = f"the entries no longer reproduce the checkpoint of size {size}: the history diverges {where}"
    else:
        message = f"the entries no longer reproduce the checkpoint of size {size} (diverging {where}, below the checkpoint of size {first_size})"
    return Problem(ProblemKind.CHECKPOINT_MISMATCH, start, end, message)


def _subtree_problem(kind: ProblemKind, level: int, indexes: list[int], what: str) -> Problem:
    first = min(indexes)
    start, end = first << level, (first + 1) << level
    return Problem(
        kind,
        start,
        end,
        f"{len(indexes)} of the {1 << level}-entry subtree hashes {what}; "
        f"the first covers entries {start}..{end - 1}",
    )
