"""What a rotation's planner last reported (the ``fair`` policy's solver).

``rotations.solver`` holds the report of the last window a policy that plans
whole windows (``RotationPolicy.assign``) planned for the rotation:
``{"status", "objective", "seconds", ...}``.  It is null for the queue's
policies, and set back to null when a rotation changes policy, so that the
stored roster another policy made is not mistaken for the planner's own.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rotations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('solver', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rotations', schema=None) as batch_op:
        batch_op.drop_column('solver')
