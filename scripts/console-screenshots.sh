#!/usr/bin/env bash
# scripts/console-screenshots.sh: refresh the web console's screenshots in
# docs/console/ (every page at 1280 and 390 px wide), taken by the browser
# test against a private server. Needs Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "install chromium (apt-get install chromium)"; exit 1; }
COFFER_CONSOLE_SCREENSHOTS="$PWD/docs/console" go test -count=1 -run '^TestConsoleBrowser$' ./test/e2e/
ls docs/console
