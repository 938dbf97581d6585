"""Ordered schema migrations for the telemetry database (the simonw/llm `migrations.py` way).

Each migration is a function, applied once, in the order written, and recorded
by name in `_tabstop_migrations`. Never edit or reorder a released migration:
add a new one. All pending migrations run inside one `BEGIN IMMEDIATE`
transaction, so when several server processes open the same file at once
exactly one of them migrates and the others wait on the lock, then find
nothing left to do.
"""
from __future__ import annotations

import time
from typing import Callable

from sqlite_utils import Database

from cache.safedb import immediate_transaction

MIGRATIONS_TABLE = "_tabstop_migrations"
Migration = Callable[[Database], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


def applied(db: Database) -> list[str]:
    if MIGRATIONS_TABLE not in db.table_names():
        return []
    return [row[0] for row in db.execute(f"select name from {MIGRATIONS_TABLE} order by applied_at, rowid")]


def migrate(db: Database, upto: int | None = None) -> list[str]:
    """Apply pending migrations (the first `upto` only, for tests of old schemas); return their names."""
    wanted = MIGRATIONS if upto is None else MIGRATIONS[:upto]
    ran: list[str] = []
    with immediate_transaction(db.conn) as conn:
        conn.execute(f"create table if not exists {MIGRATIONS_TABLE} (name text primary key, applied_at real)")
        done = {row[0] for row in conn.execute(f"select name from {MIGRATIONS_TABLE}")}
        for fn in wanted:
            if fn.__name__ in done:
                continue
            fn(db)
            conn.execute(f"insert into {MIGRATIONS_TABLE} (name, applied_at) values (?, ?)", (fn.__name__, time.time()))
            ran.append(fn.__name__)
    return ran


@migration
def m001_events(db: Database) -> None:
    """The first schema: one row per event, keyed by completion id."""
    db["events"].create(
        {
            "id": int,
            "completion_id": str,
            "kind": str,  # requested | shown | accepted | partial | rejected | outcome
            "ts": float,  # unix seconds
            "session": str,  # one server process
            "language": str,
            "trigger": str,
            "model": str,
            "backend": str,
            "latency_ms": float,
            "prompt_tokens": int,
            "context_tokens": int,
            "cache_hit": int,
            "completion_chars": int,
            "accepted_chars": int,
            "reason": str,
        },
        pk="id",
    )


@migration
def m002_details(db: Database) -> None:
    """What the filter learns from: generation details, context kinds and the feature values."""
    events = db["events"]
    for name, kind in (
        ("mode", str), ("stop_reason", str), ("prompt_tokens_evaluated", int), ("generated_tokens", int),
        ("context_items", int), ("context_kinds", str), ("completion_lines", int), ("mean_logprob", float),
        ("filter_score", float), ("features", str),
    ):
        events.add_column(name, kind)


@migration
def m003_outcome(db: Database) -> None:
    """How much of an accepted completion was still in the document a while later."""
    db["events"].add_column("survived_chars", int)
    db["events"].add_column("survival", float)


@migration
def m004_code(db: Database) -> None:
    """Opt-in training text (redacted before it is written); NULL unless `telemetry.storeCode` is on."""
    for name in ("prefix", "suffix", "completion"):
        db["events"].add_column(name, str)


@migration
def m005_indexes(db: Database) -> None:
    events = db["events"]
    events.create_index(["completion_id"], index_name="idx_events_completion", if_not_exists=True)
    events.create_index(["ts"], index_name="idx_events_ts", if_not_exists=True)
    events.create_index(["kind", "ts"], index_name="idx_events_kind_ts", if_not_exists=True)
