#!/usr/bin/env bash
# Install what is missing, build, and run the main job: the daemon on a private session bus with
# its state in ./demo-state, and one heartbeat for the thread "demo" asked for over D-Bus.
#   ./setup.sh                 (as root: installs missing Debian packages; otherwise prints the command)
# Point it at a model server with OLLAMA_HOST=host:port or --backend-url=URL (passed through).
set -u
cd "$(dirname "$0")"
. tools/deps.sh

hb_ensure_packages $HB_BUILD_PACKAGES dbus-daemon || exit 1
hb_build build -Dwerror=true || exit 1

exec tools/demo.sh build "$@"
