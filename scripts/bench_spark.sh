#!/usr/bin/env bash
# Builds the wheel into .tools/bench-spark-venv with pyspark and whylogs (the Spark profiler
# compared against) and runs scripts/bench_spark.py: 10,000,000 x 20 rows of Parquet profiled by
# the command, by driftscan.spark.profile on Spark in local mode, and by whylogs on Spark.
# Needs Java 17 or newer (Debian: default-jre-headless). Arguments go to the script.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/bench-spark-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-bench-spark.txt
CARGO_TARGET_DIR="$(pwd)/target" "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
exec "$venv/bin/python" scripts/bench_spark.py "$@"
