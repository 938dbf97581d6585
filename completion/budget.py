"""Deadline-aware prompt sizing: how many prompt tokens can we afford right now?

Keeps a running estimate of this machine's prompt-evaluation and generation
speed (seeded by a start-up measurement or defaults measured on a 2-core CPU)
and answers "how long would this cost" and "how large may a cold prompt be".
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SpeedModel:
    prompt_tps: float = 180.0  # prompt tokens evaluated per second
    gen_tps: float = 25.0  # tokens generated per second
    alpha: float = 0.3  # weight of each new observation
    observations: int = 0

    def observe(self, evaluated: int, prompt_ms: float, generated: int, gen_ms: float) -> None:
        """Fold one request's measured speeds in (tiny samples are too noisy to use)."""
        if evaluated >= 32 and prompt_ms > 0:
            self.prompt_tps = (1 - self.alpha) * self.prompt_tps + self.alpha * (evaluated / (prompt_ms / 1000))
        if generated >= 4 and gen_ms > 0:
            self.gen_tps = (1 - self.alpha) * self.gen_tps + self.alpha * (generated / (gen_ms / 1000))
        self.observations += 1

    def expected_ms(self, eval_tokens: int, gen_tokens: int) -> float:
        return 1000 * (eval_tokens / self.prompt_tps + gen_tokens / self.gen_tps)

    def affordable_gen_tokens(self, budget_ms: float, eval_tokens: int, requested: int, floor: int) -> int:
        """Tokens to generate so that evaluating `eval_tokens` and generating fit `budget_ms`.

        Never above `requested`, never below `floor` (a suggestion cut shorter than that is
        not worth showing); a block cut here loses its incomplete last line in post-processing.
        """
        left_ms = budget_ms - 1000 * eval_tokens / self.prompt_tps
        fit = int(left_ms / 1000 * self.gen_tps)
        return min(requested, max(floor, fit))

    def affordable_eval_tokens(self, budget_ms: float, gen_tokens: int) -> int:
        left_ms = budget_ms - 1000 * gen_tokens / self.gen_tps
        return max(0, int(left_ms / 1000 * self.prompt_tps))
