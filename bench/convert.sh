#!/usr/bin/env bash
# Benchmark: pgpart's online conversion of a plain table into a partitioned one (issue 13), side by
# side in one run with the same move done by hand, each on an identical fresh copy (CREATE DATABASE
# ... TEMPLATE) of an IoT-like table: sensor_readings (bigserial id primary key, device_id int
# referencing devices, recorded_at timestamptz over ~2 years up to now, value float8, status text;
# indexes (device_id, recorded_at), (recorded_at), (status, recorded_at)), --rows rows.
#   1. Work case: wall time of each contender, median of --reps runs; each ends with the same
#      partitioned table (monthly partitions, primary key (id, recorded_at), the 3 indexes and the
#      foreign key, all created before the rows go in) holding the same rows (count + checksum):
#        floor    CREATE TABLE new (LIKE ...) PARTITION BY RANGE + the partitions pgpart creates +
#                 keys and indexes, then one INSERT INTO new SELECT * FROM old (timed: the INSERT)
#        pgslice  the same target, filled pgslice-style in plain SQL: one INSERT ... SELECT per
#                 --batch-rows id range (AND the partitions' time range), each its own transaction
#        pgpart   pgpart apply --auto-approve of a policy with spec.convert (timed: the whole apply,
#                 process start to exit; its steps' own seconds from its log lines)
#      Goal: pgpart / floor <= 1.5×. Peak extra disk (pg_database_size sampled every 250 ms, peak
#      minus before) and WAL written are reported for each.
#   2. Writers: pgbench at a fixed --rate doing 70% INSERT (recorded_at now()), 20% UPDATE by id,
#      10% DELETE by id on sensor_readings, each statement mirroring its change into a plain
#      reference table in the same statement (a data-modifying WITH); --idle-seconds of writers
#      alone, then pgpart apply, then 3 s more. Latency per transaction from its scheduled start
#      (pgbench -R -l: no coordinated omission), p50/p99/max over the transactions overlapping each
#      window (idle; convert_copy; the whole apply; the swap; after the swap). Errors: failed
#      transactions in the logs (--max-tries 1: a deadlock or serialization failure counts) plus
#      aborted clients. pg_locks is sampled every 10 ms from another session: the longest span the
#      old table had a granted ACCESS EXCLUSIVE lock (and requested or granted: what writers queue
#      behind); convert_swap's own seconds are its upper bound. Afterwards, writers stopped, the
#      converted table must equal the reference (count + checksum).
#      Goals: p99 during the copy <= idle p99 + 10 ms; 0 writer errors (the swap only makes writers
#      wait); ACCESS EXCLUSIVE held <= 1 s; converted table = reference.
#
# Usage: bench/convert.sh [--rows N (5000000)] [--reps N (1)] [--rate TPS (500)]
#                         [--clients N (8)] [--idle-seconds S (20)] [--batch-rows N (10000)]
#                         [--skip-writers] [--keep]
# Env:   PGPART            the binary (default build/src/cli/pgpart)
#        BENCH_CONVERT_DIR / BENCH_CONVERT_PORT  the sandbox started here with scripts/pg-sandbox
#                          (default /tmp/pgpart-bench-convert, port 55495), stopped (and removed if
#                          this script created it) on exit; --keep leaves it and its databases
#        Files (policy, SQL, pgbench logs, pgpart output) go to build/bench-convert.
# Exit:  0 when every goal is met, 3 when one is missed, 1 on error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
command_line="${PGPART:+PGPART=$PGPART }bench/convert.sh${*:+ $*}"

rows=5000000
reps=1
rate=500
clients=8
idle_s=20
batch_rows=10000
skip_writers=0
keep=0
while (($#)); do
  case $1 in
    --rows) rows=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --idle-seconds) idle_s=$2; shift 2 ;;
    --batch-rows) batch_rows=$2; shift 2 ;;
    --skip-writers) skip_writers=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 1 ;;
  esac
done
for n in "$rows" "$reps" "$rate" "$clients" "$idle_s" "$batch_rows"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench: expected a positive integer, got '$n'" >&2; exit 1; }
done
((idle_s >= 5)) || { echo "bench: --idle-seconds must be >= 5" >&2; exit 1; }

