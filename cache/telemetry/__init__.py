"""The local telemetry store: events keyed by completion id, in one SQLite file per user.

Public surface: `resolve_db_path`/`telemetry_enabled` (where, and whether), `TelemetryStore`
(synchronous, for the writer thread and the CLI), `TelemetryWriter` (the server's
non-blocking front), `redact` (secrets out before anything touches disk).
"""
from cache.telemetry.paths import ENV_DB, ENV_SWITCH, resolve_db_path, telemetry_enabled, user_data_dir
from cache.telemetry.redact import find_secrets, has_secret, redact
from cache.telemetry.store import KINDS, TelemetryError, TelemetryStore
from cache.telemetry.writer import TelemetryWriter

__all__ = [
    "ENV_DB", "ENV_SWITCH", "KINDS", "TelemetryError", "TelemetryStore", "TelemetryWriter", "find_secrets",
    "has_secret", "redact", "resolve_db_path", "telemetry_enabled", "user_data_dir",
]
