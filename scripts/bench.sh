#!/usr/bin/env bash
# Builds the release binary and runs the benchmarks; prints one row per case.
#
#   scripts/bench.sh [args]          scan benchmark (scripts/bench.py): CSV and Parquet, 1M and 10M rows
#   scripts/bench.sh --blob [args]   detector run reading its snapshot from Azurite (scripts/bench_blob.py)
#   scripts/bench.sh --windows [args] a 90-day rolling reference: cached day profiles vs re-reading
#                                    (scripts/bench_windows.py)
#   scripts/bench.sh --performance [args] performance estimation (CBPE, DLE) against NannyML
#                                    (scripts/bench_performance.py, in .tools/example-venv)
#
# Data sets are generated once into bench-data/ (about 5 GB with the 10,000,000-row target).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .tools/venv/bin/python ]; then
  python3 -m venv .tools/venv
fi
.tools/venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt -r scripts/requirements-bench.txt
cargo build --release --quiet
if [ "${1:-}" = "--performance" ]; then
  shift
  venv=.tools/example-venv
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-worked-example.txt
  exec "$venv/bin/python" scripts/bench_performance.py "$@"
fi
if [ "${1:-}" = "--windows" ]; then
  shift
  exec .tools/venv/bin/python scripts/bench_windows.py "$@"
fi
if [ "${1:-}" = "--blob" ]; then
  shift
  if [ ! -x .tools/node_modules/.bin/azurite-blob ]; then
    (mkdir -p .tools && cd .tools && npm install --silent --no-audit --no-fund --prefix . azurite@3.35.0)
  fi
  exec .tools/venv/bin/python scripts/bench_blob.py "$@"
fi
exec .tools/venv/bin/python scripts/bench.py "$@"
