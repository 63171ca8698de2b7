// Status renderers: text, JSON, Prometheus text exposition format.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/calendar.h"
#include "core/duration.h"
#include "core/json_text.h"
#include "core/utf8.h"
#include "render/status_render.h"

namespace pgpart {
namespace {

using Json = nlohmann::ordered_json;

std::string Plural(int64_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Every identifier, reason and message in the text: names can hold newlines and terminal escapes.
std::string E(const std::string& s) { return EscapeControls(s); }

std::string RetentionText(const RetentionEvent& ev) {
  std::string out =
      E(ev.action) + " " + E(ev.partition) + (ev.due ? " due now" : " at " + E(ev.when));
  if (ev.gate_checked) out += " (backup gate " + E(ev.gate) + " is checked first)";
  return out;
}

}  // namespace

std::string RenderStatusText(const Status& status) {
  std::string out = "pgpart status at " + E(status.at) + ": " + HealthName(status.health) + "\n";
  for (const TableStatus& t : status.tables) {
    out += "\n" + E(t.table.Text()) + " (policy " + E(t.policy) + "): " + HealthName(t.health) +
           "\n";
    if (t.exists) {
      const PartitionSummary& p = t.partitions;
      out += "  partitions: " + std::to_string(p.count);
      if (!p.oldest.empty()) out += " (oldest " + E(p.oldest) + ", newest " + E(p.newest) + ")";
      out += "\n";
      if (t.future_buffer_periods) {  // range tables; hash tables have no time axis
        out += "  covered until: " + (p.covered_until.empty() ? "-" : E(p.covered_until)) +
               " (future buffer " + Plural(*t.future_buffer_periods, "period") + ")\n";
      }
      out += "  default partition: " +
             (p.has_default ? Plural(p.default_rows, "row") : std::string("none")) + "\n";
      out += "  size: " + std::to_string(t.bytes) + " bytes\n";
      for (const HeldPartition& h : t.held) {
        out += "  held: " + E(h.partition) + " (" + E(h.held_by) + ")\n";
      }
      for (const DetachedTable& d : t.detached) {
        out += "  " + std::string(d.action == "archive" ? "archived" : "detached") + ": " +
               E(d.table);
        if (!d.from.empty()) out += " [" + E(d.from) + ", " + E(d.to) + ")";
        out += ", ~" + Plural(d.rows_estimate, "row") + ", " + std::to_string(d.bytes) + " bytes";
        if (!d.since.empty()) out += ", since " + E(d.since);
        if (!d.verified) out += " (its marker names another table's oid: a copy, never dropped)";
        out += "\n";
      }
      if (t.next_retention) out += "  next retention: " + RetentionText(*t.next_retention) + "\n";
      for (const BlockedStep& b : t.blocked) out += "  blocked: " + E(b.Text()) + "\n";
      for (const OverduePartition& o : t.overdue) {
        out += "  retention overdue: " + E(o.action) + " " + E(o.partition) + " (due since " +
               E(o.due_since) + ")\n";
      }
      for (const std::string& d : t.drift) out += "  drift: " + E(d) + "\n";
      for (const std::string& n : t.notes) out += "  note: " + E(n) + "\n";
      if (t.last_apply) {
        out += "  last apply: " + E(InstantText(t.last_apply->at_micros)) + ", " +
               E(t.last_apply->outcome) +
               (t.last_apply->error.empty() ? "" : " (" + E(t.last_apply->error) + ")") + "\n";
      }
    }
    for (const std::string& p : t.problems) out += "  ! " + E(p) + "\n";
  }
  for (const QualifiedName& n : status.unmanaged_with_history) {
    out += E(n.Text()) + ": no policy manages it any more (it has pgpart history); its "
           "partitions are neither made ahead nor retired\n";
  }
  if (!status.diagnostics.empty()) out += "\n";
  for (const Diagnostic& d : status.diagnostics) out += E(d.Format()) + "\n";
  return out;
}

std::string RenderStatusJson(const Status& status) {
  Json j;
  j["format_version"] = 1;
  j["at"] = status.at;
  j["health"] = HealthName(status.health);
  j["exit_code"] = StatusExitCode(status);
  j["retention_grace"] = DurationText(status.retention_grace_micros / 1000);
  j["history"] = HistoryStateName(status.history);
  j["tables"] = Json::array();
  for (const TableStatus& t : status.tables) {
    Json jt;
    jt["table"] = t.table.Text();
    jt["policy"] = t.policy;
    jt["exists"] = t.exists;
    jt["health"] = HealthName(t.health);
    jt["problems"] = t.problems;
    jt["partitions"] = {{"count", t.partitions.count},
                        {"oldest", t.partitions.oldest},
                        {"newest", t.partitions.newest},
                        {"covered_until", t.partitions.covered_until},
                        {"has_default", t.partitions.has_default},
                        {"default_rows", t.partitions.default_rows}};
    jt["future_buffer_periods"] =
        t.future_buffer_periods ? Json(*t.future_buffer_periods) : Json(nullptr);
    jt["oldest_age_seconds"] =
        t.oldest_age_seconds ? Json(*t.oldest_age_seconds) : Json(nullptr);
    jt["bytes"] = t.bytes;
    jt["held"] = Json::array();
    for (const HeldPartition& h : t.held) {
      jt["held"].push_back({{"partition", h.partition}, {"held_by", h.held_by}});
    }
    jt["detached"] = Json::array();
    for (const DetachedTable& d : t.detached) {
      jt["detached"].push_back({{"table", d.table},
                                {"action", d.action},
                                {"from", d.from},
                                {"to", d.to},
                                {"rows_estimate", d.rows_estimate},
                                {"bytes", d.bytes},
                                {"since", d.since.empty() ? Json(nullptr) : Json(d.since)},
                                {"verified", d.verified}});
    }
    if (t.next_retention) {
      const RetentionEvent& ev = *t.next_retention;
      jt["next_retention"] = {{"partition", ev.partition}, {"action", ev.action},
                              {"at", ev.at},               {"when", ev.when},
                              {"due", ev.due},             {"gate_checked", ev.gate_checked},
                              {"gate", ev.gate}};
    } else {
      jt["next_retention"] = nullptr;
    }
    jt["blocked"] = Json::array();
    for (const BlockedStep& b : t.blocked) jt["blocked"].push_back(b.Text());
    jt["retention_overdue"] = Json::array();
    for (const OverduePartition& o : t.overdue) {
      jt["retention_overdue"].push_back(
          {{"partition", o.partition}, {"action", o.action}, {"due_since", o.due_since}});
    }
    jt["drift"] = t.drift;
    if (!t.notes.empty()) jt["notes"] = t.notes;
    if (t.last_apply) {
      jt["last_apply"] = {{"at", InstantText(t.last_apply->at_micros)},
                          {"outcome", t.last_apply->outcome},
                          {"error", t.last_apply->error}};
    } else {
      jt["last_apply"] = nullptr;
    }
    j["tables"].push_back(std::move(jt));
  }
  j["unmanaged_with_history"] = Json::array();
  for (const QualifiedName& n : status.unmanaged_with_history) {
    j["unmanaged_with_history"].push_back(n.Text());
  }
  j["diagnostics"] = Json::array();
  for (const Diagnostic& d : status.diagnostics) j["diagnostics"].push_back(d.Format());
  return JsonText(j, 2) + "\n";
}

std::string EscapePrometheusLabel(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string RenderStatusPrometheus(const Status& status) {
  using Value = std::function<std::optional<int64_t>(const TableStatus&)>;
  struct Family {
    const char* name;
    const char* help;
    Value value;
  };
  const Family families[] = {
      {"pgpart_partitions", "Partitions of the table (the default partition excluded).",
       [](const TableStatus& t) { return std::optional<int64_t>(t.partitions.count); }},
      {"pgpart_future_buffer_periods",
       "Whole periods after the current one covered by existing partitions.",
       [](const TableStatus& t) { return t.future_buffer_periods; }},
      {"pgpart_default_partition_rows", "Rows in the default partition.",
       [](const TableStatus& t) { return std::optional<int64_t>(t.partitions.default_rows); }},
      {"pgpart_oldest_partition_age_seconds",
       "Seconds from the lower bound of the oldest partition to now.",
       [](const TableStatus& t) { return t.oldest_age_seconds; }},
      {"pgpart_held_partitions", "Partitions a hold keeps from retention.",
       [](const TableStatus& t) { return std::optional<int64_t>(t.held.size()); }},
      {"pgpart_detached_tables",
       "Former partitions pgpart detached or archived (retention action detach/archive) that "
       "still exist.",
       [](const TableStatus& t) { return std::optional<int64_t>(t.detached.size()); }},
      {"pgpart_detached_bytes",
       "Estimated size in bytes of those detached or archived tables (as of the last "
       "VACUUM/ANALYZE).",
       [](const TableStatus& t) {
         int64_t bytes = 0;
         for (const DetachedTable& d : t.detached) bytes += d.bytes;
         return std::optional<int64_t>(bytes);
       }},
      {"pgpart_blocked_steps",
       "Steps that are blocked: in the plan, or by the latest apply that tried them (a backup "
       "gate, a lock, a failure; from pgpart.history).",
       [](const TableStatus& t) { return std::optional<int64_t>(t.blocked.size()); }},
      {"pgpart_retention_overdue_partitions",
       "Partitions whose retention has been due for longer than the grace period and that are "
       "still there (time keys).",
       [](const TableStatus& t) { return std::optional<int64_t>(t.overdue.size()); }},
      {"pgpart_partition_bytes",
       "Estimated size of the table's partitions in bytes (as of the last VACUUM/ANALYZE).",
       [](const TableStatus& t) { return std::optional<int64_t>(t.bytes); }},
      {"pgpart_last_apply_timestamp_seconds",
       "Unix time of the latest `pgpart apply` run recorded for the table in pgpart.history.",
       [](const TableStatus& t) -> std::optional<int64_t> {
         if (!t.last_apply) return std::nullopt;
         return t.last_apply->at_micros / 1'000'000;
       }},
      {"pgpart_last_apply_success",
       "Whether that run converged the table (1) or left steps blocked or failed (0).",
       [](const TableStatus& t) -> std::optional<int64_t> {
         if (!t.last_apply) return std::nullopt;
         return t.last_apply->outcome == "applied" ? 1 : 0;
       }},
  };
  std::string out;
  for (const Family& f : families) {
    out += std::string("# HELP ") + f.name + " " + f.help + "\n";
    out += std::string("# TYPE ") + f.name + " gauge\n";
    for (const TableStatus& t : status.tables) {
      if (!t.exists) continue;
      std::optional<int64_t> v = f.value(t);
      if (!v) continue;
      out += std::string(f.name) + "{policy=\"" + EscapePrometheusLabel(t.policy) +
             "\",table=\"" + EscapePrometheusLabel(t.table.Text()) + "\"} " + std::to_string(*v) +
             "\n";
    }
  }
  return out;
}

}  // namespace pgpart
