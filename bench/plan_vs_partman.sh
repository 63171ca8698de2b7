#!/usr/bin/env bash
# Benchmark: `pgpart plan` with nothing to do vs pg_partman 4.7's no-op run_maintenance(), on the
# same 100 tables × 42 monthly partitions (36 back, current, premake 4, default), in one run;
# then `pgpart plan` on 1000 tables × 42: wall time and peak RSS. Goals (issue 16), each judged
# against what this run measured: plan ≥ 8× faster than run_maintenance() and ≤ 1.5× the
# connection floor (`psql -c 'select 1'` to the same database); the offline plan ≤ 30 ms; the
# 1000-table plan ≤ 300 ms within 64 MB.
#
# Usage: bench/plan_vs_partman.sh [--reps N] [--tables N] [--big-tables N]
# Env:   PGPART        the binary (default build/src/cli/pgpart)
#        PGPART_BASELINE another pgpart binary (e.g. built from an older commit), timed the same
#                      way in the same run, interleaved: before and after side by side
#        BENCH_DSN     a server to use (superuser, pg_partman 4.7 installed); default: a sandbox
#                      started here with scripts/pg-sandbox in build/pg-bench on port
#                      $BENCH_PORT (default 55471)
# Exit:  0 when every goal is met, 3 when one is missed, 1 on error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

reps=7
tables=100
big_tables=1000
months_back=36
premake=4
while (($#)); do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --tables) tables=$2; shift 2 ;;
    --big-tables) big_tables=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 1 ;;
  esac
done
per_table=$((months_back + 1 + premake + 1))  # children + default

# shellcheck source=bench/pg_sandbox.sh
source "$root/bench/pg_sandbox.sh"
bench_tools
gnu_time=/usr/bin/time
[[ -x $gnu_time ]] || { echo "bench: GNU time (/usr/bin/time) is missing: apt-get install time" >&2; exit 1; }

work=$root/build/bench
mkdir -p "$work"

log_file=
if [[ -n ${BENCH_DSN:-} ]]; then
  server_dsn=$BENCH_DSN
else
  trap bench_pg_stop EXIT
  bench_pg_start "$root/build/pg-bench" "${BENCH_PORT:-55471}" keep  # kept for the next run
  log_file=$bench_pg_log
fi
dsn="$server_dsn dbname=pgpart_bench"

sql() { "$psql_bin" "$dsn" -X -q -v ON_ERROR_STOP=1 "$@"; }
scalar() { "$psql_bin" "$dsn" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; }
now_s() { echo "${EPOCHREALTIME/[,.]/}"; }  # microseconds
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ms() { awk -v us="$1" 'BEGIN {printf "%.1f", us / 1000}'; }

# One policy over every parent of a schema, laid out the way pg_partman 4.x names children.
write_policy() {  # schema count file
  {
    echo "apiVersion: pgpart.io/v1alpha1"
    echo "kind: PartitionPolicy"
    echo "metadata:"
    echo "  name: bench-$1"
    echo "spec:"
    echo "  tables:"
    scalar "select '    - $1.' || bench_util.table_name(i, $2) from generate_series(1, $2) i"
    echo "  column: ts"
    echo "  interval: 1 month"
    echo "  timeZone: UTC"
    echo "  premake: $premake"
    echo '  naming: "{parent}_p{YYYY}_{MM}"'
    echo "  defaultPartition: true"
  } >"$3"
}

# Runs `pgpart plan` once (or the binary $2); fails the benchmark unless it reports no changes.
plan_once() {  # policy-file [binary]
  local rc=0 bin=${2:-$pgpart}
  "$bin" plan -f "$1" --dsn "$dsn" --detailed-exitcode >"$work/plan.out" 2>&1 || rc=$?
  if ((rc != 0)); then
    echo "bench: $bin plan -f $1 exited $rc, expected 0 (no changes):" >&2
    tail -20 "$work/plan.out" >&2
    exit 1
  fi
}

echo "== setup: database pgpart_bench (timezone UTC), pg_partman $(
  "$psql_bin" "$server_dsn" -X -t -A -c \
    "select default_version from pg_available_extensions where name = 'pg_partman'")"
"$psql_bin" "$server_dsn" -X -q -v ON_ERROR_STOP=1 \
  -c "drop database if exists pgpart_bench" -c "create database pgpart_bench" \
  -c "alter database pgpart_bench set timezone to 'UTC'"
sql -f bench/bench.sql -c "create schema partman" -c "create extension pg_partman schema partman"

t0=$(now_s)
sql -c "call bench_util.create_parents('bench', $tables)"
sql -c "call bench_util.partman_create_parents('bench', $tables, $months_back, $premake)"
children=$(scalar "select bench_util.child_count('bench')")
echo "   $tables tables × $per_table partitions configured with partman.create_parent:" \
     "$children children in $(ms $(($(now_s) - t0))) ms"
