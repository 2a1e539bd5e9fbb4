"""The tamper-evident log every decision of the node goes into, verifiable by partners.

- `log`: append entries inside the caller's transaction, roots, proofs, checkpoints, verify.
- `merkle`: RFC 9162 §2 tree hashes, proof generation and verification (pure).
- `checkpoint`: C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519 (pure).
- `cosignature`: witnesses' C2SP tlog-cosignature/v1 lines on checkpoints, Ed25519 (pure).
- `witness`: a witness's C2SP tlog-witness add-checkpoint decision (pure).
- `entries`: what an entry is and the exact bytes its leaf hash covers (pure).
- `audit`: checking the stored log against itself and its checkpoints (no I/O of its own).

See docs/ledger.md.
"""
