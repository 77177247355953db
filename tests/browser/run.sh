#!/bin/sh
# run.sh BUILD_DIR HARNESS: the panel in headless Chromium.
#
# Skips (77) without node or chromium. Installs playwright-core (the library only: it drives the
# system's /usr/bin/chromium and downloads no browser) into BUILD_DIR/browser-cache once, then runs
# the harness, which starts a private bus, the fake Ollama and the daemon with the bridge, and runs
# panel-test.cjs against it. The screenshot lands in BUILD_DIR/browser-panel.png.
set -eu

PLAYWRIGHT_VERSION=1.65.1
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR HARNESS}
harness=${2:?usage: run.sh BUILD_DIR HARNESS}
chromium=${HB_CHROMIUM:-/usr/bin/chromium}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node/npm not installed"
  exit 77
fi
if [ ! -x "$chromium" ]; then
  echo "SKIP: $chromium not installed"
  exit 77
fi

cache="$build/browser-cache"
if [ ! -f "$cache/node_modules/playwright-core/package.json" ] ||
   ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$cache/node_modules/playwright-core/package.json"; then
  mkdir -p "$cache"
  # No browser download: playwright-core has none, and PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD says so.
  if ! PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-save --no-audit --no-fund \
      --prefix "$cache" "playwright-core@$PLAYWRIGHT_VERSION" >"$cache/npm.log" 2>&1; then
    cat "$cache/npm.log"
    echo "SKIP: cannot install playwright-core (offline?)"
    exit 77
  fi
fi

export HB_CHROMIUM="$chromium"
export HB_BROWSER_PROFILE="$build/browser-profile"
rm -rf "$HB_BROWSER_PROFILE"
exec "$harness" "$here/panel-test.cjs" "$build/browser-panel.png" "$cache/node_modules"
