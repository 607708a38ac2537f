"""Migration 0005 stores the phone numbers typed before it in E.164, and
``plantao check`` lists the ones that are not numbers at all."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from plantao import schema
from plantao.db import create_database_engine
from plantao.services.contacts import invalid_stored_phones

TYPED = {
    1: ("Ana", "+55 11 91234-5678", "+5511912345678"),
    2: ("Bruno", "(21) 3333-4444", "+552133334444"),
    3: ("Carla", "+1 212 555 0100", "+12125550100"),
    4: ("Dora", "ramal 42", "ramal 42"),
    5: ("Eva", None, None),
}


@pytest.fixture
def fresh_engine(database_url, tmp_path):
    """An engine on a database of its own, empty, on the same backend as ``database_url``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_database_engine(f"sqlite:///{tmp_path / 'phones.sqlite3'}")
        yield engine
        engine.dispose()
        return
    name = f"{url.database}_phones"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_database_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migration_normalises_valid_numbers_and_keeps_the_others_as_typed(fresh_engine):
    schema.upgrade(fresh_engine, "0004")
    with fresh_engine.begin() as connection:
        for person_id, (name, phone, _) in TYPED.items():
            connection.execute(
                text("INSERT INTO people (id, name, phone, chat, active, feed_token, created_at, updated_at) "
                     "VALUES (:id, :name, :phone, '{}', true, :token, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"id": person_id, "name": name, "phone": phone, "token": f"token-{person_id}"},
            )
    schema.upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT id, phone FROM people")).all())
    assert stored == {person_id: expected for person_id, (_, _, expected) in TYPED.items()}
    with Session(fresh_engine) as dbsession:
        assert invalid_stored_phones(dbsession) == [(4, "Dora", "ramal 42")]


def test_plantao_check_lists_stored_phones_that_are_not_numbers(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PLANTAO_DATA_DIR": str(tmp_path / "var"),
           "ADMIN_PASSWORD": "a-strong-test-password"}

    def plantao(*args):
        return subprocess.run([sys.executable, "-m", "plantao.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    assert plantao("db", "upgrade").returncode == 0
    engine = create_database_engine(f"sqlite:///{tmp_path / 'var' / 'plantao.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO people (name, phone, chat, active, feed_token, action_token, created_at, updated_at) "
                 "VALUES ('Dora', 'ramal 42', '{}', 1, 'token', 'action', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
        )
    engine.dispose()
    result = plantao("check")
    assert "[WARN] person 1 (Dora): phone 'ramal 42' is not a valid number" in result.stdout, result.stdout
