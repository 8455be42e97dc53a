#!/usr/bin/env bash
# Bounded load on the REST API over loopback (scripts/load.py): requests/s, p50/p99 and the
# server's peak RSS for GET /, /output of 1 and 30 days with a year of history stored, and eight
# concurrent runs with a 140 MB baseline. Installs wrk from Debian when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi
if [ ! -x .tools/venv/bin/python ]; then
  python3 -m venv .tools/venv
fi
.tools/venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
cargo build --release --quiet
exec .tools/venv/bin/python scripts/load.py "$@"
