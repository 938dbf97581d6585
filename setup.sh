#!/usr/bin/env bash
# One command: set everything up, then run a real completion with the bundled model.
set -euo pipefail
cd "$(dirname "$0")"
exec python3 scripts/bootstrap.py "$@"
