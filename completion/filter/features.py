"""The acceptance filter's features, in the spirit of Copilot's contextual filter.

Two groups, because the server uses them at two moments:
- *pre-generation* features are known before the model runs (the cursor's
  surroundings, the language, what the user did with the previous suggestion and
  how long ago), so a model on them alone can skip generation altogether;
- *post-generation* features describe the suggestion itself (length, mean token
  log-probability, how generation stopped, context used).

Latency is stored with every event but is not a model input: it measures the
machine's load at that moment more than the suggestion, and a filter that
learned it would behave differently on a busy and an idle machine.

Raw values are stored with each telemetry event (JSON), and turned into a
vector only here, so a filter retrained later can use features differently
from the server that logged them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from completion.analyze import analyze, indentation
from completion.types import CompletionInfo, Request, Suggestion

LANGUAGES = ("python", "javascript", "typescript", "typescriptreact", "javascriptreact", "java", "go", "rust", "c",
             "cpp", "csharp", "ruby", "php", "shellscript")
CHAR_CLASSES = ("none", "letter", "digit", "space", "dot", "open", "close", "colon", "comma", "semicolon", "operator",
                "quote", "other")
OUTCOMES = ("none", "accepted", "rejected")
STOP_REASONS = ("eos", "stop", "rule", "length", "deadline", "cache", "other")
MODES = ("line", "block")
TRIGGERS = ("automatic", "invoked")
CONTEXT_KINDS = ("analogy", "signature", "import", "recent", "other")
NO_LOGPROB = -4.0  # stands in when a backend gives no log-probabilities


def char_class(ch: str) -> str:
    if not ch:
        return "none"
    if ch.isalpha() or ch == "_":
        return "letter"
    if ch.isdigit():
        return "digit"
    if ch.isspace():
        return "space"
    if ch == ".":
        return "dot"
    if ch in "([{<":
        return "open"
    if ch in ")]}>":
        return "close"
    if ch == ":":
        return "colon"
    if ch == ",":
        return "comma"
    if ch == ";":
        return "semicolon"
    if ch in "=+-*/%&|^!~?@":
        return "operator"
    if ch in "'\"`":
        return "quote"
    return "other"


@dataclass
class History:
    """What the user did recently in this server session (the contextual filter's strongest signals)."""

    last_outcome: str = "none"  # accepted | rejected | none
    last_event_time: float | None = None  # time.time() of the last shown/resolved suggestion
    recent: list[int] = field(default_factory=list)  # 1 accepted / 0 rejected, newest last

    def record(self, accepted: bool, now: float) -> None:
        self.last_outcome = "accepted" if accepted else "rejected"
        self.last_event_time = now
        self.recent = (self.recent + [1 if accepted else 0])[-10:]

    def touch(self, now: float) -> None:
        self.last_event_time = now


def pre_features(request: Request, history: History, now: float, *, single_line_mid_line: bool = True
                 ) -> dict[str, Any]:
    """Features known before generation (cheap: no model, no I/O)."""
    line_prefix, line_suffix = request.line_prefix, request.line_suffix
    stripped = request.prefix.rstrip()
    since = 3600.0 if history.last_event_time is None else max(0.0, min(3600.0, now - history.last_event_time))
    analysis = analyze(request, single_line_mid_line=single_line_mid_line)
    return {
        "language": request.language,
        "trigger": request.trigger,
        "mode": analysis.mode,
        "prev_outcome": history.last_outcome,
        "since_last_s": round(since, 3),
        "recent_accept_rate": (sum(history.recent) / len(history.recent)) if history.recent else None,
        "chars_before": len(line_prefix),
        "chars_after": len(line_suffix),
        "line_blank": not line_prefix.strip(),
        "whitespace_after": (not line_suffix) or line_suffix[0].isspace(),
        "prefix_end": char_class(line_prefix[-1:]),
        "prefix_end_trimmed": char_class(stripped[-1:]),
        "indent": len(indentation(line_prefix).expandtabs(4)),
        "doc_chars": len(request.text),
        "cursor_ratio": round(request.offset / max(1, len(request.text)), 4),
        "mid_word": bool(analysis.heal),
    }


def context_kinds(report: Iterable[str]) -> list[str]:
    """Kinds of context used, read from `CompletionInfo.context_report` lines (`score kind path`)."""
    kinds: list[str] = []
    for line in report:
        words = line.replace(",", " ").replace(":", " ").split()
        for word in words:
            w = word.lower()
            for kind in CONTEXT_KINDS[:-1]:
                if w.startswith(kind):
                    kinds.append(kind)
                    break
            else:
                continue
            break
        else:
            if line.strip():
                kinds.append("other")
    return sorted(set(kinds))


def post_features(suggestion: Suggestion | None, info: CompletionInfo) -> dict[str, Any]:
    """Features of the generated suggestion (or of an empty answer, when `suggestion` is None)."""
    text = suggestion.text if suggestion else ""
    lp = suggestion.mean_logprob if suggestion else None
    stripped = text.strip()
    return {
        "completion_chars": len(text),
        "completion_lines": text.count("\n") + 1 if text else 0,
        "completion_alnum": round(sum(c.isalnum() for c in stripped) / len(stripped), 3) if stripped else 0.0,
        "mean_logprob": None if lp is None else round(float(lp), 4),
        "generated_tokens": info.generated_tokens,
        "stop_reason": info.stop_reason or ("cache" if info.cache_hit else ""),
        "latency_ms": round(info.total_ms, 1),
        "prompt_tokens": info.prompt_tokens,
        "context_items": info.context_items,
        "context_tokens": info.context_tokens,
        "context_kinds": context_kinds(info.context_report),
        "cache_hit": bool(info.cache_hit),
    }


# -- vectorizing -------------------------------------------------------------------------------
def _log1p(x: Any) -> float:
    try:
        return math.log1p(max(0.0, float(x)))
    except (TypeError, ValueError):
        return 0.0


def _onehot(prefix: str, value: Any, vocab: Sequence[str], other: str | None = "other") -> dict[str, float]:
    value = str(value or "")
    if value not in vocab:
        value = other if other in vocab else (other or "")
    return {f"{prefix}={v}": 1.0 if v == value else 0.0 for v in vocab}


def _pre_vector(f: dict[str, Any]) -> dict[str, float]:
    v: dict[str, float] = {}
    v.update(_onehot("lang", f.get("language"), LANGUAGES + ("other",)))
    v.update(_onehot("trigger", f.get("trigger"), TRIGGERS, other="invoked"))
    v.update(_onehot("mode", f.get("mode"), MODES, other="line"))
    v.update(_onehot("prev", f.get("prev_outcome"), OUTCOMES, other="none"))
    v.update(_onehot("end", f.get("prefix_end"), CHAR_CLASSES))
    v.update(_onehot("end_trim", f.get("prefix_end_trimmed"), CHAR_CLASSES))
    v["since_last_log"] = _log1p(f.get("since_last_s", 3600.0))
    rate = f.get("recent_accept_rate")
    v["recent_rate"] = float(rate) if rate is not None else 0.5
    v["recent_known"] = 0.0 if rate is None else 1.0
    v["chars_before_log"] = _log1p(f.get("chars_before", 0))
    v["chars_after_log"] = _log1p(f.get("chars_after", 0))
    v["line_blank"] = float(bool(f.get("line_blank")))
    v["whitespace_after"] = float(bool(f.get("whitespace_after")))
    v["indent_log"] = _log1p(f.get("indent", 0))
    v["doc_chars_log"] = _log1p(f.get("doc_chars", 0))
    v["cursor_ratio"] = float(f.get("cursor_ratio") or 0.0)
    v["mid_word"] = float(bool(f.get("mid_word")))
    return v


def _post_vector(f: dict[str, Any]) -> dict[str, float]:
    v: dict[str, float] = {}
    v["completion_chars_log"] = _log1p(f.get("completion_chars", 0))
    v["completion_lines_log"] = _log1p(f.get("completion_lines", 0))
    v["completion_alnum"] = float(f.get("completion_alnum") or 0.0)
    lp = f.get("mean_logprob")
    v["mean_logprob"] = max(-10.0, float(lp)) if lp is not None else NO_LOGPROB
    v["logprob_known"] = 0.0 if lp is None else 1.0
    v["generated_tokens_log"] = _log1p(f.get("generated_tokens", 0))
    v.update(_onehot("stop", f.get("stop_reason"), STOP_REASONS))
    v["prompt_tokens_log"] = _log1p(f.get("prompt_tokens", 0))
    v["context_items_log"] = _log1p(f.get("context_items", 0))
    v["context_tokens_log"] = _log1p(f.get("context_tokens", 0))
    kinds = set(f.get("context_kinds") or ())
    for kind in CONTEXT_KINDS:
        v[f"ctx={kind}"] = 1.0 if kind in kinds else 0.0
    v["cache_hit"] = float(bool(f.get("cache_hit")))
    return v


def vectorize(features: dict[str, Any], stage: str = "full") -> dict[str, float]:
    """Named numeric features; `stage` is "pre" (before generation) or "full"."""
    v = _pre_vector(features)
    if stage == "full":
        v.update(_post_vector(features))
    return v


def feature_names(stage: str = "full") -> list[str]:
    return list(vectorize({}, stage))
