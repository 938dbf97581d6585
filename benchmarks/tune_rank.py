"""Tune the ranking weights offline on saved candidates (ranking is pure: no model calls).

    .venv/bin/python -m benchmarks.tune_rank dev.json [test.json]

Reads the candidates `benchmarks.quality --out` saved, re-ranks them under a
grid of weights, and prints exact match of the first candidate for each
setting — on the file it tunes on and, for the best few, on a second file (use
a different seed: weights chosen on the numbers you report are over-fitted).
"""
from __future__ import annotations

import itertools
import json
import sys

from benchmarks.quality import exact
from completion.rank import Candidate, RankContext, RankWeights, rank


def first_exact(rows: list[dict], w: RankWeights) -> int:
    hits = 0
    for r in rows:
        cands = [Candidate(c["text"], c["mean_logprob"], c["source"], raw=c["raw"], tokens=c["tokens"],
                           changed=tuple(c["changed"]), first_prob=c["first_prob"]) for c in r["candidate_list"]]
        ctx = RankContext(**r["rank_context"])
        ranked = rank(cands, ctx, w)
        hits += bool(ranked) and exact(ranked[0].text, r["target"])
    return hits


def greedy_exact(rows: list[dict]) -> int:
    return sum(exact(r["healed"], r["target"]) for r in rows)


def main() -> None:
    dev = json.load(open(sys.argv[1]))["rows"]
    test = json.load(open(sys.argv[2]))["rows"] if len(sys.argv) > 2 else []
    grid = itertools.product((0.0, 0.25, 0.5, 1.0), (0.0, 0.04, 0.08, 0.16), (0.0, 0.15, 0.3, 0.6), (0.0, 1.0))
    results = []
    for repaired, length, overlap, repeat in grid:
        w = RankWeights(repaired=repaired, length=length, overlap=overlap, repeat=repeat)
        results.append((first_exact(dev, w), w))
    results.sort(key=lambda x: -x[0])
    default = RankWeights()
    print(f"dev: {len(dev)} cases; greedy exact {greedy_exact(dev)}; default weights {first_exact(dev, default)}")
    if test:
        print(f"test: {len(test)} cases; greedy exact {greedy_exact(test)}; default weights {first_exact(test, default)}")
    for hits, w in results[:10]:
        extra = f"  test {first_exact(test, w)}" if test else ""
        print(f"  dev {hits}{extra}  repaired={w.repaired} length={w.length} overlap={w.overlap} repeat={w.repeat}")


if __name__ == "__main__":
    main()
