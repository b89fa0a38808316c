"""rollups: an hour grain ('h', with an `hour` key column), so ranges in any time zone add up

Revision ID: b7e4a1c9d2f0
Revises: 5ea2c4b1d0f7 (W1's search indexes, which follow M1's 3c0ffee0a9e1: one line of heads)
Create Date: 2026-12-02 02:50:00

The rollup tables hold only what can be recomputed from cases, payments and money
movements, so rather than altering five primary keys in place (SQLite cannot, and
PostgreSQL would rewrite each table and its indexes anyway), they are dropped, created
with the new key (grain, company_id, period, hour, ...) and rebuilt from the rows.
"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e4a1c9d2f0'
down_revision = '5ea2c4b1d0f7'
branch_labels = None
depends_on = None

# (table, the columns after the group key, the key's extra columns)
_COUNTERS = ("cases", "open", "responded", "escalated", "escalated_ever", "decisions", "decisions_appealed",
             "denials_appealed", "closed", "customer_won", "merchant_won", "withdrawn",
             "st_awaiting_merchant", "st_awaiting_customer", "st_under_review",
             "out_customer_won", "out_merchant_won", "out_withdrawn", "unanswered")


def _tables(hourly: bool):
    """The five rollup tables as of this revision (hourly) or the one before it."""
    def key(with_reason: bool = True):
        cols = [sa.Column('grain', sa.String(length=1), nullable=False),
                sa.Column('company_id', sa.String(length=40), nullable=False),
                sa.Column('period', sa.Date(), nullable=False)]
        if hourly:
            cols.append(sa.Column('hour', sa.SmallInteger(), server_default='0', nullable=False))
        cols.append(sa.Column('provider', sa.String(length=30), nullable=False))
        if with_reason:
            cols.append(sa.Column('reason', sa.String(length=40), nullable=False))
        return cols

    def n(name='n', kind=sa.Integer):
        return sa.Column(name, kind(), server_default='0', nullable=False)

    group = ['grain', 'company_id', 'period'] + (['hour'] if hourly else [])
    return [
        ('rollup_cases', key() + [n(c) for c in _COUNTERS], group + ['provider', 'reason']),
        ('rollup_money', key() + [sa.Column('kind', sa.String(length=30), nullable=False),
                                  sa.Column('currency', sa.String(length=3), nullable=False),
                                  n('amount_minor', sa.BigInteger)],
         group + ['provider', 'reason', 'kind', 'currency']),
        ('rollup_first_response', key() + [sa.Column('bin', sa.Integer(), nullable=False), n()],
         group + ['provider', 'reason', 'bin']),
        ('rollup_resolution', key() + [sa.Column('outcome', sa.String(length=20), nullable=False),
                                       sa.Column('bin', sa.Integer(), nullable=False), n()],
         group + ['provider', 'reason', 'outcome', 'bin']),
        ('rollup_payments', key(with_reason=False) + [n()], group + ['provider']),
    ]


def _recreate(hourly: bool) -> None:
    star = sa.text("provider = '*'")
    for name, _cols, _pk in _tables(hourly):
        op.drop_table(name)  # drops its indexes too
    for name, cols, pk in _tables(hourly):
        op.create_table(name, *cols, sa.PrimaryKeyConstraint(*pk))
        op.create_index(f'ix_{name}_every', name, ['grain', 'period'], unique=False,
                        postgresql_where=star, sqlite_where=star)
    op.create_index('ix_rollup_cases_period', 'rollup_cases', ['grain', 'period'], unique=False)
    from data.rollups.rebuild import rebuild

    rebuild(op.get_bind())  # writes the rows the schema of the moment holds (has_hour_grain)


def upgrade() -> None:
    _recreate(hourly=True)


def downgrade() -> None:
    _recreate(hourly=False)
