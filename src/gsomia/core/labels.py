"""The one label model: who originated an item, how it is classified, who may hold it.

Rule 1: every item records its originator, native marking, English equivalent, topic and
purpose. Rule 3 (Art 4): a received item carries the originator's name and the receiver's
equivalent marking, and copies inherit both. Rule 6: releasability only ever shrinks along a
chain of transfers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gsomia.core.errors import InvalidRequest, InvalidTopic
from gsomia.core.markings import Level

_TOPIC = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def check_topic(topic: str) -> str:
    """A topic is a slug: lower-case letters and digits separated by single hyphens."""
    if not _TOPIC.match(topic):
        raise InvalidTopic(
            f"invalid topic {topic!r}; a topic is a slug such as nk-missile "
            "(lower-case letters and digits joined by hyphens)"
        )
    return topic


@dataclass(frozen=True, slots=True)
class Label:
    """The label of one copy of an item: who originated it, its marking and topic (Rule 1),
    who may hold it (Rule 6), and the holder's equivalent marking (Art 4)."""

    originator: str
    level: Level
    topic: str
    purpose: str = ""
    releasable_to: frozenset[str] | None = None
    """Parties that may hold the item; None while the originator has not restricted it."""
    caveats: tuple[str, ...] = ()
    holder: str | None = None
    """The party holding this copy; None for the originator's own copy."""
    holder_level: Level | None = None
    """The holder's equivalent marking, given at receipt (Art 4)."""

    def __post_init__(self) -> None:
        if self.level.party != self.originator:
            raise InvalidRequest(
                f"a {self.originator} item must carry a {self.originator} marking, "
                f"not the {self.level.party} marking {self.level.marking}"
            )
        check_topic(self.topic)

    @property
    def held_by(self) -> str:
        """The party holding this copy: its holder, or the originator for its own copy."""
        return self.holder or self.originator

    def may_be_held_by(self, party: str) -> bool:
        """Whether the label lets `party` hold the item (Art 6; the originator always may)."""
        if party == self.originator:
            return True
        return self.releasable_to is None or party in self.releasable_to

    def received_by(self, receiver: str, receiver_level: Level) -> Label:
        """The label of the copy `receiver` holds after receipt (Art 4 re-marking).

        The copy names the originator and carries the receiver's equivalent marking; its
        releasability is the sender's narrowed to the parties already entitled to it, so it
        never widens.
        """
        if receiver_level.party != receiver:
            raise InvalidRequest(f"{receiver} must mark its copy with a {receiver} marking")
        if not self.may_be_held_by(receiver):
            raise InvalidRequest(f"the label does not let {receiver} hold this item")
        entitled = (
            self.releasable_to
            if self.releasable_to is not None
            else frozenset({self.originator, self.held_by, receiver})
        )
        return replace(
            self,
            releasable_to=entitled | {self.originator},
            holder=receiver,
            holder_level=receiver_level,
        )

    def handed_over(self, recipient: str, recipient_level: Level) -> Label:
        """The label of the copy `recipient` holds after a release or a transfer (Art 4, Art 6).

        Back to its originator, an item carries its own label again. To a third party it goes
        only with the originator's consent (Art 6), which admits that party; the copy is then
        re-marked as any received copy (Art 4).
        """
        if recipient == self.originator:
            return replace(self, holder=None, holder_level=None)
        if self.holder is not None and self.releasable_to is not None:
            return replace(self, releasable_to=self.releasable_to | {recipient}).received_by(
                recipient, recipient_level
            )
        return self.received_by(recipient, recipient_level)


GENERAL_TOPIC = "general"
"""The topic of a question that names none: valid, and outside every topic-scoped
arrangement."""
