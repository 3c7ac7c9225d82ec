#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine with Node 20.19+:
# npm dependencies (better-sqlite3 builds from source against Node's own headers),
# git, nats-server and tmux (through apt-get when missing and root), then builds dist/ and bundles
# the CLIs into dist/cli-bundle/ (scripts/bundle.mjs).
# Idempotent: a second run does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export npm_config_nodedir="${npm_config_nodedir:-/usr}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.stdout.write(String(a>20||(a===20&&b>=19)))')
if [ "$node_ok" != "true" ]; then
  echo "setup: Node $(node --version) is too old: install Node 20.19 or later" >&2
  exit 1
fi

missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing ${missing[*]}: install with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

stamp=node_modules/.setup-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "setup: npm ci (better-sqlite3 compiles from source: about 80 s the first time)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

echo "setup: building dist/"
npx tsc -p tsconfig.build.json
node scripts/bundle.mjs
