"""The process-wide wiring: settings, database engine, session factory and gateways.

Built once by app.py, the CLI or a test, then handed to whoever needs it (the Flask
app keeps it in `app.extensions["rc"]`). Nothing here is a global singleton, so tests
can run several side by side.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_session_factory, migrate
from dashboard.money.gateways import GatewayRegistry
from dashboard.settings import Settings, load_settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    Session: sessionmaker[Session]
    gateways: GatewayRegistry

    @classmethod
    def build(cls, settings: Optional[Settings] = None, *, engine: Optional[Engine] = None,
              gateways: Optional[GatewayRegistry] = None, run_migrations: bool = False) -> "Runtime":
        settings = settings or load_settings()
        engine = engine or make_engine(settings.database_url)
        if run_migrations:
            if settings.database_url.startswith("sqlite:///"):
                from pathlib import Path

                Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            migrate(engine)
        factory = make_session_factory(engine)
        return cls(settings=settings, engine=engine, Session=factory,
                   gateways=gateways or GatewayRegistry.from_settings(settings, factory))
