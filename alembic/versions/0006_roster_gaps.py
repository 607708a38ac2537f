"""Gaps and conflicts stored with the materialized roster.

The gaps API, the admin report and the dispatcher's gap alerts read these
rows instead of running the engine; the next materialization of each team
(``plantao serve``'s horizon keeper, ``plantao roster refresh``, or any
change) fills them.  Date-times are naive UTC (see plantao.models.meta.UTCDateTime).

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('roster_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('announced_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_roster_gaps_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_gaps'))
    )
    with op.batch_alter_table('roster_gaps', schema=None) as batch_op:
        batch_op.create_index('ix_roster_gaps_team_start', ['team_id', 'start'], unique=False)
        batch_op.create_index('ix_roster_gaps_announced_at_end', ['announced_at', 'end'], unique=False)

    op.create_table('roster_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('rotation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['rotation_id'], ['rotations.id'], name=op.f('fk_roster_conflicts_rotation_id_rotations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_roster_conflicts_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_conflicts'))
    )
    with op.batch_alter_table('roster_conflicts', schema=None) as batch_op:
        batch_op.create_index('ix_roster_conflicts_team_start', ['team_id', 'start'], unique=False)

    # Teams materialized before this revision have no stored gaps yet:
    # clearing their mark makes the horizon keeper regenerate them (and so
    # store their gaps) on its next pass.
    op.execute("UPDATE teams SET materialized_until = NULL")


def downgrade() -> None:
    with op.batch_alter_table('roster_conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_conflicts_team_start')

    op.drop_table('roster_conflicts')
    with op.batch_alter_table('roster_gaps', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_gaps_announced_at_end')
        batch_op.drop_index('ix_roster_gaps_team_start')

    op.drop_table('roster_gaps')
