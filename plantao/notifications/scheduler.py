"""Finding time-based events in the materialized shifts.

Reminders, handoffs and weekly digests are due at instants the stored
shifts (and each team's settings) determine.  Each tick looks at the
interval from the high-water mark stored in the database to now, so nothing
is missed across restarts or downtime; events due longer ago than
``NOTIFY_STALE_AFTER_MINUTES`` are skipped rather than sent late; and each
event carries a ``dedup_key``, so the same one is never written twice.
Coverage gaps are looked for once an hour, ``gap_lookahead_hours`` ahead.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import OutboxEvent, SchedulerState, Shift, Team, TeamNotificationSettings
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
        check_gaps = _hour(state.high_water) != _hour(now)
        created = 0
        for team in self.dbsession.scalars(select(Team).order_by(Team.id)):
            team_settings = self.dbsession.get(TeamNotificationSettings, team.id)
            created += self._reminders(team, team_settings, low, now)
            created += self._handoffs(team, low, now)
            created += self._digests(team, team_settings, low, now)
            if check_gaps:
                created += self._gaps(team, team_settings, now)
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
                key = f"reminder:{shift.id}:{lead}:{shift.person_id}:{shift.start:%Y%m%dT%H%M}"
                created += self._add(REMINDER, team, {"shift": shift_payload(shift), "lead_minutes": lead}, key)
        return created

    def _handoffs(self, team, low, now) -> int:
        created = 0
        for shift in self.dbsession.scalars(
            select(Shift).where(Shift.team_id == team.id, Shift.start > low, Shift.start <= now)
        ):
            previous = self.dbsession.scalars(
                select(Shift).where(
                    Shift.team_id == team.id, Shift.role == shift.role, Shift.end == shift.start,
                    Shift.id != shift.id,
                )
            ).first()
            if previous is not None and previous.person_id == shift.person_id:
                continue
            payload = {"shift": shift_payload(shift), "previous": shift_payload(previous) if previous else None}
            key = f"handoff:{shift.id}:{shift.person_id}:{shift.start:%Y%m%dT%H%M}"
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

    def _gaps(self, team, team_settings, now) -> int:
        from ..services.roster import RosterService

        hours = team_settings.gap_lookahead_hours if team_settings is not None else DEFAULT_GAP_LOOKAHEAD_HOURS
        if not hours:
            return 0
        try:
            result = RosterService(self.dbsession, self.settings, self.plugins).compute(
                team, now, now + timedelta(hours=hours)
            )
        except Exception:  # a broken roster must not stop every other notification
            log.exception("cannot compute the coverage gaps of team %s", team.slug)
            return 0
        created = 0
        for gap in result.gaps:
            start, end = max(gap.start, now), gap.end
            if end <= start:
                continue
            key = f"gap:{team.id}:{gap.role}:{gap.start:%Y%m%dT%H%M}:{gap.end:%Y%m%dT%H%M}"
            payload = {"gaps": [{"role": gap.role, "start": start.isoformat(), "end": end.isoformat()}]}
            created += self._add(COVERAGE_GAP, team, payload, key)
        return created


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
