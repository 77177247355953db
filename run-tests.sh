#!/usr/bin/env bash
# Build and run the whole test suite; ends with a line "N passed, N failed, N skipped".
#   ./run-tests.sh [meson test arguments...]
set -u
cd "$(dirname "$0")"
. tools/deps.sh

hb_ensure_packages $HB_BUILD_PACKAGES $HB_TEST_PACKAGES || exit 1
builddir=${HB_BUILDDIR:-build}
hb_build "$builddir" -Dwerror=true || { echo "0 passed, 1 failed"; exit 1; }

meson test -C "$builddir" --print-errorlogs --num-processes 2 "$@"
rc=$?
python3 tools/test-summary.py "$builddir/meson-logs/testlog.json" || rc=1
exit $rc
