"""RFC 9162 §2 with SHA-256: known answers, agreement with pymerkle, and every proof of every
tree up to 300 leaves, verified and then broken one bit at a time."""

from __future__ import annotations

import hashlib
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from gsomia.ledger.errors import (
    IndexOutOfRange,
    MalformedProof,
    ProofError,
    RootMismatch,
    SizeOutOfRange,
    WrongProofLength,
)
from gsomia.ledger.merkle import (
    EMPTY_ROOT,
    ConsistencyProof,
    InclusionProof,
    leaf_hash,
    levels_range_hash,
    node_hash,
    prove_consistency,
    prove_inclusion,
    subtree_levels,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 300
ALL_ROOTS = 1024
"""Roots are known up to here, so a size with one of its ten low bits flipped has its own."""

# The Certificate Transparency reference vectors for RFC 6962 trees, whose SHA-256 hashing
# RFC 9162 §2.1.1 keeps: eight leaves' data and the roots of the trees of their first 1..8.
CT_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def data(index: int) -> bytes:
    return f"entry {index}".encode()


LEAVES = [leaf_hash(data(i)) for i in range(ALL_ROOTS)]
RANGE_HASH = levels_range_hash(subtree_levels(LEAVES))


@cache
def root(size: int) -> bytes:
    return RANGE_HASH(0, size)


# RFC 9162 §2.1 written as the RFC writes it, recursively over the data, to check the
# iterative implementation against.
def k_of(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(entries: list[bytes]) -> bytes:
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = k_of(len(entries))
    return hashlib.sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:])).digest()


def rfc_path(m: int, entries: list[bytes]) -> list[bytes]:
    if len(entries) == 1:
        return []
    k = k_of(len(entries))
    if m < k:
        return [*rfc_path(m, entries[:k]), mth(entries[k:])]
    return [*rfc_path(m - k, entries[k:]), mth(entries[:k])]


