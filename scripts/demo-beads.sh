#!/usr/bin/env bash
# Sets up, then shows the Beads store and the `bd` CLI on a real Beads export
# (the 704-bead file from the Beads repository itself, in ../shared/fixtures/beads).
# `npm run demo:beads`. It exits non-zero if any step fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh" >/dev/null
fixture="${DEMO_FIXTURE:-$root/../shared/fixtures/beads/beads-repo-2026-03-10.issues.jsonl}"
[ -f "$fixture" ] || { echo "demo: fixture not found: $fixture" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/bd-demo-XXXXXX")"
trap 'rm -rf "$work"' EXIT
bd() { node "$root/bin/bd.js" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
export BD_ACTOR=overseer GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.invalid \
  GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.invalid
cd "$work"

step "bd init --prefix bd   (a store in $work/.beads, in its own git repository)"
bd init --prefix bd

step "bd import $(basename "$fixture")   (a real Beads export: 704 beads, epics, blocks edges, wisps)"
bd import "$fixture"

step "bd status"
bd status

step "bd ready -n 10   (Beads' rules: open or in progress, not blocked, not deferred, no wisps)"
bd ready -n 10
ready_count=$(bd ready --json -n 100000 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))')
echo "ready beads: $ready_count"

step "bd blocked   (first lines)"
bd blocked | head -n 8

step "A new piece of work: an epic with two children, one blocking the other"
epic=$(bd q "Demo: ship the store" -t epic -p 1)
first=$(bd q "Write the schema" --parent "$epic" -p 1)
second=$(bd q "Benchmark it" --parent "$epic" -p 2 --deps "blocks:$first")
echo "epic $epic, children $first and $second"
bd dep tree "$epic" --direction up

step "Two agents claim the same bead: one wins"
bd update "$first" --claim --actor agent-a
if bd update "$first" --claim --actor agent-b 2>"$work/claim.err"; then
  echo "demo: the second claim should have failed" >&2; exit 1
fi
echo "agent-b: $(cat "$work/claim.err")"

step "Close the blocker: the blocked child becomes ready"
bd close "$first" -r "done in the demo" --actor agent-a
bd ready --json -n 100000 | node -e '
  let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{
    const ids = JSON.parse(s).map(b=>b.id);
    if (!ids.includes(process.argv[1])) { console.error("demo: " + process.argv[1] + " is not ready"); process.exit(1); }
    console.log(process.argv[1] + " is ready now");
  });' "$second"

step "The canonical JSONL is committed in the store's git repository"
git -C "$work" log --oneline -n 5 -- .beads/issues.jsonl
lines=$(wc -l < "$work/.beads/issues.jsonl")
echo ".beads/issues.jsonl: $lines lines (wisps stay in the database, never in the file)"

step "Export, re-import into a second store, compare"
bd export --all -o "$work/all.jsonl"
mkdir "$work/copy" && cd "$work/copy"
bd init --prefix bd >/dev/null
bd import "$work/all.jsonl" >/dev/null
a=$(cd "$work" && bd export --all | sha256sum)
b=$(bd export --all | sha256sum)
[ "$a" = "$b" ] || { echo "demo: the round trip changed the export" >&2; exit 1; }
echo "round trip: byte-identical export ($(wc -l < "$work/all.jsonl") beads including wisps)"

printf '\n\033[1mdemo: ok\033[0m\n'
