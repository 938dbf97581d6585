#!/usr/bin/env bash
# One command: make sure the set-up is complete (fast when cached), then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
python3 scripts/bootstrap.py --no-demo
exec .venv/bin/python -m pytest "$@"
