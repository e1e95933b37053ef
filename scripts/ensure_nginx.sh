#!/usr/bin/env bash
# `make serve` and the proxy test put Debian's nginx in front of the app's replicas.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
else
  echo "nginx is missing: install it with 'sudo apt-get install nginx' (make serve and the proxy test need it)" >&2
  exit 1
fi