# shellcheck source=bench/pg_sandbox.sh
source "$root/bench/pg_sandbox.sh"
bench_tools pgbench

work=$root/build/bench-convert
mkdir -p "$work"
tmpl_db=pgpart_convert_tmpl
run_db=pgpart_convert_run
table=sensor_readings
bg_pids=()

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local pid
  for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ((keep)) && return 0
  if [[ -n ${server_dsn:-} ]]; then
    "$psql_bin" "$server_dsn" -X -q -c "drop database if exists $run_db with (force)" \
      -c "drop database if exists $tmpl_db with (force)" >/dev/null 2>&1 || true
  fi
  bench_pg_stop
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_pg_start "${BENCH_CONVERT_DIR:-/tmp/pgpart-bench-convert}" "${BENCH_CONVERT_PORT:-55495}"
tmpl_dsn="$server_dsn dbname=$tmpl_db"
dsn="$server_dsn dbname=$run_db"
export PGOPTIONS="-c client_min_messages=warning"

server() { "$psql_bin" "$server_dsn" -X -q -v ON_ERROR_STOP=1 "$@"; }
server_scalar() { "$psql_bin" "$server_dsn" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; }
sql() { "$psql_bin" "$dsn" -X -q -v ON_ERROR_STOP=1 "$@"; }
scalar() { "$psql_bin" "$dsn" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; }
now_us() { echo "${EPOCHREALTIME/[,.]/}"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ms() { awk -v us="$1" 'BEGIN {printf "%.1f", us / 1000}'; }
secs() { awk -v us="$1" 'BEGIN {printf "%.2f", us / 1000000}'; }
mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
die() { echo "bench: $*" >&2; exit 1; }

# A fresh copy of the template: every contender starts from the same files (and a checkpoint).
fresh_copy() {
  server -c "drop database if exists $run_db with (force)" \
    -c "create database $run_db template $tmpl_db strategy file_copy" \
    -c "alter database $run_db set timezone to 'UTC'" -c "checkpoint"
}

# The sampler lives in the postgres database (it must not touch the converted one): every
# $1 seconds, whether the old table (oid $2) has an ACCESS EXCLUSIVE lock granted / requested and
# how many lock requests on it wait; every $3-th sample, the size of the run database.
server <<'SQL'
create table if not exists bench_convert_samples (run text, at timestamptz, db_bytes bigint,
  ael_granted bool, ael_requested bool, waiting int);
create table if not exists bench_convert_stop (run text);
create or replace procedure bench_convert_sample(p_run text, p_db name, p_rel oid,
                                                 p_every float8, p_size_every int)
language plpgsql as $$
declare
  dbid oid := (select oid from pg_database where datname = p_db);
  i int := 0;
begin
  loop
    exit when exists (select from bench_convert_stop where run = p_run);
    insert into bench_convert_samples
      select p_run, clock_timestamp(),
             case when i % p_size_every = 0 then pg_database_size(dbid) end,
             coalesce(bool_or(granted) filter (where mode = 'AccessExclusiveLock'), false),
             coalesce(bool_or(true) filter (where mode = 'AccessExclusiveLock'), false),
             count(*) filter (where not granted)
        from pg_locks where locktype = 'relation' and database = dbid and relation = p_rel;
    commit;
    i := i + 1;
    perform pg_sleep(p_every);
  end loop;
end $$;
truncate bench_convert_samples, bench_convert_stop;
SQL
sampler_pid=
start_sampler() {  # run every size_every
  local rel
  rel=$(scalar "select '$table'::regclass::oid")
  "$psql_bin" "$server_dsn" -X -q -v ON_ERROR_STOP=1 \
    -c "call bench_convert_sample('$1', '$run_db', $rel, $2, $3)" >"$work/sampler-$1.out" 2>&1 &
  sampler_pid=$!; bg_pids+=("$sampler_pid")
  # Its first sample is the size before.
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $(server_scalar "select count(*) from bench_convert_samples where run = '$1'") != 0 ]] &&
      return 0
    sleep 0.05
  done
  die "the sampler did not start: $(cat "$work/sampler-$1.out")"
}
stop_sampler() {  # run
  server -c "insert into bench_convert_stop values ('$1')"
  wait "$sampler_pid" || die "sampler: $(cat "$work/sampler-$1.out")"
}
# Peak extra size of the run database during the run (bytes).
peak_extra_disk() {  # run
  server_scalar "select max(db_bytes) - (array_agg(db_bytes order by at)
    filter (where db_bytes is not null))[1] from bench_convert_samples where run = '$1'"
}

