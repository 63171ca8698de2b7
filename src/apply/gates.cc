#include "apply/gates.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string_view>
#include <vector>

#include "apply/process.h"
#include "core/calendar.h"
#include "core/duration.h"

namespace pgpart {
namespace {

constexpr size_t kMaxDetailPart = 200;  // bytes of foreign text (stderr, values) quoted in a detail
constexpr int kBoolOid = 16;

GateResult Pass(std::string detail) { return {true, std::move(detail)}; }
GateResult Fail(std::string detail) { return {false, std::move(detail)}; }

// The first non-empty line of `text`, trimmed and cut to a readable length.
std::string FirstLine(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.empty()) {
      if (line.size() <= kMaxDetailPart) return std::string(line);
      return std::string(line.substr(0, kMaxDetailPart)) + "...";
    }
    begin = end + 1;
  }
  return "";
}

// "upper bound 2026-11-01T00:00:00Z" or "... + 1h" with a lag.
std::string BoundText(int64_t upper, int64_t lag_ms) {
  std::string out = "upper bound " + InstantText(upper);
  if (lag_ms > 0) out += " + " + DurationText(lag_ms);
  return out;
}

std::string DescribeSqlError(const std::exception& e) {
  std::string out;
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    if (!sql->sqlstate().empty()) out = "(" + sql->sqlstate() + ") ";
  }
  std::string message = FirstLine(e.what());
  if (message.rfind("ERROR:", 0) == 0) message = FirstLine(message.substr(6));
  return out + message;
}

// ---- sql ----------------------------------------------------------------------------------

// Server-side name of the prepared gate query (deallocated after each check).
constexpr const char* kGateStatement = "pgpart_gate_query";

// Judges the gate query's result; `tx` is still open (for naming a wrong column type).
GateResult JudgeSqlResult(const pqxx::result& r, pqxx::transaction_base& tx) {
  if (r.columns() != 1) {
    return Fail("gate query returned " + std::to_string(r.columns()) +
                " columns; expected one boolean column");
  }
  if (r.size() != 1) {
    return Fail("gate query returned " + std::to_string(r.size()) +
                " rows; expected exactly one row with one boolean");
  }
  const pqxx::field f = r[0][0];
  if (static_cast<int>(r.column_type(0)) != kBoolOid) {
    std::string type = std::to_string(r.column_type(0));
    pqxx::result t = tx.exec_params("SELECT format_type($1::oid, NULL)", type);
    if (!t.empty() && !t[0][0].is_null()) type = t[0][0].c_str();
    std::string value = f.is_null() ? "NULL" : "'" + FirstLine(f.c_str()) + "'";
    return Fail("gate query returned " + type + " " + value + ", not a boolean");
  }
  if (f.is_null()) return Fail("gate query returned NULL; expected true");
  if (std::string_view(f.c_str()) != "t") return Fail("gate query returned false");
  return Pass("gate query returned true");
}

GateResult CheckSql(const BackupGate& gate, pqxx::connection_base& conn, const GateContext& ctx) {
  if (gate.query.empty()) return Fail("sql gate has no query");
  GateResult result;
  bool prepared = false;
  try {
    pqxx::read_transaction tx(conn, "pgpart_gate");
    tx.exec("SET LOCAL statement_timeout = " + std::to_string(gate.timeout_ms));
    // libpqxx 6.4 cannot declare parameter types, and untyped parameters fail on queries that
    // leave one untyped ("$1 is not null") or unused. PREPARE declares them text; sent through
    // the extended protocol (exec_params), it admits exactly one statement.
    tx.exec_params(std::string("PREPARE ") + kGateStatement + " (text, text, text, text) AS " +
                   gate.query);
    prepared = true;
    pqxx::result r = tx.exec(std::string("EXECUTE ") + kGateStatement + " (" +
                             tx.quote(ctx.partition.name) + ", " + tx.quote(ctx.from) + ", " +
                             tx.quote(ctx.to) + ", " + tx.quote(ctx.partition.schema) + ")");
    tx.exec(std::string("DEALLOCATE ") + kGateStatement);
    prepared = false;
    result = JudgeSqlResult(r, tx);
    tx.abort();  // nothing to keep: read only
  } catch (const std::exception& e) {
    result = Fail("gate query failed: " + DescribeSqlError(e));
  }
  if (prepared) {  // prepared statements outlive the aborted transaction
    try {
      pqxx::nontransaction cleanup(conn, "pgpart_gate_cleanup");
      cleanup.exec(std::string("DEALLOCATE ") + kGateStatement);
    } catch (const std::exception&) {
      // The session is gone or unusable; the statement went with it.
    }
  }
  return result;
}

