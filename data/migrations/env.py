"""Alembic environment: runs on a connection handed in by data.db.migrate, or on the URL."""
from alembic import context
from alembic.operations import ops
from sqlalchemy import pool

from data.db import make_engine
from data.models import Base

config = context.config
target_metadata = Base.metadata


def create_every_index_of_new_tables(_context, _revision, directives) -> None:
    """Autogenerate on SQLite (how 0001 is generated) skips expression indexes: it cannot
    reflect them, so it cannot tell whether the database has them. A table the revision
    creates has none yet, so the ones autogenerate left out are added to the script here."""
    script = directives[0]
    for upgrade, downgrade in zip(script.upgrade_ops_list, script.downgrade_ops_list):
        for created in [op for op in upgrade.ops if isinstance(op, ops.CreateTableOp)]:
            table = target_metadata.tables[created.table_name]
            up = _table_ops(upgrade, created.table_name, after=created)
            down = _table_ops(downgrade, created.table_name)
            rendered = {op.index_name for op in up.ops if isinstance(op, ops.CreateIndexOp)}
            for index in sorted(table.indexes, key=lambda ix: ix.name):
                if index.name not in rendered:
                    up.ops.append(ops.CreateIndexOp.from_index(index))
                    down.ops.insert(0, ops.DropIndexOp.from_index(index))


def _table_ops(container, table_name: str, after=None) -> ops.ModifyTableOps:
    """The batch of operations on `table_name` in `container`, made (after `after`) if missing."""
    for op in container.ops:
        if isinstance(op, ops.ModifyTableOps) and op.table_name == table_name:
            return op
    made = ops.ModifyTableOps(table_name, [])
    at = container.ops.index(after) + 1 if after is not None else 0
    container.ops.insert(at, made)
    return made


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          process_revision_directives=create_every_index_of_new_tables)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True,
                          process_revision_directives=create_every_index_of_new_tables)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
