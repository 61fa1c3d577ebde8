"""Sensitive free text encrypted at rest, with key rotation.

`EncryptedText` columns hold a Fernet token (AES-128-CBC + HMAC-SHA256); the keyring is a
MultiFernet built from `DATA_KEYS` (comma-separated Fernet keys, newest first): new values are
encrypted with the first key, old values still decrypt with any later one, and
`wohnenplus rotate-data-keys` re-encrypts every stored value with the first key, after which the
old key can be dropped from the list. In development a key is created once under `var/data-keys`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import MetaData, Text, column, select, table, update
from sqlalchemy.types import TypeDecorator

from servicekit.db.database import Database
from servicekit.settings import Settings

_lock = threading.Lock()
_keyring: MultiFernet | None = None


class DataKeyError(RuntimeError):
    pass


def keys_from(settings: Settings) -> list[str]:
    configured = settings.get("DATA_KEYS")
    if configured:
        return [k.strip() for k in configured.split(",") if k.strip()]
    return [ensure_dev_data_key(settings.var_dir)]


def ensure_dev_data_key(var_dir: Path) -> str:
    """One development key per checkout; concurrent first starts agree on it (O_EXCL)."""
    path = var_dir / "data-keys"
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            text = path.read_text().strip()
            if text:
                return text.splitlines()[0]
            threading.Event().wait(0.05)
        raise DataKeyError(f"{path} is empty")
    with os.fdopen(fd, "w") as handle:
        key = Fernet.generate_key().decode()
        handle.write(key + "\n")
    return key


def configure(keys: list[str] | Settings) -> None:
    """Install the keyring for this process (the app factory, the worker and the CLI call this)."""
    global _keyring
    if isinstance(keys, Settings):
        keys = keys_from(keys)
    if not keys:
        raise DataKeyError("DATA_KEYS is empty")
    try:
        ring = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise DataKeyError("DATA_KEYS holds a value that is not a Fernet key") from exc
    with _lock:
        _keyring = ring


def keyring() -> MultiFernet:
    if _keyring is None:
        configure(Settings.from_env("kit", 0, 0))
    return _keyring


class EncryptedText(TypeDecorator):
    """Text stored as a Fernet token; reads give back the plain text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect):
        if value is None:
            return None
        return keyring().encrypt(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect):
        if value is None:
            return None
        try:
            return keyring().decrypt(value.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise DataKeyError("a stored value does not decrypt with any configured data key") from exc


def encrypted_columns(metadata: MetaData) -> list[tuple[str, str, str]]:
    """(table, primary key column, encrypted column) for every EncryptedText column."""
    found = []
    for tbl in metadata.sorted_tables:
        pk = [c.name for c in tbl.primary_key.columns]
        for col in tbl.columns:
            if isinstance(col.type, EncryptedText):
                if len(pk) != 1:
                    raise DataKeyError(f"{tbl.name}: rotation needs a single-column primary key")
                found.append((tbl.name, pk[0], col.name))
    return found


def rotate(db: Database, metadata: MetaData, batch: int = 500) -> int:
    """Re-encrypt every stored value with the newest key; returns how many values were rewritten."""
    ring, done = keyring(), 0
    for table_name, pk, col in encrypted_columns(metadata):
        raw = table(table_name, column(pk), column(col))  # untyped: the tokens as stored
        last = None
        while True:
            with db.engine.begin() as conn:
                stmt = select(raw.c[pk], raw.c[col]).where(raw.c[col].is_not(None)).order_by(raw.c[pk]).limit(batch)
                if last is not None:
                    stmt = stmt.where(raw.c[pk] > last)
                rows = conn.execute(stmt).all()
                for key, token in rows:
                    conn.execute(update(raw).where(raw.c[pk] == key).values({col: ring.rotate(token.encode()).decode()}))
                done += len(rows)
            if len(rows) < batch:
                break
            last = rows[-1][0]
    return done
