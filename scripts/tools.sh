#!/usr/bin/env bash
# Install (if missing) what the signing-guide examples and the reference tests need besides Python packages:
# jq, curl and openssl for the shell example, Node.js 20+ and npm for the jose example, and the example's pinned
# npm dependencies (npm ci from docs/examples/node/package-lock.json). Idempotent: does nothing when all is there.
#   scripts/tools.sh          (Chromium for the browser tests: scripts/chromium.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in jq curl openssl; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)) || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]})); then
  sudo=()
  [[ $EUID -eq 0 ]] || sudo=(sudo)
  echo "tools.sh: installing ${missing[*]} with apt-get" >&2
  # Wait for the apt/dpkg lock rather than fail if another job is using apt.
  apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
  "${apt[@]}" update >&2
  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
  echo "tools.sh: Node.js $node_major is too old for the jose example (20+ needed)" >&2
  exit 1
fi

# The exact jose version of the lockfile; skipped when node_modules already matches it.
if [[ ! -f docs/examples/node/node_modules/.package-lock.json ]] \
  || ! cmp -s <(jq -S .packages docs/examples/node/package-lock.json | jq -S 'del(."")') \
    <(jq -S .packages docs/examples/node/node_modules/.package-lock.json); then
  (cd docs/examples/node && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
