"""Initial schema: teams, people, rotations, overrides, leave, shifts, audit log.

Date-times are naive UTC (see plantao.models.meta.UTCDateTime).

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('client_addr', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_at', ['at'], unique=False)

    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('telegram_chat_id', sa.String(length=64), nullable=True),
    sa.Column('chat', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people'))
    )
    op.create_table('roster_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_state'))
    )
    op.bulk_insert(
        sa.table('roster_state', sa.column('id', sa.Integer), sa.column('revision', sa.Integer)),
        [{'id': 1, 'revision': 0}],
    )
    op.create_table('leaves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_leaves_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leaves'))
    )
    with op.batch_alter_table('leaves', schema=None) as batch_op:
        batch_op.create_index('ix_leaves_person_start', ['person_id', 'start'], unique=False)

    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('holiday_country', sa.String(length=2), nullable=False),
    sa.Column('holiday_subdivision', sa.String(length=10), nullable=True),
    sa.Column('holiday_optional', sa.Boolean(), nullable=False),
    sa.Column('fallback_person_id', sa.Integer(), nullable=True),
    sa.Column('materialized_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['fallback_person_id'], ['people.id'], name=op.f('fk_teams_fallback_person_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('slug', name=op.f('uq_teams_slug'))
    )
    op.create_table('custom_holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_custom_holidays_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_holidays')),
    sa.UniqueConstraint('team_id', 'day', name=op.f('uq_custom_holidays_team_id'))
    )
    op.create_table('overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('swap_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_overrides_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_overrides_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_overrides'))
    )
    with op.batch_alter_table('overrides', schema=None) as batch_op:
        batch_op.create_index('ix_overrides_team_start', ['team_id', 'start'], unique=False)

    op.create_table('rotations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('policy', sa.String(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_rotations_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotations'))
    )
    with op.batch_alter_table('rotations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rotations_team_id'), ['team_id'], unique=False)

    op.create_table('rotation_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rotation_id', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.DateTime(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('restriction', sa.JSON(), nullable=True),
    sa.Column('turn_mode', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['rotation_id'], ['rotations.id'], name=op.f('fk_rotation_versions_rotation_id_rotations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotation_versions'))
    )
    with op.batch_alter_table('rotation_versions', schema=None) as batch_op:
        batch_op.create_index('ix_rotation_versions_rotation_from', ['rotation_id', 'effective_from'], unique=False)

    op.create_table('shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('rotation_id', sa.Integer(), nullable=True),
    sa.Column('override_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['override_id'], ['overrides.id'], name=op.f('fk_shifts_override_id_overrides'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_shifts_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rotation_id'], ['rotations.id'], name=op.f('fk_shifts_rotation_id_rotations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_shifts_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts')),
    sa.UniqueConstraint('team_id', 'key', name=op.f('uq_shifts_team_id'))
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index('ix_shifts_person_start', ['person_id', 'start'], unique=False)
        batch_op.create_index('ix_shifts_team_end', ['team_id', 'end'], unique=False)
        batch_op.create_index('ix_shifts_team_role_start', ['team_id', 'role', 'start'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_shifts_team_role_start')
        batch_op.drop_index('ix_shifts_team_end')
        batch_op.drop_index('ix_shifts_person_start')

    op.drop_table('shifts')
    with op.batch_alter_table('rotation_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_rotation_versions_rotation_from')

    op.drop_table('rotation_versions')
    with op.batch_alter_table('rotations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rotations_team_id'))

    op.drop_table('rotations')
    with op.batch_alter_table('overrides', schema=None) as batch_op:
        batch_op.drop_index('ix_overrides_team_start')

    op.drop_table('overrides')
    op.drop_table('custom_holidays')
    op.drop_table('teams')
    with op.batch_alter_table('leaves', schema=None) as batch_op:
        batch_op.drop_index('ix_leaves_person_start')

    op.drop_table('leaves')
    op.drop_table('roster_state')
    op.drop_table('people')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_at')

    op.drop_table('audit_log')
