#!/usr/bin/env bash
# The operator's goals, measured two ways.
#
# Default (issue 5): its end-to-end tests against the Kubernetes API-server test double
# (tests/k8s/api_server_double.h) and a sandbox PostgreSQL:
#   - a policy edit to an applied status (observedGeneration caught up, Ready=True): median ≤ 1 s
#   - resident memory of `pgpart operator` with 100 policies Ready: ≤ 20 MB
# There is no pg_partman counterpart to run side by side (it has no operator); the latency test
# times each edit against the same operator and database, the memory test compares idle vs loaded.
#
# --real-server (issue 14, scale and cost): the real kube-apiserver + etcd of scripts/envtest
# (started here with PGPART_ENVTEST_AUDIT=1, stopped on exit), the CRD and manifests/
# namespace.yaml, serviceaccount.yaml and rbac.yaml applied as shipped, and `pgpart operator` run
# with the args of manifests/deployment.yaml (--leader-elect, metrics and health endpoints, on
# free loopback ports) under the operator's ServiceAccount (operator.kubeconfig: user
# system:serviceaccount:pgpart-system:pgpart-operator), so the shipped RBAC is what it has. A
# sandbox PostgreSQL 15 holds --namespaces databases of --per-namespace partitioned tables each
# (monthly, no partitions yet); as many namespaces each hold a DSN Secret for "their" database and
# one PartitionPolicy per table (premake 2), created in bulk (kubectl apply --server-side of one
# generated file) before the operator starts. bench/operator_real.py then starts the operator and
# prints, in one run:
#   - start → all Ready: from the operator's start until every policy has Ready=True for its
#     generation (each first reconcile creates 3 partitions)
#   - edit → applied p50 / p99 over --edits edits (spec.premake + 1, one policy at a time), each
#     from just before the PATCH to the watch event with the new observedGeneration and Ready=True
#   - VmRSS (after all Ready, after the edits, after idle) and VmHWM from /proc
#   - API requests while idle for --idle-seconds after the edits, counted from the API server's
#     audit log (user = the operator's ServiceAccount, by verb and resource: watch requests and
#     status patches separately), per policy per resync period; --resync is shortened to 60s by
#     default so that the window holds a whole period (every policy resyncs in it); the projection
#     to the default 10m (the time-driven requests, lease and watch, scaled by time) is shown too
#   Goals: edit → applied p99 ≤ 1 s; VmHWM ≤ 64 MiB at 1000 policies; idle requests ≤ 1 per
#   policy per resync period. ~2 minutes with the defaults.
#
# Usage: bench/operator.sh [BUILD_DIR]   (default build/; run ./scripts/test or cmake first)
#        bench/operator.sh --real-server [--namespaces N (10)] [--per-namespace N (100)]
#                          [--edits N (100)] [--idle-seconds S (60)] [--resync 60s] [BUILD_DIR]
# Env (--real-server): PGPART_ENVTEST_BIN (default: BUILD_DIR's CMake setting, else
#        BUILD_DIR/envtest/bin); the sandbox PostgreSQL in $BENCH_OPERATOR_DIR
#        (/tmp/pgpart-bench-operator) on port $BENCH_OPERATOR_PORT (55497), removed on exit if
#        created here; the API server's run folder, the objects and the operator's log in
#        BUILD_DIR/bench-operator.
# Exit:  0 when every goal is met, 3 when one is missed, 1 on error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
command_line="bench/operator.sh${*:+ $*}"

real=0
namespaces=10
per_namespace=100
edits=100
idle_seconds=60
resync=60s
build=
while (($#)); do
  case $1 in
    --real-server) real=1; shift ;;
    --namespaces) namespaces=$2; shift 2 ;;
    --per-namespace) per_namespace=$2; shift 2 ;;
    --edits) edits=$2; shift 2 ;;
    --idle-seconds) idle_seconds=$2; shift 2 ;;
    --resync) resync=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    -*) echo "unknown argument: $1" >&2; exit 1 ;;
    *) build=$1; shift ;;
  esac
done
build=${build:-build}

if ((!real)); then
  if [[ ! -x $build/tests/operator_e2e_test ]]; then
    echo "error: $build/tests/operator_e2e_test not built (cmake --build $build -j2)" >&2
    exit 1
  fi
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  set +e
  ctest --test-dir "$build" -R 'SpecEditIsApplied|HundredPolicies|pg_sandbox' -V >"$log" 2>&1
  code=$?
  set -e
  grep -E '\[ (latency|scale) \]' "$log" | sed 's/^[0-9]*: //'
  if ((code != 0)); then
    grep -E 'Failure|Expected|actual|goal' "$log" | sed 's/^[0-9]*: //' | head -20
    echo "MISS: at least one goal was not met (see above)"
    exit 3
  fi
  echo "PASS: both goals met"
  exit 0
fi

# --- real-server mode ---
die() { echo "bench: $*" >&2; exit 1; }
for n in "$namespaces" "$per_namespace" "$edits" "$idle_seconds"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "expected a positive integer, got '$n'"
done
case $resync in
  *s) resync_s=${resync%s} ;;
  *m) resync_s=$((${resync%m} * 60)) ;;
  *) resync_s= ;;
esac
[[ $resync_s =~ ^[1-9][0-9]*$ ]] || die "--resync takes Ns or Nm, got '$resync'"
policies=$((namespaces * per_namespace))
premake=2

