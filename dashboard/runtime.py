"""The process-wide wiring: settings, database engine, session factory and gateways.

Built once by app.py, the CLI or a test, then handed to whoever needs it (the Flask
app keeps it in `app.extensions["rc"]`). Nothing here is a global singleton, so tests
can run several side by side.

`clock` is the one place a request reads the time: callbacks, API routes, file and
export routes and sign-in all call `runtime.now()`, so a test sets `runtime.clock` and
acts "as of" a fixed moment instead of racing the wall clock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Optional

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_session_factory, migrate
from dashboard.context import utcnow
from dashboard.money.gateways import GatewayRegistry
from dashboard.settings import Settings, load_settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    Session: sessionmaker[Session]
    gateways: GatewayRegistry
    clock: Callable[[], dt.datetime] = field(default=utcnow)

    def now(self) -> dt.datetime:
        return self.clock()

    @classmethod
    def build(cls, settings: Optional[Settings] = None, *, engine: Optional[Engine] = None,
              gateways: Optional[GatewayRegistry] = None, run_migrations: bool = False) -> "Runtime":
        settings = settings or load_settings()
        engine = engine or make_engine(settings.database_url)
        factory = make_session_factory(engine)
        runtime = cls(settings=settings, engine=engine, Session=factory,
                      gateways=gateways or GatewayRegistry.from_settings(settings, factory))
        if run_migrations:
            runtime.migrate()
        return runtime

    def migrate(self) -> None:
        """Bring the schema up to date (creating a SQLite file's folder first). Never done
        by building the web app: app.py's script entry, the CLI, gunicorn.conf.py call it."""
        if self.settings.database_url.startswith("sqlite:///"):
            from pathlib import Path

            Path(self.settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        migrate(self.engine)
