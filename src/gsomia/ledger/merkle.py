"""The Merkle tree of RFC 9162 §2 with SHA-256: tree hashes, inclusion and consistency proofs.

Pure: hashes in, hashes out, no storage and no clock. Proofs are produced over a `RangeHash`,
a function giving the tree hash of any range of leaves that the RFC's recursion visits. Such a
range always splits into O(log n) complete subtrees of 2**level leaves aligned on their size
(`complete_subtrees`), so a store that keeps those subtree hashes answers every proof with
O(log n) lookups, and an in-memory tree answers from `subtree_levels`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hmac import compare_digest

from gsomia.ledger.errors import (
    IndexOutOfRange,
    MalformedProof,
    RootMismatch,
    SizeOutOfRange,
    WrongProofLength,
)

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() — the root of the empty tree (RFC 9162 §2.1.1)."""

RangeHash = Callable[[int, int], bytes]
"""The tree hash MTH(D[start:end]) of the leaves from `start` (inclusive) to `end` (exclusive)."""


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """PATH(index, D[size]): the audit path of one leaf in a tree (RFC 9162 §2.1.3.1)."""

    index: int
    size: int
    path: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """PROOF(old_size, D[new_size]): the tree at old_size is a prefix of the tree at new_size
    (RFC 9162 §2.1.4.1)."""

    old_size: int
    new_size: int
    path: tuple[bytes, ...]


def leaf_hash(data: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0)) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || MTH(left) || MTH(right)) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split(width: int) -> int:
    """k, the largest power of two smaller than `width` > 1, where MTH splits (RFC 9162 §2.1.1)."""
    if width < 2:
        raise ValueError(f"a tree of {width} leaves does not split")
    return 1 << ((width - 1).bit_length() - 1)


def complete_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The (level, index) of the complete subtrees whose fold is MTH(D[start:end]), left to right.

    Subtree (level, index) holds the 2**level leaves from index * 2**level. Every range that
    RFC 9162 §2.1's recursion visits starts on a multiple of its largest subtree, so it splits
    into one subtree per set bit of its width, largest first; other ranges are refused.
    """
    if not 0 <= start <= end:
        raise ValueError(f"invalid leaf range {start}..{end}")
    subtrees = []
    position = start
    for level in range((end - start).bit_length() - 1, -1, -1):
        if (end - start) >> level & 1:
            if position % (1 << level):
                raise ValueError(
                    f"leaf range {start}..{end} is not a range of the tree's recursion"
                )
            subtrees.append((level, position >> level))
            position += 1 << level
    return subtrees


def fold(subtree_hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from the hashes of its `complete_subtrees`, in their order.

    Each complete subtree is the left half of what follows it (RFC 9162 §2.1.1), so the range's
    hash is the right fold node_hash(c1, node_hash(c2, ... ck)).
    """
    if not subtree_hashes:
        return EMPTY_ROOT
    result = subtree_hashes[-1]
    for subtree in reversed(subtree_hashes[:-1]):
        result = node_hash(subtree, result)
    return result


def subtree_levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every complete subtree hash of a tree: level l holds the len(leaves) >> l subtrees of
    2**l leaves (level 0 is the leaves)."""
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def levels_range_hash(levels: Sequence[Sequence[bytes]]) -> RangeHash:
    """A `RangeHash` over the subtree hashes of `subtree_levels`."""

    def range_hash(start: int, end: int) -> bytes:
        return fold([levels[level][index] for level, index in complete_subtrees(start, end)])

    return range_hash


def tree_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) from the n leaf hashes (RFC 9162 §2.1.1)."""
    return levels_range_hash(subtree_levels(leaf_hashes))(0, len(leaf_hashes))


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose tree hashes make up PATH(index, D[size]), leaf to root.

    PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k, and
    PATH(m - k, D[k:n]) : MTH(D[0:k]) otherwise (RFC 9162 §2.1.3.1).
    """
    if not 0 <= index < size:
        raise IndexOutOfRange(f"leaf index {index} is outside a tree of {size} leaves")
    ranges = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose tree hashes make up PROOF(old_size, D[new_size]), in proof order.

    SUBPROOF(m, D[n], b) is {} when m = n and b, {MTH(D[n])} when m = n and not b,
    SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) for m <= k, and
    SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) otherwise (RFC 9162 §2.1.4.1).
    """
    if not 0 < old_size < new_size:
        raise SizeOutOfRange(
            f"no consistency proof from {old_size} to {new_size} leaves; "
            "RFC 9162 §2.1.4 needs 0 < old size < new size"
        )
    ranges = []
    start, m, n, whole = 0, old_size, new_size, True
    while m != n:
        k = split(n)
        if m <= k:
            ranges.append((start + k, start + n))
            n = k
        else:
            ranges.append((start, start + k))
            start, m, n, whole = start + k, m - k, n - k, False
    if not whole:
        ranges.append((start, start + n))
    ranges.reverse()
    return ranges


