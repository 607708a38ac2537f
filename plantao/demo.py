"""Demo data: a team, a few people and a weekly rotation, for a first look."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .db import get_session_factory
from .models import Person, Rotation, RotationVersion, Team

DEMO_PEOPLE = (
    ("Ana Souza", "ana.souza@example.com", "+55 11 91234-0001", {"slack": "@ana"}),
    ("Bruno Lima", "bruno.lima@example.com", "+55 11 91234-0002", {}),
    ("Carla Dias", "carla.dias@example.com", "+55 21 91234-0003", {"whatsapp": "+5521912340003"}),
    ("Diego Rocha", "diego.rocha@example.com", "+55 31 91234-0004", {}),
)


def load_demo(settings, engine, plugins, *, only_if_empty: bool = True) -> bool:
    """Create the demo team and return True, or return False if teams exist."""
    import transaction

    from .db import get_tm_session
    from .services.roster import RosterService

    manager = transaction.TransactionManager(explicit=True)
    with manager:
        dbsession = get_tm_session(get_session_factory(engine), manager)
        if only_if_empty and dbsession.scalar(select(func.count(Team.id))):
            return False
        tz = ZoneInfo(settings.timezone)
        people = [
            Person(name=name, email=email, phone=phone, chat=chat)
            for name, email, phone, chat in DEMO_PEOPLE
        ]
        dbsession.add_all(people)
        team = Team(
            slug="demo",
            name="Plantão de Demonstração",
            timezone=settings.timezone,
            holiday_country="BR",
            holiday_subdivision="SP",
        )
        dbsession.add(team)
        dbsession.flush()
        # Start the rotation on last Monday at 09:00 so somebody is on call now.
        today = datetime.now(tz).date()
        monday = today - timedelta(days=today.weekday())
        start = datetime.combine(monday, time(9, 0), tzinfo=tz)
        rotation = Rotation(
            team_id=team.id, name="Semanal", role="primary", policy="weekly", start=start
        )
        rotation.versions.append(
            RotationVersion(
                effective_from=start,
                params={},
                members=[person.id for person in people],
                rules={},
            )
        )
        dbsession.add(rotation)
        dbsession.flush()
        RosterService(dbsession, settings, plugins).materialize(team)
    return True
