"""users.time_zone: each person's IANA zone, for deadlines in emails and on screens

Revision ID: 3c0ffee0a9e1
Revises: f7b16d8f167a
Create Date: 2026-12-02 02:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '3c0ffee0a9e1'
down_revision = 'f7b16d8f167a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: a person's zone is unknown until their first sign-in.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
