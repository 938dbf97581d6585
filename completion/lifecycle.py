"""Request lifecycle timing: an adaptive debounce over each document's keystroke rhythm.

While the user types fast, every request would be superseded by the next
keystroke before the model could answer, so we wait a little longer than their
typing interval before starting work; once they pause, we start almost at once.
Invoked requests (the user asked) are never delayed. The clock is injectable so
the logic is tested deterministically.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class DebounceSettings:
    min_ms: float = 10.0
    max_ms: float = 180.0
    fast_typing_ms: float = 250.0  # keystroke intervals below this count as "typing"
    alpha: float = 0.5  # weight of the newest interval in the moving average


class AdaptiveDebounce:
    def __init__(self, settings: DebounceSettings | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or DebounceSettings()
        self.clock = clock
        self._last: dict[str, float] = {}
        self._avg: dict[str, float] = {}

    def delay_ms(self, uri: str, trigger: str = "automatic") -> float:
        """Record a request for `uri` now and return how long to wait before generating."""
        s = self.settings
        now = self.clock()
        last = self._last.get(uri)
        self._last[uri] = now
        if trigger != "automatic":
            return 0.0
        if last is None:
            return s.min_ms
        interval = (now - last) * 1000
        avg = self._avg.get(uri, interval)
        avg = s.alpha * interval + (1 - s.alpha) * avg
        self._avg[uri] = avg
        if interval >= s.fast_typing_ms:
            return s.min_ms  # the user paused: answer now
        if avg >= s.fast_typing_ms:
            return s.min_ms
        return min(s.max_ms, max(s.min_ms, 1.2 * avg))

    def forget(self, uri: str) -> None:
        self._last.pop(uri, None)
        self._avg.pop(uri, None)
