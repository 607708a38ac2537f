"""Server-side sessions and the login throttle.

Sessions signed before this revision carried the role itself; they name no
session row, so everybody logs in once more after the upgrade.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('client_addr', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    op.create_index('ix_login_sessions_expires_at', 'login_sessions', ['expires_at'], unique=False)
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_addr', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    op.create_index('ix_login_failures_at', 'login_failures', ['at'], unique=False)
    op.create_index('ix_login_failures_client_addr_at', 'login_failures', ['client_addr', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_failures_client_addr_at', table_name='login_failures')
    op.drop_index('ix_login_failures_at', table_name='login_failures')
    op.drop_table('login_failures')
    op.drop_index('ix_login_sessions_expires_at', table_name='login_sessions')
    op.drop_table('login_sessions')