# ---------------------------------------------------------------------------------------------
echo "== setup: template database $tmpl_db, $rows rows, $("$pgpart" --version 2>/dev/null | head -1)," \
     "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
server -c "drop database if exists $run_db with (force)" \
  -c "drop database if exists $tmpl_db with (force)" -c "create database $tmpl_db" \
  -c "alter database $tmpl_db set timezone to 'UTC'"
t0=$(now_us)
"$psql_bin" "$tmpl_dsn" -X -q -v ON_ERROR_STOP=1 -v rows="$rows" <<'SQL'
do $$ begin perform setseed(0.13); end $$;  -- the same rows every run
create table devices (id int primary key, serial text not null unique, site text not null);
insert into devices select i, 'SN-' || lpad(i::text, 6, '0'), 'site-' || (i % 40)
  from generate_series(1, 1000) i;
create table sensor_readings (
  id bigserial primary key,
  device_id int not null references devices (id),
  recorded_at timestamptz not null,
  value float8 not null,
  status text not null
);
-- Rows arrive in time order over ~2 years up to now (the physical order of a real ingest table).
insert into sensor_readings (device_id, recorded_at, value, status)
select 1 + floor(random() * 1000)::int,
       now() - interval '730 days' + (i::float8 / :rows) * interval '730 days',
       round((random() * 60 - 10)::numeric, 3)::float8,
       case when random() < 0.97 then 'ok' when random() < 0.8 then 'warn'
            else 'error: sensor did not answer' end
  from generate_series(1, :rows) i;
create index on sensor_readings (device_id, recorded_at);
create index on sensor_readings (recorded_at);
create index on sensor_readings (status, recorded_at);
create schema bench_convert;
-- Row count and an order-independent checksum of every column of every row.
create function bench_convert.digest(t regclass) returns text language plpgsql as $$
declare r text;
begin
  execute format('select count(*) || '' rows, checksum '' || coalesce(sum(hashtextextended(
    row(id, device_id, recorded_at, value, status)::text, 0)::numeric), 0) from %s', t) into r;
  return r;
end $$;
-- The partitioned table's shape: partitions and bounds, keys, indexes (names left out).
create function bench_convert.shape(t regclass) returns text language sql as $$
  select concat_ws(E'\n',
    (select count(*) || ' partitions: ' || string_agg(pg_get_expr(c.relpartbound, c.oid), ', '
                                                      order by pg_get_expr(c.relpartbound, c.oid))
       from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = t),
    (select string_agg(pg_get_constraintdef(oid), '; ' order by pg_get_constraintdef(oid))
       from pg_constraint where conrelid = t),
    (select string_agg(regexp_replace(pg_get_indexdef(indexrelid), 'INDEX \S+ ON (ONLY )?\S+', 'INDEX ON'),
                       '; ' order by 1)
       from pg_index where indrelid = t))
$$;
vacuum (freeze, analyze);
SQL
echo "   $rows rows in $(secs $(($(now_us) - t0))) s; table $(mb "$(
  "$psql_bin" "$tmpl_dsn" -X -t -A -c "select pg_table_size('$table')")") MB, indexes $(mb "$(
  "$psql_bin" "$tmpl_dsn" -X -t -A -c "select pg_indexes_size('$table')")") MB"

cat >"$work/policy.yaml" <<EOF
apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: readings}
spec:
  tables: [public.$table]
  column: recorded_at
  interval: 1 month
  convert:
    batchRows: $batch_rows
    primaryKey: [id, recorded_at]
