"""Alembic environment: migrations run on the connection Plantão gives.

``plantao db upgrade`` (and ``plantao serve`` at start-up) pass a live
connection in ``config.attributes``.  Run through the ``alembic`` command
(for ``alembic revision --autogenerate`` while developing), the database
comes from the usual Plantão configuration (``.env``, environment).
"""

from alembic import context

from plantao.models import Base

target_metadata = Base.metadata


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode recreates the table.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    from plantao.config import load_settings
    from plantao.db import create_database_engine

    engine = create_database_engine(load_settings().database_url)
    with engine.connect() as connection:
        run_migrations(connection)
        connection.commit()
