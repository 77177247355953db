#!/usr/bin/env bash
# The main job: the daemon on a private session bus with its state in ./demo-state, one heartbeat
# for the thread "demo" asked for with crt-heartbeatctl, the result printed, the daemon stopped.
#   tools/demo.sh BUILDDIR [crt-heartbeatd options...]
set -u
build=$1
shift
state="$PWD/demo-state"
mkdir -p "$state/workspace"
[ -f "$state/workspace/HEARTBEAT.md" ] || cp data/HEARTBEAT.md.example "$state/workspace/HEARTBEAT.md"
[ -f "$state/heartbeat.conf" ] || cp data/heartbeat.conf "$state/heartbeat.conf"

bus_dir=$(mktemp -d)
cleanup () {
  [ -n "${daemon_pid:-}" ] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [ -n "${bus_pid:-}" ] && kill "$bus_pid" 2>/dev/null
  rm -rf "$bus_dir"
}
trap cleanup EXIT

cat > "$bus_dir/bus.conf" <<CONF
<busconfig>
  <type>session</type>
  <listen>unix:dir=$bus_dir</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
dbus-daemon --config-file="$bus_dir/bus.conf" --nofork --print-address=3 --print-pid=4 \
  3>"$bus_dir/address" 4>"$bus_dir/pid" 2>/dev/null &
for _ in $(seq 50); do [ -s "$bus_dir/address" ] && [ -s "$bus_dir/pid" ] && break; sleep 0.1; done
bus_pid=$(cat "$bus_dir/pid")
DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$bus_dir/address")
export DBUS_SESSION_BUS_ADDRESS

"$build/src/crt-heartbeatd" --session --db "$state/heartbeat.db" --workspace "$state/workspace" \
  --config "$state/heartbeat.conf" "$@" 2>"$state/daemon.log" &
daemon_pid=$!

ctl="$build/src/ctl/crt-heartbeatctl --session --no-pager"
for _ in $(seq 100); do $ctl status >/dev/null 2>&1 && break; sleep 0.1; done

echo "== crt-heartbeatd serves org.crt.Heartbeat on a private session bus (log: $state/daemon.log)"
$ctl add demo >/dev/null
echo
echo "== crt-heartbeatctl run demo --wait"
$ctl run demo --wait
rc=$?
echo
echo "== crt-heartbeatctl status"
$ctl status
echo
if [ $rc -eq 0 ]; then
  echo "The run completed and is recorded in $state/heartbeat.db (table heartbeat_runs)."
else
  backend=$($ctl --json status 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("BackendUrl",""))' 2>/dev/null)
  echo "The run did not complete and is recorded so in $state/heartbeat.db (table heartbeat_runs)."
  echo "If no model server answers at ${backend:-the backend URL}, start Ollama there or point the"
  echo "daemon at one: ./setup.sh --backend-url=URL (or OLLAMA_HOST=host:port ./setup.sh)."
fi
exit 0