EOF
cols="id, device_id, recorded_at, value, status"

# pgpart apply with each output line stamped with its arrival time (µs); sets apply_us.
run_pgpart() {  # out-file
  local rc=0 t
  t=$(now_us)
  { "$pgpart" apply --auto-approve -f "$work/policy.yaml" --dsn "$dsn" 2>&1 || echo "EXIT $?"; } |
    while IFS= read -r line; do printf '%s %s\n' "${EPOCHREALTIME/[,.]/}" "$line"; done >"$1"
  apply_us=$(($(now_us) - t))
  grep -q ' EXIT [0-9]*$' "$1" && rc=1
  grep -q 'Apply complete: 4 applied' "$1" || rc=1
  ((rc == 0)) || { tail -30 "$1" >&2; die "pgpart apply failed (output: $1)"; }
}
# A step's seconds and the arrival time (µs) of its log line.
step_seconds() { sed -n "s/.* step action=$2 .* seconds=\([0-9.]*\).*/\1/p" "$1" | tail -1; }
step_end_us() { awk -v a="action=$2" '$0 ~ " step " a " " {t = $1} END {print t}' "$1"; }

# The floor and pgslice-style targets: the partitions pgpart created (read from its result), the
# same keys, indexes and foreign key, all before the rows.
write_target_ddl() {
  {
    echo "create table ${table}_new (like $table including defaults including constraints"
    echo "  including storage including compression) partition by range (recorded_at);"
    echo "alter table ${table}_new add primary key (id, recorded_at);"
    echo "create index on ${table}_new (device_id, recorded_at);"
    echo "create index on ${table}_new (recorded_at);"
    echo "create index on ${table}_new (status, recorded_at);"
    echo "alter table ${table}_new add foreign key (device_id) references devices (id);"
    scalar "select format('create table %I partition of ${table}_new %s;', c.relname,
                          pg_get_expr(c.relpartbound, c.oid))
              from pg_inherits i join pg_class c on c.oid = i.inhrelid
             where i.inhparent = '$table'::regclass order by 1"
  } >"$work/target.sql"
  # The partitions' whole time range (pgslice fills only the rows inside it).
  local bounds="select (regexp_match(b, 'FROM \\(''([^'']*)''\\)'))[1]::timestamptz lo,
      (regexp_match(b, 'TO \\(''([^'']*)''\\)'))[1]::timestamptz hi
      from (select pg_get_expr(c.relpartbound, c.oid) b from pg_inherits i join pg_class c
            on c.oid = i.inhrelid where i.inhparent = '$table'::regclass) x"
  range_from=$(scalar "select min(lo) from ($bounds) y")
  range_to=$(scalar "select max(hi) from ($bounds) y")
  [[ -n $range_from && -n $range_to ]] || die "could not read the partitions' range"
}
write_pgslice_sql() {
  local lo hi
  lo=$("$psql_bin" "$tmpl_dsn" -X -t -A -c "select min(id) from $table")
  hi=$("$psql_bin" "$tmpl_dsn" -X -t -A -c "select max(id) from $table")
  # pgslice fill: WHERE id > start AND id <= start + batch AND the partitions' time range.
  "$psql_bin" "$tmpl_dsn" -X -t -A -c "select format('insert into ${table}_new ($cols) select $cols
      from $table where id > %s and id <= %s and recorded_at >= %L and recorded_at < %L;',
      s, s + $batch_rows, '$range_from', '$range_to')
    from generate_series($lo - 1, $hi - 1, $batch_rows) s" | grep . >"$work/pgslice.sql"
}

