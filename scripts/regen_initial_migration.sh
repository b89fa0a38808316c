#!/usr/bin/env bash
# Development only, until the first release: rebuild 0001 from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
rm -f /tmp/rc_gen.db data/migrations/versions/0001_initial_schema.py
$PY - <<'PY'
from alembic import command
from data.db import alembic_config
command.revision(alembic_config("sqlite:////tmp/rc_gen.db"), message="initial schema", autogenerate=True, rev_id="0001")
PY
sed -i 's/data\.models\.UTCDateTime(timezone=True)/sa.DateTime(timezone=True)/g; /^import data.models$/d' data/migrations/versions/0001_initial_schema.py
