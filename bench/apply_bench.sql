-- Helpers for bench/apply_vs_partman.sh, loaded (after bench/bench.sql) into the template database
-- that every contender's fresh copy is made from.

SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench_apply;

-- The floor: the same work as plain DDL, one statement a line, for psql. For each of the `n`
-- parents of `schema`: create the months `premake_from`+1 .. `premake_to` after the current one
-- (CREATE TABLE ... PARTITION OF), drop the `drops` oldest children of a set that starts
-- `months_back` months before the current one (DROP TABLE).
CREATE OR REPLACE FUNCTION bench_apply.floor_sql(schema text, n int, months_back int,
                                                 drops int, premake_from int, premake_to int)
RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  WITH t AS (SELECT i, bench_util.table_name(i, n) AS parent FROM generate_series(1, n) i),
  months AS (
    SELECT t.i, t.parent, k, 'create' AS action,
           date_trunc('month', now()) + make_interval(months => k) AS m
    FROM t, generate_series(premake_from + 1, premake_to) k
    UNION ALL
    SELECT t.i, t.parent, k, 'drop',
           date_trunc('month', now()) + make_interval(months => k)
    FROM t, generate_series(-months_back, -months_back + drops - 1) k
  )
  SELECT CASE action
           WHEN 'create' THEN
             format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L);',
                    schema, parent || '_p' || to_char(m, 'YYYY_MM'), schema, parent,
                    m, m + interval '1 month')
           ELSE format('DROP TABLE %I.%I;', schema, parent || '_p' || to_char(m, 'YYYY_MM'))
         END
  FROM months
  ORDER BY i, action, k
$$;

-- One line per partition of `schema` (name and bounds): what every contender must end with.
CREATE OR REPLACE FUNCTION bench_apply.layout(schema text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT md5(coalesce(string_agg(c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid),
                                 E'\n' ORDER BY c.relname), ''))
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  JOIN pg_class p ON p.oid = i.inhparent
  JOIN pg_namespace ns ON ns.oid = p.relnamespace
  WHERE ns.nspname = schema
$$;

-- One row at now() in each of the `n` parents of `schema`: a live table has data in its current
-- partition, and pg_partman 4.x counts premade partitions from the newest data, not from now().
CREATE OR REPLACE PROCEDURE bench_apply.seed_current(schema text, n int)
LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..n LOOP
    EXECUTE format('INSERT INTO %I.%I (id, ts, value) VALUES (0, now(), 0)',
                   schema, bench_util.table_name(i, n));
  END LOOP;
END
$$;

-- Lock waits seen while a contender runs: every `every` seconds for `seconds`, one row per
-- (waiting backend, backend blocking it) of this database, committed as it goes.
CREATE TABLE IF NOT EXISTS bench_apply.lock_waits (
  at timestamptz NOT NULL,
  waiter text,
  blocker text,
  blocker_state text
);

CREATE OR REPLACE PROCEDURE bench_apply.sample_lock_waits(seconds float8, every float8)
LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + make_interval(secs => seconds);
  sampled timestamptz;
BEGIN
  WHILE clock_timestamp() < deadline LOOP
    sampled := clock_timestamp();
    INSERT INTO bench_apply.lock_waits
    SELECT sampled, left(regexp_replace(w.query, '\s+', ' ', 'g'), 300),
           left(regexp_replace(b.query, '\s+', ' ', 'g'), 300), b.state
    FROM pg_stat_activity w
    CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid)
    JOIN pg_stat_activity b ON b.pid = bp.pid
    WHERE w.wait_event_type = 'Lock' AND w.datname = current_database()
      AND w.pid <> pg_backend_pid();
    COMMIT;  -- also starts a fresh pg_stat_activity snapshot
    PERFORM pg_sleep(every);
  END LOOP;
END
$$;
