"""search indexes: trigram indexes for staff search on PostgreSQL; cases by amount, newest first

Staff search (data/read/search.py) looks for words inside customers' names, companies'
names and customers' emails, and for cases of one amount, newest first.

PostgreSQL: pg_trgm GIN indexes on lower(users.name), lower(users.email) and
lower(companies.name), which serve `lower(col) LIKE '%word%'` and `LIKE 'prefix%'` alike.
pg_trgm is a trusted extension (PostgreSQL 13+): a user with CREATE on the database may
install it, superuser or not. Downgrade drops the indexes and leaves the extension, which
other objects of the database may use by then.

Both databases: (amount_minor, created_at, id) on cases, so an amount's newest cases are an
index range read backwards with its LIMIT. SQLite gets no trigram indexes (it has none): its
search scans, which is fine at the embedded default's size (see data/read/search.py).
`cases.payment_id` is already indexed by its unique constraint.

Revision ID: 5ea2c4b1d0f7
Revises: 3c0ffee0a9e1
Create Date: 2026-12-02 03:00:00
"""
from alembic import op


revision = '5ea2c4b1d0f7'
down_revision = '3c0ffee0a9e1'  # M4's b7e4a1c9d2f0 (rollups hour grain) follows this one
branch_labels = None
depends_on = None

TRIGRAM = (  # (index, table, column): GIN over lower(column) with gin_trgm_ops
    ('ix_users_name_trgm', 'users', 'name'),
    ('ix_users_email_trgm', 'users', 'email'),
    ('ix_companies_name_trgm', 'companies', 'name'),
)


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_amount_created', ['amount_minor', 'created_at', 'id'], unique=False)
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for index, table, col in TRIGRAM:
        op.execute(f'CREATE INDEX {index} ON {table} USING gin (lower({col}) gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for index, _table, _col in TRIGRAM:
            op.execute(f'DROP INDEX IF EXISTS {index}')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_amount_created')
