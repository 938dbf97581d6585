"""The extension's own checks, run from the Python suite so CI runs them: strict tsc,
eslint, and the node:test unit tests of its pure modules (settings, status, server
location, model list, protocol). They need node and npm (skipped with the reason if absent)."""
from __future__ import annotations

import re

import pytest

from tests.editors.tools import npm_script

pytestmark = pytest.mark.editors


def test_typescript_compiles_and_unit_tests_pass():
    output = npm_script("test")
    match = re.search(r"^# pass (\d+)\s*^# fail (\d+)", output, re.M)
    assert match, output[-2000:]
    passed, failed = int(match.group(1)), int(match.group(2))
    assert failed == 0 and passed >= 20, output[-4000:]


def test_eslint_is_clean():
    npm_script("lint")