declare -A med all_us peak wal pgpart_steps
run_contender() {  # name rep
  local c=$1 t0 t1 w0 w1 rc=0
  fresh_copy
  [[ $c == pgpart ]] || sql -f "$work/target.sql"
  server -c checkpoint
  start_sampler "$c-$2" 0.25 1
  w0=$(server_scalar "select pg_current_wal_lsn()")
  t0=$(now_us)
  case $c in
    pgpart) run_pgpart "$work/pgpart-$2.out" ;;
    floor) sql -c "insert into ${table}_new select * from $table" >"$work/$c.out" 2>&1 || rc=$? ;;
    pgslice) sql -f "$work/pgslice.sql" >"$work/$c.out" 2>&1 || rc=$? ;;
  esac
  t1=$(now_us)
  ((rc == 0)) || { tail -20 "$work/$c.out" >&2; die "$c exited $rc"; }
  w1=$(server_scalar "select pg_current_wal_lsn()")
  stop_sampler "$c-$2"
  all_us[$c]+="$((t1 - t0)) "
  peak[$c]+="$(peak_extra_disk "$c-$2") "
  wal[$c]+="$(server_scalar "select pg_wal_lsn_diff('$w1', '$w0')::bigint") "
  # Same shape and the same rows as the old table.
  local target=${table}_new old=$table digest_new digest_old shape
  [[ $c == pgpart ]] && target=$table old=${table}_pgpart_old
  shape=$(scalar "select bench_convert.shape('$target')")
  if [[ -z ${expected_shape:-} ]]; then
    expected_shape=$shape
  elif [[ $shape != "$expected_shape" ]]; then
    die "$c ended with another shape than pgpart:"$'\n'"$shape"$'\n'"pgpart:"$'\n'"$expected_shape"
  fi
  digest_new=$(scalar "select bench_convert.digest('$target')")
  digest_old=$(scalar "select bench_convert.digest('$old')")
  [[ $digest_new == "$digest_old" ]] || copy_mismatch+=" $c (new $digest_new, old $digest_old)"
  [[ $digest_new == "$rows rows,"* ]] || copy_mismatch+=" $c (expected $rows rows: $digest_new)"
  if [[ $c == pgpart ]]; then
    local s
    for s in convert_prepare convert_copy convert_verify convert_swap; do
      pgpart_steps[$s]+="$(step_seconds "$work/pgpart-$2.out" "$s") "
    done
  fi
  echo -n " $c $(secs $((t1 - t0))) s"
}

copy_mismatch=
echo "== work: $reps run(s) of pgpart, floor, pgslice-style (batch $batch_rows rows), each on a" \
     "fresh copy"
for ((r = 1; r <= reps; r++)); do
  echo -n "   run $r:"
  run_contender pgpart "$r"
  if ((r == 1)); then
    write_target_ddl
    write_pgslice_sql
    echo -n " ($(grep -c 'partition of' "$work/target.sql") partitions, $(grep -c '^insert into' "$work/pgslice.sql") pgslice batches)"
  fi
  run_contender floor "$r"
  run_contender pgslice "$r"
  echo
done
[[ -z $copy_mismatch ]] || echo "   MISMATCH:$copy_mismatch" >&2
for c in pgpart floor pgslice; do
  med[$c]=$(tr ' ' '\n' <<<"${all_us[$c]}" | grep . | median)
  peak[$c]=$(tr ' ' '\n' <<<"${peak[$c]}" | grep . | median)
  wal[$c]=$(tr ' ' '\n' <<<"${wal[$c]}" | grep . | median)
done
for s in convert_prepare convert_copy convert_verify convert_swap; do
  pgpart_steps[$s]=$(tr ' ' '\n' <<<"${pgpart_steps[$s]}" | grep . | median)
done

# ---------------------------------------------------------------------------------------------
# Writers: 70% insert, 20% update by id, 10% delete by id, each mirrored into bench_ref.
max_id=$("$psql_bin" "$tmpl_dsn" -X -t -A -c "select max(id) from $table")
cat >"$work/insert.sql" <<EOF
\set dev random(1, 1000)
\set v random(-10000, 50000)
with w as (insert into $table (device_id, recorded_at, value, status)
           values (:dev, now(), :v / 1000.0, 'ok') returning $cols)
insert into bench_ref ($cols) select $cols from w;
EOF
cat >"$work/update.sql" <<EOF
\set id random(1, $max_id)
\set v random(-10000, 50000)
with w as (update $table set value = :v / 1000.0, status = 'corrected' where id = :id
           returning id, value, status)
