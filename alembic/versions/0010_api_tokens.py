"""API tokens: named bearer secrets with scopes, optionally limited to teams.

``api_tokens`` holds each token (the SHA-256 of its secret, never the
secret), its scopes, expiry, creator, last use and revocation;
``api_token_teams`` the teams a token is limited to (none: every team).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=400), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_from', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('api_token_teams',
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_token_teams_token_id_api_tokens'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_api_token_teams_team_id_teams'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_id', 'team_id', name=op.f('pk_api_token_teams'))
    )
    op.create_index('ix_api_token_teams_team_id', 'api_token_teams', ['team_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_api_token_teams_team_id', table_name='api_token_teams')
    op.drop_table('api_token_teams')
    op.drop_table('api_tokens')
