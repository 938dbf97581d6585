from cache.completion_cache import CompletionCache
from completion.lifecycle import AdaptiveDebounce, DebounceSettings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += ms / 1000


def test_debounce_grows_while_typing_fast_and_drops_after_pause():
    clock = Clock()
    d = AdaptiveDebounce(DebounceSettings(min_ms=10, max_ms=180, fast_typing_ms=250), clock)
    assert d.delay_ms("a") == 10  # first request
    delays = []
    for _ in range(6):
        clock.advance(100)
        delays.append(d.delay_ms("a"))
    assert all(x > 100 for x in delays)  # longer than the typing interval: superseded before work starts
    assert max(delays) <= 180
    clock.advance(1200)
    assert d.delay_ms("a") == 10  # a pause: answer at once


def test_debounce_is_per_document_and_invoked_is_immediate():
    clock = Clock()
    d = AdaptiveDebounce(clock=clock)
    d.delay_ms("a")
    clock.advance(50)
    assert d.delay_ms("b") == d.settings.min_ms
    clock.advance(50)
    assert d.delay_ms("a", trigger="invoked") == 0


def test_exact_hit_and_miss():
    c = CompletionCache()
    c.put("u", "fp", "def f():\n    return ", "\n", ["a + b"], ["id1"])
    hit = c.get("u", "fp", "def f():\n    return ", "\n")
    assert hit and hit.texts == ("a + b",) and hit.typed == ""
    assert c.get("u", "other-model", "def f():\n    return ", "\n") is None
    assert c.get("u", "fp", "def f():\n    return ", "\nx") is None


def test_typing_through_serves_the_rest():
    c = CompletionCache()
    before = "x = 1\ny = "
    c.put("u", "fp", before, "\n", ["compute(x)"], ["id1"])
    hit = c.get("u", "fp", before + "comp", "\n")
    assert hit and hit.texts == ("ute(x)",) and hit.typed == "comp" and hit.entry_ids == ("id1",)


def test_typing_something_else_misses():
    c = CompletionCache()
    c.put("u", "fp", "y = ", "\n", ["compute(x)"], ["id1"])
    assert c.get("u", "fp", "y = cx", "\n") is None
    assert c.get("u", "fp", "y = compute(x)", "\n") is None  # fully typed: nothing left to offer


def test_edit_above_the_cursor_misses():
    c = CompletionCache()
    c.put("u", "fp", "a = 1\ny = ", "\n", ["compute(x)"], ["id1"])
    assert c.get("u", "fp", "a = 2\ny = comp", "\n") is None


def test_invalidation_by_context_path_and_document():
    c = CompletionCache()
    c.put("u", "fp", "a", "", ["b"], ["1"], frozenset({"/r/lib.py"}))
    c.put("v", "fp", "a", "", ["c"], ["2"], frozenset({"/r/other.py"}))
    assert c.invalidate_paths({"/r/lib.py"}) == 1
    assert c.get("u", "fp", "a", "") is None and c.get("v", "fp", "a", "") is not None
    c.invalidate_document("v")
    assert len(c) == 0


def test_lru_bounds():
    c = CompletionCache(max_entries=5, per_document=3)
    for i in range(10):
        c.put("u", "fp", f"p{i}", "", ["x"], [str(i)])
    assert len(c) == 3
    for i in range(10):
        c.put(f"doc{i}", "fp", "p", "", ["x"], [str(i)])
    assert len(c) == 5
