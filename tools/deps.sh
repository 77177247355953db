# Sourced by setup.sh, run-tests.sh and .ci/run: the Debian 12 packages the project needs, and a
# function that installs the missing ones (as root) or prints the exact command (otherwise).

HB_BUILD_PACKAGES="meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev libglib2.0-dev-bin
libsoup-3.0-dev libjson-glib-dev libsqlite3-dev libpolkit-gobject-1-dev libgoogle-perftools-dev
gettext tzdata"
HB_TEST_PACKAGES="dbus-daemon dbus-bin systemd libglib2.0-bin sqlite3 python3 polkitd chromium
util-linux mount passwd faketime libfaketime"
# Node.js and npm drive the panel's browser test; the machine may bring its own.
command -v node >/dev/null 2>&1 || HB_TEST_PACKAGES="$HB_TEST_PACKAGES nodejs"
command -v npm >/dev/null 2>&1 || HB_TEST_PACKAGES="$HB_TEST_PACKAGES npm"

hb_missing_packages () {
  local missing="" p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
      missing="$missing $p"
    fi
  done
  echo "${missing# }"
}

# hb_ensure_packages PKG...: install what is missing, or explain how to.
hb_ensure_packages () {
  local missing
  missing=$(hb_missing_packages "$@")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing: $missing"
    if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
      apt-get update -q || return 1
    fi
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing || {
      apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    } || return 1
  else
    echo "These Debian packages are missing. Install them with:" >&2
    echo "  sudo apt-get install $missing" >&2
    return 1
  fi
}

# hb_build BUILDDIR [meson options...]: configure once, then build.
hb_build () {
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" || return 1
  fi
  ninja -C "$dir"
}
