"""One engine and session factory per service process, on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

# How long a SQLite transaction waits for the one writer before it gives up: long enough for the
# web workers and the worker process to take turns at demo rates (their transactions last
# milliseconds), well below gunicorn's 30 s request timeout, so a stuck lock is an answer (503), not a
# killed worker.
SQLITE_BUSY_TIMEOUT_S = 5
# /readyz asks for the write lock for at most this long and says "locked" when it does not get it.
SQLITE_READY_WAIT_MS = 1000


def _sqlite_real_transactions(engine: Engine) -> None:
    """pysqlite's own transaction handling defers BEGIN and cannot lock for writing; SQLAlchemy's
    documented recipe takes over so that every transaction starts with BEGIN IMMEDIATE (one writer
    at a time, waiting up to busy_timeout instead of failing half-way)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # SQLite's advice for WAL: a commit waits for the log, not for an fsync of it; a power cut may
        # lose the last commits but never corrupts the file — right for the development database, and
        # a logged read no longer costs a disk flush.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _refuse_writes(session: Session, _context, _instances) -> None:
    # Each statement of a read session commits on its own: a write there would be neither atomic
    # nor rolled back, so it is refused on every database, SQLite included, where tests see it.
    if session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty):
        raise RuntimeError("a read-only session cannot write: use a unit of work without read_only")


class Database:
    """`sessions` for units of work that write; `read_sessions` for reads. On PostgreSQL a read
    session runs each statement in its own implicit transaction (autocommit), so a read costs its
    queries' round trips and no empty BEGIN/ROLLBACK; on SQLite both are the same.

    `pre_ping=False` (the web processes) checks out pooled connections without a round trip: a
    connection the server dropped fails its first statement, SQLAlchemy then discards every pooled
    connection older than the failure, and the app retries a safe request once
    (`servicekit.web.app`). Workers keep the ping: they hold a connection for a whole batch.
    """

    def __init__(self, url: str, *, pool_size: int = 5, pre_ping: bool = True) -> None:
        self.url = url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}, hide_parameters=True
            )
            _sqlite_real_transactions(self.engine)
        else:
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            self.engine = create_engine(
                # hide_parameters: a database error's text must not carry the personal values it was about
                url, pool_pre_ping=pre_ping, pool_size=pool_size, max_overflow=10, hide_parameters=True
            )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        #: single statements that must commit on their own (the access log) use this engine view
        self.autocommit_engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT") if self.is_postgres else self.engine
        )
        self.read_sessions = sessionmaker(self.autocommit_engine, expire_on_commit=False)
        event.listen(self.read_sessions, "before_flush", _refuse_writes)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def session(self, *, read_only: bool = False) -> Session:
        return self.read_sessions() if read_only else self.sessions()

    def ping(self) -> None:
        """Raise unless a request could use the database now. On SQLite that means getting the write
        lock (every transaction begins IMMEDIATE), so a database held locked is reported as such."""
        if self.is_postgres:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        raw = self.engine.raw_connection()  # below SQLAlchemy's BEGIN, to wait less than a request would
        try:
            cursor = raw.cursor()
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_READY_WAIT_MS}")
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("ROLLBACK")
            finally:
                cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
                cursor.close()
        finally:
            raw.close()

    def dispose(self) -> None:
        self.engine.dispose()
