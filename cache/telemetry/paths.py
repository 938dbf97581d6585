"""Where the telemetry database lives, and whether telemetry is on at all.

The environment wins over settings so that a user (or a test) can redirect or
silence every server process at once without touching editor configuration —
the same reasoning as simonw/llm's `LLM_USER_PATH`.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_DB = "TABSTOP_TELEMETRY_DB"
ENV_SWITCH = "TABSTOP_TELEMETRY"
ENV_DATA_DIR = "TABSTOP_DATA_DIR"
_OFF = {"0", "off", "false", "no", "disabled"}
DB_NAME = "telemetry.db"


def user_data_dir() -> Path:
    """Tabstop's per-user data folder (platformdirs), overridable by TABSTOP_DATA_DIR."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("tabstop", appauthor=False))


def telemetry_enabled(setting: bool = True) -> bool:
    """False when the setting says so or `TABSTOP_TELEMETRY=off` (either one is enough)."""
    if os.environ.get(ENV_SWITCH, "").strip().lower() in _OFF:
        return False
    return bool(setting)


def resolve_db_path(setting_path: str = "") -> Path:
    """TABSTOP_TELEMETRY_DB, else the `telemetry.path` setting, else `<user data dir>/telemetry.db`."""
    env = os.environ.get(ENV_DB, "").strip()
    if env:
        return Path(env).expanduser()
    if setting_path.strip():
        return Path(setting_path.strip()).expanduser()
    return user_data_dir() / DB_NAME
