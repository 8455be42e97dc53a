#!/usr/bin/env bash
# Renders report pages to PNG with headless Chromium, with the flags the report tests use.
#
#   scripts/screenshots.sh page.html [out.png] [width] [height]
#       one page; out.png defaults to page.png next to it; 1280 x 2000 by default
#   scripts/screenshots.sh --samples [dir]
#       regenerates docs/screenshots/report-{run,history,diff}.png from the report tests' data
#       (the pages are kept in dir, default a temp dir)
#
# Chromium is taken from $DRIFTSCAN_CHROMIUM, else `chromium` on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium="${DRIFTSCAN_CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
  echo "error: Chromium not found: set DRIFTSCAN_CHROMIUM or install the Debian package \`chromium\`" >&2
  exit 2
fi

shoot() { # html png width height
  local html png profile
  html=$(realpath "$1")
  png=$2
  profile=$(mktemp -d)
  trap 'rm -rf "$profile"' RETURN
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$profile" --window-size="$3,$4" --screenshot="$png" "file://$html" 2>/dev/null
  [ -s "$png" ] || { echo "error: Chromium wrote no screenshot for \`$1\`" >&2; exit 2; }
  echo "$png"
}

if [ "${1:-}" = "--samples" ]; then
  dir=${2:-$(mktemp -d)}
  mkdir -p "$dir" docs/screenshots
  DRIFTSCAN_REPORT_SAMPLES="$dir" DRIFTSCAN_CHROMIUM="$chromium" DRIFTSCAN_REQUIRE_COMPONENTS=1 \
    cargo test --test tests report:: -- --test-threads=1 >&2
  for page in report-run report-history; do
    shoot "$dir/$page.html" "docs/screenshots/$page.png" 1280 2000
  done
  exit 0
fi

[ $# -ge 1 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
[ -f "$1" ] || { echo "error: no such page \`$1\`" >&2; exit 2; }
shoot "$1" "${2:-${1%.html}.png}" "${3:-1280}" "${4:-2000}"
