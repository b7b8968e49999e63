"""Persistence of the management plane: resources (the wire body plus internal fields such as keys),
long-running operations, and per-app runtime facts (the local port). SQLite in the data dir, so state
survives an emulator restart. ARM ids are case-insensitive: rows are keyed by the lower-cased id."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    key TEXT PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, parent TEXT, scope TEXT NOT NULL,
    body TEXT NOT NULL, internal TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS resources_parent ON resources(parent);
CREATE INDEX IF NOT EXISTS resources_scope ON resources(scope, type);
CREATE TABLE IF NOT EXISTS operations (
    id TEXT PRIMARY KEY, resource_key TEXT NOT NULL, action TEXT NOT NULL, started REAL NOT NULL,
    duration REAL NOT NULL, status TEXT NOT NULL, error TEXT);
CREATE TABLE IF NOT EXISTS app_ports (app_key TEXT PRIMARY KEY, port INTEGER NOT NULL UNIQUE);
"""


@dataclass
class Record:
    id: str
    type: str  # e.g. "Microsoft.Storage/storageAccounts"
    body: dict[str, Any]
    internal: dict[str, Any] = field(default_factory=dict)
    parent: str | None = None
    created: float = 0.0

    @property
    def name(self) -> str:
        return self.id.rsplit("/", 1)[-1]


@dataclass
class Operation:
    id: str
    resource_key: str
    action: str  # "create" | "update" | "delete"
    started: float
    duration: float
    status: str  # InProgress | Succeeded | Failed
    error: dict[str, str] | None = None

    def remaining(self, now: float | None = None) -> float:
        return max(0.0, self.started + self.duration - (time.time() if now is None else now))


def _scope(resource_id: str) -> str:
    """'/subscriptions/s/resourcegroups/rg' for anything in a group, else the subscription."""
    parts = resource_id.lower().split("/")
    return "/".join(parts[:5]) if len(parts) >= 5 and parts[3] == "resourcegroups" else "/".join(parts[:3])


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    # resources
    def get(self, resource_id: str) -> Record | None:
        row = self._db.execute("SELECT id, type, body, internal, parent, created FROM resources WHERE key=?",
                               (resource_id.lower(),)).fetchone()
        return self._record(row) if row else None

    def require(self, resource_id: str) -> Record:
        """The resource, which the caller has just written (a missing one is a bug of ours)."""
        record = self.get(resource_id)
        if record is None:
            raise KeyError(f"{resource_id} is not in the store")
        return record

    @staticmethod
    def _record(row: tuple[Any, ...]) -> Record:
        return Record(id=row[0], type=row[1], body=json.loads(row[2]), internal=json.loads(row[3]), parent=row[4],
                      created=row[5])

    def put(self, record: Record) -> Record:
        if not record.created:
            existing = self.get(record.id)
            record.created = existing.created if existing else time.time()
        self._db.execute(
            "INSERT OR REPLACE INTO resources (key, id, type, parent, scope, body, internal, created) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (record.id.lower(), record.id, record.type, record.parent.lower() if record.parent else None,
             _scope(record.id), json.dumps(record.body), json.dumps(record.internal), record.created))
        return record

    def delete(self, resource_id: str) -> None:
        key = resource_id.lower()
        self._db.execute("DELETE FROM resources WHERE key=? OR key LIKE ?", (key, key.replace("_", "\\_") + "/%"))

    def delete_scope(self, scope_id: str) -> None:
        """Every resource in a resource group (and what lies below each), as the group's delete ends."""
        for (resource_id,) in self._db.execute("SELECT id FROM resources WHERE scope=?", (scope_id.lower(),)).fetchall():
            self.delete(resource_id)

    def children(self, parent_id: str, type_: str | None = None) -> list[Record]:
        sql = "SELECT id, type, body, internal, parent, created FROM resources WHERE parent=?"
        args: list[Any] = [parent_id.lower()]
        if type_:
            sql += " AND lower(type)=?"
            args.append(type_.lower())
        return [self._record(r) for r in self._db.execute(sql + " ORDER BY created", args)]

    def in_scope(self, scope_id: str, type_: str) -> list[Record]:
        """Resources of a type in a resource group (scope '/subscriptions/s/resourcegroups/rg') or subscription."""
        sql = "SELECT id, type, body, internal, parent, created FROM resources WHERE lower(type)=? AND "
        scope = scope_id.lower()
        if "/resourcegroups/" in scope:
            rows = self._db.execute(sql + "scope=? ORDER BY created", (type_.lower(), scope))
        else:
            rows = self._db.execute(sql + "(scope=? OR scope LIKE ?) ORDER BY created", (type_.lower(), scope, scope + "/%"))
        return [self._record(r) for r in rows]

    def of_type(self, type_: str) -> list[Record]:
        rows = self._db.execute("SELECT id, type, body, internal, parent, created FROM resources WHERE lower(type)=? "
                                "ORDER BY created", (type_.lower(),))
        return [self._record(r) for r in rows]

    # operations
    def put_operation(self, op: Operation) -> Operation:
        self._db.execute("INSERT OR REPLACE INTO operations VALUES (?,?,?,?,?,?,?)",
                         (op.id, op.resource_key, op.action, op.started, op.duration, op.status,
                          json.dumps(op.error) if op.error else None))
        return op

    def get_operation(self, op_id: str) -> Operation | None:
        row = self._db.execute("SELECT id, resource_key, action, started, duration, status, error FROM operations "
                               "WHERE id=?", (op_id.lower(),)).fetchone()
        if not row:
            return None
        return Operation(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]) if row[6] else None)

    def pending_operations(self) -> list[Operation]:
        rows = self._db.execute("SELECT id FROM operations WHERE status='InProgress' ORDER BY started").fetchall()
        return [op for (op_id,) in rows if (op := self.get_operation(op_id))]

    # runtime
    def app_port(self, app_key: str) -> int | None:
        row = self._db.execute("SELECT port FROM app_ports WHERE app_key=?", (app_key.lower(),)).fetchone()
        return int(row[0]) if row else None

    def used_ports(self) -> set[int]:
        return {int(p) for (p,) in self._db.execute("SELECT port FROM app_ports")}

    def set_app_port(self, app_key: str, port: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO app_ports VALUES (?,?)", (app_key.lower(), port))

    def drop_app_port(self, app_key: str) -> None:
        self._db.execute("DELETE FROM app_ports WHERE app_key=?", (app_key.lower(),))
