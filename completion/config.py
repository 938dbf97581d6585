"""Settings the completion pipeline consumes; composed into the tree in lsp/settings.py."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CompletionSettings:
    enabled: bool = True
    disabled_languages: list[str] = field(default_factory=list)
    max_tokens: int = 64
    max_lines: int = 12
    max_line_tokens: int = 24  # token cap when completing the rest of a line
    prefix_tokens: int = 1024  # budget for the text before the cursor
    suffix_tokens: int = 128  # kept short: the suffix is re-evaluated on every keystroke
    deadline_ms: int = 4000  # after this, return what is ready or nothing
    latency_budget_ms: int = 1500  # size cold prompts so the expected latency fits (0: off)
    debounce: bool = True  # adaptive debounce of automatic requests
    cache: bool = True  # LRU + typing-through reuse
    typed_middle: bool = True  # keep the prompt while typing on a line; typed text continues the middle
    prefetch: bool = True  # after an accept, start the next completion speculatively
    single_line_mid_line: bool = True
    token_healing: bool = True  # re-generate the partial word before the cursor (see completion/analyze.py)
    completion_fallback: bool = False  # also answer textDocument/completion (clients without inline)
    temperature: float = 0.0


@dataclass
class ContextSettings:
    enabled: bool = True
    budget_tokens: int = 512
    analogy: bool = True
    signatures: bool = True
    index: bool = True
    max_file_kb: int = 512
    exclude: list[str] = field(default_factory=lambda: [".env", ".env.*", "*.pem", "*.key", "id_rsa*", "*secret*", "*credential*"])
