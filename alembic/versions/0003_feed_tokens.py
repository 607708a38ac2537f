"""Feed tokens: the secret of each person's and team's feed link.

Existing rows get a fresh random token each, so upgrading keeps every
private feed unguessable.

Revision ID: 0003
Revises: 0002
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ("people", "teams")


def upgrade() -> None:
    connection = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('feed_token', sa.String(length=64), nullable=True))
        rows = sa.table(table, sa.column('id', sa.Integer), sa.column('feed_token', sa.String))
        for (row_id,) in connection.execute(sa.select(rows.c.id)).all():
            connection.execute(
                rows.update().where(rows.c.id == row_id).values(feed_token=secrets.token_urlsafe(24))
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('feed_token', existing_type=sa.String(length=64), nullable=False)
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_feed_token'), ['feed_token'])


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_feed_token'), type_='unique')
            batch_op.drop_column('feed_token')
