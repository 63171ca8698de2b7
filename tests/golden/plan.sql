-- pgpart plan at 2026-11-21T12:00:00Z of database "app"
-- catalog 12be12c0868cc5a7e1d6a61017110299603006c044596f1e91b78f0cbae6e1d9
-- policies b34118f2c702d8d65bf17d6bc83da4e90525babed5b9bfd6fe1615fc0d539ef8
-- Plan: 8 to create, 2 to drain, 2 to detach, 3 to drop, 1 held, 1 blocked.

-- drop "Odd Schema"."Events ""X""_p0" on "Odd Schema"."Events ""X""" (policy events, retention) [0, 1000000), rows: 1000000
-- hazards: DELETES_DATA NON_TRANSACTIONAL BACKUP_UNVERIFIED
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
COMMENT ON TABLE "Odd Schema"."Events ""X""_p0" IS 'pgpart:drop "Odd Schema"."Events ""X""" [0, 1000000) oid 16447';
COMMIT;
-- runs outside a transaction block
SET lock_timeout = '300ms';
SET statement_timeout = '300000ms';
ALTER TABLE "Odd Schema"."Events ""X""" DETACH PARTITION "Odd Schema"."Events ""X""_p0" CONCURRENTLY;
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
DROP TABLE "Odd Schema"."Events ""X""_p0";
COMMIT;

-- drop "Odd Schema"."Events ""X""_p1000000" on "Odd Schema"."Events ""X""" (policy events, retention) [1000000, 2000000), rows: 1000000
-- hazards: DELETES_DATA NON_TRANSACTIONAL BACKUP_UNVERIFIED
-- BLOCKED, not run: maxDropsPerRun (1) reached for this table in this run; raise spec.retention.maxDropsPerRun or pass --max-drops N to drop more
-- BEGIN;
-- SET LOCAL lock_timeout = '300ms';
-- SET LOCAL statement_timeout = '300000ms';
-- COMMENT ON TABLE "Odd Schema"."Events ""X""_p1000000" IS 'pgpart:drop "Odd Schema"."Events ""X""" [1000000, 2000000) oid 16448';
-- COMMIT;
-- -- runs outside a transaction block
-- SET lock_timeout = '300ms';
-- SET statement_timeout = '300000ms';
-- ALTER TABLE "Odd Schema"."Events ""X""" DETACH PARTITION "Odd Schema"."Events ""X""_p1000000" CONCURRENTLY;
-- BEGIN;
-- SET LOCAL lock_timeout = '300ms';
-- SET LOCAL statement_timeout = '300000ms';
-- DROP TABLE "Odd Schema"."Events ""X""_p1000000";
-- COMMIT;

-- create "Odd Schema"."Events ""X""_p6000000" on "Odd Schema"."Events ""X""" (policy events, premake) [6000000, 7000000)
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
CREATE TABLE "Odd Schema"."Events ""X""_p6000000" (LIKE "Odd Schema"."Events ""X""" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED);
ALTER TABLE "Odd Schema"."Events ""X""" ATTACH PARTITION "Odd Schema"."Events ""X""_p6000000" FOR VALUES FROM (6000000) TO (7000000);
COMMIT;

-- create public.daily_cash_balances_h3 on public.daily_cash_balances (policy finance-balances, premake)
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
CREATE TABLE public.daily_cash_balances_h3 (LIKE public.daily_cash_balances INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED);
ALTER TABLE public.daily_cash_balances ATTACH PARTITION public.daily_cash_balances_h3 FOR VALUES WITH (MODULUS 4, REMAINDER 3);
COMMIT;

-- create public.sensor_readings_y2024m03 on public.sensor_readings (policy sensor-readings, retention) [2024-03-01T00:00:00Z, 2024-04-01T00:00:00Z)
-- drain_default public.sensor_readings_y2024m03 on public.sensor_readings (policy sensor-readings, retention) [2024-03-01T00:00:00Z, 2024-04-01T00:00:00Z), rows: 5
-- hazards: REWRITES_ROWS ACQUIRES_ACCESS_EXCLUSIVE_LOCK
-- drop public.sensor_readings_y2024m03 on public.sensor_readings (policy sensor-readings, retention) [2024-03-01T00:00:00Z, 2024-04-01T00:00:00Z), rows: 5
-- hazards: DELETES_DATA ACQUIRES_ACCESS_EXCLUSIVE_LOCK BACKUP_UNVERIFIED
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
CREATE TABLE public.sensor_readings_y2024m03 (LIKE public.sensor_readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED);
LOCK TABLE ONLY public.sensor_readings IN SHARE ROW EXCLUSIVE MODE;
WITH moved AS (DELETE FROM ONLY public.sensor_readings_default WHERE recorded_at >= '2024-03-01 00:00:00+00' AND recorded_at < '2024-04-01 00:00:00+00' RETURNING recorded_at, payload) INSERT INTO public.sensor_readings_y2024m03 (recorded_at, payload) SELECT recorded_at, payload FROM moved;
ALTER TABLE public.sensor_readings ATTACH PARTITION public.sensor_readings_y2024m03 FOR VALUES FROM ('2024-03-01 00:00:00+00') TO ('2024-04-01 00:00:00+00');
DROP TABLE public.sensor_readings_y2024m03;
COMMIT;

-- drop public.sensor_readings_y2024m09 on public.sensor_readings (policy sensor-readings, retention) [2024-09-01T00:00:00Z, 2024-10-01T00:00:00Z), rows: 1000
-- hazards: DELETES_DATA ACQUIRES_ACCESS_EXCLUSIVE_LOCK BACKUP_UNVERIFIED
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
DROP TABLE public.sensor_readings_y2024m09;
COMMIT;

