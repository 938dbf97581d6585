"""`tabstop/engineHistory`: per-request facts (cache hit, tokens evaluated, latency) for `tabstop bench`."""
from __future__ import annotations

from typing import Any

HISTORY_METHOD = "tabstop/engineHistory"


def register(server) -> None:
    @server.feature(HISTORY_METHOD)
    def engine_history(ls, params: Any = None) -> list[dict[str, object]]:
        if ls.services is None:
            return []
        return list(ls.services.engine.history)
