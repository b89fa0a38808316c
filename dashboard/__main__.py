"""`python -m dashboard <command>`: see dashboard/cli.py."""
from dashboard.cli import main

raise SystemExit(main())
