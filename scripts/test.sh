#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what the tests need, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test
echo "== ruff"
.venv/bin/ruff check toolkit tests bench
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
