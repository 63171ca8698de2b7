#!/bin/sh
# Builds tests/helm/render.go (a `helm template` stand-in: text/template + sprig, offline, GOPATH
# mode against Debian's /usr/share/gocode) and checks helm/pgpart/ with check_chart.py.
# Usage: render_test.sh <repo root>. Missing go or sprig is a failure, never a skip.
set -eu
root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
gocode=/usr/share/gocode
command -v go >/dev/null || { echo "FAIL: go not installed (apt-get install golang-go)"; exit 1; }
[ -d "$gocode/src/github.com/Masterminds/sprig" ] ||
  { echo "FAIL: sprig missing (apt-get install golang-github-masterminds-sprig-dev)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# GOPATH mode needs no network; GOFLAGS/GOPROXY from the caller must not interfere.
(cd "$root/tests/helm" && env GO111MODULE=off GOFLAGS= GOPATH="$gocode:$work/gopath" \
  GOCACHE="$work/cache" go build -o "$work/render" render.go)
/usr/bin/python3 "$root/tests/helm/check_chart.py" "$root" "$work/render"
