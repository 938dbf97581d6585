"""A few saved KV states, so that switching between files does not re-evaluate their prompts.

One llama.cpp context holds one KV cache. Longest-common-prefix reuse covers typing in
one file, but a developer flips between two or three files: every switch used to throw
away the other file's ~1,500 evaluated prompt tokens (~8 s on 2 cores) and evaluate them
again on the way back. Before a request discards a large evaluated prefix, the backend
saves that KV state here (sequence 0 only: ~12 KB per token for the 0.5B model, so ~18 MB
for a full prompt, a few ms to copy); a later request whose prompt shares a longer prefix
with a saved state than with the live cache restores it instead of evaluating.

This module is the bookkeeping only (which state to keep, which to restore): no
llama.cpp calls, so it is tested without a model. llama-cpp-python's own
`save_state()` is not used: it also copies the logits buffer (n_batch × vocabulary floats,
~38 MB here) and every token's scores, which this backend never reads back.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class SavedState:
    tokens: tuple[int, ...]  # the token sequence whose KV the blob holds, in order from position 0
    data: bytes  # llama_state_seq_get_data of sequence 0

    @property
    def size(self) -> int:
        return len(self.data)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class KvStateCache:
    """LRU of saved states, bounded by count and by bytes.

    A state that another one extends or nearly repeats (same file, a few keystrokes
    later) replaces it instead of taking a second slot: slots are for *different* prompts.
    """

    def __init__(self, max_states: int, max_bytes: int, min_tokens: int = 128) -> None:
        self.max_states = max_states
        self.max_bytes = max_bytes
        self.min_tokens = min_tokens  # shorter prefixes are cheaper to evaluate than to keep
        self._states: OrderedDict[int, SavedState] = OrderedDict()
        self._next = 0

    def __len__(self) -> int:
        return len(self._states)

    @property
    def total_bytes(self) -> int:
        return sum(s.size for s in self._states.values())

    def worth_saving(self, tokens: Sequence[int], kept: int) -> bool:
        """Whether a live cache of `tokens`, of which a new prompt keeps only `kept`, should be saved first."""
        return self.max_states > 0 and len(tokens) - kept >= self.min_tokens

    def best(self, tokens: Sequence[int]) -> tuple[SavedState | None, int]:
        """The saved state sharing the longest prefix with `tokens`, and that length."""
        best: tuple[int, int] = (-1, 0)
        for key, state in self._states.items():
            n = common_prefix(state.tokens, tokens)
            if n > best[1]:
                best = (key, n)
        if best[0] < 0:
            return None, 0
        self._states.move_to_end(best[0])
        return self._states[best[0]], best[1]

    def put(self, state: SavedState) -> None:
        if self.max_states <= 0 or state.size > self.max_bytes or len(state.tokens) < self.min_tokens:
            return
        for key, old in list(self._states.items()):
            shared = common_prefix(old.tokens, state.tokens)
            if shared >= 0.9 * min(len(old.tokens), len(state.tokens)):
                del self._states[key]  # the same prompt, evolved: keep the newer one
        self._states[self._next] = state
        self._next += 1
        while len(self._states) > self.max_states or self.total_bytes > self.max_bytes:
            self._states.popitem(last=False)

    def clear(self) -> None:
        self._states.clear()
