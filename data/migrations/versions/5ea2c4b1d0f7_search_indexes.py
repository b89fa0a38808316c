"""search indexes: trigram indexes for staff search on PostgreSQL; cases by amount, newest first

Staff search (data/read/search.py) looks for words inside customers' names and companies'
names, for customers by the start of their email, and for cases of one amount, newest first.

PostgreSQL: pg_trgm GIN indexes on lower(users.name) and lower(companies.name), which serve
`lower(col) LIKE '%word%'`; a btree on lower(users.email) with text_pattern_ops for the email
search, which is exact or by prefix (`LIKE 'prefix%'`): one range of the btree, where a
trigram index had to intersect the posting lists of trigrams every address shares
("@bench.test": 4 ms and 300 buffers at 51,000 users, ten times that at a million).
text_pattern_ops because LIKE may use a plain btree only under the C collation.
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

INDEXES = (  # PostgreSQL only: (name, definition)
    ('ix_users_name_trgm', 'users USING gin (lower(name) gin_trgm_ops)'),
    ('ix_companies_name_trgm', 'companies USING gin (lower(name) gin_trgm_ops)'),
    ('ix_users_email_prefix', 'users (lower(email) text_pattern_ops)'),
)


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_amount_created', ['amount_minor', 'created_at', 'id'], unique=False)
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for index, definition in INDEXES:
        op.execute(f'CREATE INDEX {index} ON {definition}')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for index, _definition in INDEXES:
            op.execute(f'DROP INDEX IF EXISTS {index}')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_amount_created')
