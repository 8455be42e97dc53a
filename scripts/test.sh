#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need, then runs them.
#
#   Azurite (npm)           -> .tools/node_modules   (Blob Storage stand-in; tests start it on loopback)
#   Python helpers (PyPI)   -> .tools/venv           (scipy reference values, aiosmtpd, checkov)
#   Chromium (Debian)       -> /usr/bin/chromium     (report rendering tests)
#   Java 17+ (Debian)       -> default-jre-headless  (pyspark, for the Spark tests in local mode)
#   the Python wheel        -> .tools/py-venv        (recreated each run: maturin builds the wheel
#                                                     of ./python, pip installs it with pyspark and
#                                                     the DataFrame libraries, pytest runs)
#                           -> .tools/py3-venv       (the same wheel and tests on pandas 3)
#
# Nothing is skipped: if a component cannot be installed or started, the suite fails and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools="$root/.tools"
mkdir -p "$tools"

say() { printf '\n== %s\n' "$*"; }

say "Python test helpers"
if [ ! -x "$tools/venv/bin/python" ]; then
  python3 -m venv "$tools/venv"
fi
"$tools/venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
# checkov pins many packages of its own: it gets a venv of its own.
if [ ! -x "$tools/iac-venv/bin/checkov" ]; then
  python3 -m venv "$tools/iac-venv"
fi
"$tools/iac-venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-iac.txt

say "Azurite"
if [ ! -x "$tools/node_modules/.bin/azurite-blob" ]; then
  (cd "$tools" && npm install --silent --no-audit --no-fund --prefix "$tools" azurite@3.35.0)
fi

say "Chromium"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
  fi
fi

say "Java runtime (pyspark)"
# pyspark 4 needs Java 17 or newer; Debian's default-jre-headless is 17 on bookworm.
java_major() {
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  echo "${v:-0}"
}
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq default-jre-headless >/dev/null
  fi
fi
if [ "$(java_major)" -lt 17 ]; then
  echo "pyspark needs Java 17 or newer; found: $(java -version 2>&1 | head -n1)" >&2
  exit 1
fi
java -version 2>&1 | head -n1

export DRIFTSCAN_PYTHON="$tools/venv/bin/python"
export DRIFTSCAN_CHECKOV="$tools/iac-venv/bin/checkov"
export DRIFTSCAN_AZURITE_BIN="$tools/node_modules/.bin/azurite-blob"
export DRIFTSCAN_CHROMIUM="$(command -v chromium)"
export DRIFTSCAN_REQUIRE_COMPONENTS=1

say "cargo test"
cargo test --all-targets -- --test-threads=2

say "Python package: wheel build in a clean virtualenv, then pytest"
# A fresh venv each run, so the suite shows what `pip install ./python` gives a new user. The
# wheel is built with the dev profile (dependencies optimised, as `cargo test` builds them), so it
# reuses the artifacts of the test build above instead of compiling everything again in release:
# the same code, minutes less on two cores. `pip install ./python` builds a release wheel.
rm -rf "$tools/py-venv"
python3 -m venv "$tools/py-venv"
"$tools/py-venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-python.txt
rm -rf "$tools/py-wheel"
started=$(date +%s)
MATURIN_PEP517_ARGS="--profile dev" CARGO_TARGET_DIR="$root/target" "$tools/py-venv/bin/pip" wheel --no-deps --disable-pip-version-check \
  --wheel-dir "$tools/py-wheel" ./python
wheel=$(ls "$tools"/py-wheel/driftscan-*.whl)
echo "wheel $(basename "$wheel"): $(( $(stat -c %s "$wheel") / 1024 / 1024 )) MB, built in $(( $(date +%s) - started )) s"
"$tools/py-venv/bin/pip" install --quiet --disable-pip-version-check "$wheel"
(cd python/tests && "$tools/py-venv/bin/python" -m pytest -q -p no:cacheprovider .)

say "Python package again on pandas 3 (the Spark tests ran on pandas 2 above)"
rm -rf "$tools/py3-venv"
python3 -m venv "$tools/py3-venv"
"$tools/py3-venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-python-pandas3.txt "$wheel"
(cd python/tests && "$tools/py3-venv/bin/python" -m pytest -q -p no:cacheprovider --ignore=test_spark.py .)
