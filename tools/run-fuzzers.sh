#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan+UBSan) in their own build dir and run each one for a
# bounded time, starting from its seed corpus in tests/fuzz/corpus/<target>. One line per target;
# exits non-zero if any target crashed, leaked, timed out or broke an invariant.
#
#   tools/run-fuzzers.sh [TARGET...]        (default: every fuzz-* target that was built)
#
# Environment:
#   HB_FUZZ_TIME=20        seconds per target (libFuzzer -max_total_time)
#   HB_FUZZ_BUILDDIR=build-fuzz
#   HB_FUZZ_WORKDIR=DIR    where new corpus entries and crash inputs go (default: a temporary
#                          directory, kept only when something failed)
set -u
cd "$(dirname "$0")/.."
. tools/deps.sh

fuzz_time=${HB_FUZZ_TIME:-20}
builddir=${HB_FUZZ_BUILDDIR:-build-fuzz}

hb_ensure_packages $HB_BUILD_PACKAGES clang libclang-rt-14-dev || exit 1

if [ ! -f "$builddir/build.ninja" ]; then
  # No -Dwerror: clang warns where gcc (the compiler the project is held to) does not, e.g.
  # about g_autoptr variables that exist only to hold a reference.
  CC=clang meson setup "$builddir" -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dtests=false >/dev/null || exit 1
fi
ninja -C "$builddir" >"$builddir/fuzz-build.log" 2>&1 \
  || { cat "$builddir/fuzz-build.log"; echo "fuzz build failed"; exit 1; }

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in "$builddir"/tests/fuzz/fuzz-*; do
    [ -x "$f" ] && [ -f "$f" ] && targets+=("$(basename "$f" | sed 's/^fuzz-//')")
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets built in $builddir"; exit 1; }

workdir=${HB_FUZZ_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/hb-fuzz.XXXXXX")}
mkdir -p "$workdir"

export TZ=UTC
# No leak checking here: json-glib 1.6's scanner leaks the strings of some malformed \u escapes
# (found by fuzz-decision), which is inside the library; the project's own leaks are caught by
# the whole suite under ASan (tools/run-sanitizers.sh). Crashes, UB and the targets' own checks
# still fail a target.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=0:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:print_summary=1
export G_SLICE=always-malloc

failed=0
for t in "${targets[@]}"; do
  exe="$builddir/tests/fuzz/fuzz-$t"
  seeds="tests/fuzz/corpus/$t"
  corpus="$workdir/corpus-$t"
  log="$workdir/fuzz-$t.log"
  mkdir -p "$corpus"
  if [ ! -x "$exe" ] || [ ! -d "$seeds" ]; then
    echo "fuzz-$t: FAIL (no program $exe or no seed corpus $seeds)"
    failed=1
    continue
  fi
  # New inputs go to the first directory; the seed corpus in the source tree is only read.
  # -timeout: one input taking over 10 s counts as a hang; -rss_limit_mb as a failure too.
  "$exe" -max_total_time="$fuzz_time" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$workdir/fuzz-$t-" "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*corp: \([0-9]*\).*/cov \1, corpus \2/p')
  if [ $rc -eq 0 ]; then
    echo "fuzz-$t: ok (${runs:-?} runs in ${fuzz_time} s, ${cov:-no stats})"
  else
    failed=1
    artifact=$(ls "$workdir"/fuzz-"$t"-* 2>/dev/null | head -1)
    why=$(grep -m1 -E 'ERROR: |invariant broken|runtime error' "$log" | sed 's/^==[0-9]*==//')
    echo "fuzz-$t: FAIL (exit $rc: ${why:-see log}; input ${artifact:-none}; log $log)"
  fi
done

if [ $failed -ne 0 ]; then
  echo "fuzzers failed; reproduce with: $builddir/tests/fuzz/fuzz-TARGET INPUT (files in $workdir)"
  exit 1
fi
[ -z "${HB_FUZZ_WORKDIR:-}" ] && rm -rf "$workdir"
exit 0
