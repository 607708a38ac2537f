"""Writing notification events in the caller's transaction.

An event is a row added to the session that is making the change, so it
commits with the change or not at all: a rolled-back change notifies
nobody, and a committed one is never forgotten.  The dispatcher reads the
rows later (see :mod:`plantao.notifications.dispatcher`).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..db import execute_write
from ..models import OutboxEvent, Person
from .events import ROSTER_CHANGED, team_payload


def add_event(dbsession: Session, kind: str, team, payload: dict, dedup_key: str | None = None) -> None:
    """Add an event for ``team`` to the current transaction.

    A roster write pays for it, so it is a table statement built once
    (:func:`~plantao.db.execute_write`), like the audit entry.  What the
    session holds is written first (the team may be new).  A clash of
    ``dedup_key`` raises here.
    """
    dbsession.flush()
    execute_write(
        dbsession,
        _EVENT,
        {
            "kind": kind,
            "team_id": team.id if team is not None else None,
            "payload": {"team": team_payload(team), **payload} if team is not None else payload,
            "dedup_key": dedup_key,
        },
    )


_EVENT = insert(OutboxEvent.__table__)


def record_roster_changes(dbsession: Session, team, report, now: datetime, settings) -> bool:
    """One ``roster_changed`` event for what a materialization changed soon enough to matter;
    whether there was one.

    The event says who holds what from when, per role, before and after:
    time that changed hands is ``reassigned`` (from whom, to whom), time
    nobody held before is ``added``, time nobody holds any more is
    ``removed``.  A shift cut short and continued by the same person is no
    change at all, so an override in the middle of a shift tells its holder
    which part went to whom instead of listing what they kept.  Only time
    within ``NOTIFY_CHANGE_WINDOW_DAYS`` counts, so the horizon moving
    forward (new shifts far ahead) stays silent.
    """
    window_end = now + timedelta(days=getattr(settings, "notify_change_window_days", 28))
    previous = getattr(report, "previous", {}) or {}
    before: list[_Held] = [_Held(s.role, s.person_id, s.start, s.end, s.id) for s in report.removed]
    after: list[_Held] = [_Held(s.role, s.person_id, s.start, s.end, s.id) for s in report.added]
    for before_person, shift in report.changed:
        old = previous.get(shift.id)
        if old is not None:
            before.append(_Held(old.role, old.person_id, old.start, old.end, shift.id))
        else:
            before.append(_Held(shift.role, before_person, shift.start, shift.end, shift.id))
        after.append(_Held(shift.role, shift.person_id, shift.start, shift.end, shift.id))
    pieces = [
        piece for piece in holder_changes(before, after)
        if piece.end > now and piece.start < window_end
    ]
    if not pieces:
        return False
    ids = {p.before.person_id for p in pieces if p.before} | {p.after.person_id for p in pieces if p.after}
    names = dict(dbsession.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
    changes = []
    for piece in pieces:
        holder = piece.after or piece.before
        shift = {
            "id": holder.shift_id,
            "role": piece.role,
            "person": holder.person_id,
            "person_name": names.get(holder.person_id, ""),
            "start": piece.start.isoformat(),
            "end": piece.end.isoformat(),
        }
        if piece.before is None:
            changes.append({"change": "added", "shift": shift})
        elif piece.after is None:
            changes.append({"change": "removed", "shift": shift})
        else:
            changes.append({"change": "reassigned", "shift": shift, "from_person": piece.before.person_id,
                            "from_person_name": names.get(piece.before.person_id, "")})
    changes.sort(key=lambda c: (c["shift"]["start"], c["shift"]["role"]))
    add_event(dbsession, ROSTER_CHANGED, team, {"changes": changes})
    return True


@dataclass(frozen=True)
class _Held:
    """A role held by a person over an interval (one stored shift, before or after a change)."""

    role: str
    person_id: int | None
    start: datetime
    end: datetime
    shift_id: int | None


@dataclass(frozen=True)
class HolderChange:
    """An interval of one role whose holder differs before and after a change (None: nobody)."""

    role: str
    start: datetime
    end: datetime
    before: _Held | None
    after: _Held | None


def holder_changes(before: list[_Held], after: list[_Held]) -> list[HolderChange]:
    """Where, per role, the holder before differs from the holder after.

    ``before`` and ``after`` are the touched shifts only: a stored shift the
    change left alone holds the same time before and after, and no touched
    shift overlaps it.  Neighbouring intervals with the same two holders are
    merged, so a shift cut in two by an override yields one piece.
    """
    found: list[HolderChange] = []
    for role in sorted({h.role for h in before + after}):
        old = sorted((h for h in before if h.role == role), key=lambda h: h.start)
        new = sorted((h for h in after if h.role == role), key=lambda h: h.start)
        old_starts, new_starts = [h.start for h in old], [h.start for h in new]
        points = sorted({t for h in old + new for t in (h.start, h.end)})
        for left, right in zip(points, points[1:]):
            was, will = _holder(old, old_starts, left, right), _holder(new, new_starts, left, right)
            if _same(was, will):
                continue
            last = found[-1] if found else None
            if (last is not None and last.role == role and last.end == left
                    and _same(last.before, was) and _same(last.after, will)):
                found[-1] = HolderChange(role, last.start, right, last.before, last.after)
            else:
                found.append(HolderChange(role, left, right, was, will))
    return found


def _holder(held: list[_Held], starts: list[datetime], left: datetime, right: datetime) -> _Held | None:
    index = bisect_right(starts, left) - 1
    if index >= 0 and held[index].end >= right:
        return held[index]
    return None


def _same(a: _Held | None, b: _Held | None) -> bool:
    return (a.person_id if a else None) == (b.person_id if b else None)
