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
    prefix_tokens: int = 1024  # budget for the text before the cursor
    suffix_tokens: int = 128  # kept short: the suffix is re-evaluated on every keystroke
    deadline_ms: int = 4000  # after this, return what is ready or nothing
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
    # Files never read into a prompt as context; also never sent to a remote backend as the
    # file being edited (see completion/secrets.py). gitignore-like, case-insensitive.
    exclude: list[str] = field(default_factory=lambda: list(SECRET_FILE_PATTERNS))
