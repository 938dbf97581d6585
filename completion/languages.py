"""File extensions to LSP language ids (for the CLI, the index and the eval harness)."""
from __future__ import annotations

from pathlib import PurePath

EXTENSIONS = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".jsx": "javascriptreact", ".ts": "typescript", ".mts": "typescript", ".tsx": "typescriptreact",
    ".java": "java", ".go": "go", ".rs": "rust", ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp",
    ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".rb": "ruby", ".lua": "lua", ".sh": "shellscript",
    ".cs": "csharp", ".kt": "kotlin", ".swift": "swift", ".php": "php", ".sql": "sql",
}


def language_for(path: str) -> str:
    return EXTENSIONS.get(PurePath(path).suffix.lower(), "plaintext")