build=$(cd "$build" && pwd)
pgpart=${PGPART:-$build/src/cli/pgpart}
[[ -x $pgpart ]] || die "$pgpart not built (cmake --build $build -j2 --target pgpart)"
if [[ -z ${PGPART_ENVTEST_BIN:-} ]]; then
  PGPART_ENVTEST_BIN=$(sed -n 's/^PGPART_ENVTEST_BIN:PATH=//p' "$build/CMakeCache.txt" 2>/dev/null)
  PGPART_ENVTEST_BIN=${PGPART_ENVTEST_BIN:-$build/envtest/bin}
fi
[[ -x $PGPART_ENVTEST_BIN/kube-apiserver ]] ||
  die "no kube-apiserver in $PGPART_ENVTEST_BIN: run scripts/envtest-build (or set PGPART_ENVTEST_BIN)"
kubectl=$PGPART_ENVTEST_BIN/kubectl
work=$build/bench-operator
mkdir -p "$work"
export PGPART_ENVTEST_DIR=$work/envtest PGPART_ENVTEST_BIN PGPART_ENVTEST_AUDIT=1
# shellcheck source=bench/pg_sandbox.sh
source "$root/bench/pg_sandbox.sh"

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local pid exe want
  pid=$(cat "$work/operator.pid" 2>/dev/null || true)
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  want=$(readlink -f "$pgpart")
  # "PATH (deleted)": pgpart was rebuilt while the bench ran; the operator is still ours to stop.
  if [[ $pid =~ ^[0-9]+$ && ($exe == "$want" || $exe == "$want (deleted)") ]]; then
    kill "$pid" 2>/dev/null || true
  fi
  rm -f "$work/operator.pid"
  "$root/scripts/envtest" stop >/dev/null 2>&1 || true
  bench_pg_stop
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now_us() { echo "${EPOCHREALTIME/[,.]/}"; }
secs() { awk -v us="$1" 'BEGIN {printf "%.1f", us / 1000000}'; }

echo "bench/operator.sh --real-server: $policies policies ($namespaces namespaces × $per_namespace" \
  "tables), $edits edits, idle ${idle_seconds}s, --resync $resync; load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$root/scripts/envtest" stop >/dev/null 2>&1 || true  # a run killed before its trap
"$root/scripts/envtest" start >/dev/null
# shellcheck disable=SC1091
source "$PGPART_ENVTEST_DIR/env"
bench_pg_start "${BENCH_OPERATOR_DIR:-/tmp/pgpart-bench-operator}" "${BENCH_OPERATOR_PORT:-55497}"
port=$PGPART_SANDBOX_PORT
server() { "$psql_bin" "$server_dsn" -X -q -v ON_ERROR_STOP=1 "$@"; }
export PGOPTIONS="-c client_min_messages=warning"

# The databases: a template with the tables, copied once per namespace.
started=$(now_us)
server -c "drop database if exists bench_op_tmpl"
"$psql_bin" "$server_dsn dbname=template1" -X -q -t -A \
  -c "select 'drop database if exists ' || quote_ident(datname) || ';' from pg_database
      where datname ~ '^bench_op_[0-9]+$'" | server
server -c "create database bench_op_tmpl"
"$psql_bin" "$server_dsn dbname=bench_op_tmpl" -X -q -v ON_ERROR_STOP=1 -c "
  do \$\$ begin
    for i in 0..$((per_namespace - 1)) loop
      execute format('create table public.%I (id bigint, created_at timestamptz not null, v int)
                      partition by range (created_at)', 't' || lpad(i::text, 3, '0'));
    end loop;
  end \$\$"
for ((n = 0; n < namespaces; n++)); do
  server -c "create database bench_op_$(printf %02d "$n") template bench_op_tmpl"
done
echo "databases: $namespaces × $per_namespace tables in $(secs $(($(now_us) - started))) s"

# The CRD and the RBAC exactly as shipped, then the policies in bulk.
export KUBECONFIG=$PGPART_ENVTEST_ADMIN_KUBECONFIG
"$kubectl" apply --server-side -f "$root/crds/partitionpolicies.pgpart.io.yaml" >/dev/null
"$kubectl" wait --for condition=established --timeout=60s \
  crd/partitionpolicies.pgpart.io >/dev/null
for f in namespace serviceaccount rbac; do
  "$kubectl" apply --server-side -f "$root/manifests/$f.yaml" >/dev/null
done
python3 "$root/bench/operator_real.py" objects --namespaces "$namespaces" \
  --per-namespace "$per_namespace" --port "$port" --premake "$premake" >"$work/objects.yaml"
started=$(now_us)
"$kubectl" apply --server-side --field-manager bench -f "$work/objects.yaml" >/dev/null
echo "created $policies PartitionPolicies, $namespaces Secrets and Namespaces (kubectl apply" \
  "--server-side of one file) in $(secs $(($(now_us) - started))) s"

set +e
python3 "$root/bench/operator_real.py" measure --kubeconfig "$PGPART_ENVTEST_ADMIN_KUBECONFIG" \
  --ca "$PGPART_ENVTEST_DIR/ca.crt" --audit-log "$PGPART_ENVTEST_AUDIT_LOG" \
  --operator-user system:serviceaccount:pgpart-system:pgpart-operator \
  --policies "$policies" --edits "$edits" --premake "$premake" \
  --idle-seconds "$idle_seconds" --resync-seconds "$resync_s" \
  --pid-file "$work/operator.pid" --log "$work/operator.log" -- \
  "$pgpart" operator --kubeconfig "$PGPART_ENVTEST_OPERATOR_KUBECONFIG" --leader-elect \
  --metrics-bind "127.0.0.1:$(free_port)" --health-bind "127.0.0.1:$(free_port)" \
  --resync "$resync"
code=$?
set -e
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg); command: $command_line"
exit "$code"
