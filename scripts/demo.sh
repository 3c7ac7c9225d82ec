#!/usr/bin/env bash
# `npm run demo`: sets up, then runs a demo town end to end (examples/demo.ts, docs/demo.md): a rig
# from a small sample project with its own tests, ten beads slung as a convoy to four scripted
# polecats, progress shown live, every bead merged by the refinery with the tests green on main.
# It exits non-zero if any of that is not true. `npm run demo:beads` shows the store and bd alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh" >/dev/null
exec node "$root/dist/examples/demo.js" "$@"
