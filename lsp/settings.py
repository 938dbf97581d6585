"""The one settings tree, parsed in one place.

Parsed from `initializationOptions` and again on `workspace/didChangeConfiguration`.
Keys may be camelCase (as VS Code sends them) or snake_case. An invalid value is
reported and replaced by its default, so one typo never disables the server
(the jedi-language-server approach). Sub-trees are defined by the layer that
consumes them; this module only composes and parses.
"""
from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field
from typing import Any

from completion.config import CompletionSettings, ContextSettings
from runtime.config import LocalModelSettings, RemoteSettings

BACKENDS = ("local", "llamacpp", "openai", "ollama")


@dataclass
class TelemetrySettings:
    """Local event log (docs/telemetry.md). `TABSTOP_TELEMETRY=off` wins over `enabled`."""

    enabled: bool = True
    path: str = ""  # default: the user data dir; TABSTOP_TELEMETRY_DB overrides
    store_code: bool = False  # opt-in: keep prefix/suffix/completion (secrets redacted) for training
    retention_days: int = 90
    max_mb: int = 64
    outcome_delay_s: float = 10.0  # how long after an accept to measure how much of it survived
    recent_completions: int = 512  # completions remembered for later show/accept/reject events


@dataclass
class FilterSettings:
    """Acceptance filter (`tabstop flywheel train-filter`); with no model file every suggestion is shown."""

    enabled: bool = True
    threshold: float = 0.15  # hide suggestions whose predicted acceptance is below this
    model_path: str = ""  # default: <user data dir>/filter.pt; TABSTOP_FILTER_MODEL overrides
    skip_threshold: float = 0.05  # skip generation when the pre-generation model predicts less (0: never)
    min_skip_auc: float = 0.65  # ...but only if that model's held-out AUC reached this (a weak one must not skip)
    explore_rate: float = 0.05  # share of would-be-hidden suggestions shown anyway, so the filter keeps learning


@dataclass
class Settings:
    backend: str = "local"
    model: LocalModelSettings = field(default_factory=LocalModelSettings)
    remote: RemoteSettings = field(default_factory=RemoteSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    filter: FilterSettings = field(default_factory=FilterSettings)
    log_level: str = ""  # "" keeps the level given on the command line (--log-level / TABSTOP_LOG_LEVEL)


_CHOICES: dict[str, tuple[str, ...]] = {
    "backend": BACKENDS,
    "log_level": ("", "debug", "info", "warning", "error"),
    "model.fim_family": ("auto", "qwen", "deepseek", "starcoder", "codellama", "codestral"),
}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Build a Settings tree from client JSON; return it and human-readable warnings.

    Unknown keys are warned about and ignored; wrongly typed or out-of-range values
    keep the value from `base` (the defaults, or the current settings on a change).
    A top-level `tabstop` key is unwrapped, so both `{"tabstop": {...}}` and `{...}` work.
    """
    warnings: list[str] = []
    base = base or Settings()
    if isinstance(raw, dict) and isinstance(raw.get("tabstop"), dict):
        raw = raw["tabstop"]
    if raw is None:
        return dataclasses.replace(base), warnings
    if not isinstance(raw, dict):
        warnings.append(f"settings must be an object, got {type(raw).__name__}; using defaults")
        return dataclasses.replace(base), warnings
    return _parse_dataclass(type(base), raw, base, "", warnings), warnings


def _parse_dataclass(cls: type, raw: dict[str, Any], base: Any, path: str, warnings: list[str]) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = _snake(str(key))
        if name not in names:
            warnings.append(f"unknown setting {path}{key}; ignored")
            continue
        full = f"{path}{name}"
        current = getattr(base, name)
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            if isinstance(value, dict):
                values[name] = _parse_dataclass(hint, value, current, f"{full}.", warnings)
            else:
                warnings.append(f"setting {full} must be an object; keeping the previous value")
            continue
        ok, parsed = _coerce(hint, value)
        if ok and full in _CHOICES and parsed not in _CHOICES[full]:
            ok = False
        if ok and isinstance(parsed, (int, float)) and not isinstance(parsed, bool) and parsed < 0 and name not in ("n_gpu_layers",):
            ok = False
        if not ok:
            choices = f" (one of {', '.join(_CHOICES[full])})" if full in _CHOICES else ""
            warnings.append(f"invalid value {value!r} for {full}{choices}; using {current!r}")
            continue
        values[name] = parsed
    return dataclasses.replace(base, **values)


def _coerce(hint: Any, value: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(hint)
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if hint is str:
        return isinstance(value, str), value
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            return False, value
        items = [_coerce(item, v) for v in value]
        return all(ok for ok, _ in items), [v for _, v in items]
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return False, value
        return True, dict(value)
    return False, value


def to_json(settings: Settings) -> dict[str, Any]:
    """The settings as plain JSON (for logs and docs), with secrets masked."""
    data = dataclasses.asdict(settings)
    if data["remote"]["api_key"]:
        data["remote"]["api_key"] = "***"
    data["remote"]["headers"] = {k: ("***" if k.lower() in ("authorization", "x-api-key", "api-key") else v)
                                 for k, v in data["remote"]["headers"].items()}
    return data
