"""Who is on call: the answer every page, feed and bot asks for.

It reads only the materialized roster (the ``shifts`` table, through its
indexes), so it costs the same for one team or a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Person, Shift, Team


@dataclass(frozen=True)
class OnCallEntry:
    """One role's holder at an instant."""

    role: str
    person: Person
    start: datetime
    end: datetime
    source: str


@dataclass(frozen=True)
class TeamOnCall:
    """A team's roster at an instant: one entry per role, and the next handoff."""

    team: Team
    at: datetime
    oncall: list[OnCallEntry]
    next_shift: Shift | None

    @property
    def gap(self) -> bool:
        return not self.oncall

    @property
    def primary(self) -> OnCallEntry | None:
        for entry in self.oncall:
            if entry.role == "primary":
                return entry
        return self.oncall[0] if self.oncall else None

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.team.timezone))


class OnCallService:
    """Reads the materialized roster of one or all teams at an instant."""

    def __init__(self, dbsession: Session, settings=None):
        self.dbsession = dbsession
        self.settings = settings

    def at(self, team: Team, moment: datetime | None = None, role: str | None = None) -> TeamOnCall:
        """Who holds each role of ``team`` at ``moment`` (default now)."""
        moment = moment or datetime.now(timezone.utc)
        query = (
            select(Shift)
            .where(Shift.team_id == team.id, Shift.start <= moment, Shift.end > moment)
            .order_by(Shift.role)
        )
        if role:
            query = query.where(Shift.role == role)
        current = self.dbsession.scalars(query).all()
        upcoming = select(Shift).where(Shift.team_id == team.id, Shift.start > moment)
        if role:
            upcoming = upcoming.where(Shift.role == role)
        next_shift = self.dbsession.scalars(upcoming.order_by(Shift.start).limit(1)).first()
        entries = [
            OnCallEntry(role=s.role, person=s.person, start=s.start, end=s.end, source=s.source)
            for s in current
        ]
        return TeamOnCall(team=team, at=moment, oncall=entries, next_shift=next_shift)

    def board(self, moment: datetime | None = None) -> list[TeamOnCall]:
        """Every team's roster at ``moment``, ordered by team name."""
        teams = self.dbsession.scalars(select(Team).order_by(Team.name)).all()
        return [self.at(team, moment) for team in teams]
