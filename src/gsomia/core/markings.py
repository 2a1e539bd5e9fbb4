"""National classification schemes: levels, their markings, and how a marking is read.

A level belongs to one party's scheme. Its rank orders levels within that scheme only;
levels of different schemes are related by an agreement's equivalence table (Art 4 of the
Korea–Japan GSOMIA), never by comparing ranks across schemes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from gsomia.core.errors import UnknownMarking

_ROMAN_NUMERALS = str.maketrans({"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV"})
_SEPARATORS = re.compile(r"[\s\-_.]+")


def marking_key(text: str) -> str:
    """The form under which markings are compared: NFC, ASCII Roman numerals, casefolded."""
    text = unicodedata.normalize("NFC", text).translate(_ROMAN_NUMERALS)
    return _SEPARATORS.sub(" ", text).strip().casefold()


@dataclass(frozen=True, slots=True)
class Level:
    """One classification level of a party's scheme."""

    party: str
    rank: int
    marking: str
    romanised: str
    english: str
    aliases: tuple[str, ...] = ()
    """Other forms users write for this level, such as the bare grade numeral."""

    def __str__(self) -> str:
        if self.romanised and self.romanised != self.marking:
            return f"{self.marking} ({self.romanised})"
        return self.marking


@dataclass(frozen=True)
class Scheme:
    """A party's classification scheme, most sensitive level first or in any order."""

    party: str
    name: str
    levels: tuple[Level, ...]
    _by_key: dict[str, Level] = field(init=False, repr=False, compare=False)
    _by_marking: dict[str, Level] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, Level] = {}
        by_marking: dict[str, Level] = {}
        # Earlier levels win an ambiguous English name: the file lists the primary marking first.
        for level in self.levels:
            by_marking[level.marking] = level
            for form in (level.marking, level.romanised, level.english, *level.aliases):
                if form:
                    by_key.setdefault(marking_key(form), level)
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_by_marking", by_marking)

    def read(self, text: str) -> Level:
        """The level a user means by `text`: native marking, romanisation or English name."""
        level = self._by_key.get(marking_key(text))
        if level is None:
            raise UnknownMarking(
                f"unknown marking {text!r} for {self.party}; "
                f"{self.party} markings are: {self.describe_markings()}"
            )
        return level

    def exact(self, marking: str) -> Level | None:
        """The level whose native marking is exactly `marking` (as stored), if any."""
        return self._by_marking.get(unicodedata.normalize("NFC", marking))

    def by_marking(self, marking: str) -> Level:
        """The level of a stored native marking; other forms are read as a user's input."""
        return self.exact(marking) or self.read(marking)

    def describe_markings(self) -> str:
        """The scheme's markings, most sensitive first, with romanisation and English name."""
        return ", ".join(
            f"{level.marking} ({level.romanised}, {level.english})"
            if level.romanised != level.marking
            else level.marking
            for level in self.by_rank()
        )

    def by_rank(self) -> tuple[Level, ...]:
        """Levels from the most sensitive down."""
        return tuple(sorted(self.levels, key=lambda level: -level.rank))


def at_or_above(held: Level, required: Level) -> bool:
    """Whether a clearance `held` reaches `required` (Art 7); both of the same scheme."""
    if held.party != required.party:
        raise ValueError(f"cannot compare a {held.party} level with a {required.party} level")
    return held.rank >= required.rank
