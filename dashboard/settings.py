"""Settings from the environment (SPEC §12). Read once at start-up and passed down."""
from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from data.db import normalise_url

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = ROOT / "instance"
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'resolution.db'}"
DEFAULT_SECRET_KEY_FILE = INSTANCE_DIR / "secret_key"
STRIPE_API_BASE = "https://api.stripe.com"
PAYPAL_API_BASE = "https://api-m.paypal.com"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "on", "true", "yes"}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8050
    secret_key: str = field(default="", repr=False)
    smtp_url: str = ""
    mail_dir: Path = INSTANCE_DIR / "mail"
    upload_dir: Path = INSTANCE_DIR / "uploads"
    scheduler: bool = True
    demo_data: bool = True
    response_days: int = 7
    claim_window_days: int = 30
    appeal_days: int = 7
    max_files: int = 3
    max_file_mb: int = 10
    max_message_chars: int = 5000
    base_url: str = "http://127.0.0.1:8050"
    mail_from: str = "Resolution Center <no-reply@resolution.center.test>"
    extra: dict = field(default_factory=dict)
    # Payment providers (dashboard.money.gateways.GatewayRegistry.from_settings): a
    # provider without credentials is served by the sandbox gateway.
    stripe_api_key: str = field(default="", repr=False)
    stripe_api_base: str = STRIPE_API_BASE
    # Our company id -> its Stripe connected account (acct_...), where platform
    # reimbursements are transferred.
    stripe_connected_accounts: dict = field(default_factory=dict)
    paypal_client_id: str = ""
    paypal_secret: str = field(default="", repr=False)
    paypal_api_base: str = PAYPAL_API_BASE
    # Platform SLAs (dashboard.sla): hours from escalation to the decision, and from the
    # appeal to the final decision; a row turns amber this many hours before its target.
    review_sla_hours: int = 48
    final_review_sla_hours: int = 72
    sla_warning_hours: int = 12
    # Auto-assignment (jobs.assignment): open cases a reviewer on duty holds at most, when
    # their manager set no capacity of their own.
    auto_assign_capacity: int = 10
    # Decision context (data.read.context): flag a customer with at least this many cases
    # in 12 months, and a company whose dispute rate is this many times the platform median.
    risk_customer_cases: int = 3
    risk_dispute_rate_ratio: float = 2.0
    # Webhooks (issue 11): private, loopback and link-local targets, and plain http, are
    # refused unless this is on (the tests' receiver on loopback).
    webhook_allow_private: bool = False

    @property
    def embedded(self) -> bool:
        """The embedded default: a SQLite file (the demo/dev setup)."""
        return self.database_url.startswith("sqlite")

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    database_url = normalise_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    embedded = database_url.startswith("sqlite")
    secret_key = env.get("SECRET_KEY", "")
    if not secret_key:
        if not embedded:
            raise RuntimeError("SECRET_KEY is required when DATABASE_URL is not the embedded SQLite default")
        secret_key = embedded_secret_key(Path(env.get("SECRET_KEY_FILE") or DEFAULT_SECRET_KEY_FILE))
    host = env.get("HOST", "127.0.0.1")
    port = int(env.get("PORT", "8050"))
    paypal_client_id, paypal_secret = env.get("PAYPAL_CLIENT_ID", ""), env.get("PAYPAL_SECRET", "")
    if bool(paypal_client_id) != bool(paypal_secret):
        raise RuntimeError("PAYPAL_CLIENT_ID and PAYPAL_SECRET must be set together (or neither, for the sandbox)")
    return Settings(
        database_url=database_url,
        host=host,
        port=port,
        secret_key=secret_key,
        smtp_url=env.get("SMTP_URL", ""),
        mail_dir=Path(env.get("MAIL_DIR") or INSTANCE_DIR / "mail"),
        upload_dir=Path(env.get("UPLOAD_DIR") or INSTANCE_DIR / "uploads"),
        # Web processes in production run no jobs unless told to (SCHEDULER=on).
        scheduler=_flag(env.get("SCHEDULER"), embedded),
        demo_data=_flag(env.get("DEMO_DATA"), embedded),
        response_days=int(env.get("RESPONSE_DAYS", "7")),
        claim_window_days=int(env.get("CLAIM_WINDOW_DAYS", "30")),
        appeal_days=int(env.get("APPEAL_DAYS", "7")),
        max_files=int(env.get("MAX_FILES", "3")),
        max_file_mb=int(env.get("MAX_FILE_MB", "10")),
        base_url=env.get("BASE_URL") or f"http://{host}:{port}",
        stripe_api_key=env.get("STRIPE_API_KEY", ""),
        stripe_api_base=env.get("STRIPE_API_BASE") or STRIPE_API_BASE,
        stripe_connected_accounts=_pairs(env.get("STRIPE_CONNECTED_ACCOUNTS", ""), "STRIPE_CONNECTED_ACCOUNTS"),
        paypal_client_id=paypal_client_id,
        paypal_secret=paypal_secret,
        paypal_api_base=env.get("PAYPAL_API_BASE") or PAYPAL_API_BASE,
        review_sla_hours=_positive(env, "REVIEW_SLA_HOURS", 48),
        final_review_sla_hours=_positive(env, "FINAL_REVIEW_SLA_HOURS", 72),
        sla_warning_hours=_positive(env, "SLA_WARNING_HOURS", 12),
        auto_assign_capacity=_positive(env, "AUTO_ASSIGN_CAPACITY", 10),
        risk_customer_cases=_positive(env, "RISK_CUSTOMER_CASES", 3),
        risk_dispute_rate_ratio=float(env.get("RISK_DISPUTE_RATE_RATIO") or 2.0),
        webhook_allow_private=_flag(env.get("WEBHOOK_ALLOW_PRIVATE"), False),
    )


def _positive(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise RuntimeError(f"{name} must be at least 1, not {value}")
    return value


def embedded_secret_key(path: Path) -> str:
    """The embedded default's session key: made at random on first run and kept in
    `instance/secret_key` (mode 0600), so every process on this checkout (app, CLI,
    scheduler) signs with the same key and no key is ever published with the code.

    Created with a hard link from a private temporary file, which either makes the
    whole file or fails because another process made it first: two processes starting
    at once agree on one key, and nobody reads a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_urlsafe(48) + "\n").encode())
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise RuntimeError(f"{path} holds the session signing key but is readable by others (mode {mode:o}); "
                           f"run: chmod 600 {path}")
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds a session key shorter than 32 characters; delete it to make a new one "
                           f"(everyone is signed out)")
    return key


def _pairs(value: str, name: str) -> dict[str, str]:
    """`a=1,b=2` -> {"a": "1", "b": "2"}; a malformed entry stops the start, loudly."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, sep, val = (s.strip() for s in item.partition("="))
        if not (sep and key and val):
            raise RuntimeError(f"{name}: expected company_id=account_id pairs separated by commas, got {item!r}")
        out[key] = val
    return out
