"""Comparing two rosters, for "what would this change do?" previews."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ShiftLike(Protocol):
    """Anything shaped like a shift: an engine :class:`RosterShift` or a stored row."""

    key: str
    role: str
    person_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Reassignment:
    """The same shift (key, role and times) going to somebody else."""

    old: ShiftLike
    new: ShiftLike

    @property
    def key(self) -> str:
        """The shift's stable key."""
        return self.new.key

    @property
    def old_person_id(self) -> int:
        """Who had the shift."""
        return self.old.person_id

    @property
    def new_person_id(self) -> int:
        """Who has it now."""
        return self.new.person_id


@dataclass(frozen=True)
class RosterDiff:
    """What changes from one roster to another.

    Each list is sorted by start, then role, then key.
    """

    added: tuple[ShiftLike, ...] = ()
    removed: tuple[ShiftLike, ...] = ()
    reassigned: tuple[Reassignment, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.reassigned)


def _identity(shift: ShiftLike) -> tuple[str, str, datetime, datetime]:
    return (shift.key, shift.role, shift.start, shift.end)


def _order(shift: ShiftLike) -> tuple[datetime, str, str]:
    return (shift.start, shift.role, shift.key)


def diff_rosters(old: Sequence[ShiftLike], new: Sequence[ShiftLike]) -> RosterDiff:
    """Compare ``old`` and ``new`` shift by shift.

    Shifts are matched by key, role, start and end.  A match with a
    different person is *reassigned*; anything else that exists only in
    ``old`` is *removed* and only in ``new`` is *added* (so a shift whose
    times moved shows as one removal and one addition).  Compare aware
    datetimes; ``2025-01-01T12:00Z`` and ``09:00-03:00`` are the same instant.
    """
    before = {_identity(shift): shift for shift in old}
    after = {_identity(shift): shift for shift in new}
    reassigned = [
        Reassignment(old=before[identity], new=shift)
        for identity, shift in after.items()
        if identity in before and before[identity].person_id != shift.person_id
    ]
    return RosterDiff(
        added=tuple(
            sorted(
                (shift for identity, shift in after.items() if identity not in before), key=_order
            )
        ),
        removed=tuple(
            sorted(
                (shift for identity, shift in before.items() if identity not in after), key=_order
            )
        ),
        reassigned=tuple(sorted(reassigned, key=lambda change: _order(change.new))),
    )
