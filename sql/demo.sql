-- pgpart demo: the partitioned tables of the four real scenarios (policies/*.yaml).
--
-- Partitions are laid out RELATIVE to an anchor instant so that `pgpart plan` shows an
-- interesting plan on any day: premake creates, a create + drain out of a default partition,
-- retention drops and detaches, one legal hold, a gated drop, a backfill gap, and tables that
-- already match their policy.
--
-- The anchor is now(), unless the session sets `pgpart_demo.anchor` (the end-to-end tests do,
-- with the same instant they pass to `pgpart plan --at`):
--   PGOPTIONS='-c pgpart_demo.anchor=2026-11-21T12:00:00Z' psql -f sql/demo.sql
--
-- Idempotent: drops and recreates its own objects (also partitions that pgpart detached).
-- Row data is generated deterministically (generate_series, no random()).
-- Plain SQL (no psql meta-commands): load it with `psql -v ON_ERROR_STOP=1 -f sql/demo.sql`.

SET client_min_messages = warning;

-- ---------------------------------------------------------------------------------------------
-- Clean slate: the demo's parents (with their partitions), detached partitions, ops schema.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT c.oid::regclass AS rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('public', 'archive')
      AND c.relkind IN ('r', 'p')
      AND NOT c.relispartition
      AND c.relname ~ '^(sensor_readings|domain_events|episodic_events|audit_log|revenues|expenses|daily_cash_balances|transactions|events)(_.*)?$'
  LOOP
    EXECUTE format('DROP TABLE IF EXISTS %s CASCADE', t.rel);
  END LOOP;
END
$$;
DROP SCHEMA IF EXISTS ops CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Helpers (session-local).

-- The instant the layout is relative to.
CREATE FUNCTION pg_temp.demo_anchor() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('pgpart_demo.anchor', true), '')::timestamptz, now())
$$;

-- First day of the anchor's month in `zone`, shifted by `months`.
CREATE FUNCTION pg_temp.demo_month(months int, zone text DEFAULT 'UTC') RETURNS date
LANGUAGE sql STABLE AS $$
  SELECT (date_trunc('month', pg_temp.demo_anchor() AT TIME ZONE zone)
          + make_interval(months => months))::date
$$;

-- Creates monthly partitions named {parent}_y{YYYY}m{MM} for every month in
-- [first_month, last_month], except those in `skip`. Bounds are local midnight in `zone` for
-- timestamptz keys and wall-clock midnight for timestamp keys.
CREATE PROCEDURE pg_temp.demo_monthly(parent text, first_month date, last_month date,
                                      zone text DEFAULT 'UTC', skip date[] DEFAULT '{}')
LANGUAGE plpgsql AS $$
DECLARE
  key_type text;
  m date := first_month;
  lo text;
  hi text;
BEGIN
  SELECT format_type(a.atttypid, a.atttypmod) INTO key_type
  FROM pg_partitioned_table p
  JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
  WHERE p.partrelid = parent::regclass;
  WHILE m <= last_month LOOP
    IF NOT m = ANY (skip) THEN
      IF key_type = 'timestamp with time zone' THEN
        lo := (m::timestamp AT TIME ZONE zone)::text;
        hi := ((m + interval '1 month')::timestamp AT TIME ZONE zone)::text;
      ELSE
        lo := m::timestamp::text;
        hi := (m + interval '1 month')::timestamp::text;
      END IF;
      EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES FROM (%L) TO (%L)',
                     parent || to_char(m, '"_y"YYYY"m"MM'), parent, lo, hi);
    END IF;
    m := m + interval '1 month';
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Operations schema: backup runs, read by the audit-log backup gate (policies/compliance.yaml).
CREATE SCHEMA ops;
CREATE TABLE ops.backup_runs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stanza      text NOT NULL,
  status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at  timestamptz NOT NULL,
  finished_at timestamptz
);
-- Nightly full backups for the last week; last night's succeeded.
INSERT INTO ops.backup_runs (stanza, status, started_at, finished_at)
SELECT 'main', 'succeeded',
       date_trunc('day', pg_temp.demo_anchor()) - make_interval(days => d) + interval '1 hour',
       date_trunc('day', pg_temp.demo_anchor()) - make_interval(days => d) + interval '2 hours'
FROM generate_series(1, 7) AS d;

-- ---------------------------------------------------------------------------------------------
-- Scenario 1 — IoT (policies/iot.yaml): 26 months back .. 1 ahead, a default partition.
-- Plan: create +2 with a drain of the default's rows, create +3, drop the expired months, keep
-- sensor_readings_y2024m10 (legal hold LH-1142; the layout always includes that month).
CREATE TABLE public.sensor_readings (
  sensor_id     bigint        NOT NULL,
  recorded_at   timestamptz   NOT NULL,
  temperature_c numeric(5, 2),
  humidity_pct  numeric(5, 2),
  battery_mv    integer,
  PRIMARY KEY (sensor_id, recorded_at)
) PARTITION BY RANGE (recorded_at);
CREATE TABLE public.sensor_readings_default PARTITION OF public.sensor_readings DEFAULT;
CALL pg_temp.demo_monthly('sensor_readings',
                            least(pg_temp.demo_month(-26), date '2024-10-01'),
                            pg_temp.demo_month(1));
INSERT INTO public.sensor_readings
SELECT s, t,
       round((18 + 6 * sin(extract(epoch FROM t) / 86400.0) + s)::numeric, 2),
       round((45 + 10 * cos(extract(epoch FROM t) / 43200.0))::numeric, 2),
       3600 - (extract(epoch FROM t)::bigint / 86400 % 400)::int
FROM generate_series(1, 4) AS s,
     generate_series(least(pg_temp.demo_month(-26), date '2024-10-01')::timestamptz,
                     pg_temp.demo_anchor(), interval '6 hours') AS t;
-- Gateways with a wrong clock: rows two months ahead land in the default partition.
INSERT INTO public.sensor_readings
SELECT 900 + s, pg_temp.demo_month(2)::timestamptz + make_interval(days => s, hours => 7),
       21.5, 40.0, 3300
FROM generate_series(1, 5) AS s;

-- ---------------------------------------------------------------------------------------------
-- Scenario 2 — Compliance (policies/compliance.yaml).
-- domain_events: 27 months back .. 3 ahead   → drops the months older than 24 months, no creates.
-- episodic_events: 25 months back .. 1 ahead → one drop, two premake creates.
-- audit_log: 75 months back .. 2 ahead       → three gated drops (HIPAA: keep 72), one create.
CREATE TABLE public.domain_events (
  event_id       bigint GENERATED ALWAYS AS IDENTITY,
  aggregate_type text        NOT NULL,
  aggregate_id   bigint      NOT NULL,
  event_type     text        NOT NULL,
  payload        jsonb       NOT NULL DEFAULT '{}',
  occurred_at    timestamptz NOT NULL,
  PRIMARY KEY (event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CALL pg_temp.demo_monthly('domain_events', pg_temp.demo_month(-27), pg_temp.demo_month(3));
INSERT INTO public.domain_events (aggregate_type, aggregate_id, event_type, payload, occurred_at)
SELECT (ARRAY['order', 'customer', 'invoice'])[1 + i % 3], i % 97,
       (ARRAY['created', 'updated', 'closed'])[1 + i % 3], jsonb_build_object('seq', i),
       pg_temp.demo_month(-27)::timestamptz + make_interval(hours => 11 * i)
FROM generate_series(0, 27 * 30 * 24 / 11) AS i;

CREATE TABLE public.episodic_events (
  event_id    bigint GENERATED ALWAYS AS IDENTITY,
  episode_id  bigint      NOT NULL,
  kind        text        NOT NULL,
  body        jsonb       NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CALL pg_temp.demo_monthly('episodic_events', pg_temp.demo_month(-25), pg_temp.demo_month(1));
INSERT INTO public.episodic_events (episode_id, kind, body, occurred_at)
SELECT i / 10, (ARRAY['observation', 'reflection'])[1 + i % 2], jsonb_build_object('n', i),
       pg_temp.demo_month(-25)::timestamptz + make_interval(hours => 13 * i)
FROM generate_series(0, 25 * 30 * 24 / 13) AS i;

CREATE TABLE public.audit_log (
  id        bigint GENERATED ALWAYS AS IDENTITY,
  logged_at timestamptz NOT NULL,
  actor     text        NOT NULL,
  action    text        NOT NULL,
  subject   text        NOT NULL,
  details   jsonb,
  PRIMARY KEY (id, logged_at)
) PARTITION BY RANGE (logged_at);
CALL pg_temp.demo_monthly('audit_log', pg_temp.demo_month(-75), pg_temp.demo_month(2));
INSERT INTO public.audit_log (logged_at, actor, action, subject, details)
SELECT pg_temp.demo_month(-75)::timestamptz + make_interval(days => i, hours => i % 24),
       'user' || (i % 40), (ARRAY['read', 'update', 'export'])[1 + i % 3],
       'patient/' || (i % 500), jsonb_build_object('ip', '10.0.' || (i % 250) || '.7')
FROM generate_series(0, 75 * 30) AS i;

-- ---------------------------------------------------------------------------------------------
-- Scenario 3 — Finance (policies/finance.yaml), months in America/New_York since 2025-01.
-- revenues (timestamptz): complete through 3 months ahead → no changes.
-- expenses (timestamp, wall clock): June 2025 missing (backfill) and only 1 month ahead.
-- daily_cash_balances: hash, modulus 16, all 16 children → no changes.
CREATE TABLE public.revenues (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  org_id       bigint      NOT NULL,
  occurred_at  timestamptz NOT NULL,
  amount_cents bigint      NOT NULL CHECK (amount_cents >= 0),
  currency     char(3)     NOT NULL DEFAULT 'USD',
  description  text,
  PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CALL pg_temp.demo_monthly('revenues', date '2025-01-01',
                            pg_temp.demo_month(3, 'America/New_York'), 'America/New_York');
INSERT INTO public.revenues (org_id, occurred_at, amount_cents, description)
SELECT 1 + i % 50, timestamptz '2025-01-01 09:00 America/New_York' + make_interval(hours => 7 * i),
       1000 + (i * 7919) % 250000, 'invoice ' || i
FROM generate_series(0, ((extract(epoch FROM pg_temp.demo_anchor()
                          - timestamptz '2025-01-01 09:00 America/New_York') / 3600)::int / 7))
  AS i;

CREATE TABLE public.expenses (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  org_id       bigint    NOT NULL,
  occurred_at  timestamp NOT NULL,  -- wall clock in New York (legacy schema)
  amount_cents bigint    NOT NULL CHECK (amount_cents >= 0),
  category     text      NOT NULL,
  PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CALL pg_temp.demo_monthly('expenses', date '2025-01-01',
                            pg_temp.demo_month(1, 'America/New_York'), 'America/New_York',
                            ARRAY[date '2025-06-01']);
INSERT INTO public.expenses (org_id, occurred_at, amount_cents, category)
SELECT 1 + i % 50, timestamp '2025-01-01 10:30' + make_interval(hours => 11 * i),
       500 + (i * 104729) % 90000, (ARRAY['payroll', 'rent', 'cloud', 'travel'])[1 + i % 4]
FROM generate_series(0, ((extract(epoch FROM (pg_temp.demo_anchor() AT TIME ZONE 'America/New_York')
                          - timestamp '2025-01-01 10:30') / 3600)::int / 11)) AS i
WHERE NOT (timestamp '2025-01-01 10:30' + make_interval(hours => 11 * i)
           >= '2025-06-01' AND timestamp '2025-01-01 10:30' + make_interval(hours => 11 * i)
           < '2025-07-01');

CREATE TABLE public.daily_cash_balances (
  org_id        bigint  NOT NULL,
  balance_date  date    NOT NULL,
  currency      char(3) NOT NULL DEFAULT 'USD',
  balance_cents bigint  NOT NULL,
  PRIMARY KEY (org_id, balance_date, currency)
) PARTITION BY HASH (org_id);
DO $$
BEGIN
  FOR r IN 0..15 LOOP
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.daily_cash_balances '
                   'FOR VALUES WITH (MODULUS 16, REMAINDER %s)', 'daily_cash_balances_h' || r, r);
  END LOOP;
END
$$;
INSERT INTO public.daily_cash_balances (org_id, balance_date, balance_cents)
SELECT o, (pg_temp.demo_anchor() AT TIME ZONE 'America/New_York')::date - d,
       100000 * o + 37 * d
FROM generate_series(1, 50) AS o, generate_series(1, 90) AS d;

-- ---------------------------------------------------------------------------------------------
-- Scenario 4 — Payments (policies/payments.yaml): 14 months back .. 1 ahead.
-- Plan: detach the months older than 12 months, create month +2.
CREATE TABLE public.transactions (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  created_at   timestamptz NOT NULL,
  account_id   bigint      NOT NULL,
  amount_cents bigint      NOT NULL,
  currency     char(3)     NOT NULL DEFAULT 'EUR',
  status       text        NOT NULL CHECK (status IN ('authorized', 'captured', 'refunded')),
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CALL pg_temp.demo_monthly('transactions', pg_temp.demo_month(-14), pg_temp.demo_month(1));
INSERT INTO public.transactions (created_at, account_id, amount_cents, status)
SELECT t, 1000 + (extract(epoch FROM t)::bigint / 3600) % 333,
       100 + (extract(epoch FROM t)::bigint / 3600 * 7919) % 50000,
       (ARRAY['authorized', 'captured', 'captured', 'refunded'])[1 + (extract(epoch FROM t)::bigint / 10800) % 4]
FROM generate_series(pg_temp.demo_month(-14)::timestamptz, pg_temp.demo_anchor(),
                     interval '3 hours') AS t;

-- ---------------------------------------------------------------------------------------------
-- Integer keys (policies/events.yaml): events by bigint id, 1 000 000 ids per partition,
-- partitions [0, 4M) and ids up to 3 499 001 → two premake creates, one drop.
CREATE TABLE public.events (
  id          bigint      NOT NULL,
  occurred_at timestamptz NOT NULL,
  kind        text        NOT NULL,
  payload     jsonb,
  PRIMARY KEY (id)
) PARTITION BY RANGE (id);
DO $$
BEGIN
  FOR i IN 0..3 LOOP
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.events FOR VALUES FROM (%s) TO (%s)',
                   'events_p' || (i * 1000000), i * 1000000, (i + 1) * 1000000);
  END LOOP;
END
$$;
INSERT INTO public.events (id, occurred_at, kind, payload)
SELECT i, pg_temp.demo_anchor() - make_interval(secs => (3500000 - i) * 2),
       (ARRAY['click', 'view', 'purchase'])[1 + i % 3], jsonb_build_object('i', i)
FROM generate_series(1, 3500000, 1000) AS i;

ANALYZE public.sensor_readings, public.domain_events, public.episodic_events, public.audit_log,
        public.revenues, public.expenses, public.daily_cash_balances, public.transactions,
        public.events;
