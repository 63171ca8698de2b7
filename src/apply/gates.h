#pragma once
// Backup gates (DESIGN §3): every drop must pass its policy's gate, checked right before the drop.
// A gate that fails or errors blocks that drop only.

#include <cstdint>
#include <optional>
#include <string>

#include "core/ident.h"
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

struct GateResult {
  bool passed = false;
  std::string detail;  // why it passed or failed, one line, for output and the audit trail
};

// Runs the gate. Never throws: errors (bad query, missing pgbackrest, timeout) are failures with
// a detail. `conn` must not have a transaction open (sql/archiver gates run their own).
//   sql:        the policy's query with $1 partition name (text), $2 from, $3 to (text, cast by the
//               query if needed); passes iff it returns exactly one row with one true boolean.
//   archiver:   pg_stat_archiver: last_archived_time >= upper bound + maxLag, and no failure since
//               (last_failed_time null or before last_archived_time). Integer keys: fails (no time).
//   pgbackrest: `pgbackrest --stanza=S --output=json info` (argv, no shell, timeout): passes iff
//               a backup of that stanza stopped at or after the upper bound. Integer keys: fails.
//   command:    argv (no shell) with env PGPART_PARTITION, PGPART_FROM, PGPART_TO; exit 0 passes;
//               killed after timeout_ms.
GateResult CheckGate(const BackupGate& gate, pqxx::connection_base& conn, const GateContext& ctx);

}  // namespace pgpart
