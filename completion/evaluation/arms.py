"""The compared configurations ("arms") as data: each is a set of context-settings overrides."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from completion.config import ContextSettings


@dataclass(frozen=True)
class Arm:
    name: str
    context: dict[str, Any] = field(default_factory=dict)  # ContextSettings field overrides

    def settings(self, base: ContextSettings) -> ContextSettings:
        return dataclasses.replace(base, **self.context)


ARMS: tuple[Arm, ...] = (
    Arm("in-file", {"enabled": False}),
    Arm("+analogy", {"enabled": True, "analogy": True, "signatures": False, "keep_imports": False}),
    Arm("+signatures", {"enabled": True, "analogy": False, "signatures": True, "keep_imports": True}),
    Arm("+both", {"enabled": True, "analogy": True, "signatures": True, "keep_imports": True}),
)


def select(names: str | None) -> tuple[Arm, ...]:
    """Arms by comma-separated names (all when empty); unknown names are an error."""
    if not names:
        return ARMS
    by_name = {a.name: a for a in ARMS}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise ValueError(f"unknown arm(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    return tuple(by_name[n] for n in wanted)
