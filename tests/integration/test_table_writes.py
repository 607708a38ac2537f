"""Writes through table statements (audit entries, notification events) commit like the ORM's.

zope.sqlalchemy counts a transaction as a write from the ORM's flushes and
statements only; these rows are written by table statements built once,
so the session is marked as written (plantao.db.execute_write, mark_written).
"""

from __future__ import annotations

import transaction
from sqlalchemy import func, select

from plantao.db import get_session_factory, get_tm_session, mark_written
from plantao.models import AuditEntry, OutboxEvent, Team
from plantao.notifications.outbox import add_event
from plantao.services import audit
from plantao.services.context import SYSTEM


def count(engine, model) -> int:
    with get_session_factory(engine)() as dbsession:
        return dbsession.scalar(select(func.count()).select_from(model))


def in_managed_transaction(engine, work) -> None:
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        work(get_tm_session(get_session_factory(engine), manager))


def test_a_transaction_whose_only_write_is_an_audit_entry_commits_it(clean_engine):
    in_managed_transaction(clean_engine, lambda dbsession: audit.record(dbsession, SYSTEM, "update", "team", 7))
    assert count(clean_engine, AuditEntry) == 1


def test_an_event_for_a_team_created_in_the_same_transaction_is_written_after_it(clean_engine):
    def work(dbsession):
        team = Team(slug="nova", name="Nova", timezone="America/Sao_Paulo")
        dbsession.add(team)  # pending: the event's foreign key needs it written first
        add_event(dbsession, "test", team, {"n": 1})

    in_managed_transaction(clean_engine, work)
    with get_session_factory(clean_engine)() as dbsession:
        event = dbsession.scalars(select(OutboxEvent)).one()
        assert event.team_id == dbsession.scalar(select(Team.id).where(Team.slug == "nova"))
        assert (event.kind, event.payload["team"]["slug"], event.payload["n"]) == ("test", "nova", 1)
        assert event.created_at is not None


def test_a_read_only_transaction_stays_one(clean_engine):
    # Nothing wrote: the manager rolls the session back, as ever.
    in_managed_transaction(clean_engine, lambda dbsession: dbsession.scalar(select(func.count(Team.id))))
    assert count(clean_engine, AuditEntry) == 0


def test_a_session_no_manager_governs_is_left_alone(clean_engine):
    with get_session_factory(clean_engine)() as dbsession:
        audit.record(dbsession, SYSTEM, "update", "team", 7)
        mark_written(dbsession)  # nothing to tell: it commits (or not) by itself
        dbsession.rollback()
    assert count(clean_engine, AuditEntry) == 0
