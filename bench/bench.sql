-- Helpers for bench/plan_vs_partman.sh, loaded into the dedicated benchmark database.
-- Procedures COMMIT after every table so that tens of thousands of partitions never pile up
-- locks in one transaction (max_locks_per_transaction).

SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench_util;

-- Parent table `schema.tNNNN` (same shape for both tools): a bigint id, a timestamptz key, a value.
CREATE OR REPLACE FUNCTION bench_util.table_name(i int, n int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT 't' || lpad(i::text, length(n::text), '0')
$$;

-- Creates `n` partitioned parents in `schema` (dropping the schema first).
CREATE OR REPLACE PROCEDURE bench_util.create_parents(schema text, n int)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', schema);
  EXECUTE format('CREATE SCHEMA %I', schema);
  COMMIT;
  FOR i IN 1..n LOOP
    EXECUTE format('CREATE TABLE %I.%I (id bigint NOT NULL, ts timestamptz NOT NULL, '
                   'value double precision) PARTITION BY RANGE (ts)',
                   schema, bench_util.table_name(i, n));
    IF i % 100 = 0 THEN
      COMMIT;
    END IF;
  END LOOP;
  COMMIT;
END
$$;

-- Hands the `n` parents of `schema` to pg_partman 4.7: monthly, premake 4, children from
-- `months_back` months before the current one. create_parent makes the children
-- (`tNNN_pYYYY_MM`) and the default partition (`tNNN_default`) itself.
CREATE OR REPLACE PROCEDURE bench_util.partman_create_parents(schema text, n int, months_back int,
                                                              premake int)
LANGUAGE plpgsql AS $$
DECLARE
  first_month text := to_char(date_trunc('month', now()) - make_interval(months => months_back),
                              'YYYY-MM-DD HH24:MI:SS');
BEGIN
  FOR i IN 1..n LOOP
    PERFORM partman.create_parent(
      p_parent_table => format('%s.%s', schema, bench_util.table_name(i, n)),
      p_control => 'ts', p_type => 'native', p_interval => 'monthly',
      p_premake => premake, p_start_partition => first_month, p_jobmon => false);
    COMMIT;
  END LOOP;
END
$$;

-- The same layout without pg_partman (for the 1000-table run): children named as pg_partman
-- names them, from `months_back` before the current month to `premake` after it, plus a default.
CREATE OR REPLACE PROCEDURE bench_util.create_children(schema text, n int, months_back int,
                                                       premake int)
LANGUAGE plpgsql AS $$
DECLARE
  parent text;
  m timestamptz;
BEGIN
  FOR i IN 1..n LOOP
    parent := bench_util.table_name(i, n);
    FOR k IN -months_back..premake LOOP
      m := date_trunc('month', now()) + make_interval(months => k);
      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
                     schema, parent || '_p' || to_char(m, 'YYYY_MM'), schema, parent,
                     m, m + interval '1 month');
    END LOOP;
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I DEFAULT',
                   schema, parent || '_default', schema, parent);
    COMMIT;
  END LOOP;
END
$$;

-- Number of partitions (children) under the parents of `schema`.
CREATE OR REPLACE FUNCTION bench_util.child_count(schema text) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT count(*)
  FROM pg_inherits i
  JOIN pg_class p ON p.oid = i.inhparent
  JOIN pg_namespace n ON n.oid = p.relnamespace
  WHERE n.nspname = schema
$$;
