"""The officers' roles: deny by default, separation of duties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gsomia.core.roles import ALLOWED, Action, Role, may, read_role


def test_every_action_belongs_to_some_role() -> None:
    granted = set().union(*ALLOWED.values())
    assert granted == set(Action)


def test_the_administrator_reads_no_item_and_decides_nothing() -> None:
    """Separation of duties: accounts, keys and peers, not the register."""
    for action in (
        Action.READ_REGISTER,
        Action.OPEN_ITEMS,
        Action.HAND_OVER,
        Action.READ_DECISIONS,
    ):
        assert not may(Role.ADMINISTRATOR, action)


def test_the_auditor_changes_nothing() -> None:
    changing = {
        Action.REGISTER_ITEMS,
        Action.HAND_OVER,
        Action.OPEN_ITEMS,
        Action.MANAGE_PERSONS,
        Action.ANSWER_CONSENTS,
        Action.ANSWER_VISITS,
        Action.HANDLE_INCIDENTS,
        Action.GIVE_NOTICES,
        Action.MANAGE_ACCOUNTS,
        Action.MANAGE_KEYS,
        Action.MANAGE_PEERS,
    }
    assert not ALLOWED[Role.AUDITOR] & changing
    assert may(Role.AUDITOR, Action.VERIFY_LEDGER)


def test_only_the_security_officer_answers_partners_and_only_the_registry_officer_hands_over() -> (
    None
):
    """Art 6 consent and Art 8 visits are the security officer's; hand-overs the registry's."""
    assert [r for r in Role if may(r, Action.ANSWER_CONSENTS)] == [Role.SECURITY_OFFICER]
    assert [r for r in Role if may(r, Action.ANSWER_VISITS)] == [Role.SECURITY_OFFICER]
    assert [r for r in Role if may(r, Action.HAND_OVER)] == [Role.REGISTRY_OFFICER]


@given(st.text(max_size=30))
def test_an_unknown_role_may_do_nothing(name: str) -> None:
    if name in {r.value for r in Role}:
        return
    assert not any(may(name, action) for action in Action)


def test_roles_are_read_by_their_contract_names() -> None:
    assert read_role(" Registry-Officer ") is Role.REGISTRY_OFFICER
    with pytest.raises(ValueError, match="use one of registry-officer"):
        read_role("janitor")
