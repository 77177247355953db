#!/usr/bin/env bash
# Install what is missing, build, and run one heartbeat for a demo thread in ./demo-state.
#   ./setup.sh                 (as root: installs missing Debian packages; otherwise prints the command)
# Point it at a model server with OLLAMA_HOST=host:port or --backend-url=URL (passed through).
set -u
cd "$(dirname "$0")"
. tools/deps.sh

hb_ensure_packages $HB_BUILD_PACKAGES || exit 1
hb_build build -Dwerror=true || exit 1

state="$PWD/demo-state"
mkdir -p "$state/workspace"
[ -f "$state/workspace/HEARTBEAT.md" ] || cp data/HEARTBEAT.md.example "$state/workspace/HEARTBEAT.md"

echo
echo "== One heartbeat for thread \"demo\" (state in $state) =="
./build/src/crt-heartbeatd --run-once demo --db "$state/heartbeat.db" \
  --workspace "$state/workspace" --config "$state/heartbeat.conf" "$@"
rc=$?
echo
if [ $rc -eq 0 ]; then
  echo "The run completed and is recorded in $state/heartbeat.db (table heartbeat_runs)."
else
  echo "The run did not complete; it is recorded truthfully in $state/heartbeat.db (table heartbeat_runs)."
fi
exit 0