// ---- archiver -----------------------------------------------------------------------------

GateResult CheckArchiver(const BackupGate& gate, pqxx::connection_base& conn,
                         const GateContext& ctx) {
  if (!ctx.upper_instant) {
    return Fail("archiver gate needs a time upper bound (integer keys cannot use it); " +
                ctx.partition.name + " has none");
  }
  const int64_t upper = *ctx.upper_instant;
  try {
    pqxx::read_transaction tx(conn, "pgpart_gate");
    tx.exec("SET LOCAL statement_timeout = " + std::to_string(gate.timeout_ms));
    pqxx::result r = tx.exec(
        "SELECT current_setting('archive_mode'), a.archived_count, a.last_archived_wal, "
        "(extract(epoch FROM a.last_archived_time) * 1000000)::int8, a.failed_count, "
        "a.last_failed_wal, (extract(epoch FROM a.last_failed_time) * 1000000)::int8 "
        "FROM pg_stat_archiver a");
    tx.abort();
    if (r.size() != 1) return Fail("pg_stat_archiver returned no row");
    const pqxx::row row = r[0];
    const std::string mode = row[0].c_str();
    if (mode == "off") return Fail("archive_mode is off: no WAL is archived");
    if (row[3].is_null()) {
      return Fail("no WAL segment archived yet (archived_count " + std::string(row[1].c_str()) +
                  ", failed_count " + row[4].c_str() + ")");
    }
    const std::string wal = row[2].c_str();
    const int64_t archived_at = row[3].as<int64_t>();
    if (!row[6].is_null() && row[6].as<int64_t>() >= archived_at) {
      return Fail("WAL archiving failing: " + std::string(row[5].c_str()) + " failed at " +
                  InstantText(row[6].as<int64_t>()) + ", after the last success (" + wal + " at " +
                  InstantText(archived_at) + "); failed_count " + row[4].c_str());
    }
    const int64_t needed = upper + gate.max_lag_ms * 1000;
    if (archived_at < needed) {
      return Fail("last WAL archived " + InstantText(archived_at) + " (" + wal + ") < " +
                  BoundText(upper, gate.max_lag_ms));
    }
    return Pass("last WAL archived " + InstantText(archived_at) + " (" + wal +
                ") >= " + BoundText(upper, gate.max_lag_ms) + ", no failure since");
  } catch (const std::exception& e) {
    return Fail("cannot read pg_stat_archiver: " + DescribeSqlError(e));
  }
}

// ---- pgbackrest ---------------------------------------------------------------------------

// Why a process did not succeed, for a detail: "timed out after 60s", "exited with 1: ...".
std::string ProcessFailure(const ProcessResult& p, int64_t timeout_ms) {
  if (!p.started) return p.error;
  if (p.timed_out) return "timed out after " + DurationText(timeout_ms) + " (killed)";
  if (p.signaled) return "killed by signal " + std::to_string(p.term_signal);
  std::string out = "exited with " + std::to_string(p.exit_code);
  std::string line = FirstLine(p.error);
  if (line.empty()) line = FirstLine(p.output);
  if (!line.empty()) out += ": " + line;
  return out;
}

GateResult JudgePgBackRestInfoUnchecked(const std::string& output, const std::string& stanza,
                                        int64_t upper) {
  nlohmann::json info = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (info.is_discarded() || !info.is_array()) {
    return Fail("unparsable `pgbackrest info` output (expected a JSON array): " +
                FirstLine(output));
  }
  const nlohmann::json* entry = nullptr;
  for (const nlohmann::json& s : info) {
    if (s.is_object() && s.value("name", "") == stanza) entry = &s;
  }
  if (entry == nullptr) return Fail("stanza " + stanza + " not in `pgbackrest info` output");

  std::string status;
  if (entry->contains("status") && (*entry)["status"].is_object()) {
    const nlohmann::json& st = (*entry)["status"];
    const nlohmann::json code = st.value("code", nlohmann::json());
    status = "status " + (code.is_number_integer() ? code.dump() : std::string("?")) + ": " +
             st.value("message", "");
  }
  // The backup that stopped last, skipping backups pgbackrest flags with errors.
  const nlohmann::json* latest = nullptr;
  int64_t latest_stop = 0;
  int with_errors = 0;
  if (entry->contains("backup") && (*entry)["backup"].is_array()) {
    for (const nlohmann::json& b : (*entry)["backup"]) {
      if (!b.is_object() || !b.contains("timestamp") || !b["timestamp"].is_object()) continue;
      const nlohmann::json& stop = b["timestamp"].value("stop", nlohmann::json());
      // Seconds since the epoch that fit in microseconds (InstantText, the bound).
      if (!stop.is_number_integer() || stop.get<int64_t>() < 0 ||
          stop.get<int64_t>() > INT64_MAX / 1'000'000) {
        continue;
      }
      if (b.value("error", false)) {
        ++with_errors;
        continue;
      }
      if (latest == nullptr || stop.get<int64_t>() >= latest_stop) {
        latest = &b;
        latest_stop = stop.get<int64_t>();
      }
    }
  }
  std::string skipped =
      with_errors > 0 ? " (" + std::to_string(with_errors) + " backup(s) with errors ignored)" : "";
  if (latest == nullptr) {
    return Fail("stanza " + stanza + " has no usable backup" + skipped +
                (status.empty() ? "" : " (" + status + ")"));
  }
  const std::string what = "backup " + latest->value("label", "?") + " (" +
                           latest->value("type", "?") + ") stopped " +
                           InstantText(latest_stop * 1'000'000);
  if (latest_stop * 1'000'000 >= upper) return Pass(what + " >= " + BoundText(upper, 0) + skipped);
  return Fail("latest " + what + " < " + BoundText(upper, 0) + skipped);
}

