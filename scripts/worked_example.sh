#!/usr/bin/env bash
# Builds the wheel into .tools/example-venv (with NannyML, the peer it is timed against) and runs
# scripts/worked_example.py, which prints docs/worked-example.md:
#   scripts/worked_example.sh > docs/worked-example.md
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/example-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-worked-example.txt
CARGO_TARGET_DIR="$(pwd)/target" "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
exec "$venv/bin/python" scripts/worked_example.py "$@"
