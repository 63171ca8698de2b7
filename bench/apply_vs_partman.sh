#!/usr/bin/env bash
# Benchmark: `pgpart apply` vs pg_partman 4.7's run_maintenance() vs the same DDL as one plain psql
# script (the floor), doing the same work in one run on identical fresh copies of 100 tables × 42
# monthly partitions (36 back, current, premake 4, default; one row in each current partition):
# the policy asks for premake +2 and keeps 12 months less, so each table gets 2 creates, 12 drops.
#   1. Work case: wall time of each contender, median of --reps runs, interleaved, each on a fresh
#      copy (CREATE DATABASE ... TEMPLATE); ratios pgpart / floor (goal <= 2× with the audit on,
#      issue 16), pgpart / its own statements run by psql (goal <= 1.3×) and pgpart / pg_partman
#      (goal < 1×). All contenders must end with the same partitions. pgpart's copies are taken
#      out of pg_partman first (docs/migrating-from-pg_partman.md), pg_partman's are configured.
#      For reference: pg_partman's run_maintenance_proc() (a commit per table) and pgpart's own
#      statements (`plan --format sql`) run by psql without the executor.
#   2. Writers: pgbench inserting at --rate into the current partitions (through the parents) while
#      the maintenance runs; p50/p99/max insert latency (from the scheduled start: no coordinated
#      omission) and errors, for idle / pgpart apply / pg_partman (both entry points); goal for
#      pgpart: p99 <= idle p99 + 2 ms, 0 errors. Lock waits are sampled meanwhile (every 20 ms):
#      who blocked the inserts. Exit status: pgpart's goals only.
#
# Usage: bench/apply_vs_partman.sh [--reps N (5)] [--tables N (100)] [--rate TPS (1000)]
#                                  [--writer-reps N (3)]
# Env:   PGPART            the binary (default build/src/cli/pgpart)
#        PGPART_BASELINE   another pgpart binary (e.g. built from an older commit) timed as one
#                          more contender, "baseline", in the same run: before and after side by
#                          side
#        BENCH_DSN         a server to use (superuser, pg_partman 4.7; no server-log breakdown then);
#                          default: a sandbox started here with scripts/pg-sandbox in
#                          $BENCH_APPLY_DIR (default /tmp/pgpart-bench-apply) on port
#                          $BENCH_APPLY_PORT (default 55491), stopped (and removed if this script
#                          created it) on exit
# Exit:  0 when every goal is met, 3 when one is missed, 1 on error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
command_line="${PGPART:+PGPART=$PGPART }${BENCH_DSN:+BENCH_DSN=... }bench/apply_vs_partman.sh${*:+ $*}"

reps=5
tables=100
rate=1000
writer_reps=3
months_back=36
premake=4
more_premake=2
drops=12
while (($#)); do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --tables) tables=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --writer-reps) writer_reps=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 1 ;;
  esac
done
per_table=$((months_back + 1 + premake + 1))                  # children + default
per_table_after=$((per_table + more_premake - drops))
keep_months=$((months_back - drops))

# shellcheck source=bench/pg_sandbox.sh
source "$root/bench/pg_sandbox.sh"
bench_tools pgbench

work=$root/build/bench-apply
mkdir -p "$work"

tmpl_db=pgpart_apply_tmpl
run_db=pgpart_apply_run
bg_pids=()
log_file=

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local pid
  for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${server_dsn:-} ]]; then
    "$psql_bin" "$server_dsn" -X -q -c "drop database if exists $run_db with (force)" \
      -c "drop database if exists $tmpl_db with (force)" >/dev/null 2>&1 || true
  fi
  bench_pg_stop
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n ${BENCH_DSN:-} ]]; then
  server_dsn=$BENCH_DSN
else
  bench_pg_start "${BENCH_APPLY_DIR:-/tmp/pgpart-bench-apply}" "${BENCH_APPLY_PORT:-55491}"
  log_file=$bench_pg_log
fi
tmpl_dsn="$server_dsn dbname=$tmpl_db"
export PGOPTIONS="-c client_min_messages=warning"
dsn="$server_dsn dbname=$run_db"