update bench_ref r set value = w.value, status = w.status from w where r.id = w.id;
EOF
cat >"$work/delete.sql" <<EOF
\set id random(1, $max_id)
with w as (delete from $table where id = :id returning id)
delete from bench_ref r using w where r.id = w.id;
EOF

declare -A p50 p99 pmax nlat
# Latencies (µs from the scheduled start) of the transactions overlapping [w0, w1] (µs).
window() {  # name w0 w1
  cat "$work/pgbench_log".* | awk -v w0="$2" -v w1="$3" '
    NF >= 7 && $3 ~ /^[0-9]+$/ { end = $5 * 1000000 + $6; if (end >= w0 && end - $3 <= w1) print $3 }' |
    sort -n >"$work/lat-$1.us"
  nlat[$1]=$(grep -c . "$work/lat-$1.us" || true)
  p50[$1]=$(pct "$work/lat-$1.us" 50); p99[$1]=$(pct "$work/lat-$1.us" 99)
  pmax[$1]=$(pct "$work/lat-$1.us" 100)
}
pct() {  # sorted file, percentile -> µs (nearest rank)
  awk -v p="$2" '{a[NR]=$1} END {if (!NR) {print 0; exit}
    r = int(p / 100 * NR + 0.999999); if (r < 1) r = 1; print a[r]}' "$1"
}
# The longest run of consecutive samples with column $2 true: "lower_ms upper_ms samples" (lower:
# first to last sample seen; upper: the samples either side).
longest_span() {  # run column
  server_scalar "with s as (select at, $2 as f, lag(at) over w as prev, lead(at) over w as next,
      row_number() over w - row_number() over (partition by $2 order by at) as grp
      from bench_convert_samples where run = '$1' window w as (order by at))
    select coalesce(round(extract(epoch from max(hi - lo)) * 1000, 1), 0) || ' ' ||
           coalesce(round(extract(epoch from max(nxt - prv)) * 1000, 1), 0) || ' ' ||
           coalesce(max(n), 0)
      from (select min(at) lo, max(at) hi, min(prev) prv, max(next) nxt, count(*) n
              from s where f group by grp) r"
}