((children == tables * per_table)) || { echo "bench: expected $((tables * per_table)) children" >&2; exit 1; }
write_policy bench "$tables" "$work/bench.yaml"
# Fresh catalogs have no statistics yet; a live database has (autovacuum). Same for both tools.
sql -c "vacuum analyze" >/dev/null

# Warm-up (not timed): both must be no-ops.
plan_once "$work/bench.yaml"
sql -c "select partman.run_maintenance()" >/dev/null
after=$(scalar "select bench_util.child_count('bench')")
((after == children)) || { echo "bench: run_maintenance() was not a no-op ($children -> $after)" >&2; exit 1; }

baseline=${PGPART_BASELINE:-}
if [[ -n $baseline ]]; then
  [[ -x $baseline ]] || { echo "bench: PGPART_BASELINE=$baseline is not an executable" >&2; exit 1; }
  plan_once "$work/bench.yaml" "$baseline"  # warm-up
fi
echo "== $tables tables × $per_table: $reps runs each, interleaved"
: >"$work/pgpart.us"; : >"$work/partman.us"; : >"$work/partman_server.us"; : >"$work/floor.us"
: >"$work/baseline.us"; : >"$work/baseline-offline.us"; : >"$work/baseline-big.us"
for ((i = 0; i < reps; i++)); do
  # The connection floor: a process that connects to the same database and asks one question.
  t0=$(now_s); "$psql_bin" "$dsn" -X -q -t -A -c 'select 1' >/dev/null
  echo $(($(now_s) - t0)) >>"$work/floor.us"
  t0=$(now_s); plan_once "$work/bench.yaml"; echo $(($(now_s) - t0)) >>"$work/pgpart.us"
  if [[ -n $baseline ]]; then
    t0=$(now_s); plan_once "$work/bench.yaml" "$baseline"
    echo $(($(now_s) - t0)) >>"$work/baseline.us"
  fi
  t0=$(now_s); sql -c "select partman.run_maintenance()" >/dev/null
  echo $(($(now_s) - t0)) >>"$work/partman.us"
  # The same call timed inside the server (no process start, no connection).
  "$psql_bin" "$dsn" -X -q -t -A -v ON_ERROR_STOP=1 <<'EOF' | tail -1 >>"$work/partman_server.us"
select clock_timestamp() as t0 \gset
select partman.run_maintenance() \g /dev/null
select (extract(epoch from clock_timestamp() - :'t0'::timestamptz) * 1e6)::bigint;
EOF
done
# For reference: the same plan offline from a snapshot (no server; parses the snapshot JSON).
"$pgpart" snapshot --dsn "$dsn" -f "$work/bench.yaml" -o "$work/bench-catalog.json" 2>/dev/null
: >"$work/offline.us"
for ((i = 0; i < reps; i++)); do
  t0=$(now_s)
  "$pgpart" plan -f "$work/bench.yaml" --catalog "$work/bench-catalog.json" >/dev/null
  echo $(($(now_s) - t0)) >>"$work/offline.us"
  if [[ -n $baseline ]]; then
    t0=$(now_s)
    "$baseline" plan -f "$work/bench.yaml" --catalog "$work/bench-catalog.json" >/dev/null
    echo $(($(now_s) - t0)) >>"$work/baseline-offline.us"
  fi
