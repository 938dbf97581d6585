"""Ranking of candidate completions: score terms, near-duplicates, determinism."""
import random

from completion.rank import Candidate, RankContext, RankWeights, new_identifiers, rank, score

CTX = RankContext(
    line_prefix="        return self.wid",
    prefix="class R:\n    def __init__(self, width, height):\n        self.width = width\n"
           "        self.height = height\n\n    def area(self):\n        return self.wid",
    suffix="\n",
)


def test_new_identifiers_include_the_word_being_finished():
    assert new_identifiers("th * self.height", "        return self.wid") == ["width", "self", "height"]


def test_nearby_names_beat_invented_ones_at_equal_logprob():
    known = Candidate("th * self.height", -0.5)
    invented = Candidate("th * self.heigth_value", -0.5, source="branch")
    ranked = rank([invented, known], CTX)
    assert [c.text for c in ranked] == [known.text, invented.text]


def test_repaired_candidates_rank_lower():
    a = Candidate("th * self.height", -0.4, changed=("syntax_gate",))
    b = Candidate("th * self.height + 0", -0.45, source="branch")
    assert rank([a, b], CTX)[0].text == b.text
    assert score(a, CTX).parts["repaired"] < 0
    assert score(b, CTX).parts["repaired"] == 0


def test_repeating_the_line_above_is_penalized():
    ctx = RankContext(line_prefix="    ", prefix="def f(a):\n    total = a + 1\n    ", suffix="\n")
    copy = Candidate("total = a + 1", -0.1)
    new = Candidate("return total", -0.3, source="branch")
    assert rank([copy, new], ctx)[0].text == "return total"


def test_near_duplicates_and_empties_are_removed():
    cands = [Candidate("th * self.height", -0.3), Candidate("th *  self.height", -0.6, source="branch"),
             Candidate("   ", -0.1, source="branch"), Candidate("th + 1", -0.9, source="branch")]
    ranked = rank(cands, CTX)
    assert [c.text for c in ranked] == ["th * self.height", "th + 1"]


def test_ranking_is_deterministic_and_ties_keep_generation_order():
    rng = random.Random(1234)
    base = [Candidate(f"th * {rng.choice(['self.height', 'h', 'self.width'])} + {i}", round(rng.uniform(-2, 0), 1),
                      source="greedy" if i == 0 else "branch") for i in range(8)]
    first = [(c.text, c.score) for c in rank(list(base), CTX)]
    for _ in range(5):
        assert [(c.text, c.score) for c in rank(list(base), CTX)] == first
    tie = [Candidate("th", -1.0), Candidate("th2", -1.0, source="branch")]
    w = RankWeights(length=0.0, overlap=0.0)
    assert [c.text for c in rank(tie, CTX, w)] == ["th", "th2"]
