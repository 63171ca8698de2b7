#!/bin/sh
# Checks the systemd examples in docs/systemd/ with `systemd-analyze verify` (issue 12 item 6):
# copies them to a scratch folder with ExecStart pointed at the built binary (verify requires an
# executable), verifies the four units together, and fails on any complaint, not only on a
# non-zero exit (an unknown key is only a warning). Usage: verify_units.sh SRC_DIR PGPART_BINARY
# Fails (never skips) when systemd-analyze is missing.
set -eu
src=$1
binary=$2
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze is not installed (systemd)"; exit 1; }
[ -x "$binary" ] || { echo "FAIL: $binary is not an executable"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
units="pgpart-premake.service pgpart-premake.timer pgpart-retention.service pgpart-retention.timer"
for unit in $units; do
  [ -f "$src/docs/systemd/$unit" ] || { echo "FAIL: docs/systemd/$unit is missing"; exit 1; }
  sed "s|/usr/local/bin/pgpart|$binary|" "$src/docs/systemd/$unit" > "$dir/$unit"
done
# The binary must be the one the units name (no other ExecStart path slipped in).
if grep -h '^ExecStart=' "$dir"/*.service | grep -v "^ExecStart=$binary " ; then
  echo "FAIL: an ExecStart does not run /usr/local/bin/pgpart"
  exit 1
fi
cd "$dir"
out=$(systemd-analyze verify --man=no $(for u in $units; do printf './%s ' "$u"; done) 2>&1) || {
  echo "FAIL: systemd-analyze verify:"; echo "$out"; exit 1; }
if [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify complained:"; echo "$out"; exit 1
fi
echo "OK: $units"
