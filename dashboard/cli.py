"""The command line (SPEC §12): `python -m dashboard <command> --help` for each.

    migrate                      bring the database schema up to date
    seed-demo                    the demo data set (once; only where DEMO_DATA is on)
    create-company --name ...    a merchant company
    create-user --email --name --role [--company-id] [--password]
    create-token --email         issue an API token (printed once, stored hashed)
    revoke-token --email         revoke all of a user's API tokens
    jobs [--once] [--as-of T]    the scheduler: hands over to `python -m jobs` (jobs/cli.py), the
                                 same arguments; --once runs every job once and exits.

Exit codes: 0 done, 1 refused (bad input, unknown email, failed job), 2 usage error.
Settings come from the environment (`dashboard.settings.load_settings`).
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from dashboard import accounts
from dashboard.context import Ctx, utcnow
from dashboard.enums import Role
from dashboard.errors import DomainError
from dashboard.runtime import Runtime
from dashboard.settings import Settings, load_settings

log = logging.getLogger("dashboard.cli")


class CliError(Exception):
    """A refusal explained to the operator; exits with status 1."""


def _iso_time(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r} (e.g. 2026-03-09T09:00:00Z)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def _runtime(settings: Settings) -> Runtime:
    return Runtime.build(settings, run_migrations=True)


def _transaction(runtime: Runtime, fn: Callable[[Ctx], object]):
    with runtime.Session.begin() as session:
        return fn(Ctx(session, utcnow(), runtime.settings))


def _user_by_email(ctx: Ctx, email: str):
    from dashboard.errors import NotFound

    try:
        return accounts.user_by_email(ctx, email)
    except NotFound:
        raise CliError(f"no user with email {email.strip().lower()!r}.")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# ---------------------------------------------------------------------------- commands
def cmd_migrate(args, settings: Settings) -> int:
    runtime = _runtime(settings)
    runtime.engine.dispose()
    print(f"Database {_safe_url(settings.database_url)} is at the latest schema.")
    return 0


def cmd_rebuild_rollups(args, settings: Settings) -> int:
    from data.rollups import rebuild

    runtime = _runtime(settings)
    try:
        written = rebuild(runtime.engine, progress=print)
    finally:
        runtime.engine.dispose()
    print("Rebuilt the metrics rollups from the cases: "
          + ", ".join(f"{rows:,} rows in {table}" for table, rows in written.items()) + ".")
    return 0


def cmd_seed_demo(args, settings: Settings) -> int:
    from dashboard.demo import demo_logins_text, seed_demo

    if not (settings.demo_data or args.force):
        raise CliError("DEMO_DATA is off for this database. The demo creates accounts whose password is "
                       "'demo' (a manager among them); set DEMO_DATA=on or pass --force if you mean it.")
    runtime = _runtime(settings)
    try:
        result = seed_demo(runtime, utcnow())
    finally:
        runtime.engine.dispose()
    if result.get("created"):
        print(f"Seeded the demo data: {result['cases']} cases, {result['payments']} payments, "
              f"{result['users']} users in {result['companies']} companies ({result['seconds']:.1f}s).")
    else:
        print("Demo data is already present; nothing to do.")
    print(demo_logins_text())
    return 0


def cmd_create_company(args, settings: Settings) -> int:
    runtime = _runtime(settings)
    company = _transaction(runtime, lambda ctx: accounts.create_company(ctx, name=args.name,
                                                                      support_email=args.support_email))
    print(f"Created company {company.id} ({company.name}).")
    return 0


def _password(args) -> Optional[str]:
    if args.password == "-":
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CliError("--password - expects the password on standard input.")
        return line
    return args.password


def cmd_create_user(args, settings: Settings) -> int:
    password = _password(args)
    runtime = _runtime(settings)
    user = _transaction(runtime, lambda ctx: accounts.create_user(
        ctx, email=args.email, name=args.name, role=args.role, company_id=args.company_id, password=password))
    where = f" in company {user.company_id}" if user.company_id else ""
    login = "" if password else " (no password: API tokens only)"
    print(f"Created {user.role} {user.id} <{user.email}>{where}{login}.")
    return 0


def cmd_create_token(args, settings: Settings) -> int:
    runtime = _runtime(settings)

    def issue(ctx: Ctx):
        user = _user_by_email(ctx, args.email)
        if not user.is_active:
            raise CliError(f"{user.email} is deactivated; no token issued.")
        return user, accounts.issue_token(ctx, user)

    user, token = _transaction(runtime, issue)
    print(f"API token for {user.email} ({user.role}); it is shown only this once:", file=sys.stderr)
    print(token)
    return 0


def cmd_revoke_token(args, settings: Settings) -> int:
    runtime = _runtime(settings)
    count = _transaction(runtime, lambda ctx: accounts.revoke_tokens(ctx, _user_by_email(ctx, args.email)))
    print(f"Revoked {count} token{'s' if count != 1 else ''} for {args.email.strip().lower()}.")
    return 0


def cmd_jobs(args, settings: Settings) -> int:
    """Becomes `python -m jobs` with the same (already checked) arguments. The scheduler
    sits above the domain, so this package does not import it; exec keeps the process
    (its pid, signals, exit status), which is what operators and supervisors expect."""
    argv = [sys.executable, "-m", "jobs"]
    argv += ["--verbose"] if args.verbose else []
    argv += ["--once"] if args.once else []
    argv += ["--as-of", args.as_of.isoformat()] if args.as_of is not None else []
    argv += ["--tick", repr(args.tick)] if args.tick is not None else []
    root = str(Path(__file__).resolve().parents[1])  # where `jobs` sits beside `dashboard`
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)
    return 1  # not reached


# ------------------------------------------------------------------------------ parser
def add_jobs_arguments(parser: argparse.ArgumentParser) -> None:
    """The scheduler's arguments, shared by `python -m dashboard jobs` and `python -m jobs`."""
    parser.add_argument("--once", action="store_true", help="run every job once, print the counts as JSON, exit")
    parser.add_argument("--as-of", type=_iso_time, metavar="ISO-TIME",
                        help="run as if it were this moment (implies --once; UTC when no offset is given)")
    # Hidden, for tests: every job every TICK seconds instead of the timetable.
    parser.add_argument("--tick", type=float, default=None, help=argparse.SUPPRESS)


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="Resolution Center administration.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)

    p = sub.add_parser("migrate", help="bring the database schema up to date")
    p.set_defaults(handler=cmd_migrate)

    p = sub.add_parser("rebuild-rollups", help="rebuild the metrics rollups and queue counts from the cases "
                                               "(after a bulk load that bypassed the application)")
    p.set_defaults(handler=cmd_rebuild_rollups)

    p = sub.add_parser("seed-demo", help="create the demo data set (does nothing if it exists)")
    p.add_argument("--force", action="store_true", help="seed even where DEMO_DATA is off")
    p.set_defaults(handler=cmd_seed_demo)

    p = sub.add_parser("create-company", help="create a merchant company")
    p.add_argument("--name", required=True)
    p.add_argument("--support-email")
    p.set_defaults(handler=cmd_create_company)

    p = sub.add_parser("create-user", help="create a user")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--company-id", help="the company of a creator (biz_...)")
    p.add_argument("--password", help="password for the dashboard login; '-' reads it from standard input")
    p.set_defaults(handler=cmd_create_user)

    p = sub.add_parser("create-token", help="issue an API token for a user (printed once)")
    p.add_argument("--email", required=True)
    p.set_defaults(handler=cmd_create_token)

    p = sub.add_parser("revoke-token", help="revoke every API token of a user")
    p.add_argument("--email", required=True)
    p.set_defaults(handler=cmd_revoke_token)

    p = sub.add_parser("jobs", help="run the background jobs (until SIGTERM, or once): python -m jobs")
    add_jobs_arguments(p)
    p.set_defaults(handler=cmd_jobs)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        settings = load_settings()
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        return args.handler(args, settings)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
