#!/bin/sh
# Checks helm/pgpart/ with check_chart.py, rendering it with the real helm 4 that
# scripts/envtest-build builds (PGPART_ENVTEST_BIN, default build/envtest/bin): `helm template`
# with the chart's defaults equals manifests/, and overrides take effect.
# Usage: render_test.sh <repo root>. A missing helm is a failure, never a skip.
set -eu
root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
bin=${PGPART_ENVTEST_BIN:-$root/build/envtest/bin}
[ -x "$bin/helm" ] || { echo "FAIL: no helm in $bin (scripts/envtest-build builds it)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# check_chart.py calls: render [-f VALUES] CHART RELEASE NAMESPACE
cat >"$work/render" <<SCRIPT
#!/bin/sh
set -eu
values=""
if [ "\$1" = "-f" ]; then values="\$2"; shift 2; fi
exec "$bin/helm" template "\$2" "\$1" --namespace "\$3" \${values:+-f "\$values"}
SCRIPT
chmod +x "$work/render"
/usr/bin/python3 "$root/tests/helm/check_chart.py" "$root" "$work/render"
