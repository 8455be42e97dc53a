#!/usr/bin/env bash
# Builds the release binary and runs the scan benchmark (scripts/bench.py); prints one row per case.
# Data sets are generated once into bench-data/ (about 5 GB with the 10,000,000-row target).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .tools/venv/bin/python ]; then
  python3 -m venv .tools/venv
fi
.tools/venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
cargo build --release --quiet
exec .tools/venv/bin/python scripts/bench.py "$@"
