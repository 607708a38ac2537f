"""Named accounts: who logs in by email and password, with a role.

``accounts`` holds each account (an argon2 hash of its password, never the
password), ``account_teams`` the teams a ``team_admin`` looks after, and
``login_sessions.account_id`` the account a session belongs to, so that
disabling an account or changing its password ends its sessions.  Existing
sessions (the shared admin and viewer passwords') name no account.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'team_admin', 'viewer')", name=op.f('ck_accounts_role')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_accounts_person_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('email', name=op.f('uq_accounts_email'))
    )
    op.create_index(op.f('ix_accounts_person_id'), 'accounts', ['person_id'], unique=False)
    op.create_table('account_teams',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_teams_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_account_teams_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'team_id', name=op.f('pk_account_teams'))
    )
    op.create_index('ix_account_teams_team_id', 'account_teams', ['team_id'], unique=False)
    # SQLite adds a foreign key only by rebuilding the table: batch mode does.
    with op.batch_alter_table('login_sessions') as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_login_sessions_account_id_accounts'), 'accounts', ['account_id'], ['id'], ondelete='CASCADE'
        )
        batch_op.create_index(batch_op.f('ix_login_sessions_account_id'), ['account_id'], unique=False)
    # The audit log names an account by its email ("account:ana@example.com").
    with op.batch_alter_table('audit_log') as batch_op:
        batch_op.alter_column('actor', existing_type=sa.String(length=64), type_=sa.String(length=400),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log') as batch_op:
        batch_op.alter_column('actor', existing_type=sa.String(length=400), type_=sa.String(length=64),
                              existing_nullable=False)
    with op.batch_alter_table('login_sessions') as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_account_id'))
        batch_op.drop_constraint(batch_op.f('fk_login_sessions_account_id_accounts'), type_='foreignkey')
        batch_op.drop_column('account_id')
    op.drop_index('ix_account_teams_team_id', table_name='account_teams')
    op.drop_table('account_teams')
    op.drop_index(op.f('ix_accounts_person_id'), table_name='accounts')
    op.drop_table('accounts')
