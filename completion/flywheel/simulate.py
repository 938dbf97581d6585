"""Labelled completion events without users: replay re-typing traces of real files.

A simulated user re-types lines of a repository's files. At each chosen line
the rest of the line is removed (the user is about to type it) and the
completion engine — the real model — is asked for a suggestion, exactly as the
server asks it, through the same `FeedbackTracker` (filter gate, events,
implicit rejects). The simulated user then acts on what was really typed next:

- the suggestion's first line equals the rest of the real line → accept (then,
  once the line is finished, the "how much survived" outcome is measured
  against the real file, so wrong extra lines count as not surviving);
- else, if it agrees with the real text word by word for at least half of its
  first line and at least 8 characters → partial accept of those words
  (`didPartiallyAcceptCompletion` semantics; nobody reaches for accept-word to
  take a lone `return` from an otherwise wrong line — they type it);
- else reject: explicitly (Escape) with probability `explicit_reject_rate`,
  otherwise implicitly — the user types the next word and the next request
  finds the old suggestion typed over.

Time is simulated (typing speed, a latency model, pauses between lines) so the
features that depend on time do not depend on how loaded this machine is, and
a run is reproducible for a given model, files and seed.
"""
from __future__ import annotations

import logging
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from completion.engine import CompletionEngine
from completion.flywheel.tracker import FeedbackTracker
from completion.languages import language_for
from completion.types import Request

log = logging.getLogger(__name__)
_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s]+)")


@dataclass
class SimConfig:
    max_suggestions: int = 300
    lines_per_file: int = 16
    attempts_per_line: int = 3
    explicit_reject_rate: float = 0.3
    typing_cps: float = 7.0  # simulated typing speed, characters per second
    seed: int = 0
    min_line_chars: int = 6
    min_partial_chars: int = 8


@dataclass
class SimResult:
    files: int = 0
    requests: int = 0
    suggestions: int = 0
    accepted: int = 0
    partial: int = 0
    rejected_explicit: int = 0
    not_taken: int = 0  # neither accepted nor rejected by the user: the tracker judges (typed over / through)
    empty: int = 0
    skipped_by_filter: int = 0
    seconds: float = 0.0
    per_file: dict[str, int] = field(default_factory=dict)

    @property
    def taken(self) -> float:
        """Share of suggestions accepted or partially accepted."""
        return (self.accepted + self.partial) / self.suggestions if self.suggestions else 0.0


class SimClock:
    """Simulated wall clock (unix seconds), advanced by the simulated user."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def word_prefix(suggestion: str, truth: str) -> int:
    """Length of the longest common prefix of the two that ends on a word boundary of both."""
    n = 0
    limit = min(len(suggestion), len(truth))
    while n < limit and suggestion[n] == truth[n]:
        n += 1
    while n > 0:
        at_end_s = n == len(suggestion) or not (suggestion[n].isalnum() or suggestion[n] == "_")
        at_end_t = n == len(truth) or not (truth[n].isalnum() or truth[n] == "_")
        if at_end_s and at_end_t and (suggestion[n - 1].isalnum() or suggestion[n - 1] == "_"):
            return n
        n -= 1
    return 0


def choose_lines(text: str, count: int, rng: random.Random, min_chars: int) -> list[int]:
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines) if len(line.strip()) >= min_chars]
    if len(candidates) <= count:
        return candidates
    return sorted(rng.sample(candidates, count))


def start_column(line: str, rng: random.Random) -> int:
    """Where re-typing starts: the start of the code (half the time) or after a random token."""
    indent = len(line) - len(line.lstrip())
    ends = [m.end() for m in _TOKEN.finditer(line, indent) if m.end() < len(line.rstrip())]
    if not ends or rng.random() < 0.5:
        return indent
    return rng.choice(ends)


async def simulate(engine: CompletionEngine, tracker: FeedbackTracker, files: Sequence[Path], root: Path,
                   cfg: SimConfig, clock: SimClock) -> SimResult:
    rng = random.Random(cfg.seed)
    result = SimResult()
    t0 = time.perf_counter()
    order = list(files)
    rng.shuffle(order)
    version = 0
    for path in order:
        if result.suggestions >= cfg.max_suggestions:
            break
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        language = language_for(str(path))
        uri = path.resolve().as_uri()
        result.files += 1
        lines = text.split("\n")
        starts = [0]
        for line in lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        before_count = result.suggestions
        for i in choose_lines(text, cfg.lines_per_file, rng, cfg.min_line_chars):
            if result.suggestions >= cfg.max_suggestions:
                break
            line = lines[i]
            col = start_column(line, rng)
            line_end = starts[i] + len(line)
            clock.advance(rng.uniform(1.0, 6.0))  # moving to the line, thinking
            for _attempt in range(cfg.attempts_per_line):
                cursor = starts[i] + col
                doc = text[:cursor] + text[line_end:]  # the rest of the line is not typed yet
                truth = line[col:]
                if not truth.strip():
                    break
                version += 1
                request = Request(uri=uri, text=doc, offset=cursor, language=language, path=str(path),
                                  version=version, trigger="automatic", request_id=str(version),
                                  workspace_folders=(str(root),))
                result.requests += 1
                decision = tracker.before(request)
                if decision.skip:
                    result.skipped_by_filter += 1
                    response = None
                else:
                    response = await engine.complete(request)
                    clock.advance(0.25 + 0.03 * response.info.generated_tokens)  # latency model, not this CPU
                    response = tracker.after(request, response, decision)
                if response is None or not response.items:
                    if response is not None:
                        result.empty += 1
                else:
                    s = response.items[0]
                    result.suggestions += 1
                    tracker.shown(s.id)
                    clock.advance(0.4 + rng.uniform(0.0, 0.8))  # reading it
                    sug = first_line(s.text)
                    if sug.strip() and sug.rstrip() == truth.rstrip():
                        tracker.accepted(s.id)
                        result.accepted += 1
                        clock.advance(2.0)
                        tracker.outcome(s.id, text)  # the file as it was really written
                        break
                    n = word_prefix(sug, truth)
                    if n >= max(cfg.min_partial_chars, len(sug.rstrip()) / 2):
                        tracker.partial(s.id, n)
                        result.partial += 1
                        clock.advance((len(truth) - n) / cfg.typing_cps + 2.0)
                        tracker.outcome(s.id, text)
                        break
                    if rng.random() < cfg.explicit_reject_rate:
                        tracker.rejected(s.id, "explicit")
                        result.rejected_explicit += 1
                    else:
                        result.not_taken += 1  # the next request tells the tracker: typed over (or through)
                m = _TOKEN.match(line, col)  # the user types the next word
                if m is None or m.end() >= len(line.rstrip()):
                    break
                clock.advance((m.end() - col) / cfg.typing_cps)
                col = m.end()
        result.per_file[str(path.relative_to(root) if path.is_relative_to(root) else path)] = \
            result.suggestions - before_count
        tracker.dismiss_document(uri)  # leaving the file: what is still pending there was not taken
    result.seconds = time.perf_counter() - t0
    return result
