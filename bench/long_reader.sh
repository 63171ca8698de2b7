#!/usr/bin/env bash
# Benchmark: writer stalls while `pgpart apply` meets a long reader (issue 10.8).
# One table with a default partition, 12 partitions past retention (each drop needs ACCESS
# EXCLUSIVE on the parent) and a reader holding a transaction open on the parent for the whole
# run. pgbench writers insert through the parent at a fixed rate (latency from the scheduled start:
# no coordinated omission). Side by side, in one run, each on a fresh copy of the same database:
#   idle      writers only (the floor)
#   defaults  pgpart apply with the shipped defaults (lockTimeout 300ms, retries 8, circuit breaker)
#   3s        pgpart apply --lock-timeout 3s --retries 5 (the old defaults' lock waits; the circuit
#             breaker still applies, so this understates the old cost: before it every step waited)
# Prints per case: apply seconds, writer p50 / p99 / max, inserts that waited over 250 ms and over
# 1 s, and the ratio of p99 to the idle p99. Goal (issue 10.8): no writer stall longer than the
# lock timeout plus a margin (max <= 300 ms + 200 ms with the defaults).
#
# Usage: bench/long_reader.sh [--rate TPS (200)] [--seconds S (20)]
# Env:   PGPART (default build/src/cli/pgpart); sandbox folder $BENCH_LR_DIR
#        (/tmp/pgpart-bench-lr), port $BENCH_LR_PORT (55493).
# Exit:  0 when the goal is met, 3 when missed, 1 on error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rate=200
seconds=20
while (($#)); do
  case $1 in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 1 ;;
  esac
done
# shellcheck source=bench/pg_sandbox.sh
source "$root/bench/pg_sandbox.sh"
bench_tools pgbench
work=$root/build/bench-long-reader
mkdir -p "$work"
bg=()
cleanup() {
  for p in "${bg[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bench_pg_stop
  return 0
}
trap cleanup EXIT
bench_pg_start "${BENCH_LR_DIR:-/tmp/pgpart-bench-lr}" "${BENCH_LR_PORT:-55493}"
server=$server_dsn
dsn="$server_dsn dbname=lr_run"
export PGOPTIONS="-c client_min_messages=warning"
psql_s() { "$psql_bin" "$server" -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_s -c "drop database if exists lr_run with (force)" -c "drop database if exists lr_tmpl" \
  -c "create database lr_tmpl"
"$psql_bin" "$server_dsn dbname=lr_tmpl" -X -q \
  -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE public.lr (id bigint, ts timestamptz NOT NULL, v double precision)
  PARTITION BY RANGE (ts);
CREATE TABLE public.lr_default PARTITION OF public.lr DEFAULT;
DO $$
DECLARE m timestamptz;
BEGIN
  SET LOCAL TimeZone = 'UTC';
  FOR i IN -30..3 LOOP
    m := date_trunc('month', now()) + i * interval '1 month';
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.lr FOR VALUES FROM (%L) TO (%L)',
                   'lr_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'), m, m + interval '1 month');
  END LOOP;
END $$;
SQL
cat >"$work/policy.yaml" <<'YAML'
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: lr}
spec:
  tables: [public.lr]
  interval: 1 month
  premake: 3
  defaultPartition: true
  retention: {keep: 18 months, action: drop}
YAML
echo "INSERT INTO public.lr VALUES (1, now(), random());" >"$work/insert.sql"

pct() { sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {if (!NR) {print 0; exit}
  r = int(p / 100 * NR + 0.999999); if (r < 1) r = 1; print a[r]}'; }
ms() { awk -v us="$1" 'BEGIN {printf "%.1f", us / 1000}'; }

declare -A p50 p99 pmax over250 over1s secs
for c in idle defaults 3s; do
  psql_s -c "drop database if exists lr_run with (force)" -c "create database lr_run template lr_tmpl"
  rm -f "$work/lat".*
  # The long reader: a transaction that read the parent and stays open for the whole run.
  "$psql_bin" "$dsn" -X -q -c "BEGIN" -c "SELECT count(*) FROM public.lr" \
    -c "SELECT pg_sleep($seconds + 5)" >/dev/null 2>&1 &
  bg+=($!)
  sleep 0.5
  "$pgbench_bin" "$dsn" -n -f "$work/insert.sql" -c 4 -j 2 -R "$rate" -T "$seconds" -l \
    --log-prefix="$work/lat" >"$work/pgbench-$c.out" 2>&1 &
  pgb=$!
  sleep 2
  t0=${EPOCHREALTIME/[,.]/}
  case $c in
    idle) ;;
    defaults) "$pgpart" apply -f "$work/policy.yaml" --dsn "$dsn" --auto-approve \
                >"$work/apply-$c.out" 2>&1 || true ;;
    3s) "$pgpart" apply -f "$work/policy.yaml" --dsn "$dsn" --auto-approve --lock-timeout 3s \
          --retries 5 >"$work/apply-$c.out" 2>&1 || true ;;
  esac
  t1=${EPOCHREALTIME/[,.]/}
  secs[$c]=$(awk -v us=$((t1 - t0)) 'BEGIN {printf "%.1f", us / 1e6}')
  wait "$pgb" || { cat "$work/pgbench-$c.out" >&2; echo "bench: pgbench failed ($c)" >&2; exit 1; }
  "$psql_bin" "$server" -X -q -c "select pg_terminate_backend(pid) from pg_stat_activity
    where datname = 'lr_run' and pid <> pg_backend_pid()" >/dev/null
  cat "$work/lat".* | awk '{print $3}' >"$work/lat-$c.us"
  p50[$c]=$(pct "$work/lat-$c.us" 50); p99[$c]=$(pct "$work/lat-$c.us" 99)
  pmax[$c]=$(pct "$work/lat-$c.us" 100)
  over250[$c]=$(awk '$1 > 250000' "$work/lat-$c.us" | wc -l)
  over1s[$c]=$(awk '$1 > 1000000' "$work/lat-$c.us" | wc -l)
done

echo "== writers (pgbench -c 4 -R $rate -T $seconds) with a long reader on the parent"
printf '%-9s %9s %9s %9s %9s %7s %6s %9s\n' case apply_s p50_ms p99_ms max_ms '>250ms' '>1s' p99/idle
for c in idle defaults 3s; do
  printf '%-9s %9s %9s %9s %9s %7s %6s %9s\n' "$c" "$([[ $c == idle ]] && echo - || echo "${secs[$c]}")" \
    "$(ms "${p50[$c]}")" "$(ms "${p99[$c]}")" "$(ms "${pmax[$c]}")" "${over250[$c]}" "${over1s[$c]}" \
    "$(awk -v a="${p99[$c]}" -v b="${p99[idle]}" 'BEGIN {printf "%.1fx", b ? a / b : 0}')"
done
grep -h "could not get its lock" "$work/apply-defaults.out" | head -1 | cut -c1-200 || true
if ((pmax[defaults] <= 500000)); then
  echo "PASS: longest writer stall with the defaults $(ms "${pmax[defaults]}") ms <= 500 ms"
  exit 0
fi
echo "MISS: longest writer stall with the defaults $(ms "${pmax[defaults]}") ms > 500 ms"
exit 3