-- drop public.sensor_readings_y2024m10 on public.sensor_readings (policy sensor-readings, retention) [2024-10-01T00:00:00Z, 2024-11-01T00:00:00Z), rows: 1000
-- hazards: DELETES_DATA ACQUIRES_ACCESS_EXCLUSIVE_LOCK BACKUP_UNVERIFIED
-- HELD, not run: Legal hold LH-1142 (until 2027-06-01)
-- BEGIN;
-- SET LOCAL lock_timeout = '300ms';
-- SET LOCAL statement_timeout = '300000ms';
-- DROP TABLE public.sensor_readings_y2024m10;
-- COMMIT;

-- create public.sensor_readings_y2027m01 on public.sensor_readings (policy sensor-readings, premake) [2027-01-01T00:00:00Z, 2027-02-01T00:00:00Z)
-- drain_default public.sensor_readings_y2027m01 on public.sensor_readings (policy sensor-readings, premake) [2027-01-01T00:00:00Z, 2027-02-01T00:00:00Z), rows: 7
-- hazards: REWRITES_ROWS ACQUIRES_ACCESS_EXCLUSIVE_LOCK
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
CREATE TABLE public.sensor_readings_y2027m01 (LIKE public.sensor_readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED);
LOCK TABLE ONLY public.sensor_readings IN SHARE ROW EXCLUSIVE MODE;
WITH moved AS (DELETE FROM ONLY public.sensor_readings_default WHERE recorded_at >= '2027-01-01 00:00:00+00' AND recorded_at < '2027-02-01 00:00:00+00' RETURNING recorded_at, payload) INSERT INTO public.sensor_readings_y2027m01 (recorded_at, payload) SELECT recorded_at, payload FROM moved;
ALTER TABLE public.sensor_readings ATTACH PARTITION public.sensor_readings_y2027m01 FOR VALUES FROM ('2027-01-01 00:00:00+00') TO ('2027-02-01 00:00:00+00');
COMMIT;

-- create public.sensor_readings_y2027m02_from_20270201 on public.sensor_readings (policy sensor-readings, premake) [2027-02-01T00:00:00Z, 2027-02-10T00:00:00Z)
-- hazards: ACQUIRES_ACCESS_EXCLUSIVE_LOCK
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
CREATE TABLE public.sensor_readings_y2027m02_from_20270201 (LIKE public.sensor_readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED);
LOCK TABLE ONLY public.sensor_readings IN SHARE ROW EXCLUSIVE MODE;
ALTER TABLE public.sensor_readings ATTACH PARTITION public.sensor_readings_y2027m02_from_20270201 FOR VALUES FROM ('2027-02-01 00:00:00+00') TO ('2027-02-10 00:00:00+00');
COMMIT;

-- create public.sensor_readings_y2027m02_from_20270220 on public.sensor_readings (policy sensor-readings, premake) [2027-02-20T00:00:00Z, 2027-03-01T00:00:00Z)
-- hazards: ACQUIRES_ACCESS_EXCLUSIVE_LOCK
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
CREATE TABLE public.sensor_readings_y2027m02_from_20270220 (LIKE public.sensor_readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED);
LOCK TABLE ONLY public.sensor_readings IN SHARE ROW EXCLUSIVE MODE;
ALTER TABLE public.sensor_readings ATTACH PARTITION public.sensor_readings_y2027m02_from_20270220 FOR VALUES FROM ('2027-02-20 00:00:00+00') TO ('2027-03-01 00:00:00+00');
COMMIT;

-- detach public.transactions_old on public.transactions (policy payments, retention) [2025-09-15T00:00:00Z, 2025-10-01T00:00:00Z), rows: 10
-- hazards: DETACHES_DATA NON_TRANSACTIONAL
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
COMMENT ON TABLE public.transactions_old IS 'pgpart:detached public.transactions [2025-09-15T00:00:00Z, 2025-10-01T00:00:00Z) oid 16429';
COMMIT;
-- runs outside a transaction block
SET lock_timeout = '300ms';
SET statement_timeout = '300000ms';
ALTER TABLE public.transactions DETACH PARTITION public.transactions_old CONCURRENTLY;

-- detach public.transactions_y2025m10 on public.transactions (policy payments, retention) [2025-10-01T00:00:00Z, 2025-11-01T00:00:00Z), rows: 1000
-- hazards: DETACHES_DATA NON_TRANSACTIONAL
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
COMMENT ON TABLE public.transactions_y2025m10 IS 'pgpart:detached public.transactions [2025-10-01T00:00:00Z, 2025-11-01T00:00:00Z) oid 16430';
COMMIT;
-- runs outside a transaction block
SET lock_timeout = '300ms';
SET statement_timeout = '300000ms';
ALTER TABLE public.transactions DETACH PARTITION public.transactions_y2025m10 CONCURRENTLY;

-- create public.transactions_y2026m12 on public.transactions (policy payments, premake) [2026-12-01T00:00:00Z, 2027-01-01T00:00:00Z)
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
CREATE TABLE public.transactions_y2026m12 (LIKE public.transactions INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED);
ALTER TABLE public.transactions ATTACH PARTITION public.transactions_y2026m12 FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00');
COMMIT;

-- create public.transactions_y2027m01 on public.transactions (policy payments, premake) [2027-01-01T00:00:00Z, 2027-02-01T00:00:00Z)
BEGIN;
SET LOCAL lock_timeout = '300ms';
SET LOCAL statement_timeout = '300000ms';
CREATE TABLE public.transactions_y2027m01 (LIKE public.transactions INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED);
ALTER TABLE public.transactions ATTACH PARTITION public.transactions_y2027m01 FOR VALUES FROM ('2027-01-01 00:00:00+00') TO ('2027-02-01 00:00:00+00');
COMMIT;
