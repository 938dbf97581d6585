"""Analogy windows: scoring against the query and the diversity re-score (pure functions)."""
from __future__ import annotations

from completion.context.analogy import Query, diversify
from completion.context.candidates import Candidate


def window(key: str, text: str, query: Query) -> Candidate:
    tokens = {w.lower() for w in text.replace("(", " ").replace(")", " ").replace(".", " ").split()}
    return Candidate(key=key, kind="analogy", path=f"{key}.py", text=text, score=query.score(tokens))


def test_a_window_covering_what_better_ones_do_not_moves_above_their_copies():
    """Files that open alike (tests/typing/* in click) cover the same terms; the one window that
    shares the cursor's rare names (`get_command`, `cmd_name`) comes second, not fourth."""
    weights = {"typing_extensions": 3.0, "assert_type": 3.0, "click": 1.0, "get_command": 2.5, "cmd_name": 2.0}
    query = Query(weights, sum(weights.values()))
    head = "from typing_extensions import assert_type\nimport click\n"
    heads = [window(f"typing_{i}", head + f"def f{i}(): pass", query) for i in range(3)]
    example = window("aliases", "import click\ndef get_command(self, ctx, cmd_name): pass", query)
    assert all(h.score > example.score for h in heads)  # alone, each head outranks the example
    ranked = diversify(heads + [example], query)
    assert [c.key for c in ranked][:2] == ["typing_0", "aliases"]
    scores = [c.score for c in ranked]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_distinct_windows_keep_their_order():
    weights = {"alpha": 1.0, "beta": 1.0, "gamma": 1.0}
    query = Query(weights, 3.0)
    a, b = window("a", "alpha beta", query), window("b", "gamma", query)
    assert [c.key for c in diversify([a, b], query)] == ["a", "b"]
    assert diversify([a], Query({}, 0.0)) == [a]  # no query: nothing to re-score
