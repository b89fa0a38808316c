"""drop scheduler_locks: the scheduler holds an OS file lock instead

Revision ID: f7b16d8f167a
Revises: 921fba66f979
Create Date: 2026-12-02 02:40:00.436252
"""
from alembic import op
import sqlalchemy as sa


revision = 'f7b16d8f167a'
down_revision = '921fba66f979'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table('scheduler_locks')


def downgrade() -> None:
    op.create_table('scheduler_locks',
    sa.Column('name', sa.VARCHAR(length=60), nullable=False),
    sa.Column('holder', sa.VARCHAR(length=200), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
