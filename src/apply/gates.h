#pragma once
// Backup gates (docs/policy.md): every drop must pass its policy's gate, checked right before
// the drop. A gate that fails or errors blocks that drop only.

#include <cstdint>
#include <optional>
#include <string>

#include "core/ident.h"
#include "core/key.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace pqxx {
class connection_base;
}

namespace pgpart {

struct GateContext {
  QualifiedName partition;
  std::string from;  // BoundText of the bounds, as in the plan ("2024-01-01T00:00:00Z", "1000")
  std::string to;
  // The partition's upper bound as an instant (UTC micros) for time keys: timestamptz as is,
  // timestamp/date read as wall time in the policy's zone. nullopt for integer keys.
  std::optional<int64_t> upper_instant;
};

// The context of a drop step's gate: its partition and bounds, and for time keys its upper bound
// read as an instant in the policy's zone. The one way apply and `--check-gates` build it.
GateContext GateContextOf(const Step& step, const Policy& policy, KeyType key_type);

struct GateResult {
  bool passed = false;
  std::string detail;  // why it passed or failed, one line, for output and the audit trail
};

// Runs the gate. Never throws: errors (bad query, missing pgbackrest, timeout) are failures with
// a detail. `conn` must not have a transaction open (sql/archiver gates run their own).
//   sql:        the policy's query in its own READ ONLY transaction with statement_timeout =
//               timeout_ms; one statement, prepared with four text parameters: $1 the
//               partition's name (unquoted, without schema: "sensor_readings_y2024m01"), $2 from,
//               $3 to (BoundText, as in the plan), $4 its schema. Cast them as needed
//               (`$3::timestamptz`); unused ones are fine. Passes iff it returns exactly one row
//               with one boolean column that is true.
//   archiver:   pg_stat_archiver: last_archived_time >= upper bound + maxLag, and no failure since
//               (last_failed_time null or before last_archived_time); archive_mode off fails.
//               Integer keys: fails (no time).
//   pgbackrest: `pgbackrest --stanza=S --output=json info` (argv, no shell, timeout_ms, the
//               process environment: PGBACKREST_CONFIG etc.): passes iff a backup of that stanza
//               (not flagged "error") stopped at or after the upper bound. Integer keys: fails.
//   command:    argv (no shell) with env PGPART_PARTITION (name as for sql $1), PGPART_SCHEMA,
//               PGPART_FROM, PGPART_TO; exit 0 passes; its process group is killed after
//               timeout_ms. The detail quotes the first line of stderr (else stdout).
GateResult CheckGate(const BackupGate& gate, pqxx::connection_base& conn, const GateContext& ctx);

}  // namespace pgpart
