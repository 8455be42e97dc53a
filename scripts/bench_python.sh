#!/usr/bin/env bash
# Builds the wheel into .tools/bench-venv (with Evidently, the tool compared against) and runs
# scripts/bench_python.py: driftscan.scan versus Evidently's DataDriftPreset on two pandas
# DataFrames in memory. Arguments go to the script (e.g. --rows 200000).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-bench-python.txt
CARGO_TARGET_DIR="$(pwd)/target" "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
exec "$venv/bin/python" scripts/bench_python.py "$@"
