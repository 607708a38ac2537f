"""Writing notification events in the caller's transaction.

An event is a row added to the session that is making the change, so it
commits with the change or not at all: a rolled-back change notifies
nobody, and a committed one is never forgotten.  The dispatcher reads the
rows later (see :mod:`plantao.notifications.dispatcher`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import OutboxEvent, Person
from .events import ROSTER_CHANGED, shift_payload, team_payload


def add_event(dbsession: Session, kind: str, team, payload: dict, dedup_key: str | None = None) -> OutboxEvent:
    """Add an event for ``team`` to the current transaction."""
    event = OutboxEvent(
        kind=kind,
        team_id=team.id if team is not None else None,
        payload={"team": team_payload(team), **payload} if team is not None else payload,
        dedup_key=dedup_key,
    )
    dbsession.add(event)
    return event


def record_roster_changes(dbsession: Session, team, report, now: datetime, settings) -> OutboxEvent | None:
    """One ``roster_changed`` event for what a materialization changed soon enough to matter.

    Only shifts starting within ``NOTIFY_CHANGE_WINDOW_DAYS`` count, so the
    horizon moving forward (new shifts far ahead) stays silent.
    """
    window_end = now + timedelta(days=getattr(settings, "notify_change_window_days", 28))

    def relevant(shift) -> bool:
        return shift.end > now and shift.start < window_end

    added = [s for s in report.added if relevant(s)]
    removed = [s for s in report.removed if relevant(s)]
    changed = [(before, s) for before, s in report.changed if relevant(s)]
    if not (added or removed or changed):
        return None
    ids = {s.person_id for s in added + removed} | {s.person_id for _, s in changed}
    ids |= {before for before, _ in changed if before is not None}
    names = dict(dbsession.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
    changes = [{"change": "added", "shift": shift_payload(s, names.get(s.person_id, ""))} for s in added]
    changes += [{"change": "removed", "shift": shift_payload(s, names.get(s.person_id, ""))} for s in removed]
    for before, shift in changed:
        entry = {"change": "reassigned" if before != shift.person_id else "rescheduled",
                 "shift": shift_payload(shift, names.get(shift.person_id, ""))}
        if before != shift.person_id:
            entry.update(from_person=before, from_person_name=names.get(before, ""))
        changes.append(entry)
    changes.sort(key=lambda c: (c["shift"]["start"], c["shift"]["role"]))
    return add_event(dbsession, ROSTER_CHANGED, team, {"changes": changes})
