# shellcheck shell=bash
# Sourced by the bench scripts (never run on its own): the sandbox PostgreSQL 15 a bench starts
# with scripts/pg-sandbox, written once.
#
#   bench_pg_start DIR PORT [keep]   start the sandbox in DIR on PORT (initdb the first time);
#                                    exports PGPART_SANDBOX_DIR / PGPART_SANDBOX_PORT, sets
#                                    server_dsn (superuser postgres, database postgres) and
#                                    bench_pg_log (the server's log). DIR is removed again by
#                                    bench_pg_stop when this call created it, unless `keep`.
#   bench_pg_stop                    stop the sandbox (fine when none was started) and remove DIR
#                                    if bench_pg_start created it; call it from the EXIT trap
#
#   bench_tools [pgbench]            set pgpart ($PGPART, else build/src/cli/pgpart) and exit
#                                    when it is not built; with `pgbench`, exit when pgbench is
#                                    missing too
#
# Also sets pgbin (PostgreSQL 15's bin folder), psql_bin and pgbench_bin (its psql and pgbench,
# else the ones on PATH).

pgbin=/usr/lib/postgresql/15/bin
psql_bin=$pgbin/psql
[[ -x $psql_bin ]] || psql_bin=psql
pgbench_bin=$pgbin/pgbench
[[ -x $pgbench_bin ]] || pgbench_bin=pgbench
bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_pg_script="$bench_root/scripts/pg-sandbox"

bench_tools() {
  pgpart=${PGPART:-$bench_root/build/src/cli/pgpart}
  [[ -x $pgpart ]] || { echo "bench: $pgpart not built (run scripts/setup)" >&2; exit 1; }
  if [[ ${1:-} == pgbench ]]; then
    command -v "$pgbench_bin" >/dev/null || { echo "bench: pgbench is missing" >&2; exit 1; }
  fi
}
bench_pg_dir=
bench_pg_remove=0

bench_pg_start() {
  local dir=$1 port=$2 keep=${3:-}
  bench_pg_dir=$dir
  bench_pg_remove=0
  [[ -e $dir || $keep == keep ]] || bench_pg_remove=1
  export PGPART_SANDBOX_DIR=$dir PGPART_SANDBOX_PORT=$port
  server_dsn=$("$bench_pg_script" start | tail -n 1)
  [[ -n $server_dsn ]] || { echo "bench: the sandbox PostgreSQL did not start" >&2; return 1; }
  bench_pg_log=$dir/postgres.log
}

bench_pg_stop() {
  [[ -n $bench_pg_dir ]] || return 0
  PGPART_SANDBOX_DIR=$bench_pg_dir "$bench_pg_script" stop >/dev/null 2>&1 || true
  if ((bench_pg_remove)); then rm -rf "$bench_pg_dir"; fi
  bench_pg_dir=
  return 0
}
