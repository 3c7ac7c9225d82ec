#!/usr/bin/env bash
# The README's test command: set up, type-check, lint, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: typecheck"
npx tsc -p . --noEmit
echo "test: lint"
npx eslint . --max-warnings=0
echo "test: format"
npx prettier --check . --log-level warn
echo "test: vitest"
npx vitest run "$@"
