#!/usr/bin/env bash
# system-checks.sh SRCDIR BUILDDIR [MAX_EXPOSURE]: check what `meson install` puts on a system.
#
# Installs the build into a temporary DESTDIR, then checks that
#  - every file lands below the prefix (unless a path option moved it on purpose) and exists;
#  - the German translation is complete and installed, and merged into the polkit policy;
#  - `systemd-analyze verify` accepts the installed unit without a single complaint;
#  - `systemd-analyze security --offline=true` rates it no worse than MAX_EXPOSURE (default 2.0),
#    and prints the score.
# Exit status: 0 passed, 1 failed, 77 skipped (no systemd-analyze or python3 here).
set -u

usage="usage: system-checks.sh SRCDIR BUILDDIR [MAX_EXPOSURE]"
srcdir=${1:?$usage}
builddir=${2:?$usage}
max_exposure=${3:-2.0}
failures=0

fail () {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

for tool in systemd-analyze python3 xgettext msgmerge msgfmt; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/hb-system-checks.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
destdir=$work/dest

# ---- install -----------------------------------------------------------------------------------
if ! meson install -C "$builddir" --no-rebuild --quiet --destdir "$destdir" >"$work/install.log" 2>&1
then
  cat "$work/install.log" >&2
  fail "meson install into a DESTDIR failed"
  exit 1
fi

# Where each file was meant to go, and the options that may move files out of the prefix.
meson introspect "$builddir" --installed >"$work/installed.json" || exit 1
meson introspect "$builddir" --buildoptions >"$work/options.json" || exit 1

# Prints "prefix", "unit", "srcdir" lines and one "file" line per installed file; complaints on
# stderr with a non-zero exit.
python3 - "$work/installed.json" "$work/options.json" "$destdir" >"$work/layout" <<'EOF' || fail "install layout"
import json, os, sys

installed = json.load(open(sys.argv[1]))
options = {o["name"]: o["value"] for o in json.load(open(sys.argv[2]))}
destdir = sys.argv[3]
prefix = options["prefix"]
moved = [options[n] for n in ("dbus_policy_dir", "dbus_system_services_dir",
                              "systemd_system_unit_dir", "sysusers_dir", "polkit_actions_dir")
         if options.get(n)]
bad = 0
print("prefix", prefix)
for source, target in sorted(installed.items()):
    inside = target.startswith(prefix.rstrip("/") + "/")
    if not inside and not any(target.startswith(d.rstrip("/") + "/") for d in moved):
        print(f"{target} (from {source}) is outside the prefix {prefix}", file=sys.stderr)
        bad += 1
    if not os.path.exists(destdir + target):
        print(f"{target} is not in the DESTDIR", file=sys.stderr)
        bad += 1
    if target.endswith("/crt-heartbeat.service") and "/systemd/" in target:
        print("unit", target)
    print("file", target)
sys.exit(1 if bad else 0)
EOF

prefix=$(sed -n 's/^prefix //p' "$work/layout")
unit=$(sed -n 's/^unit //p' "$work/layout")
for wanted in /share/dbus-1/system.d/org.crt.Heartbeat.conf \
              /share/dbus-1/system-services/org.crt.Heartbeat.service \
              /share/polkit-1/actions/org.crt.heartbeat.policy \
              /share/locale/de/LC_MESSAGES/crt-heartbeat.mo \
              /share/doc/crt-heartbeat/examples/heartbeat.conf \
              /lib/sysusers.d/crt-heartbeat.conf; do
  grep -q -x "file .*$wanted" "$work/layout" || fail "nothing installed as ...$wanted"
done
[ -n "$unit" ] || { fail "no systemd unit was installed"; exit 1; }
echo "Installed below $prefix: $(grep -c '^file ' "$work/layout") files"

# ---- translations ------------------------------------------------------------------------------
for po in "$srcdir"/po/*.po; do
  # Against the strings the sources have now, not the ones the .po was last merged with.
  xgettext_out=$work/current.pot
  (cd "$srcdir" && GETTEXTDATADIRS=$srcdir/po xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ \
     -f po/POTFILES -o "$xgettext_out" 2>"$work/xgettext.log") || {
    cat "$work/xgettext.log" >&2; fail "xgettext"; continue; }
  stats=$(msgmerge -q "$po" "$xgettext_out" -o - | msgfmt -c --statistics -o /dev/null - 2>&1)
  echo "$(basename "$po"): $stats"
  case $stats in
    *untranslated*|*fuzzy*) fail "$(basename "$po") is incomplete: $stats" ;;
  esac
done
policy=$destdir$(sed -n 's/^file \(.*org\.crt\.heartbeat\.policy\)$/\1/p' "$work/layout")
[ "$(grep -c 'xml:lang="de"' "$policy")" -eq 4 ] ||
  fail "the installed polkit policy lacks the German descriptions and messages"

# ---- systemd-analyze verify --------------------------------------------------------------------
# verify follows the unit's dependencies (dbus.socket, sysinit.target, ...) and checks that
# ExecStart= exists, both inside --root: so the root is the host's units plus the DESTDIR.
root=$work/root
mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp -a "$destdir/." "$root/"
# Documentation= man pages are looked up with the host's man, so point it at the installed ones;
# without man-db there is nothing to look them up with.
man_check=--man=yes
command -v man >/dev/null || { man_check=--man=no; echo "No man-db here: Documentation= not checked"; }
verify_out=$(MANPATH=$root$prefix/share/man systemd-analyze verify "$man_check" --root="$root" \
             "$unit" 2>&1)
verify_rc=$?
if [ $verify_rc -ne 0 ] || [ -n "$verify_out" ]; then
  # Unknown keys are only warnings for systemd: any output counts as a failure here.
  echo "$verify_out" >&2
  fail "systemd-analyze verify $unit (exit $verify_rc)"
else
  echo "systemd-analyze verify: $(basename "$unit") passes"
fi

# ---- systemd-analyze security ------------------------------------------------------------------
if ! systemd-analyze security --offline=true --root="$root" "$unit" >"$work/security" 2>&1; then
  cat "$work/security" >&2
  fail "systemd-analyze security --offline=true failed"
else
  score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$work/security")
  if [ -z "$score" ]; then
    cat "$work/security" >&2
    fail "no exposure score in the output of systemd-analyze security"
  else
    # What still counts against the unit, for whoever tightens it next.
    grep '✗' "$work/security" | sed 's/  */ /g'
    echo "Exposure score of $(basename "$unit"): $score (at most $max_exposure)"
    awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }' ||
      fail "exposure $score is above $max_exposure"
  fi
fi

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "All system checks passed"
