"""Between generation and the editor: every candidate post-processed, then ranked.

Kept out of engine.py so the engine stays a readable sequence of steps. Also
home of the small helpers the benchmarks reuse to rebuild exactly what the
engine saw (`near_cursor`, `post_context`).
"""
from __future__ import annotations

import time

from completion.config import CompletionSettings
from completion.postprocess import PostContext
from completion.postprocess.pipeline import run_filters
from completion.rank import Candidate, RankContext, rank
from completion.types import CompletionInfo, Request
from runtime.backend import GenerationResult

NEAR_CHARS = 16_000  # text on each side of the cursor that analysis may look at (it needs ~100 lines)


def near_cursor(request: Request) -> tuple[str, str]:
    """Bounded slices before/after the cursor, so analysis costs the same in a 10k-line file."""
    return (request.text[max(0, request.offset - NEAR_CHARS) : request.offset],
            request.text[request.offset : request.offset + NEAR_CHARS])


def post_context(request: Request, prefix: str, suffix: str, mode: str, s: CompletionSettings) -> PostContext:
    """What the filters and the stop rule know about this request (prefix/suffix: the prompt windows)."""
    return PostContext(
        line_prefix=request.line_prefix, line_suffix=request.line_suffix, suffix=suffix, prefix=prefix,
        mode=mode, max_lines=s.max_lines, language=request.language, document_prefix=request.prefix,
        disabled=frozenset() if s.syntax_gate else frozenset({"syntax_gate"}),
    )


def finish_candidates(result: GenerationResult, post: PostContext, info: CompletionInfo) -> list[Candidate]:
    """Post-process every candidate, rank them, and record what each step cost (runs off the event loop)."""
    t0 = time.perf_counter()
    raw = [(result.text, result.mean_logprob, "greedy", result.tokens, None)]
    raw += [(a.text, a.mean_logprob, "branch", a.tokens, a.first_prob) for a in result.alternatives]
    candidates: list[Candidate] = []
    gate_ms = 0.0
    for text, logprob, source, tokens, first_prob in raw:
        done = run_filters(text, post)
        gate_ms += done.ms.get("syntax_gate", 0.0)
        candidates.append(Candidate(done.text, logprob, source, raw=text, tokens=tokens,
                                    changed=tuple(done.changed), first_prob=first_prob))
    info.candidates = len(candidates)
    info.candidate_list = [{"text": c.text, "raw": c.raw, "source": c.source, "mean_logprob": c.mean_logprob,
                            "tokens": c.tokens, "changed": list(c.changed), "first_prob": c.first_prob}
                           for c in candidates]
    info.greedy_text, info.post_changed = candidates[0].text, list(candidates[0].changed)
    t1 = time.perf_counter()
    ranked = rank(candidates, RankContext(line_prefix=post.line_prefix, prefix=post.prefix, suffix=post.suffix))
    info.step_ms["postprocess"] = (t1 - t0) * 1000
    info.step_ms["syntax_gate"] = gate_ms
    info.step_ms["rank"] = (time.perf_counter() - t1) * 1000
    info.step_ms["alternatives"] = sum(a.generate_ms for a in result.alternatives)
    return ranked