server() { "$psql_bin" "$server_dsn" -X -q -v ON_ERROR_STOP=1 "$@"; }
sql() { "$psql_bin" "$dsn" -X -q -v ON_ERROR_STOP=1 "$@"; }
scalar() { "$psql_bin" "$dsn" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; }
now_us() { echo "${EPOCHREALTIME/[,.]/}"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ms() { awk -v us="$1" 'BEGIN {printf "%.1f", us / 1000}'; }
die() { echo "bench: $*" >&2; exit 1; }

# A fresh copy of the template (every contender starts from exactly the same catalog).
fresh_copy() {
  server -c "drop database if exists $run_db with (force)" \
    -c "create database $run_db template $tmpl_db"
}

# pg_partman's configuration for the same work (not timed, like writing pgpart's policy).
partman_configure() {
  sql -c "update partman.part_config set premake = $((premake + more_premake)),
            retention = '$keep_months months', retention_keep_table = false" >/dev/null
}

# pgpart refuses to touch a table pg_partman still maintains (two maintainers would fight): take
# the tables out of pg_partman first, keeping their partitions, as docs/migrating-from-pg_partman.md
# says (not timed, like partman_configure). Every contender but pg_partman starts from there.
hand_over() {
  sql -c "delete from partman.part_config" >/dev/null
}

# A fresh copy configured for contender $1.
prepare() {  # name
  fresh_copy
  if [[ $1 == partman* ]]; then partman_configure; else hand_over; fi
}

# Contenders. Each runs the whole work on $dsn; output in $work/<name>.out.
run_contender() {  # name
  local rc=0
  case $1 in
    pgpart) "$pgpart" apply --auto-approve -f "$work/policy.yaml" --dsn "$dsn" \
              >"$work/$1.out" 2>&1 || rc=$? ;;
    pgpart-no-audit) "$pgpart" apply --auto-approve --no-audit -f "$work/policy.yaml" \
              --dsn "$dsn" >"$work/$1.out" 2>&1 || rc=$? ;;
    baseline) "$PGPART_BASELINE" apply --auto-approve -f "$work/policy.yaml" --dsn "$dsn" \
              >"$work/$1.out" 2>&1 || rc=$? ;;
    partman) sql -c "select partman.run_maintenance()" >"$work/$1.out" 2>&1 || rc=$? ;;
    partman-proc) sql -c "call partman.run_maintenance_proc()" >"$work/$1.out" 2>&1 || rc=$? ;;
    floor) sql -f "$work/floor.sql" >"$work/$1.out" 2>&1 || rc=$? ;;
    plan-sql) sql -f "$work/plan.sql" >"$work/$1.out" 2>&1 || rc=$? ;;
    idle) ;;
    *) die "unknown contender $1" ;;
  esac
  ((rc == 0)) || { tail -20 "$work/$1.out" >&2; die "$1 exited $rc"; }
}

# Fails unless the copy ends with the expected partitions (the same for every contender).
check_end_state() {  # name
  local count layout
  count=$(scalar "select bench_util.child_count('bench')")
  layout=$(scalar "select bench_apply.layout('bench')")
  ((count == tables * per_table_after)) ||
    die "$1 left $count partitions, expected $((tables * per_table_after))"
  if [[ -z ${expected_layout:-} ]]; then
    expected_layout=$layout
  elif [[ $layout != "$expected_layout" ]]; then
    die "$1 left different partitions than the other contenders (layout $layout)"
  fi
}

echo "== setup: template database $tmpl_db (timezone UTC), pg_partman $(
  "$psql_bin" "$server_dsn" -X -t -A -c \
    "select default_version from pg_available_extensions where name = 'pg_partman'"), $(
  "$pgpart" --version 2>/dev/null | head -1)"
server -c "drop database if exists $run_db with (force)" \
  -c "drop database if exists $tmpl_db with (force)" -c "create database $tmpl_db" \
  -c "alter database $tmpl_db set timezone to 'UTC'"
