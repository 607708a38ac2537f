"""Finding time-based events in the materialized shifts.

Reminders, handoffs and weekly digests are due at instants the stored
shifts (and each team's settings) determine.  Each tick looks at the
interval from the high-water mark stored in the database to now, so nothing
is missed across restarts or downtime; events due longer ago than
``NOTIFY_STALE_AFTER_MINUTES`` are skipped rather than sent late; and each
event carries a ``dedup_key``, so the same one is never written twice.

Only real changes of hands are told: a shift that merely continues the
holder's own (the same person held the role until it starts) gets neither
a reminder nor a handoff, and the keys name the team, role, person and
instant rather than a row, so a shift stored again under a new id is not
announced twice.

Coverage gaps are looked for every round, ``gap_lookahead_hours`` ahead, in
the gaps stored with the materialized roster (:mod:`plantao.services.gaps`);
each is announced once (its row remembers it), however long it lasts.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import OutboxEvent, RosterGap, SchedulerState, Shift, Team, TeamNotificationSettings
from .events import COVERAGE_GAP, DIGEST, HANDOFF, REMINDER, shift_payload
from .outbox import add_event

log = logging.getLogger(__name__)

STATE = "time"
DEFAULT_REMINDER_LEADS = (1440, 60)
DEFAULT_DIGEST_WEEKDAY = 0
DEFAULT_DIGEST_TIME = "08:00"
DEFAULT_GAP_LOOKAHEAD_HOURS = 72
DIGEST_DAYS = 14


def ensure_state(dbsession: Session, now: datetime, settings) -> None:
    """Create the high-water row once (a concurrent creator wins harmlessly)."""
    if dbsession.get(SchedulerState, STATE) is not None:
        return
    try:
        with dbsession.begin_nested():
            dbsession.add(SchedulerState(name=STATE, high_water=now - stale_after(settings)))
    except IntegrityError:
        pass


def stale_after(settings) -> timedelta:
    return timedelta(minutes=settings.notify_stale_after_minutes)


class Scheduler:
    def __init__(self, dbsession: Session, settings, plugins):
        self.dbsession = dbsession
        self.settings = settings
        self.plugins = plugins

    def tick(self, now: datetime) -> int:
        """Write the events due in ``(high water, now]``; return how many."""
        # One scheduler at a time: the others skip this tick (PostgreSQL);
        # SQLite has a single dispatcher anyway.
        state = self.dbsession.scalars(
            select(SchedulerState).where(SchedulerState.name == STATE).with_for_update(skip_locked=True)
        ).first()
        if state is None or now <= state.high_water:
            return 0
        low = max(state.high_water, now - stale_after(self.settings))
        if low > state.high_water:
            log.warning("skipping time-based notifications due between %s and %s (stale)", state.high_water, low)
        unannounced = self._unannounced_gaps(now)
        created = 0
        for team in self.dbsession.scalars(select(Team).order_by(Team.id)):
            team_settings = self.dbsession.get(TeamNotificationSettings, team.id)
            created += self._reminders(team, team_settings, low, now)
            created += self._handoffs(team, low, now)
            created += self._digests(team, team_settings, low, now)
            created += self._gaps(team, team_settings, unannounced.get(team.id, ()), now)
        state.high_water = now
        return created

    def _add(self, kind: str, team: Team, payload: dict, key: str) -> int:
        exists = self.dbsession.scalar(select(OutboxEvent.id).where(OutboxEvent.dedup_key == key))
        if exists is not None:
            return 0
        add_event(self.dbsession, kind, team, payload, dedup_key=key)
        return 1

    def _reminders(self, team, team_settings, low, now) -> int:
        leads = team_settings.reminder_leads if team_settings is not None else DEFAULT_REMINDER_LEADS
        created = 0
        for lead in leads:
            delta = timedelta(minutes=lead)
            shifts = self.dbsession.scalars(
                select(Shift).where(Shift.team_id == team.id, Shift.start > low + delta, Shift.start <= now + delta)
            )
            for shift in shifts:
                if self._holder_before(shift) == shift.person_id:
                    continue
                key = f"reminder:{team.id}:{shift.role}:{shift.person_id}:{shift.start:%Y%m%dT%H%M%S}:{lead}"
                created += self._add(REMINDER, team, {"shift": shift_payload(shift), "lead_minutes": lead}, key)
        return created

    def _previous(self, shift: Shift) -> Shift | None:
        """The shift of the same role that ran until ``shift`` started, if any."""
        return self.dbsession.scalars(
            select(Shift)
            .where(Shift.team_id == shift.team_id, Shift.role == shift.role, Shift.start < shift.start,
                   Shift.end >= shift.start, Shift.id != shift.id)
            .order_by(Shift.end.desc(), Shift.start.desc())
            .limit(1)
        ).first()

    def _holder_before(self, shift: Shift) -> int | None:
        previous = self._previous(shift)
        return previous.person_id if previous is not None and previous.end == shift.start else None

    def _handoffs(self, team, low, now) -> int:
        created = 0
        for shift in self.dbsession.scalars(
            select(Shift).where(Shift.team_id == team.id, Shift.start > low, Shift.start <= now)
        ):
            previous = self._previous(shift)
            if previous is not None and previous.end != shift.start:
                previous = None
            if previous is not None and previous.person_id == shift.person_id:
                continue  # the same person holds on: no handoff happens
            payload = {"shift": shift_payload(shift), "previous": shift_payload(previous) if previous else None}
            key = f"handoff:{team.id}:{shift.role}:{shift.person_id}:{shift.start:%Y%m%dT%H%M%S}"
            created += self._add(HANDOFF, team, payload, key)
        return created

    def _digests(self, team, team_settings, low, now) -> int:
        weekday = team_settings.digest_weekday if team_settings is not None else DEFAULT_DIGEST_WEEKDAY
        clock = time.fromisoformat(team_settings.digest_time if team_settings is not None else DEFAULT_DIGEST_TIME)
        tz = ZoneInfo(team.timezone)
        created = 0
        day = low.astimezone(tz).date()
        while day <= now.astimezone(tz).date():
            at = datetime.combine(day, clock, tzinfo=tz)
            if day.weekday() == weekday and low < at <= now:
                until = at + timedelta(days=DIGEST_DAYS)
                shifts = self.dbsession.scalars(
                    select(Shift)
                    .where(Shift.team_id == team.id, Shift.end > at, Shift.start < until)
                    .order_by(Shift.start, Shift.role)
                ).all()
                payload = {"start": at.isoformat(), "end": until.isoformat(),
                           "shifts": [shift_payload(s) for s in shifts]}
                created += self._add(DIGEST, team, payload, f"digest:{team.id}:{at:%Y%m%dT%H%M}")
            day += timedelta(days=1)
        return created

    def _unannounced_gaps(self, now: datetime) -> dict[int, list[RosterGap]]:
        """Stored gaps not announced yet and not over, by team (one indexed read per round)."""
        found: dict[int, list[RosterGap]] = {}
        rows = self.dbsession.scalars(
            select(RosterGap)
            .where(RosterGap.announced_at.is_(None), RosterGap.end > now)
            .order_by(RosterGap.team_id, RosterGap.start, RosterGap.id)
            .with_for_update()
        )
        for row in rows:
            found.setdefault(row.team_id, []).append(row)
        return found

    def _gaps(self, team, team_settings, gaps, now) -> int:
        """One event for the team's gaps that came within its lookahead; each marked announced."""
        hours = team_settings.gap_lookahead_hours if team_settings is not None else DEFAULT_GAP_LOOKAHEAD_HOURS
        if not hours:
            return 0
        due = [gap for gap in gaps if gap.start < now + timedelta(hours=hours)]
        if not due:
            return 0
        for gap in due:
            gap.announced_at = now
        payload = {"gaps": [{"role": gap.role, "start": max(gap.start, now).isoformat(), "end": gap.end.isoformat()}
                            for gap in due]}
        # No dedup key: the rows' announced_at commits with the event (and one
        # scheduler runs at a time), while a gap that is covered and later
        # opens again at the same instant must be announced again.
        add_event(self.dbsession, COVERAGE_GAP, team, payload)
        return 1
