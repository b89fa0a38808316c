"""rollups: all-companies rows for every provider and reason ('*'), rebuilt from the cases

Revision ID: d1e2f3a4b5c6
Revises: cf0004101699
Create Date: 2026-12-02 00:05:00
"""
from alembic import op


revision = 'd1e2f3a4b5c6'
down_revision = 'cf0004101699'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No schema change: the rollups gain rows ('*' provider and reason), so they are
    # recomputed from the rows the database holds.
    from data.rollups.rebuild import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.execute("DELETE FROM rollup_cases WHERE provider = '*'")
    op.execute("DELETE FROM rollup_money WHERE provider = '*'")
    op.execute("DELETE FROM rollup_first_response WHERE provider = '*'")
    op.execute("DELETE FROM rollup_resolution WHERE provider = '*'")
    op.execute("DELETE FROM rollup_payments WHERE provider = '*'")