t0=$(now_us)
"$psql_bin" "$tmpl_dsn" -X -q -v ON_ERROR_STOP=1 -f bench/bench.sql -f bench/apply_bench.sql \
  -c "create schema partman" -c "create extension pg_partman schema partman" \
  -c "call bench_util.create_parents('bench', $tables)" \
  -c "call bench_util.partman_create_parents('bench', $tables, $months_back, $premake)" \
  -c "call bench_apply.seed_current('bench', $tables)" -c "vacuum analyze"
children=$("$psql_bin" "$tmpl_dsn" -X -t -A -c "select bench_util.child_count('bench')")
((children == tables * per_table)) || die "expected $((tables * per_table)) children, got $children"
echo "   $tables tables × $per_table partitions (partman.create_parent, premake $premake):" \
     "$children children in $(ms $(($(now_us) - t0))) ms"

# The policy: premake +$more_premake, keep $keep_months months (= $drops fewer than exist).
{
  echo "apiVersion: pgpart.io/v1alpha1"
  echo "kind: PartitionPolicy"
  echo "metadata:"
  echo "  name: bench-apply"
  echo "spec:"
  echo "  tables:"
  "$psql_bin" "$tmpl_dsn" -X -t -A -c \
    "select '    - bench.' || bench_util.table_name(i, $tables) from generate_series(1, $tables) i"
  echo "  column: ts"
  echo "  interval: 1 month"
  echo "  timeZone: UTC"
  echo "  premake: $((premake + more_premake))"
  echo '  naming: "{parent}_p{YYYY}_{MM}"'
  echo "  defaultPartition: true"
  echo "  retention:"
  echo "    keep: $keep_months months"
  echo "    action: drop"
  echo "    maxDropsPerRun: $drops"
} >"$work/policy.yaml"
# The floor: plain CREATE TABLE ... PARTITION OF / DROP TABLE, autocommit, one psql script.
"$psql_bin" "$tmpl_dsn" -X -t -A -v ON_ERROR_STOP=1 -c "select * from bench_apply.floor_sql(
  'bench', $tables, $months_back, $drops, $premake, $((premake + more_premake)))" >"$work/floor.sql"
