"""Who may do what on a node: the officers' roles and the actions each allows, deny by default.

A node's people act in one of four roles. The agreements say who may *see* classified
information (Art 7: clearance and need-to-know); these roles say who may *operate the
registry*, which is the separation of duties a national security authority keeps:

- the registry officer registers, releases, transfers, receives and opens items, and keeps
  the persons and their need-to-know;
- the security officer answers partners' consent and visit requests, handles loss and
  compromise (Art 17) and records the agreements' notices and events;
- the auditor reads the decisions and the ledger and verifies it, and changes nothing;
- the administrator keeps the accounts, the keys and the peers, and reads no item.

An action not listed for a role is refused: a new action is refused to every role until it is
given to one.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The role an officer acts in, by its contract name (`gsomia user add --role`)."""

    REGISTRY_OFFICER = "registry-officer"
    SECURITY_OFFICER = "security-officer"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


class Action(StrEnum):
    """What an officer asks of the node; each route of the API and the web UI needs one."""

    READ_AGREEMENTS = "read-agreements"
    """The agreements, their status at an instant, the schemes: what every officer works by."""
    WHAT_IF = "what-if"
    READ_REGISTER = "read-register"
    """Items, their labels and custody, persons, releases, consents, deliveries."""
    READ_DECISIONS = "read-decisions"
    REGISTER_ITEMS = "register-items"
    HAND_OVER = "hand-over"
    """Release or transfer an item to a partner."""
    OPEN_ITEMS = "open-items"
    MANAGE_PERSONS = "manage-persons"
    ANSWER_CONSENTS = "answer-consents"
    ANSWER_VISITS = "answer-visits"
    HANDLE_INCIDENTS = "handle-incidents"
    GIVE_NOTICES = "give-notices"
    """Record an agreement's lifecycle events: notices, suspensions, withdrawals."""
    READ_LEDGER = "read-ledger"
    VERIFY_LEDGER = "verify-ledger"
    MANAGE_ACCOUNTS = "manage-accounts"
    MANAGE_KEYS = "manage-keys"
    MANAGE_PEERS = "manage-peers"


_EVERYONE = frozenset({Action.READ_AGREEMENTS})
_OFFICERS = _EVERYONE | {Action.WHAT_IF, Action.READ_REGISTER, Action.READ_DECISIONS}

ALLOWED: dict[Role, frozenset[Action]] = {
    Role.REGISTRY_OFFICER: _OFFICERS
    | {Action.REGISTER_ITEMS, Action.HAND_OVER, Action.OPEN_ITEMS, Action.MANAGE_PERSONS},
    Role.SECURITY_OFFICER: _OFFICERS
    | {
        Action.ANSWER_CONSENTS,
        Action.ANSWER_VISITS,
        Action.HANDLE_INCIDENTS,
        Action.GIVE_NOTICES,
        Action.READ_LEDGER,
    },
    Role.AUDITOR: _OFFICERS | {Action.READ_LEDGER, Action.VERIFY_LEDGER},
    Role.ADMINISTRATOR: _EVERYONE
    | {Action.MANAGE_ACCOUNTS, Action.MANAGE_KEYS, Action.MANAGE_PEERS},
}


def may(role: Role | str, action: Action) -> bool:
    """Whether `role` may take `action`; an unknown role may take none."""
    try:
        known = Role(role)
    except ValueError:
        return False
    return action in ALLOWED.get(known, frozenset())


def read_role(text: str) -> Role:
    """A role named by its contract name; ValueError naming the roles otherwise."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {text!r}: use one of {names}") from None