writers_done=0
if ((!skip_writers)); then
  echo "== writers: pgbench -M prepared -c $clients -j 2 -R $rate (insert 70 / update 20 /" \
       "delete 10), ${idle_s}s idle, then pgpart apply, then 3 s"
  fresh_copy
  sql -c "create table bench_ref as select * from $table" -c "alter table bench_ref add primary key (id)" \
    -c "vacuum analyze bench_ref" -c checkpoint
  rm -f "$work/pgbench_log".*
  start_sampler writers 0.01 25
  start=$(now_us)
  "$pgbench_bin" "$dsn" -n -M prepared -c "$clients" -j 2 -R "$rate" -T 36000 \
    --max-tries 1 --failures-detailed -l --log-prefix="$work/pgbench_log" \
    -f "$work/insert.sql@70" -f "$work/update.sql@20" -f "$work/delete.sql@10" \
    >"$work/pgbench.out" 2>"$work/pgbench.err" &
  pgb=$!; bg_pids+=("$pgb")
  sleep "$idle_s"
  kill -0 "$pgb" 2>/dev/null || { cat "$work/pgbench.err" >&2; die "pgbench ended early"; }
  a0=$(now_us)
  run_pgpart "$work/pgpart-writers.out"
  a1=$(now_us)
  sleep 3
  expected_tx=$(awk -v r="$rate" -v us="$(($(now_us) - start))" 'BEGIN {printf "%d", r * us / 1e6}')
  # pgbench has no graceful stop: SIGTERM loses only the last buffered log lines (after the
  # windows). (A background job of a script ignores SIGINT.)
  kill -TERM "$pgb" 2>/dev/null || true
  wait "$pgb" 2>/dev/null || true
  stop_sampler writers
  writers_apply_us=$apply_us
  wo=$work/pgpart-writers.out
  copy_end=$(step_end_us "$wo" convert_copy)
  copy_start=$((copy_end - $(awk -v s="$(step_seconds "$wo" convert_copy)" 'BEGIN {printf "%d", s * 1e6}')))
  swap_end=$(step_end_us "$wo" convert_swap)
  swap_s=$(step_seconds "$wo" convert_swap)
  swap_start=$((swap_end - $(awk -v s="$swap_s" 'BEGIN {printf "%d", s * 1e6}')))
  window idle $((start + 2000000)) "$a0"
  window copy "$copy_start" "$copy_end"
  window apply "$a0" "$a1"
  window swap "$swap_start" "$swap_end"
  window after $((a1 + 500000)) $((a1 + 2500000))
  # Errors: failed transactions in the logs, aborted clients, any error pgbench printed.
  failed=$(cat "$work/pgbench_log".* | awk 'NF >= 7 && $3 !~ /^[0-9]+$/' | grep -c . || true)
  aborted=$(grep -c -i -E 'aborted|error' "$work/pgbench.err" || true)
  writer_errors=$((failed + aborted))
  logged=$(cat "$work/pgbench_log".* | awk 'NF >= 7' | grep -c . || true)
  read -r held_lo held_hi held_n <<<"$(longest_span writers ael_granted)"
  read -r req_lo req_hi req_n <<<"$(longest_span writers ael_requested)"
  max_waiting=$(server_scalar "select coalesce(max(waiting), 0) from bench_convert_samples where run = 'writers'")
  writers_peak=$(peak_extra_disk writers)
  replayed=$(sed -n 's/.*replayed \([0-9]*\) captured changes.*/\1/p' "$wo" | tail -1)
  # Writers stopped: the converted table must hold exactly what the writers left in the reference.
  digest_conv=$(scalar "select bench_convert.digest('$table')")
  digest_ref=$(scalar "select bench_convert.digest('bench_ref')")
  ref_diff=
  if [[ $digest_conv != "$digest_ref" ]]; then
    ref_diff=$(scalar "select count(*) || ' rows differ, e.g. id ' || coalesce(min(id)::text, '-') from (
      (select $cols from $table except all select $cols from bench_ref) union all
      (select $cols from bench_ref except all select $cols from $table)) d")
  fi
  writers_done=1
fi

# ---------------------------------------------------------------------------------------------
verdict() { if awk "BEGIN {exit !($1)}"; then v=PASS; else v=MISS; missed=1; fi; }
missed=0
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
r_floor=$(ratio "${med[pgpart]}" "${med[floor]}")
copy_us=$(awk -v s="${pgpart_steps[convert_copy]}" 'BEGIN {printf "%d", s * 1e6}')
verify_us=$(awk -v s="${pgpart_steps[convert_verify]}" 'BEGIN {printf "%d", s * 1e6}')

echo
echo "== results: $command_line  (load average now $(cut -d' ' -f1-3 /proc/loadavg)," \
     "$(nproc) cores)"
echo "   $rows rows of $table ($(grep -c 'partition of' "$work/target.sql") monthly partitions," \
     "PK (id, recorded_at), 3 indexes, FK), medians of $reps run(s), each on a fresh copy"
printf '   %-50s %9s s  %9s MB  %9s MB\n' "" "time" "peak disk" "WAL"
row() { printf '   %-50s %9s s  %9s MB  %9s MB\n' "$1" "$(secs "$2")" "$(mb "$3")" "$(mb "$4")"; }
row "pgpart apply --auto-approve (whole run)" "${med[pgpart]}" "${peak[pgpart]}" "${wal[pgpart]}"
for s in convert_prepare convert_copy convert_verify convert_swap; do
  printf '   %-50s %9s s\n' "  step $s" "${pgpart_steps[$s]}"
done
row "floor: INSERT INTO new SELECT * FROM old" "${med[floor]}" "${peak[floor]}" "${wal[floor]}"
row "ref: pgslice-style fill, $batch_rows rows a batch" "${med[pgslice]}" "${peak[pgslice]}" \
  "${wal[pgslice]}"
