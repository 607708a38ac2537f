"""The shared roster revision: one increment per committed roster change, whoever commits it."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from plantao.db import get_session_factory
from plantao.models import Team
from plantao.models.revision import COMMITTING, bump_revision, current_revisions


def revision(engine) -> int:
    with get_session_factory(engine)() as dbsession:
        return current_revisions(dbsession)[0]


def test_a_transaction_that_changed_the_roster_increments_the_revision_once(clean_engine):
    before = revision(clean_engine)
    # Any session factory (the CLI's, a script's), not only the app's.
    with get_session_factory(clean_engine)() as dbsession:
        bump_revision(dbsession)
        bump_revision(dbsession)
        dbsession.commit()
        dbsession.commit()
    assert revision(clean_engine) == before + 1


def test_a_transaction_that_changed_nothing_or_rolled_back_leaves_it(clean_engine):
    before = revision(clean_engine)
    with get_session_factory(clean_engine)() as dbsession:
        current_revisions(dbsession)
        dbsession.commit()
        bump_revision(dbsession)
        dbsession.rollback()
        with pytest.raises(RuntimeError):
            with dbsession.begin():
                bump_revision(dbsession)
                raise RuntimeError
    assert revision(clean_engine) == before


def test_a_savepoint_that_rolls_back_takes_no_increment_with_it(clean_engine):
    before = revision(clean_engine)
    with get_session_factory(clean_engine)() as dbsession:
        bump_revision(dbsession)
        outer = dbsession.begin_nested()
        # Releasing a savepoint is no commit: the increment waits for the transaction's.
        with dbsession.begin_nested():
            current_revisions(dbsession)
        outer.rollback()
        dbsession.commit()
    assert revision(clean_engine) == before + 1


def test_the_team_keeps_the_revision_and_the_time_the_commit_stamped_even_with_its_own_changes_pending(clean_engine):
    # What the writer's roster in memory takes at commit (plantao.caches) must
    # be what is stored: a change of the team still in the session is written
    # before the stamp, not after it with a later time of its own.
    stamped = {}

    def keep(dbsession):
        committing = dbsession.info.get(COMMITTING)
        if committing is not None:
            stamped.update(committing.teams)

    with get_session_factory(clean_engine)() as dbsession:
        team = Team(slug="stamp", name="Stamp", timezone="America/Sao_Paulo")
        dbsession.add(team)
        dbsession.commit()
        team_id, before = team.id, team.roster_revision or 0
        event.listen(dbsession, "after_commit", keep)
        team.name = "Stamped"  # pending, with its own updated_at to come
        bump_revision(dbsession, team)
        dbsession.commit()

    with get_session_factory(clean_engine)() as dbsession:
        stored = dbsession.get(Team, team_id)
        assert stamped[team_id] == (before + 1, stored.updated_at)
        assert (stored.name, stored.roster_revision) == ("Stamped", before + 1)
