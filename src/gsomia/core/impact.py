"""What if an agreement were no longer in force from an instant (the question of November 2019).

The answer is a what-if: nothing is recorded, and every other agreement stays as recorded. It
is computed over groups, not rows: the registry hands over its flows and holdings already
grouped by everything a decision depends on (the label, the sender and the recipient) with the
number of items in each group, and each group is decided once. A registry of a million items
costs as many decisions as it has distinct groups.

- A **flow** is a hand-over from an originator to a partner (releases this registry made,
  copies it received from their originator). From the instant on it *continues* if another
  agreement in force still allows it directly, is *rerouted* if only a hub arrangement carries
  it (Rule 13: through which hub, needing whose approval), and *stops* otherwise, with the
  reasons of the direct denial (Art 21: not in force; a topic no hub arrangement covers).
- A **holding** is a group of copies this registry received from a party of the agreement.
  What was exchanged stays protected (Art 21, `protection_survives`); the answer names the
  holder's persons who may still read it (Art 7: clearance and need-to-know).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gsomia.core.agreements import AgreementBook
from gsomia.core.labels import Label
from gsomia.core.policy import Code, Decision, Reader, decide_access, decide_release
from gsomia.core.routing import Route, routes


class Outcome(StrEnum):
    """What becomes of a flow once the agreement no longer binds."""

    CONTINUES = "continues"
    """Another agreement in force still allows the hand-over directly."""
    REROUTED = "rerouted"
    """Only through a hub arrangement (Rule 13), with the approvals its routes name."""
    STOPS = "stops"
    """No legal path: the direct denial's reasons say why."""


@dataclass(frozen=True, slots=True)
class Flow:
    """Items that went from their originator to `recipient`, alike in everything a decision
    depends on."""

    label: Label
    """The label as the originator releases the items."""
    recipient: str
    items: int


@dataclass(frozen=True, slots=True)
class FlowImpact:
    """What becomes of one flow from the instant on (Rule 2, Rule 13, Art 21)."""

    flow: Flow
    outcome: Outcome
    direct: Decision
    """The direct hand-over at the instant, in the what-if."""
    routes: tuple[Route, ...]
    """The paths through a hub, when the flow is rerouted."""


@dataclass(frozen=True, slots=True)
class Holding:
    """Copies held by `label.held_by`, received from their originator's side, alike in
    everything access depends on."""

    label: Label
    items: int


@dataclass(frozen=True, slots=True)
class HoldingImpact:
    """One holding from the instant on: still protected, and who may still read it (Art 7, 21)."""

    holding: Holding
    readers: tuple[str, ...]
    """The holder's persons who may still read the copies, by name."""
    survival_article: str | None
    """The article under which protection survives (Art 21), when the agreement ended."""


@dataclass(frozen=True, slots=True)
class Impact:
    """The answer for a whole registry: every flow's outcome and every holding's readers."""

    agreement: str
    at: datetime
    flows: tuple[FlowImpact, ...]
    holdings: tuple[HoldingImpact, ...]

    def items(self, outcome: Outcome) -> int:
        """How many items' flows have this outcome."""
        return sum(f.flow.items for f in self.flows if f.outcome is outcome)


def flow_impact(ended: AgreementBook, flow: Flow, at: datetime) -> FlowImpact:
    """Rule 2 and Rule 13 for one flow in the what-if book `ended`."""
    direct = decide_release(ended, flow.label, flow.recipient, at)
    if direct.allowed:
        return FlowImpact(flow, Outcome.CONTINUES, direct, ())
    through_hubs = tuple(
        route for route in routes(ended, flow.label, flow.recipient, at) if route.via is not None
    )
    outcome = Outcome.REROUTED if through_hubs else Outcome.STOPS
    return FlowImpact(flow, outcome, direct, through_hubs)


def holding_impact(
    ended: AgreementBook, holding: Holding, readers: Mapping[str, Reader], at: datetime
) -> HoldingImpact:
    """Rule 4 (Art 7) and Art 21 for one holding: who may still read it."""
    allowed: list[str] = []
    survival: str | None = None
    for name, reader in readers.items():
        if reader.party != holding.label.held_by:
            continue
        decision = decide_access(ended, reader, holding.label, at)
        if decision.allowed:
            allowed.append(name)
            survival = survival or next(
                (r.article for r in decision.reasons if r.code is Code.PROTECTION_SURVIVES), None
            )
    return HoldingImpact(holding, tuple(sorted(allowed)), survival)


def impact(
    book: AgreementBook,
    agreement_id: str,
    at: datetime,
    flows: Iterable[Flow],
    holdings: Iterable[Holding],
    readers: Mapping[str, Reader],
) -> Impact:
    """If `agreement_id` were no longer in force from `at`: each flow's outcome and each
    holding's readers, every other agreement as recorded (Art 21, Rule 13)."""
    ended = book.ending(agreement_id, at)
    return Impact(
        agreement_id,
        at,
        tuple(flow_impact(ended, flow, at) for flow in flows),
        tuple(holding_impact(ended, holding, readers, at) for holding in holdings),
    )