def prove_inclusion(index: int, size: int, range_hash: RangeHash) -> InclusionProof:
    """The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1)."""
    path = tuple(range_hash(start, end) for start, end in inclusion_ranges(index, size))
    return InclusionProof(index, size, path)


def prove_consistency(old_size: int, new_size: int, range_hash: RangeHash) -> ConsistencyProof:
    """The consistency proof between two sizes of one tree (RFC 9162 §2.1.4.1)."""
    path = tuple(range_hash(start, end) for start, end in consistency_ranges(old_size, new_size))
    return ConsistencyProof(old_size, new_size, path)


def verify_inclusion(leaf: bytes, proof: InclusionProof, root: bytes) -> None:
    """Check that `leaf` (a leaf hash) is at `proof.index` in the tree of `proof.size` leaves
    whose root is `root`, or raise; RFC 9162 §2.1.3.2 step by step."""
    _require_hashes(leaf, root, *proof.path)
    # 1. leaf_index >= tree_size fails.
    if not 0 <= proof.index < proof.size:
        raise IndexOutOfRange(f"leaf index {proof.index} is outside a tree of {proof.size} leaves")
    # 2.-3. fn = leaf_index, sn = tree_size - 1, r = hash.
    fn, sn, r = proof.index, proof.size - 1, leaf
    for p in proof.path:
        # 4a. A path longer than the tree is tall fails.
        if sn == 0:
            raise WrongProofLength(
                _length_message(proof.path, len(inclusion_ranges(proof.index, proof.size)))
            )
        # 4b. p is a left sibling when fn is a right child or the last node of its level.
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        # 4c.
        fn >>= 1
        sn >>= 1
    # 5. sn must be 0 (the path reached the root) and r the root.
    if sn != 0:
        raise WrongProofLength(
            _length_message(proof.path, len(inclusion_ranges(proof.index, proof.size)))
        )
    if not compare_digest(r, root):
        raise RootMismatch(
            f"the inclusion path of leaf {proof.index} resolves to root {r.hex()}, "
            f"not {root.hex()}, in a tree of {proof.size} leaves"
        )


def verify_consistency(old_root: bytes, new_root: bytes, proof: ConsistencyProof) -> None:
    """Check that the tree of `proof.old_size` leaves with root `old_root` is a prefix of the
    tree of `proof.new_size` leaves with root `new_root`, or raise; RFC 9162 §2.1.4.2."""
    _require_hashes(old_root, new_root, *proof.path)
    first, second = proof.old_size, proof.new_size
    if not 0 < first < second:
        raise SizeOutOfRange(
            f"no consistency proof from {first} to {second} leaves; "
            "RFC 9162 §2.1.4 needs 0 < old size < new size"
        )
    expected = len(consistency_ranges(first, second))
    # 1. An empty path fails.
    if not proof.path:
        raise WrongProofLength(_length_message(proof.path, expected))
    # 2. A power-of-two first tree is a complete subtree: its root is the path's first node.
    path = proof.path
    if first & (first - 1) == 0:
        path = (old_root, *path)
    # 3. fn = first - 1, sn = second - 1.
    fn, sn = first - 1, second - 1
    # 4. Skip the levels where the first tree's last node is a right child.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. fr = sr = the first value.
    fr = sr = path[0]
    # 6. Rebuild both roots from the rest.
    for c in path[1:]:
        # 6a. A path longer than the tree is tall fails.
        if sn == 0:
            raise WrongProofLength(_length_message(proof.path, expected))
        # 6b. c is a left sibling of both roots, or a right sibling of the second only.
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        # 6c.
        fn >>= 1
        sn >>= 1
    # 7. sn must be 0, fr the first root and sr the second.
    if sn != 0:
        raise WrongProofLength(_length_message(proof.path, expected))
    if not compare_digest(fr, old_root):
        raise RootMismatch(
            f"the consistency path resolves to {fr.hex()} for the tree of {first} leaves, "
            f"not to its root {old_root.hex()}"
        )
    if not compare_digest(sr, new_root):
        raise RootMismatch(
            f"the consistency path resolves to {sr.hex()} for the tree of {second} leaves, "
            f"not to its root {new_root.hex()}"
        )


def _require_hashes(*hashes: bytes) -> None:
    for value in hashes:
        if not isinstance(value, bytes) or len(value) != HASH_SIZE:
            raise MalformedProof(f"expected a {HASH_SIZE}-byte SHA-256 hash, got {value!r:.80}")


def _length_message(path: Sequence[bytes], expected: int) -> str:
    return f"the path has {len(path)} hashes where the tree sizes call for {expected}"
