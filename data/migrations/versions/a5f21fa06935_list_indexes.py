"""list indexes: the Open queue tab's keyset pages by deadline and by amount

Partial indexes over the cases waiting on a party: (response_due_at, id) and
(amount_minor, id). Small: only the open part of the table is indexed.

Revision ID: a5f21fa06935
Revises: acc0fc5b9cc3
Create Date: 2026-12-01 23:24:24.786053
"""
from alembic import op
import sqlalchemy as sa
import data.models


revision = 'a5f21fa06935'
down_revision = 'acc0fc5b9cc3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_open_amount', ['amount_minor', 'id'], unique=False, postgresql_where=sa.text("status IN ('awaiting_merchant', 'awaiting_customer')"), sqlite_where=sa.text("status IN ('awaiting_merchant', 'awaiting_customer')"))
        batch_op.create_index('ix_cases_open_due', ['response_due_at', 'id'], unique=False, postgresql_where=sa.text("status IN ('awaiting_merchant', 'awaiting_customer')"), sqlite_where=sa.text("status IN ('awaiting_merchant', 'awaiting_customer')"))



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_open_due', postgresql_where=sa.text("status IN ('awaiting_merchant', 'awaiting_customer')"), sqlite_where=sa.text("status IN ('awaiting_merchant', 'awaiting_customer')"))
        batch_op.drop_index('ix_cases_open_amount', postgresql_where=sa.text("status IN ('awaiting_merchant', 'awaiting_customer')"), sqlite_where=sa.text("status IN ('awaiting_merchant', 'awaiting_customer')"))

