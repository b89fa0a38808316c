#!/usr/bin/env bash
# Adds an Alembic revision for a change to data/models.py:
#   scripts/new_migration.sh "add payout account to companies"
# It autogenerates against a scratch SQLite database migrated to head, so the new revision
# holds exactly the difference. 0001 has shipped: never edit it, always add a revision.
# Check the generated file (expression and partial indexes, server defaults) before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
MESSAGE=${1:?usage: scripts/new_migration.sh "what changed"}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
$PY - "$scratch/gen.db" "$MESSAGE" <<'PY'
import sys
from alembic import command
from data.db import alembic_config, migrate
url = f"sqlite:///{sys.argv[1]}"
migrate(url)
command.revision(alembic_config(url), message=sys.argv[2], autogenerate=True)
PY
