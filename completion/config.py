"""Settings the completion pipeline consumes; composed into the tree in lsp/settings.py."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CompletionSettings:
    enabled: bool = True
    disabled_languages: list[str] = field(default_factory=list)
    max_tokens: int = 64
    max_lines: int = 12
    prefix_tokens: int = 1024  # budget for the text before the cursor
    suffix_tokens: int = 128  # kept short: the suffix is re-evaluated on every keystroke
    deadline_ms: int = 4000  # after this, return what is ready or nothing
    single_line_mid_line: bool = True
    token_healing: bool = True  # re-generate the partial token before the cursor (see completion/heal.py)
    syntax_mode: bool = True  # decide line-or-block from the tree-sitter tree where a grammar exists
    syntax_gate: bool = True  # trim or drop completions that make the code around the cursor parse worse
    # Completions to rank (1: greedy only); extra ones branch after the prompt. Off by
    # default: on rest-of-line cases they never added an exact match (docs/quality.md)
    # and each one costs a full line of generation.
    candidates: int = 1
    candidate_budget_ms: int = 400  # time the extra candidates may take after the first one
    candidate_min_prob: float = 0.1  # an extra candidate's first token needs at least this probability
    completion_fallback: bool = False  # also answer textDocument/completion (clients without inline)
    temperature: float = 0.0
    seed: int = 0  # sampling seed when temperature > 0 (fixed: the same request gives the same answer)


@dataclass
class ContextSettings:
    enabled: bool = True
    budget_tokens: int = 512
    analogy: bool = True
    signatures: bool = True
    index: bool = True
    max_file_kb: int = 512
    exclude: list[str] = field(default_factory=lambda: [".env", ".env.*", "*.pem", "*.key", "id_rsa*", "*secret*", "*credential*"])
