#!/usr/bin/env bash
# Run the test suite under the sanitizers:
#   1. the WHOLE suite in a build dir configured with -Db_sanitize=address,undefined
#      (meson test --setup=asan): any ASan/UBSan report or leak fails the test, the daemons the
#      integration tests start included (they are built, instrumented, in the same dir);
#   2. the unit suite under valgrind (meson test --setup=valgrind --suite unit) in a plain build
#      dir (valgrind cannot run ASan binaries): memory errors and definite leaks fail the test.
# Ends with one line per part and exits non-zero if either failed.
#
#   tools/run-sanitizers.sh [asan|valgrind]...      (default: both)
#
# Environment: HB_SAN_BUILDDIR=build-asan; HB_BUILDDIR=build (the plain build dir, as
# run-tests.sh uses it; configured here if missing); HB_SAN_JOBS=2 (tests run in parallel).
set -u
cd "$(dirname "$0")/.."
. tools/deps.sh

builddir=${HB_SAN_BUILDDIR:-build-asan}
plaindir=${HB_BUILDDIR:-build}
jobs=${HB_SAN_JOBS:-2}
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(asan valgrind)

packages="$HB_BUILD_PACKAGES $HB_TEST_PACKAGES"
for p in "${parts[@]}"; do
  [ "$p" = valgrind ] && packages="$packages valgrind"
done
# shellcheck disable=SC2086
hb_ensure_packages $packages || exit 1

build_for () {
  case "$1" in
    # gcc's sanitizers; debugoptimized (the default) keeps the suite fast while the reports
    # still have line numbers.
    asan) hb_build "$builddir" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true ;;
    valgrind) hb_build "$plaindir" -Dwerror=true ;;
  esac >/dev/null || { echo "$1 build failed"; exit 1; }
}

summary=()
rc=0
for p in "${parts[@]}"; do
  case "$p" in
    asan)
      build_for asan
      start=$(date +%s)
      meson test -C "$builddir" --setup=asan --print-errorlogs --num-processes "$jobs"
      r=$?
      summary+=("asan+ubsan, whole suite: $([ $r -eq 0 ] && echo ok || echo FAIL)" \
                " ($(( $(date +%s) - start )) s, log $builddir/meson-logs/testlog-asan.txt)")
      ;;
    valgrind)
      build_for valgrind
      start=$(date +%s)
      meson test -C "$plaindir" --setup=valgrind --suite unit --print-errorlogs \
        --num-processes "$jobs"
      r=$?
      summary+=("valgrind, unit suite: $([ $r -eq 0 ] && echo ok || echo FAIL)" \
                " ($(( $(date +%s) - start )) s, log $plaindir/meson-logs/testlog-valgrind.txt)")
      ;;
    *)
      echo "unknown part $p (asan or valgrind)"
      exit 2
      ;;
  esac
  [ $r -eq 0 ] || rc=1
done

echo
for ((i = 0; i < ${#summary[@]}; i += 2)); do
  echo "${summary[i]}${summary[i + 1]}"
done
exit $rc
