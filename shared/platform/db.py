"""The database dependency: one SQLAlchemy session per worker (design.md §5).

The URL comes from the ``DB_URL`` setting; the session is closed (and anything uncommitted rolled back)
when the worker ends, so a failed entrypoint never leaves a half-written transaction behind.
"""

from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from sqlalchemy import DateTime, Engine, TypeDecorator, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from shared.platform.config import require


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url``; SQLite (the embedded demo default) gets foreign keys switched on.

    Its errors never carry the statement's parameters: nameko logs a failed worker's exception text, and the
    parameters are request and answer bodies with personal data in them (issue 17)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                         hide_parameters=True)


class Database(DependencyProvider):
    """Injects a fresh ``Session``; the use case commits, teardown closes."""

    def setup(self) -> None:
        url = require(
            self.container.config, "DB_URL", f"database of the {self.container.service_name} service"
        )
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._sessions: WeakKeyDictionary = WeakKeyDictionary()

    def get_dependency(self, worker_ctx) -> Session:
        session = self.sessionmaker()
        self._sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx) -> None:
        session = self._sessions.pop(worker_ctx, None)
        if session is not None:
            try:
                session.close()
            except SQLAlchemyError:
                # the server ended the session (failover, an administrator): rolling back on it fails, and a
                # teardown that raises kills the whole container; the pool drops the dead connection instead
                session.invalidate()

    def stop(self) -> None:
        self.engine.dispose()


class UtcDateTime(TypeDecorator):
    """A timezone-aware timestamp on every backend: PostgreSQL keeps the zone, SQLite (the embedded demo
    default) drops it, so values are stored in UTC and read back as aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
