"""Cover and swap requests, each person's action link, each team's approval rule.

``shift_requests`` holds the requests staff make (see
``plantao/models/request.py``).  ``people.action_token`` is the secret of a
person's action link, apart from their feed token: existing people get a
fresh random one each.  ``teams.swap_approval`` says whether an accepted
request waits for a team admin (``admin``) or not (``none``, the default).

Revision ID: 0011
Revises: 0010
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action_token', sa.String(length=64), nullable=True))
    people = sa.table('people', sa.column('id', sa.Integer), sa.column('action_token', sa.String))
    for (row_id,) in connection.execute(sa.select(people.c.id)).all():
        connection.execute(
            people.update().where(people.c.id == row_id).values(action_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.alter_column('action_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_people_action_token'), ['action_token'])

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('swap_approval', sa.String(length=8), server_default='none', nullable=False)
        )

    op.create_table('shift_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('with_person_id', sa.Integer(), nullable=True),
    sa.Column('with_role', sa.String(length=64), nullable=True),
    sa.Column('with_start', sa.DateTime(), nullable=True),
    sa.Column('with_end', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('offered', sa.JSON(), nullable=False),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('override_id', sa.Integer(), nullable=True),
    sa.Column('swap_id', sa.String(length=36), nullable=True),
    sa.Column('decided_by', sa.String(length=400), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('cover', 'swap')", name=op.f('ck_shift_requests_kind')),
    sa.CheckConstraint(
        "status IN ('open', 'awaiting_approval', 'done', 'declined', 'cancelled', 'expired', 'obsolete')",
        name=op.f('ck_shift_requests_status'),
    ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_shift_requests_team_id_teams'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['people.id'], name=op.f('fk_shift_requests_requester_id_people'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['with_person_id'], ['people.id'],
                            name=op.f('fk_shift_requests_with_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['people.id'],
                            name=op.f('fk_shift_requests_accepted_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['override_id'], ['overrides.id'],
                            name=op.f('fk_shift_requests_override_id_overrides'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_requests'))
    )
    op.create_index('ix_shift_requests_team_status', 'shift_requests', ['team_id', 'status'], unique=False)
    op.create_index('ix_shift_requests_requester', 'shift_requests', ['requester_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_shift_requests_requester', table_name='shift_requests')
    op.drop_index('ix_shift_requests_team_status', table_name='shift_requests')
    op.drop_table('shift_requests')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('swap_approval')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_people_action_token'), type_='unique')
        batch_op.drop_column('action_token')
