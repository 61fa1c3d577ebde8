"""What an erasure test scans: every value of every row of every table, as a person with database
access would read it — values encrypted at rest decrypted (a scan of ciphertext proves nothing),
JSON rendered, stored files decoded."""

from __future__ import annotations

import json
import re
from typing import Iterable, Iterator

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine

from servicekit.privacy import crypto

_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_=-]+")


def _readable(value, keyring: MultiFernet) -> str:
    if isinstance(value, (bytes, memoryview)):
        value = bytes(value).decode("utf-8", "replace")
    elif isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)

    def decrypt(match: re.Match) -> str:
        try:
            return keyring.decrypt(match.group().encode()).decode("utf-8", "replace")
        except InvalidToken:
            return match.group()

    return _TOKEN.sub(decrypt, str(value))


def stored_values(engine: Engine, keyring: MultiFernet | None = None) -> Iterator[tuple[str, str]]:
    """(table, readable value) for every column of every row of every table."""
    keyring = keyring or crypto.keyring()
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if value is not None:
                        yield table.name, _readable(value, keyring)


def find_stored(engine: Engine, needles: Iterable[str], keyring: MultiFernet | None = None) -> list[tuple[str, str]]:
    """Sorted (table, needle) pairs for every needle found anywhere in the database."""
    needles = list(needles)
    return sorted({(table, n) for table, value in stored_values(engine, keyring) for n in needles if n in value})
