"""Payroll: each person's hourly rate, and the closed months of the hours report.

``people.hourly_rate`` is money per hour (nullable: most people have none;
only owners see it).  ``hours_closures`` keeps, per month (``YYYY-MM``), the
whole hours report as payroll paid it, who closed it and when.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hourly_rate', sa.Numeric(precision=10, scale=2), nullable=True))

    op.create_table('hours_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('closed_by', sa.String(length=400), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_closures')),
    sa.UniqueConstraint('month', name=op.f('uq_hours_closures_month'))
    )


def downgrade() -> None:
    op.drop_table('hours_closures')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('hourly_rate')
