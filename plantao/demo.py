"""Demo data: a team, a few people and a weekly rotation, for a first look."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .db import get_session_factory, get_tm_session
from .models import Team
from .services.audit import Actor
from .services.context import ServiceContext
from .services.people import PersonService
from .services.rotations import RotationService
from .services.teams import TeamService

DEMO_PEOPLE = (
    {"name": "Ana Souza", "email": "ana.souza@example.com", "phone": "+55 11 91234-0001", "chat": {"slack": "@ana"}},
    {"name": "Bruno Lima", "email": "bruno.lima@example.com", "phone": "+55 11 91234-0002"},
    {"name": "Carla Dias", "email": "carla.dias@example.com", "phone": "+55 21 91234-0003"},
    {"name": "Diego Rocha", "email": "diego.rocha@example.com", "phone": "+55 31 91234-0004"},
)


def load_demo(settings, engine, plugins, *, only_if_empty: bool = True) -> bool:
    """Create the demo team through the services; False when teams already exist."""
    import transaction

    manager = transaction.TransactionManager(explicit=True)
    with manager:
        dbsession = get_tm_session(get_session_factory(engine), manager)
        if only_if_empty and dbsession.scalar(select(func.count(Team.id))):
            return False
        ctx = ServiceContext(dbsession, settings, plugins, Actor("demo"))
        people = [PersonService(ctx).create(dict(person)) for person in DEMO_PEOPLE]
        team = TeamService(ctx).create(
            {
                "slug": "demo",
                "name": "Plantão de Demonstração",
                "timezone": settings.timezone,
                "holidays": {"country": "BR", "subdivision": "SP"},
                "fallback_person": people[0].id,
            }
        )
        # Start on last Monday at 09:00 so that somebody is on call right now.
        tz = ZoneInfo(settings.timezone)
        today = datetime.now(tz).date()
        monday = today - timedelta(days=today.weekday())
        RotationService(ctx).create(
            team,
            {
                "name": "Semanal",
                "policy": "weekly",
                "members": [person.id for person in people],
                "start": datetime.combine(monday, time(9, 0), tzinfo=tz).isoformat(),
            },
        )
    return True