def rfc_subproof(m: int, entries: list[bytes], whole: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if whole else [mth(entries)]
    k = k_of(n)
    if m <= k:
        return [*rfc_subproof(m, entries[:k], whole), mth(entries[k:])]
    return [*rfc_subproof(m - k, entries[k:], False), mth(entries[:k])]


def committed(size: int) -> bytes:
    """The root a checkpoint of `size` leaves would sign; sizes past ALL_ROOTS have proofs of
    another length, refused whatever the root, so any root stands in for theirs."""
    return root(size) if size <= ALL_ROOTS else EMPTY_ROOT


def flipped_sizes(size: int) -> list[int]:
    return [size ^ 1 << bit for bit in range(64)]


def flip(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


def test_the_empty_tree_hashes_to_sha256_of_nothing():
    """RFC 9162 §2.1.1: MTH({}) = HASH()."""
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert tree_hash([]) == EMPTY_ROOT


def test_leaves_are_prefixed_0x00_and_nodes_0x01():
    """RFC 9162 §2.1.1: the prefixes keep a leaf from passing for a node."""
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert leaf_hash(b"gsomia") == hashlib.sha256(b"\x00gsomia").digest()
    left, right = bytes(range(32)), bytes(range(32, 64))
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


def test_roots_match_the_certificate_transparency_vectors():
    leaves = [leaf_hash(bytes.fromhex(d)) for d in CT_LEAVES]
    assert [tree_hash(leaves[:n]).hex() for n in range(1, 9)] == CT_ROOTS


def test_a_tree_splits_at_the_largest_power_of_two_below_its_size():
    """RFC 9162 §2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k < n."""
    a, b, c, d, e = (leaf_hash(bytes([i])) for i in range(5))
    assert tree_hash([a, b]) == node_hash(a, b)
    assert tree_hash([a, b, c]) == node_hash(node_hash(a, b), c)
    assert tree_hash([a, b, c, d]) == node_hash(node_hash(a, b), node_hash(c, d))
    assert tree_hash([a, b, c, d, e]) == node_hash(node_hash(node_hash(a, b), node_hash(c, d)), e)


def test_roots_match_the_rfc_recursion_for_every_size():
    entries = [data(i) for i in range(MAX_SIZE)]
    for size in (*range(70), 127, 128, 129, 255, 256, 257, 299, 300):
        assert root(size) == mth(entries[:size]), size


def test_pymerkle_prefixes_leaves_and_nodes_as_rfc_9162_does():
    """Checked, not assumed: pymerkle's default (security on) hashes a leaf as 0x00 || data."""
    tree = InmemoryTree(algorithm="sha256")
    tree.append_entry(b"gsomia")
    assert tree.get_root() == hashlib.sha256(b"\x00gsomia").digest()
    tree.append_entry(b"ledger")
    assert tree.get_root() == node_hash(leaf_hash(b"gsomia"), leaf_hash(b"ledger"))


def test_roots_equal_pymerkle_for_every_size_up_to_300():
    tree = InmemoryTree(algorithm="sha256")
    for index in range(MAX_SIZE):
        tree.append_entry(data(index))
    assert tree.get_root(0) == EMPTY_ROOT
    for size in range(1, MAX_SIZE + 1):
        assert tree.get_root(size) == root(size), size


def test_inclusion_paths_equal_pymerkle_paths():
    """pymerkle's path starts with the leaf itself, then the RFC 9162 §2.1.3.1 path."""
    tree = InmemoryTree(algorithm="sha256")
    for index in range(MAX_SIZE):
        tree.append_entry(data(index))
    for size in (1, 2, 3, 7, 8, 9, 100, 255, 256, 300):
        for index in range(size):
            ours = prove_inclusion(index, size, RANGE_HASH).path
            assert list(ours) == tree.prove_inclusion(index + 1, size).path[1:], (index, size)


def test_proofs_equal_the_rfc_recursive_definitions():
    """RFC 9162 §2.1.3.1 PATH and §2.1.4.1 PROOF/SUBPROOF, for every tree up to 40 leaves."""
    entries = [data(i) for i in range(40)]
    for size in range(1, 41):
        for index in range(size):
            assert list(prove_inclusion(index, size, RANGE_HASH).path) == rfc_path(
                index, entries[:size]
            )
        for old in range(1, size):
            proof = prove_consistency(old, size, RANGE_HASH).path
            assert list(proof) == rfc_subproof(old, entries[:size], True), (old, size)


def test_every_inclusion_proof_up_to_300_leaves_verifies():
    """RFC 9162 §2.1.3.2 accepts PATH(m, D[n]) for every 0 <= m < n <= 300."""
    for size in range(1, MAX_SIZE + 1):
        for index in range(size):
            verify_inclusion(LEAVES[index], prove_inclusion(index, size, RANGE_HASH), root(size))


def test_every_consistency_proof_up_to_300_leaves_verifies():
    """RFC 9162 §2.1.4.2 accepts PROOF(m, D[n]) for every 0 < m < n <= 300."""
    for size in range(2, MAX_SIZE + 1):
        for old in range(1, size):
            verify_consistency(root(old), root(size), prove_consistency(old, size, RANGE_HASH))


def test_every_bit_of_every_small_inclusion_proof_matters():
    """Flipping any one bit of a path hash, the leaf, the root, the index or the size fails."""
    for size in range(1, 17):
        for index in range(size):
            proof = prove_inclusion(index, size, RANGE_HASH)
            for position, value in enumerate(proof.path):
                for bit in range(256):
                    path = (*proof.path[:position], flip(value, bit), *proof.path[position + 1 :])
                    with pytest.raises(RootMismatch):
                        verify_inclusion(
                            LEAVES[index], InclusionProof(index, size, path), root(size)
                        )
            for bit in range(256):
                with pytest.raises(RootMismatch):
                    verify_inclusion(LEAVES[index], proof, flip(root(size), bit))
                with pytest.raises(RootMismatch):
                    verify_inclusion(flip(LEAVES[index], bit), proof, root(size))


def test_every_bit_of_every_small_consistency_proof_matters():
    for size in range(2, 17):
        for old in range(1, size):
            proof = prove_consistency(old, size, RANGE_HASH)
            for position, value in enumerate(proof.path):
                for bit in range(256):
                    path = (*proof.path[:position], flip(value, bit), *proof.path[position + 1 :])
                    with pytest.raises(RootMismatch):
                        verify_consistency(root(old), root(size), ConsistencyProof(old, size, path))
            for bit in range(256):
                with pytest.raises(RootMismatch):
                    verify_consistency(flip(root(old), bit), root(size), proof)
                with pytest.raises(RootMismatch):
                    verify_consistency(root(old), flip(root(size), bit), proof)


def test_a_flipped_bit_of_the_index_fails_every_inclusion_proof():
    for size in range(1, 65):
        for index in range(size):
            proof = prove_inclusion(index, size, RANGE_HASH)
            for bit in range(64):
                with pytest.raises(ProofError):
                    verify_inclusion(
                        LEAVES[index],
                        InclusionProof(index ^ 1 << bit, size, proof.path),
                        root(size),
                    )


def test_a_proof_does_not_pass_for_a_tree_of_another_size():
    """The RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms take the size from the verifier: a path
    for the first leaves of a 5-leaf tree resolves to the same root when told the tree has 7.
    What binds a root to its size is the signed checkpoint, which carries both; against the
    checkpointed root of the other size, the proof fails."""
    index, size = 0, 5
    proof = prove_inclusion(index, size, RANGE_HASH)
    verify_inclusion(LEAVES[index], InclusionProof(index, 7, proof.path), root(size))
    with pytest.raises(RootMismatch):
        verify_inclusion(LEAVES[index], InclusionProof(index, 7, proof.path), root(7))


def test_a_flipped_bit_of_the_size_fails_every_small_proof_against_its_checkpoint():
    for size in range(1, 33):
        for index in range(size):
            proof = prove_inclusion(index, size, RANGE_HASH)
            for other in flipped_sizes(size):
                with pytest.raises(ProofError):
                    verify_inclusion(
                        LEAVES[index], InclusionProof(index, other, proof.path), committed(other)
                    )
        for old in range(1, size):
            consistency = prove_consistency(old, size, RANGE_HASH)
            for other in flipped_sizes(old):
                with pytest.raises(ProofError):
                    verify_consistency(
                        committed(other),
                        root(size),
                        ConsistencyProof(other, size, consistency.path),
                    )
            for other in flipped_sizes(size):
                with pytest.raises(ProofError):
                    verify_consistency(
                        root(old), committed(other), ConsistencyProof(old, other, consistency.path)
                    )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_flipped_bit_of_the_index_or_a_size_fails_against_its_checkpoint(data: st.DataObject):
    size = data.draw(st.integers(2, MAX_SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    old = data.draw(st.integers(1, size - 1), label="old size")
    bit = data.draw(st.integers(0, 63), label="bit")
    inclusion = prove_inclusion(index, size, RANGE_HASH)
    consistency = prove_consistency(old, size, RANGE_HASH)
    flipped_index = InclusionProof(index ^ 1 << bit, size, inclusion.path)
    flipped_size = InclusionProof(index, size ^ 1 << bit, inclusion.path)
    flipped_old = ConsistencyProof(old ^ 1 << bit, size, consistency.path)
    flipped_new = ConsistencyProof(old, size ^ 1 << bit, consistency.path)
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[index], flipped_index, root(size))
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[index], flipped_size, committed(flipped_size.size))
    with pytest.raises(ProofError):
        verify_consistency(committed(flipped_old.old_size), root(size), flipped_old)
    with pytest.raises(ProofError):
        verify_consistency(root(old), committed(flipped_new.new_size), flipped_new)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_flipped_bit_anywhere_in_an_inclusion_proof_fails(data: st.DataObject):
    size = data.draw(st.integers(2, MAX_SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = prove_inclusion(index, size, RANGE_HASH)
    position = data.draw(st.integers(0, len(proof.path) - 1), label="path position")
    bit = data.draw(st.integers(0, 255), label="bit")
    path = (*proof.path[:position], flip(proof.path[position], bit), *proof.path[position + 1 :])
    with pytest.raises(RootMismatch):
        verify_inclusion(LEAVES[index], InclusionProof(index, size, path), root(size))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_flipped_bit_anywhere_in_a_consistency_proof_fails(data: st.DataObject):
    size = data.draw(st.integers(2, MAX_SIZE), label="size")
    old = data.draw(st.integers(1, size - 1), label="old size")
    proof = prove_consistency(old, size, RANGE_HASH)
    position = data.draw(st.integers(0, len(proof.path) - 1), label="path position")
    bit = data.draw(st.integers(0, 255), label="bit")
    path = (*proof.path[:position], flip(proof.path[position], bit), *proof.path[position + 1 :])
    with pytest.raises(RootMismatch):
        verify_consistency(root(old), root(size), ConsistencyProof(old, size, path))


def test_a_path_one_hash_too_long_or_short_has_the_wrong_length():
    proof = prove_inclusion(5, 100, RANGE_HASH)
    for path in (proof.path[:-1], (*proof.path, proof.path[0])):
        with pytest.raises(WrongProofLength, match="call for 7"):
            verify_inclusion(LEAVES[5], InclusionProof(5, 100, path), root(100))
    consistency = prove_consistency(37, 100, RANGE_HASH)
    for path in ((), consistency.path[:-1], (*consistency.path, consistency.path[0])):
        with pytest.raises(WrongProofLength):
            verify_consistency(root(37), root(100), ConsistencyProof(37, 100, path))


def test_an_index_outside_the_tree_is_refused():
    """RFC 9162 §2.1.3.2 step 1: leaf_index >= tree_size fails."""
    proof = prove_inclusion(3, 4, RANGE_HASH)
    with pytest.raises(IndexOutOfRange, match="leaf index 4 is outside a tree of 4 leaves"):
        verify_inclusion(LEAVES[3], InclusionProof(4, 4, proof.path), root(4))
    with pytest.raises(IndexOutOfRange):
        prove_inclusion(4, 4, RANGE_HASH)
    with pytest.raises(IndexOutOfRange):
        prove_inclusion(-1, 4, RANGE_HASH)


def test_consistency_needs_a_smaller_non_empty_first_tree():
    """RFC 9162 §2.1.4: a consistency proof relates sizes 0 < first < second."""
    for old, new in ((0, 5), (5, 5), (6, 5)):
        with pytest.raises(SizeOutOfRange):
            prove_consistency(old, new, RANGE_HASH)
        with pytest.raises(SizeOutOfRange):
            verify_consistency(root(0), root(5), ConsistencyProof(old, new, (LEAVES[0],)))


def test_hashes_that_are_not_32_bytes_are_malformed():
    proof = prove_inclusion(0, 2, RANGE_HASH)
    with pytest.raises(MalformedProof):
        verify_inclusion(LEAVES[0], InclusionProof(0, 2, (proof.path[0][:31],)), root(2))
    with pytest.raises(MalformedProof):
        verify_inclusion(LEAVES[0], proof, root(2).hex().encode())
