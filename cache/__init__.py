"""Persistent state that knows nothing of models: the repository index (and, later, caches and telemetry)."""
