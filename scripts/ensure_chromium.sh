#!/usr/bin/env bash
# The browser tests drive Debian's chromium (Playwright cannot download its own browser here).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium is missing: install it with 'sudo apt-get install chromium' (the browser tests need it)" >&2
  exit 1
fi
