"""Properties the File service keeps beside the bytes (content settings, metadata, attributes, share quota).

They live in one SQLite file next to the account folders, never inside a share directory, so the apps that
mount a share see only real files. Content (size, bytes, last-write time) is never stored here: it is read
from the file itself, so writes by apps through the mount show up in the REST view without any bookkeeping.
A row remembers the inode it describes; a row whose inode no longer matches (the file was replaced behind
the service's back) is ignored.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS properties (
    account TEXT NOT NULL, share TEXT NOT NULL, path TEXT NOT NULL, parent TEXT NOT NULL,
    inode INTEGER NOT NULL, data TEXT NOT NULL, changed_ns INTEGER NOT NULL,
    PRIMARY KEY (account, share, path)
);
CREATE INDEX IF NOT EXISTS properties_by_parent ON properties (account, share, parent);
"""


@dataclass(frozen=True)
class StoredProperties:
    data: dict[str, Any] = field(default_factory=dict)
    changed_ns: int = 0


def parent_of(path: str) -> str:
    return path.rpartition("/")[0]


def _below(path: str) -> str:
    """A LIKE pattern for everything under `path` (names may hold '%' and '_'; '\\' is not a valid name char)."""
    return path.replace("%", "\\%").replace("_", "\\_") + "/%"


class PropertyStore:
    """Small synchronous SQLite access: rows are tiny and WAL without fsync keeps each call in microseconds."""

    def __init__(self, database: Path) -> None:
        database.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get(self, account: str, share: str, path: str, inode: int) -> StoredProperties:
        with self._lock:
            row = self._db.execute("SELECT inode, data, changed_ns FROM properties WHERE account=? AND share=? AND path=?",
                                   (account, share, path)).fetchone()
        if row is None or row[0] != inode:
            return StoredProperties()
        return StoredProperties(json.loads(row[1]), row[2])

    def children(self, account: str, share: str, directory: str) -> dict[str, tuple[int, StoredProperties]]:
        """name -> (inode, properties) of the rows directly under `directory`: one query per listing page."""
        with self._lock:
            rows = self._db.execute("SELECT path, inode, data, changed_ns FROM properties "
                                    "WHERE account=? AND share=? AND parent=?", (account, share, directory)).fetchall()
        return {path.rpartition("/")[2]: (inode, StoredProperties(json.loads(data), changed))
                for path, inode, data, changed in rows}

    def put(self, account: str, share: str, path: str, inode: int, data: dict[str, Any]) -> int:
        changed = time.time_ns()
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO properties VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (account, share, path, parent_of(path), inode, json.dumps(data), changed))
        return changed

    def delete(self, account: str, share: str, path: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM properties WHERE account=? AND share=? AND path=?", (account, share, path))

    def move(self, account: str, share: str, source: str, destination: str) -> None:
        """A rename: the rows of `source` and of everything below it now describe `destination` (the inodes
        stay: a rename keeps them)."""
        tree = "account=? AND share=? AND (path=? OR path LIKE ? ESCAPE '\\')"
        with self._lock:
            self._db.execute(f"DELETE FROM properties WHERE {tree}", (account, share, destination, _below(destination)))
            rows = self._db.execute(f"SELECT path FROM properties WHERE {tree}",
                                    (account, share, source, _below(source))).fetchall()
            for (path,) in rows:
                moved = destination + path[len(source):]
                self._db.execute("UPDATE properties SET path=?, parent=? WHERE account=? AND share=? AND path=?",
                                 (moved, parent_of(moved), account, share, path))

    def leased(self, account: str | None = None, share: str | None = None, under: str | None = None
               ) -> list[tuple[str, str, str]]:
        """(account, share, path) of the rows holding a lease record, all or those at/below `under`."""
        sql = "SELECT account, share, path FROM properties WHERE json_extract(data, '$.lease') IS NOT NULL"
        args: list[str] = []
        if account is not None and share is not None and under is not None:
            sql += " AND account=? AND share=? AND (path=? OR path LIKE ? ESCAPE '\\')"
            args = [account, share, under, _below(under)]
        with self._lock:
            return [(row[0], row[1], row[2]) for row in self._db.execute(sql, args).fetchall()]

    def shares(self, account: str) -> list[str]:
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT DISTINCT share FROM properties WHERE account=?",
                                                       (account,)).fetchall()]

    def delete_share(self, account: str, share: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM properties WHERE account=? AND share=?", (account, share))