// Output of another shape than expected (a number where a string belongs, ...) makes nlohmann
// throw: that fails the gate like any unreadable output.
GateResult JudgePgBackRestInfo(const std::string& output, const std::string& stanza,
                               int64_t upper) {
  try {
    return JudgePgBackRestInfoUnchecked(output, stanza, upper);
  } catch (const nlohmann::json::exception& e) {
    return Fail(std::string("unexpected `pgbackrest info` output: ") + e.what());
  }
}

GateResult CheckPgBackRest(const BackupGate& gate, const GateContext& ctx) {
  if (!ctx.upper_instant) {
    return Fail("pgbackrest gate needs a time upper bound (integer keys cannot use it); " +
                ctx.partition.name + " has none");
  }
  if (gate.stanza.empty()) return Fail("pgbackrest gate has no stanza");
  ProcessResult p = RunProcess({"pgbackrest", "--stanza=" + gate.stanza, "--output=json", "info"},
                               {}, gate.timeout_ms);
  if (!p.started) return Fail(p.error);
  if (p.timed_out || p.signaled || p.exit_code != 0) {
    return Fail("pgbackrest info " + ProcessFailure(p, gate.timeout_ms));
  }
  if (p.truncated) return Fail("pgbackrest info output too large to read");
  return JudgePgBackRestInfo(p.output, gate.stanza, *ctx.upper_instant);
}

// ---- command ------------------------------------------------------------------------------

GateResult CheckCommand(const BackupGate& gate, const GateContext& ctx) {
  if (gate.command.empty() || gate.command[0].empty()) return Fail("command gate has no command");
  ProcessResult p = RunProcess(gate.command,
                               {{"PGPART_PARTITION", ctx.partition.name},
                                {"PGPART_SCHEMA", ctx.partition.schema},
                                {"PGPART_FROM", ctx.from},
                                {"PGPART_TO", ctx.to}},
                               gate.timeout_ms);
  const std::string& program = gate.command[0];
  if (p.started && !p.timed_out && !p.signaled && p.exit_code == 0) {
    std::string line = FirstLine(p.output);
    return Pass(program + " exited with 0" + (line.empty() ? "" : ": " + line));
  }
  if (!p.started) return Fail(ProcessFailure(p, gate.timeout_ms));
  return Fail(program + " " + ProcessFailure(p, gate.timeout_ms));
}

}  // namespace

GateContext GateContextOf(const Step& step, const Policy& policy, KeyType key_type) {
  GateContext ctx;
  ctx.partition = step.partition;
  ctx.from = step.from;
  ctx.to = step.to;
  if (IsTimeKey(key_type) && !step.to.empty()) {
    ctx.upper_instant = ParseInstant(step.to, FindZone(policy.time_zone));
  }
  return ctx;
}

GateResult CheckGate(const BackupGate& gate, pqxx::connection_base& conn, const GateContext& ctx) {
  try {
    switch (gate.kind) {
      case GateKind::kSql:
        return CheckSql(gate, conn, ctx);
      case GateKind::kArchiver:
        return CheckArchiver(gate, conn, ctx);
      case GateKind::kPgBackRest:
        return CheckPgBackRest(gate, ctx);
      case GateKind::kCommand:
        return CheckCommand(gate, ctx);
    }
    return Fail("unknown gate kind");
  } catch (const std::exception& e) {
    return Fail(GateKindName(gate.kind) + " gate error: " + FirstLine(e.what()));
  } catch (...) {
    return Fail(GateKindName(gate.kind) + " gate error");
  }
}

}  // namespace pgpart
