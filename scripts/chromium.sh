#!/usr/bin/env bash
# Install Debian's chromium for browser/screenshot tests if missing; print its path.
#   CHROME=$(scripts/chromium.sh)
# Only the path goes to stdout; apt chatter goes to stderr so $(...) works.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

# fonts-dejavu-core: without any font, screenshots render text as empty boxes.
fonts=$(dpkg-query -W -f='${db:Status-Status}' fonts-dejavu-core 2>/dev/null || true)
if [[ ! -x $CHROMIUM || $fonts != installed ]]; then
  sudo=()
  [[ $EUID -eq 0 ]] || sudo=(sudo)
  echo "chromium.sh: installing chromium with apt-get" >&2
  # Wait for the apt/dpkg lock rather than fail if another job is using apt.
  apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
  "${apt[@]}" update >&2
  "${apt[@]}" install -y --no-install-recommends chromium fonts-dejavu-core >&2
fi
echo "$CHROMIUM"