# For reference: pgpart's own statements (plan --format sql) run by psql, without the executor.
prepare pgpart
"$pgpart" plan -f "$work/policy.yaml" --dsn "$dsn" --format sql >"$work/plan.sql"
# The counts from the JSON plan (its summary object is the stable interface; the text wording
# is for people).
"$pgpart" plan -f "$work/policy.yaml" --dsn "$dsn" --format json >"$work/plan.json"
summary=$(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(" ".join(f"{k}={s.get(k, 0)}" for k in
               ("create", "drain", "detach", "archive", "drop", "held", "blocked")))' "$work/plan.json")
echo "   pgpart plan: $summary; floor: $(grep -c . "$work/floor.sql") statements"
[[ $summary == "create=$((tables * more_premake)) drain=0 detach=0 archive=0 drop=$((tables * drops)) held=0 blocked=0" ]] ||
  die "unexpected plan: $summary"

# ---------------------------------------------------------------------------------------------
contenders=(pgpart pgpart-no-audit partman partman-proc floor plan-sql)
if [[ -n ${PGPART_BASELINE:-} ]]; then
  [[ -x $PGPART_BASELINE ]] || die "PGPART_BASELINE=$PGPART_BASELINE is not an executable"
  contenders+=(baseline)
fi
echo "== work case: ${#contenders[@]} contenders × $reps runs, interleaved, each on a fresh copy"
for c in "${contenders[@]}"; do : >"$work/$c.us"; done
for ((r = 0; r < reps; r++)); do
  line="   run $((r + 1)):"
  for ((k = 0; k < ${#contenders[@]}; k++)); do
    c=${contenders[$(((k + r) % ${#contenders[@]}))]}  # rotate the order between runs
    prepare "$c"
    t0=$(now_us)
    run_contender "$c"
    t=$(($(now_us) - t0))
    echo "$t" >>"$work/$c.us"
    check_end_state "$c"
    line+=" $c $(ms "$t")"
  done
  echo "$line ms"
done
declare -A med
for c in "${contenders[@]}"; do med[$c]=$(median <"$work/$c.us"); done

# Where pgpart's time goes: one more run with every statement's server-side duration logged.
breakdown=
if [[ -n $log_file ]]; then
  prepare pgpart
  server -c "alter database $run_db set log_min_duration_statement = 0"
  offset=$(stat -c %s "$log_file")
  t0=$(now_us)
  run_contender pgpart
  logged_us=$(($(now_us) - t0))
  tail -c +$((offset + 1)) "$log_file" | awk -v db="$run_db" '
    # "duration: X ms  statement|parse|bind|execute <name>: SQL" (SQL may start on the next line)
    function key(s) {
      gsub(/"?bench"?\."?t[0-9]+[a-z0-9_]*"?/, "T", s); gsub(/[0-9]+/, "N", s)
      gsub(/^[ \t]+/, "", s); return substr(s, 1, 64)
    }
    pending != "" { k = key($0); if (k == "") next; add(pending_ms, k, pending_kind); pending = ""; next }
    function add(d, k, kind) { total += d; t[k] += d; if (kind !~ /^(parse|bind)/) n[k]++; stmts += (kind !~ /^(parse|bind)/) }
    $0 ~ (" " db " LOG:  duration: ") {
      match($0, /duration: [0-9.]+ ms  /); d = substr($0, RSTART + 10, RLENGTH - 15) + 0
      rest = substr($0, RSTART + RLENGTH); kind = rest; sub(/:.*/, "", kind)
      sql = rest; sub(/^[^:]*: ?/, "", sql)
      if (key(sql) == "") { pending = "y"; pending_ms = d; pending_kind = kind } else add(d, key(sql), kind)
    }
    END {
      printf "%d statements, %.0f ms inside the server\n", stmts, total
      for (k in t) printf "%.1f\t%d\t%s\n", t[k], n[k], k | "sort -rn | head -8"
    }' >"$work/breakdown.txt"
  breakdown=$(cat "$work/breakdown.txt")
fi

# ---------------------------------------------------------------------------------------------
# Writers: pgbench inserting into the parents (now(): the current partitions) at a fixed rate.
digits=${#tables}
{
  echo "\\set t random(1, $tables)"
  for ((p = digits - 1; p >= 0; p--)); do echo "\\set d$p (:t / $((10 ** p))) % 10"; done
  echo "\\set id random(1, 1000000000)"
  name="t"; for ((p = digits - 1; p >= 0; p--)); do name+=":d$p"; done
  echo "INSERT INTO bench.$name (id, ts, value) VALUES (:id, now(), random());"
} >"$work/insert.sql"
slowest=0
for c in pgpart partman partman-proc; do ((med[$c] > slowest)) && slowest=${med[$c]}; done
lead_s=2
# Long enough for the slowest maintenance to finish under load (3× its idle time), bounded.
bench_s=$((lead_s + 2 + 3 * slowest / 1000000 + 1)); ((bench_s > 60)) && bench_s=60
sample_every=0.02
writers=(idle pgpart partman partman-proc)
echo "== writers: pgbench -c 4 -j 2 -R $rate -T $bench_s, maintenance starts after ${lead_s}s;" \
     "${#writers[@]} cases × $writer_reps runs"
for c in "${writers[@]}"; do : >"$work/lat-$c.us"; : >"$work/waits-$c.txt"; echo 0 >"$work/err-$c"; done
for ((r = 0; r < writer_reps; r++)); do
  line="   run $((r + 1)):"
  for c in "${writers[@]}"; do
    prepare "$c"
    rm -f "$work/pgbench_log".*
    "$psql_bin" "$dsn" -X -q -v ON_ERROR_STOP=1 \
      -c "call bench_apply.sample_lock_waits($bench_s, $sample_every)" >/dev/null 2>&1 &
    sampler=$!; bg_pids+=("$sampler")
    start=$(now_us)
    "$pgbench_bin" "$dsn" -n -f "$work/insert.sql" -c 4 -j 2 -R "$rate" -T "$bench_s" \
      -l --log-prefix="$work/pgbench_log" >"$work/pgbench-$c.out" 2>&1 &
    pgb=$!; bg_pids+=("$pgb")
    sleep "$lead_s"
    m0=$(now_us)
    run_contender "$c"
    m1=$(now_us)
    pgb_rc=0; wait "$pgb" || pgb_rc=$?
    wait "$sampler" || true
    bg_pids=()
    if [[ $c == idle ]]; then  # the steady part of the run
      w0=$((start + lead_s * 1000000)); w1=$((start + (bench_s - 1) * 1000000))
    else
      w0=$m0; w1=$m1
      check_end_state "$c"
    fi
    ((m1 <= start + bench_s * 1000000)) || echo "   warning: $c outlasted pgbench" >&2
    # Inserts overlapping the window [w0, w1]: end = epoch.us, start = end - latency.
    cat "$work/pgbench_log".* | awk -v w0="$w0" -v w1="$w1" '
      { end = $5 * 1000000 + $6; if (end >= w0 && end - $3 <= w1) print $3 }' >>"$work/lat-$c.us"
    errs=$(awk '/number of failed transactions/ {print $5}' "$work/pgbench-$c.out")
    aborted=$(grep -c -E 'aborted|ERROR|FATAL' "$work/pgbench-$c.out" || true)
    ((pgb_rc == 0)) || aborted=$((aborted + 1))
    echo $(($(cat "$work/err-$c") + ${errs:-0} + aborted)) >"$work/err-$c"
    "$psql_bin" "$dsn" -X -t -A -F $'\t' -c "select extract(epoch from at)::numeric(20,3), waiter,
      blocker, blocker_state from bench_apply.lock_waits order by at" >>"$work/waits-$c.txt"
    line+=" $c window $(ms $((w1 - w0))) ms"
  done
  echo "$line"
done

pct() {  # file percentile -> µs (nearest rank)
  sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {if (!NR) {print 0; exit}
    r = int(p / 100 * NR + 0.999999); if (r < 1) r = 1; print a[r]}'
}
declare -A p50 p99 pmax nlat errs
for c in "${writers[@]}"; do
  p50[$c]=$(pct "$work/lat-$c.us" 50); p99[$c]=$(pct "$work/lat-$c.us" 99)
  pmax[$c]=$(pct "$work/lat-$c.us" 100); nlat[$c]=$(grep -c . "$work/lat-$c.us" || true)
  errs[$c]=$(cat "$work/err-$c")
done

# Who blocked the inserts: samples (every ${sample_every}s) with an INSERT waiting, by blocker.
waits_summary() {  # contender
  awk -F'\t' '$2 ~ /^INSERT/ {
      b = $3; gsub(/"?bench"?\."?t[0-9]+[a-z0-9_]*"?/, "T", b); gsub(/[0-9]+/, "N", b)
      b = substr(b, 1, 60) " [" $4 "]"; if (!((b, $1) in seen)) { seen[b, $1] = 1; n[b]++ }
      at[$1] = 1 }
    END { k = 0; for (a in at) k++; printf "%d samples with a blocked insert\n", k
          for (b in n) printf "      %5d  %s\n", n[b], b | "sort -rn | head -4" }' "$work/waits-$1.txt"
}

# Sets $v to PASS or MISS (no subshell, so that a miss reaches the exit status).
verdict() { if awk "BEGIN {exit !($1)}"; then v=PASS; else v=MISS; missed=1; fi; }
missed=0
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
r_floor=$(ratio "${med[pgpart]}" "${med[floor]}")
r_partman=$(ratio "${med[pgpart]}" "${med[partman]}")
r_floor_na=$(ratio "${med[pgpart-no-audit]}" "${med[floor]}")
r_plansql=$(ratio "${med[plan-sql]}" "${med[floor]}")
goal_p99=$((p99[idle] + 2000))

echo
echo "== results: $command_line"
echo "   work: $tables tables × $per_table partitions; premake +$more_premake, keep $keep_months" \
     "months: $((tables * more_premake)) creates + $((tables * drops)) drops;" \
     "medians of $reps runs, wall time incl. process start and connection"
printf '   %-52s %10s ms\n' "pgpart apply --auto-approve (audit)" "$(ms "${med[pgpart]}")"
printf '   %-52s %10s ms\n' "pgpart apply --auto-approve --no-audit" "$(ms "${med[pgpart-no-audit]}")"
if [[ -n ${med[baseline]:-} ]]; then
  printf '   %-52s %10s ms   (%s× pgpart; %s× the floor)\n' "baseline: PGPART_BASELINE apply (audit)" \
    "$(ms "${med[baseline]}")" "$(ratio "${med[baseline]}" "${med[pgpart]}")" \
    "$(ratio "${med[baseline]}" "${med[floor]}")"
fi
printf '   %-52s %10s ms\n' "pg_partman run_maintenance() via psql" "$(ms "${med[partman]}")"
printf '   %-52s %10s ms\n' "ref: pg_partman run_maintenance_proc() (per table)" \
  "$(ms "${med[partman-proc]}")"
printf '   %-52s %10s ms\n' "floor: plain DDL script via psql (autocommit)" "$(ms "${med[floor]}")"
printf '   %-52s %10s ms\n' "ref: pgpart plan --format sql via psql" "$(ms "${med[plan-sql]}")"
verdict "$r_floor <= 2"
printf '   %-52s %10s ×   goal <= 2×    %s\n' "ratio pgpart / floor" "$r_floor" "$v"
r_own=$(awk -v a="${med[pgpart]}" -v b="${med[plan-sql]}" 'BEGIN {printf "%.2f", a / b}')
verdict "$r_own <= 1.3"
printf '   %-52s %10s ×   goal <= 1.3×  %s\n' "ratio pgpart / its own statements via psql" "$r_own" "$v"
verdict "$r_partman < 1"
printf '   %-52s %10s ×   goal < 1×     %s\n' "ratio pgpart / pg_partman" "$r_partman" "$v"
printf '   %-52s %10s ×\n' "ratio pgpart --no-audit / floor" "$r_floor_na"
printf '   %-52s %10s ×   (pgpart statements, no executor)\n' "ratio plan-sql / floor" "$r_plansql"
if [[ -n $breakdown ]]; then
  echo "   where pgpart apply's time goes (one extra run, $(ms "$logged_us") ms with statement"
  echo "   logging on): $(head -1 <<<"$breakdown"); top statements (ms, count, statement):"
  tail -n +2 <<<"$breakdown" | awk -F'\t' '{printf "      %8.1f %6d  %s\n", $1, $2, $3}'
fi
echo "   writers: pgbench -c 4 -j 2 -R $rate, INSERT into the parents at now(); latency from the"
echo "   scheduled start, inserts overlapping the maintenance (idle: the steady part), $writer_reps runs pooled"
printf '   %-22s %8s %10s %10s %10s %8s\n' "" inserts "p50 ms" "p99 ms" "max ms" errors
for c in "${writers[@]}"; do
  printf '   %-22s %8s %10s %10s %10s %8s\n' "$c" "${nlat[$c]}" "$(ms "${p50[$c]}")" \
    "$(ms "${p99[$c]}")" "$(ms "${pmax[$c]}")" "${errs[$c]}"
done
verdict "${p99[pgpart]} <= $goal_p99"
printf '   %-52s %10s ms   goal <= %s ms  %s\n' "p99 during pgpart apply (idle p99 + 2 ms)" \
  "$(ms "${p99[pgpart]}")" "$(ms "$goal_p99")" "$v"
verdict "${errs[pgpart]} == 0"
printf '   %-52s %10s      goal 0        %s\n' "errors during pgpart apply" "${errs[pgpart]}" "$v"
for c in pgpart partman partman-proc; do
  echo "   lock waits during $c: $(waits_summary "$c")"
done
exit $((missed ? 3 : 0))
