"""The VS Code extension declares every server setting, with the server's defaults.

`vscode-client/package.json#contributes.configuration` is what users see in the Settings
UI; the extension sends those values (minus its own `tabstop.server.*`) as
`initializationOptions`. A setting added to lsp/settings.py without a declaration there
cannot be set from VS Code, so this test fails until it is declared.
"""
from __future__ import annotations

import dataclasses
import json
import re
import typing

from lsp.settings import Settings, parse_settings
from tests.conftest import ROOT

PACKAGE = json.loads((ROOT / "vscode-client" / "package.json").read_text())
PROPERTIES: dict[str, dict] = PACKAGE["contributes"]["configuration"]["properties"]
CLIENT_ONLY = "tabstop.server."
SECRET = {"remote.api_key"}  # comes from VS Code's secret storage, never from settings.json


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def _leaves(cls: type, obj, path: str = ""):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            yield from _leaves(hints[f.name], getattr(obj, f.name), f"{path}{f.name}.")
        else:
            yield f"{path}{f.name}", getattr(obj, f.name)


def _vscode_key(dotted: str) -> str:
    return "tabstop." + ".".join(_camel(part) for part in dotted.split("."))


def test_every_server_setting_is_declared_with_its_default():
    missing, wrong = [], []
    for dotted, default in _leaves(Settings, Settings()):
        if dotted in SECRET:
            continue
        key = _vscode_key(dotted)
        if key not in PROPERTIES:
            missing.append(key)
        elif PROPERTIES[key].get("default") != default:
            wrong.append(f"{key}: {PROPERTIES[key].get('default')!r} != {default!r}")
        elif not (PROPERTIES[key].get("description") or PROPERTIES[key].get("markdownDescription")):
            wrong.append(f"{key}: no description")
    assert not missing, f"declare these in vscode-client/package.json: {missing}"
    assert not wrong, wrong


def test_declared_defaults_parse_cleanly_into_the_default_tree():
    """What the extension sends with untouched settings is exactly the server's defaults, with no warnings."""
    tree: dict = {}
    for key, spec in PROPERTIES.items():
        if key.startswith(CLIENT_ONLY):
            continue
        *parents, leaf = key.removeprefix("tabstop.").split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = spec["default"]
    settings, warnings = parse_settings({"tabstop": tree})
    assert warnings == []
    assert settings == Settings()


def test_enums_match_the_server_choices():
    from lsp.settings import _CHOICES

    for dotted, choices in _CHOICES.items():
        assert PROPERTIES[_vscode_key(dotted)].get("enum") == list(choices), dotted
