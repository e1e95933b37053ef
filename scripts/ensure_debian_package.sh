#!/usr/bin/env bash
# ensure_debian_package.sh COMMAND PACKAGE WHY: install Debian's PACKAGE if COMMAND is missing (as root; otherwise
# say how). The browser tests drive Debian's chromium (Playwright cannot download its own browser here); `make
# serve` and the proxy test put Debian's nginx in front of the app.
set -euo pipefail
command_name=$1 package=$2 why=$3
if command -v "$command_name" >/dev/null 2>&1 || [ -x "/usr/sbin/$command_name" ]; then exit 0; fi
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
else
  echo "$command_name is missing: install it with 'sudo apt-get install $package' ($why)" >&2
  exit 1
fi
