"""The context sub-tree of the settings: new keys parse from camelCase, bad values fall back."""
from __future__ import annotations

from lsp.settings import parse_settings


def test_context_settings_parse_and_validate():
    settings, warnings = parse_settings({"context": {"maxWindows": 4, "indexDir": "/tmp/x", "keepImports": False,
                                                     "budgetTokens": -3, "maxFiles": "many"}})
    c = settings.context
    assert (c.max_windows, c.index_dir, c.keep_imports) == (4, "/tmp/x", False)
    assert c.budget_tokens == 512 and c.max_files == 50000  # invalid: defaults kept
    assert len(warnings) == 2
