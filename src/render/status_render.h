#pragma once
// Renderers over a Status (pgpart status): text, JSON and the Prometheus text exposition format.
// Pure; each returns the whole document, newline-terminated.

#include <string>

#include "plan/status.h"

namespace pgpart {

// A header line with the overall health, then one block per table: partitions, covered-until and
// the future buffer, default rows, size, held partitions, next retention event, blocked steps,
// overdue retention, drift and the problems behind its health; then the diagnostics.
std::string RenderStatusText(const Status& status);

// JSON with stable keys: format_version (1), at, health, exit_code, retention_grace ("1d"),
// history ("read" | "unreadable" | "not_read": whether pgpart.history was consulted),
// tables[{table, policy, exists, health, problems[], partitions{count, oldest, newest,
// covered_until, has_default, default_rows}, future_buffer_periods (null for hash tables, which
// have no time axis), oldest_age_seconds (null when unknown), bytes, held[{partition,
// held_by}], next_retention (null or {partition, action, at, when, due, gate_checked, gate}),
// blocked[], retention_overdue[{partition, action, due_since}], drift[], last_apply (null or
// {at, outcome, error}: the latest apply run)}], diagnostics[].
std::string RenderStatusJson(const Status& status);

// Prometheus text exposition format (version 0.0.4), gauges labelled {policy, table} ("schema.name"
// unquoted; label values escaped), one family after another with # HELP and # TYPE:
//   pgpart_partitions, pgpart_future_buffer_periods (range tables only: a hash table has no
//   buffer, and a 0 would fire the shipped PgpartFutureBufferLow alert forever),
//   pgpart_default_partition_rows,
//   pgpart_oldest_partition_age_seconds (time keys with a partition only), pgpart_held_partitions,
//   pgpart_detached_tables and pgpart_detached_bytes (the tables pgpart detached or archived
//   that still exist),
//   pgpart_blocked_steps, pgpart_retention_overdue_partitions, pgpart_partition_bytes,
//   pgpart_last_apply_timestamp_seconds and pgpart_last_apply_success (tables with a recorded
//   apply run only).
// Tables that do not exist have no samples.
std::string RenderStatusPrometheus(const Status& status);

// Escapes a label value per the exposition format: backslash, double quote and newline.
std::string EscapePrometheusLabel(const std::string& value);

}  // namespace pgpart
