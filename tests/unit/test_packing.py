"""Budget packing and stable ordering (pure functions), plus the provider keeping the order while typing."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from completion.context.candidates import Candidate
from completion.context.packing import item_overhead, pack, stable_order


def words(text: str) -> int:
    """A deterministic stand-in tokenizer for the pure tests (the model test below uses the real one)."""
    return len(text.split()) + text.count("\n")


def cand(key: str, score: float, size: int = 10, path: str = "a.py") -> Candidate:
    return Candidate(key=key, kind="analogy", path=path, text=" ".join(["tok"] * size), score=score)


candidates = st.lists(
    st.builds(cand, key=st.text("abcdef", min_size=1, max_size=6), score=st.floats(0.0, 1.0),
              size=st.integers(0, 300), path=st.sampled_from(["a.py", "pkg/b.py", "deep/dir/c.ts"])),
    max_size=40, unique_by=lambda c: c.key)


@settings(max_examples=300, deadline=None)
@given(candidates, st.integers(-5, 800), st.lists(st.text("abcdef", min_size=1, max_size=6), max_size=10))
def test_packing_never_exceeds_the_budget(cands, budget, previous):
    chosen = pack(cands, budget, words, previous)
    total = sum(words(c.text) + item_overhead(c.path, words) for c in chosen)
    assert total <= max(budget, 0)
    assert sum(c.cost for c in chosen) == total
    assert len({c.key for c in chosen}) == len(chosen)


def test_packing_takes_the_best_first_and_skips_what_does_not_fit():
    big = cand("big", 0.9, size=300)
    small_a, small_b, tiny = cand("a", 0.5, size=20), cand("b", 0.4, size=20), cand("t", 0.1, size=2)
    assert [c.key for c in pack([big, small_a, small_b, tiny], 100, words)] == ["a", "b", "t"]  # big never fits
    assert [c.key for c in pack([big, small_a, tiny], 400, words)] == ["big", "a", "t"]
    # Many small marginal items do not crowd out a relevant one.
    marginal = [cand(f"m{i}", 0.15, size=5) for i in range(10)]
    relevant = cand("r", 0.4, size=40)
    budget = words(relevant.text) + item_overhead(relevant.path, words) + 20
    assert pack(marginal + [relevant], budget, words)[0].key == "r"
    assert pack([cand("zero", 0.0)], 100, words) == []


def test_previous_choice_is_sticky():
    old, new = cand("old", 0.50, size=40), cand("new", 0.55, size=40)
    budget = words(old.text) + item_overhead(old.path, words)  # room for exactly one
    assert [c.key for c in pack([old, new], budget, words)] == ["new"]
    assert [c.key for c in pack([old, new], budget, words, previous=["old"])] == ["old"]


def test_stable_order_keeps_survivors_in_place_and_appends_new_best_last():
    a, b, c, d = cand("a", 0.9), cand("b", 0.2), cand("c", 0.5), cand("d", 0.7)
    first = stable_order([a, b, c], [])
    assert [x.key for x in first] == ["b", "c", "a"]  # ascending score: the best nearest the file
    # Next keystroke: scores shifted (c now beats a), d is new, b dropped out.
    c2, a2 = cand("c", 0.95), cand("a", 0.6)
    second = stable_order([c2, a2, d], [x.key for x in first])
    assert [x.key for x in second] == ["c", "a", "d"]
    assert [x.key for x in stable_order([c2, a2, d], [x.key for x in second])] == ["c", "a", "d"]


def test_new_windows_go_nearest_the_file():
    sig = Candidate(key="s", kind="signature", path="a.py", text="def f(): ...", score=0.9)
    win = Candidate(key="w", kind="analogy", path="b.py", text="f()", score=0.3)
    imp = Candidate(key="i", kind="imports", path="c.py", text="import x", score=0.8)
    assert [x.key for x in stable_order([win, sig, imp])] == ["i", "s", "w"]
    assert [x.key for x in stable_order([win, sig, imp], ["w"])] == ["w", "i", "s"]  # survivors stay put


def test_only_candidates_still_in_the_running_are_tokenized():
    """Tokenizing every candidate was 18% of retrieval time; the packed ones (and near misses) suffice."""
    counted: list[str] = []

    def counting(text: str) -> int:
        counted.append(text)
        return words(text)

    best = [cand(f"b{i}", 0.9 - i / 100, size=40) for i in range(3)]
    rest = [cand(f"r{i}", 0.2, size=200 + i) for i in range(10)]  # 200+ words: ≥ 1,000 chars
    chosen = pack(best + rest, 150, counting)
    assert [c.key for c in chosen] == ["b0", "b1", "b2"]
    assert not any(c.text in counted for c in rest)  # could not fit in the room left: never counted


def test_search_terms_stay_within_the_postings_budget():
    from completion.context.analogy import search_terms

    weights = {"rare": 5.0, "common": 4.0, "mid": 3.0, "weak": 1.0}
    df = {"rare": 10, "common": 3000, "mid": 900, "weak": 50}
    assert search_terms(weights, df, max_postings=1000) == ("rare", "mid", "weak")  # 'common' would overflow
    assert search_terms(weights, df, max_postings=10**6) == ("rare", "common", "mid", "weak")
    assert search_terms({"huge": 1.0}, {"huge": 10**6}, max_postings=10) == ("huge",)  # never empty


def test_a_reserved_share_is_packed_first_then_everything_competes_by_score():
    def item(key, kind, score, size):
        return Candidate(key=key, kind=kind, path="a.py", text=" ".join(["tok"] * size), score=score)

    sigs = [item(f"s{i}", "signature", 0.9, 40) for i in range(4)]  # 44 tokens each with the path line
    wins = [item(f"w{i}", "analogy", 0.3 - i / 100, 40) for i in range(3)]
    by_score = pack(sigs + wins, 180, words)
    assert {c.kind for c in by_score} == {"signature"}  # the signatures' rule-of-thumb scores win everything
    shared = pack(sigs + wins, 180, words, reserve={"analogy": 0.5})
    assert [c.key for c in shared] == ["w0", "w1", "s0", "s1"]  # 88 tokens of windows first, then by score
    assert sum(c.cost for c in shared) <= 180
    only_sigs = pack(sigs, 180, words, reserve={"analogy": 0.5})  # nothing to reserve for: no room lost
    assert len(only_sigs) == 4


@settings(max_examples=200, deadline=None)
@given(candidates, st.integers(-5, 800), st.floats(0.0, 1.0))
def test_packing_with_a_reserve_never_exceeds_the_budget(cands, budget, share):
    chosen = pack(cands, budget, words, reserve={"analogy": share})
    assert sum(c.cost for c in chosen) <= max(budget, 0)
    assert len({c.key for c in chosen}) == len(chosen)
