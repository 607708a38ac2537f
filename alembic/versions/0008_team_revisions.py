"""Per-team roster revisions, so a change reloads only the teams it touched.

``teams.roster_revision`` grows with every change to that team's roster
(shifts, gaps, name, zone, feed token, members' leave); ``roster_state``
gains ``people_revision``, which grows when anybody's name, contacts or
feed token change. Each instance's in-memory roster (plantao.read_model)
compares them with what it loaded.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('teams') as batch_op:
        batch_op.add_column(sa.Column('roster_revision', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('roster_state') as batch_op:
        batch_op.add_column(sa.Column('people_revision', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('roster_state') as batch_op:
        batch_op.drop_column('people_revision')
    with op.batch_alter_table('teams') as batch_op:
        batch_op.drop_column('roster_revision')