done
# Where the plan's time goes: one more run with the server's time for each statement logged
# (parse, bind and execute: what the server spends on pgpart's catalog read).
server_ms=
if [[ -n $log_file ]]; then
  "$psql_bin" "$server_dsn" -X -q -c "alter database pgpart_bench set log_min_duration_statement = 0"
  offset=$(stat -c %s "$log_file")
  plan_once "$work/bench.yaml"
  "$psql_bin" "$server_dsn" -X -q -c "alter database pgpart_bench reset log_min_duration_statement"
  server_ms=$(tail -c +$((offset + 1)) "$log_file" | awk '
    / pgpart_bench LOG:  duration: / {
      match($0, /duration: [0-9.]+ ms/); total += substr($0, RSTART + 10, RLENGTH - 13) }
    END { printf "%.1f", total }')
fi
pg_us=$(median <"$work/pgpart.us")
floor_us=$(median <"$work/floor.us")
vs_floor=$(awk -v a="$pg_us" -v b="$floor_us" 'BEGIN {printf "%.1f", a / b}')
offline_us=$(median <"$work/offline.us")
pm_us=$(median <"$work/partman.us")
pm_server_us=$(median <"$work/partman_server.us")
ratio=$(awk -v a="$pm_us" -v b="$pg_us" 'BEGIN {printf "%.1f", a / b}')
ratio_server=$(awk -v a="$pm_server_us" -v b="$pg_us" 'BEGIN {printf "%.1f", a / b}')

echo "== 1000-table set: $big_tables tables × $per_table (no pg_partman)"
t0=$(now_s)
sql -c "call bench_util.create_parents('bench1k', $big_tables)"
sql -c "call bench_util.create_children('bench1k', $big_tables, $months_back, $premake)"
big_children=$(scalar "select bench_util.child_count('bench1k')")
echo "   $big_children children created in $(ms $(($(now_s) - t0))) ms"
write_policy bench1k "$big_tables" "$work/bench1k.yaml"
sql -c "vacuum analyze" >/dev/null
plan_once "$work/bench1k.yaml"
: >"$work/big.us"; : >"$work/big.kb"
for ((i = 0; i < reps; i++)); do
  t0=$(now_s)
  rc=0
  "$gnu_time" -f '%M' -o "$work/time.out" \
    "$pgpart" plan -f "$work/bench1k.yaml" --dsn "$dsn" --detailed-exitcode >/dev/null 2>&1 || rc=$?
  echo $(($(now_s) - t0)) >>"$work/big.us"
  ((rc == 0)) || { echo "bench: 1000-table plan exited $rc, expected 0" >&2; exit 1; }
  tail -1 "$work/time.out" >>"$work/big.kb"
  if [[ -n $baseline ]]; then
    t0=$(now_s); plan_once "$work/bench1k.yaml" "$baseline"
    echo $(($(now_s) - t0)) >>"$work/baseline-big.us"
  fi
done
big_us=$(median <"$work/big.us")
big_kb=$(sort -n "$work/big.kb" | tail -1)

# Prints PASS or MISS (it runs in a subshell: the exit status is derived from the printed words).
verdict() { if awk "BEGIN {exit !($1)}"; then echo PASS; else echo MISS; fi; }
v_ratio=$(verdict "$ratio >= 8")
v_floor=$(verdict "$vs_floor <= 1.5")
v_offline=$(verdict "$offline_us <= 30000")
v_big=$(verdict "$big_us <= 300000")
v_rss=$(verdict "$big_kb <= 65536")
echo
echo "== results (medians of $reps runs; wall times include process start and connection)"
printf '%-58s %10s ms\n' "pgpart plan, $tables × $per_table, no changes (exit 0)" "$(ms "$pg_us")"
printf '%-58s %10s ms\n' "psql -c 'select 1' to the same database (connection floor)" "$(ms "$floor_us")"
printf '%-58s %10s ×   goal <= 1.5×  %s\n' "ratio pgpart plan / connection floor" "$vs_floor" "$v_floor"
if [[ -n $server_ms ]]; then
  printf '%-58s %10s ms   (one more run, statement times logged)\n' \
    "  of which the server's time on pgpart's catalog read" "$server_ms"
fi
printf '%-58s %10s ms   goal <= 30 ms   %s\n' "pgpart plan, same tables offline from a snapshot (--catalog)" \
  "$(ms "$offline_us")" "$v_offline"
printf '%-58s %10s ms\n' "pg_partman run_maintenance(), no-op, via psql" "$(ms "$pm_us")"
printf '%-58s %10s ms\n' "pg_partman run_maintenance(), no-op, inside the server" "$(ms "$pm_server_us")"
printf '%-58s %10s ×   goal >= 8×    %s\n' "ratio partman (psql) / pgpart" "$ratio" \
  "$v_ratio"
printf '%-58s %10s ×   (stricter: no psql/connection cost for partman)\n' \
  "ratio partman (in server) / pgpart" "$ratio_server"
printf '%-58s %10s ms   goal <= 300 ms  %s\n' "pgpart plan, $big_tables × $per_table, wall" \
  "$(ms "$big_us")" "$v_big"
printf '%-58s %10s MB   goal <= 64 MB   %s\n' "pgpart plan, $big_tables × $per_table, peak RSS (max)" \
  "$(awk -v k="$big_kb" 'BEGIN {printf "%.1f", k / 1024}')" "$v_rss"
if [[ -n $baseline ]]; then
  echo "== baseline: PGPART_BASELINE=$baseline, the same runs, interleaved"
  for pair in "pgpart:100 × $per_table, no changes" "offline:same tables offline (--catalog)" \
              "big:$big_tables × $per_table"; do
    case ${pair%%:*} in
      pgpart) b=baseline.us; a=$pg_us ;;
      offline) b=baseline-offline.us; a=$offline_us ;;
      big) b=baseline-big.us; a=$big_us ;;
    esac
    b_us=$(median <"$work/$b")
    printf '%-58s %10s ms   now %s ms (%s× faster)\n' "baseline plan, ${pair#*:}" "$(ms "$b_us")" \
      "$(ms "$a")" "$(awk -v a="$a" -v b="$b_us" 'BEGIN {printf "%.2f", b / a}')"
  done
fi
[[ "$v_ratio $v_floor $v_offline $v_big $v_rss" == *MISS* ]] && exit 3
exit 0