verdict "$r_floor <= 1.5"
printf '   %-50s %9s ×  goal <= 1.5×  %s\n' "ratio pgpart / floor" "$r_floor" "$v"
printf '   %-50s %9s ×\n' "ratio pgpart convert_copy step / floor" "$(ratio "$copy_us" "${med[floor]}")"
printf '   %-50s %9s ×\n' "ratio pgpart convert_verify step / floor" "$(ratio "$verify_us" "${med[floor]}")"
printf '   %-50s %9s ×\n' "ratio pgslice-style / floor" "$(ratio "${med[pgslice]}" "${med[floor]}")"
v=PASS; [[ -z $copy_mismatch ]] || { v=MISS; missed=1; }
printf '   %-50s %9s    goal equal    %s\n' "every result = old table (count + checksum)" \
  "$([[ -z $copy_mismatch ]] && echo equal || echo DIFFERS)" "$v"
printf '   %-50s %9s MB (old table + indexes: %s MB)\n' "peak extra disk during pgpart's conversion" \
  "$(mb "${peak[pgpart]}")" "$(mb "$("$psql_bin" "$tmpl_dsn" -X -t -A -c \
  "select pg_total_relation_size('$table')")")"
if ((writers_done)); then
  echo "   writers: pgbench -M prepared -c $clients -j 2 -R $rate, 70% insert / 20% update by id /" \
       "10% delete by id, latency from the scheduled start; pgpart apply $(secs "$writers_apply_us") s" \
       "under writers, ${replayed:-?} captured changes replayed"
  printf '   %-28s %8s %10s %10s %10s\n' "window" "txns" "p50 ms" "p99 ms" "max ms"
  for w in idle copy apply swap after; do
    case $w in
      idle) label="idle ($((idle_s - 2)) s before apply)" ;; copy) label="during convert_copy" ;;
      apply) label="during the whole apply" ;; swap) label="overlapping convert_swap" ;;
      after) label="after the apply (0.5-2.5 s)" ;;
    esac
    printf '   %-28s %8s %10s %10s %10s\n' "$label" "${nlat[$w]}" "$(ms "${p50[$w]}")" \
      "$(ms "${p99[$w]}")" "$(ms "${pmax[$w]}")"
  done
  goal_p99=$((p99[idle] + 10000))
  verdict "${p99[copy]} <= $goal_p99"
  printf '   %-50s %9s ms goal <= %s ms  %s\n' "writer p99 during the copy (idle p99 + 10 ms)" \
    "$(ms "${p99[copy]}")" "$(ms "$goal_p99")" "$v"
  verdict "$writer_errors == 0"
  printf '   %-50s %9s    goal 0        %s\n' "writer errors (failed $failed, aborted/errors $aborted)" \
    "$writer_errors" "$v"
  printf '   %-50s %9s    (scheduled ~%s)\n' "writer transactions logged" "$logged" "$expected_tx"
  verdict "$held_hi <= 1000"
  printf '   %-50s %9s ms goal <= 1000 ms %s\n' "ACCESS EXCLUSIVE held on the old table (sampled)" \
    "$held_hi" "$v"
  printf '   %-50s %9s    (%s samples every 10 ms; first-to-last %s ms)\n' "" "" "$held_n" "$held_lo"
  printf '   %-50s %9s ms (%s samples; first-to-last %s ms)\n' \
    "ACCESS EXCLUSIVE requested or held (writers queue)" "$req_hi" "$req_n" "$req_lo"
  printf '   %-50s %9s ms (upper bound of the lock held)\n' "convert_swap step under writers" \
    "$(awk -v s="$swap_s" 'BEGIN {printf "%.1f", s * 1000}')"
  printf '   %-50s %9s\n' "most lock requests waiting on the old table" "$max_waiting"
  printf '   %-50s %9s MB\n' "peak extra disk during the conversion under writers" "$(mb "$writers_peak")"
  v=PASS; [[ $digest_conv == "$digest_ref" ]] || { v=MISS; missed=1; }
  printf '   %-50s %9s    goal equal    %s\n' "converted table = writers' reference" \
    "$([[ $v == PASS ]] && echo equal || echo DIFFERS)" "$v"
  echo "      $table: $digest_conv"
  echo "      reference: $digest_ref${ref_diff:+ ($ref_diff)}"
fi
exit $((missed ? 3 : 0))
