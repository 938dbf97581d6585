"""Storage: the completion cache, the repository index, the telemetry store. Knows nothing of models."""
