"""Which saved KV states are kept and which one a prompt gets back (no model: bookkeeping only)."""
from __future__ import annotations

from runtime.kvstates import KvStateCache, SavedState, common_prefix


def state(tokens, size=10):
    return SavedState(tuple(tokens), b"x" * size)


def test_common_prefix():
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2, 3]) == 2


def test_best_is_the_longest_shared_prefix():
    cache = KvStateCache(4, 10_000, min_tokens=2)
    cache.put(state([1, 2, 3, 4]))
    cache.put(state([7, 8, 9, 10]))
    best, n = cache.best([7, 8, 9, 11, 12])
    assert best.tokens == (7, 8, 9, 10) and n == 3
    assert cache.best([5, 6]) == (None, 0)


def test_lru_bound_by_count_and_bytes():
    cache = KvStateCache(2, 100, min_tokens=1)
    cache.put(state([1, 1], 40))
    cache.put(state([2, 2], 40))
    cache.best([1, 1])  # touch: [2, 2] is now the least recently used
    cache.put(state([3, 3], 40))
    assert {s.tokens for s in cache._states.values()} == {(1, 1), (3, 3)}
    cache.put(state([4, 4], 90))  # bytes: only this one fits
    assert [s.tokens for s in cache._states.values()] == [(4, 4)]
    cache.put(state([5, 5], 500))  # larger than the whole budget: not kept, nothing evicted
    assert [s.tokens for s in cache._states.values()] == [(4, 4)]


def test_the_same_prompt_evolved_replaces_its_older_state():
    cache = KvStateCache(4, 10_000, min_tokens=2)
    base = list(range(100))
    cache.put(state(base))
    cache.put(state(base[:95] + [500, 501, 502]))  # a few keystrokes later
    assert len(cache) == 1 and cache.best(base)[0].tokens[-1] == 502


def test_short_prompts_and_off_are_not_saved():
    cache = KvStateCache(4, 10_000, min_tokens=128)
    cache.put(state(range(50)))
    assert len(cache) == 0
    assert not cache.worth_saving(list(range(300)), kept=250)
    assert cache.worth_saving(list(range(300)), kept=10)
    assert not KvStateCache(0, 10_000).worth_saving(list(range(300)), kept=0)
