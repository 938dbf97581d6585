"""Settings the completion pipeline consumes; composed into the tree in lsp/settings.py."""
from __future__ import annotations

from dataclasses import dataclass, field

from completion.secrets import SECRET_FILE_PATTERNS


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
    """Repository context (analogy windows + signatures) and the index behind it (docs/context.md)."""

    enabled: bool = True
    budget_tokens: int = 512  # one budget for every context item; packed by score per token
    analogy: bool = True  # windows that look like the code at the cursor
    signatures: bool = True  # signatures/skeletons of names near the cursor, resolved through imports
    usages: bool = False  # at `name.|`: lines elsewhere that use `name.` (off: no gain measured, docs/context.md)
    index: bool = True  # index the workspace folders (off: open documents only)
    max_file_kb: int = 512  # larger files are not indexed
    # Files never read into a prompt as context; also never sent to a remote backend as the
    # file being edited (see completion/secrets.py). gitignore-like, case-insensitive.
    exclude: list[str] = field(default_factory=lambda: list(SECRET_FILE_PATTERNS))
    max_files: int = 50000  # per workspace folder; the walk stops there (50,000: ~25 s at nice 10, +20 MB; docs/robustness.md)
    index_dir: str = ""  # where index databases live (default: the user cache dir; TABSTOP_INDEX_DIR)
    sticky_lines: int = 24  # keep a document's context while the cursor stays this close to where it was gathered (KV reuse)
    max_windows: int = 8  # analogy candidates considered per request (after de-duplication)
    analogy_share: float = 0.6  # analogy windows are packed first into this share of the budget (docs/context.md)
    recent_edits: int = 16  # recently edited places remembered as analogy candidates
    keep_imports: bool = True  # offer the file's import block when the prefix window has cut it off
    member_rule: bool = True  # at `name.|`, hold the member to the names `name` is known to have (runtime/members.py)
    imports_after_chars: int = 3000  # ... that is, when the cursor is this far below the import block
