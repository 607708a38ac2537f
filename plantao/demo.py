"""Demo data: a team, a few people and a weekly rotation, for a first look."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from .db import get_session_factory, get_tm_session, writing
from .models import Team
from .services.audit import Actor
from .services.context import ServiceContext
from .services.errors import Conflict
from .services.people import PersonService
from .services.rotations import RotationService
from .services.teams import TeamService

DEMO_PEOPLE = (
    {"name": "Ana Souza", "email": "ana.souza@example.com", "phone": "+55 11 91234-0001", "chat": {"slack": "@ana"}},
    {"name": "Bruno Lima", "email": "bruno.lima@example.com", "phone": "+55 11 91234-0002"},
    {"name": "Carla Dias", "email": "carla.dias@example.com", "phone": "+55 21 91234-0003"},
    {"name": "Diego Rocha", "email": "diego.rocha@example.com", "phone": "+55 31 91234-0004"},
)


#: Key of the PostgreSQL advisory lock held while loading the demo ("demo" in ASCII).
DEMO_LOCK_KEY = 0x64656D6F


def load_demo(settings, engine, plugins, *, only_if_empty: bool = True) -> bool:
    """Create the demo team through the services; False when teams already exist.

    Instances started together on an empty database (``serve
    --demo-if-empty`` twice) load it once: on PostgreSQL the others wait for
    the first one's transaction and then find its team; on SQLite the
    write transaction begins with the database's write lock, so there too the
    second waits for the first and finds its team (and should it still
    lose the race on the slug, it finds the winner's team the same way).
    """
    try:
        return _load_demo_once(settings, engine, plugins, only_if_empty=only_if_empty)
    except Conflict:
        if only_if_empty and _has_teams(engine):
            return False
        raise


def _has_teams(engine) -> bool:
    with engine.connect() as connection:
        return bool(connection.scalar(select(func.count(Team.id))))


def _load_demo_once(settings, engine, plugins, *, only_if_empty: bool) -> bool:
    import transaction

    manager = transaction.TransactionManager(explicit=True)
    with manager:
        dbsession = get_tm_session(get_session_factory(writing(engine)), manager)
        if engine.dialect.name == "postgresql":
            # Released when this transaction ends, after its team is committed.
            dbsession.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEMO_LOCK_KEY})
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
