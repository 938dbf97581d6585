"""A piece of context that competes for the prompt's token budget."""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Candidate:
    """`key` identifies the same piece across requests (for stable ordering); `score` is in [0, 1]."""

    key: str
    kind: str  # analogy | usage | signature | imports
    path: str  # as shown in the prompt: relative to the workspace folder
    text: str
    score: float
    source: str = ""  # open | recent | index | import | self | name
    start_line: int = 0
    end_line: int = 0  # exclusive
    cost: int = 0  # tokens, filled in by packing

    def with_cost(self, cost: int) -> "Candidate":
        return replace(self, cost=cost)

    def describe(self) -> str:
        where = f"{self.path}:{self.start_line + 1}-{self.end_line}" if self.end_line else self.path
        return f"{self.score:.3f} {self.kind:<9} {self.source:<6} {where} ({self.cost} tok) {self.key.split('|')[-1]}"
