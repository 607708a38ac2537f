"""The shared roster revision: one increment per committed roster change, whoever commits it."""

from __future__ import annotations

import pytest

from plantao.db import get_session_factory
from plantao.models.revision import bump_revision, current_revisions


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
