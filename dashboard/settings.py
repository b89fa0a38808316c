"""Settings from the environment (SPEC §12). Read once at start-up and passed down."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = ROOT / "instance"
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'resolution.db'}"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "on", "true", "yes"}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8050
    secret_key: str = ""
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

    @property
    def embedded(self) -> bool:
        """The embedded default: a SQLite file (the demo/dev setup)."""
        return self.database_url.startswith("sqlite")

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    embedded = database_url.startswith("sqlite")
    secret_key = env.get("SECRET_KEY", "")
    if not secret_key:
        if not embedded:
            raise RuntimeError("SECRET_KEY is required when DATABASE_URL is not the embedded SQLite default")
        secret_key = "embedded-default-not-secret"
    host = env.get("HOST", "127.0.0.1")
    port = int(env.get("PORT", "8050"))
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
    )
