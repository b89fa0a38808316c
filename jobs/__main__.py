"""`python -m jobs`: see jobs/cli.py."""
from jobs.cli import main

raise SystemExit(main())
