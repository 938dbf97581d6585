"""Plain dataclasses at the boundary between the lsp layer and the completion logic."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    """One completion request, in code points (the lsp layer converts encodings)."""

    uri: str
    text: str
    offset: int  # cursor, as an index into `text`
    language: str = ""
    path: str = ""  # file-system path when the URI is a file: URI
    version: int | None = None
    trigger: str = "invoked"  # invoked | automatic
    request_id: str = ""
    workspace_folders: tuple[str, ...] = ()
    selected_completion: str = ""  # text of the completion-popup item the editor has selected

    @property
    def prefix(self) -> str:
        return self.text[: self.offset]

    @property
    def suffix(self) -> str:
        return self.text[self.offset:]

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.offset)

    @property
    def line_prefix(self) -> str:
        return self.text[self.text.rfind("\n", 0, self.offset) + 1 : self.offset]

    @property
    def line_suffix(self) -> str:
        end = self.text.find("\n", self.offset)
        return self.text[self.offset : end if end >= 0 else len(self.text)]


@dataclass
class Suggestion:
    id: str
    text: str  # inserted at the cursor
    mean_logprob: float | None = None
    score: float = 0.0


@dataclass
class CompletionInfo:
    """What happened, for logs, `tabstop complete`, benchmarks and telemetry."""

    model: str = ""
    backend: str = ""
    mode: str = ""
    skipped: str = ""  # non-empty: why no model call was made
    cache_hit: bool = False
    stop_reason: str = ""
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    generated_tokens: int = 0
    context_items: int = 0
    context_tokens: int = 0
    context_ms: float = 0.0  # time spent gathering repository context
    prompt_ms: float = 0.0
    generate_ms: float = 0.0
    total_ms: float = 0.0
    mean_logprob: float | None = None
    extra_layout: str = ""  # full | shrunk | typed-middle
    raw_text: str = ""
    prompt_text: str = ""
    context_report: list[str] = field(default_factory=list)
    heal: str = ""  # text cut from the prompt and regenerated (token healing)
    mode_source: str = ""  # syntax | text: what decided line-or-block
    candidates: int = 0  # completions generated (before ranking and de-duplication)
    greedy_text: str = ""  # the plain greedy completion after post-processing (to compare with the ranked first)
    post_changed: list[str] = field(default_factory=list)  # filters that changed the greedy completion
    step_ms: dict[str, float] = field(default_factory=dict)  # analyze, postprocess, syntax_gate, rank, alternatives
    candidate_list: list[dict] = field(default_factory=list)  # every candidate before ranking (text, source, logprob…)


@dataclass
class CompletionResponse:
    items: list[Suggestion]
    info: CompletionInfo
