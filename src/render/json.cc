// JSON plan rendering and parsing (format_version 1).

#include <nlohmann/json.hpp>

#include "core/calendar.h"
#include "core/json_text.h"
#include "plan/planner.h"
#include "render/render.h"

namespace pgpart {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kFormatVersion = 1;

// content_hash: SHA-256 of the plan document itself without the two members it cannot cover
// (generated_at, informational and wall-clock; content_hash), in a canonical form: compact, keys
// sorted. Every member a reader could act on is covered, including ones a later version adds, and
// a file reformatted by another tool (jq -S, a CI step that re-indents) still verifies.
std::string ContentHash(Json j) {
  j.erase("generated_at");
  j.erase("content_hash");
  return Sha256Hex(JsonText(nlohmann::json::parse(JsonText(j))));  // nlohmann::json sorts keys
}

Json StepJson(const Step& s) {
  Json j;
  j["action"] = ActionName(s.action);
  j["table"] = s.table.Sql();
  j["table_schema"] = s.table.schema;
  j["table_name"] = s.table.name;
  j["policy"] = s.policy;
  j["partition"] = s.partition.Sql();
  j["partition_schema"] = s.partition.schema;
  j["partition_name"] = s.partition.name;
  j["from"] = s.from.empty() ? Json(nullptr) : Json(s.from);
  j["to"] = s.to.empty() ? Json(nullptr) : Json(s.to);
  j["reason"] = ReasonName(s.reason);
  j["status"] = StatusName(s.status);
  j["held_by"] = s.held_by.empty() ? Json(nullptr) : Json(s.held_by);
  j["blocked_by"] = s.blocked_by.empty() ? Json(nullptr) : Json(s.blocked_by);
  j["hazards"] = Json::array();
  for (Hazard h : s.hazards) j["hazards"].push_back(HazardName(h));
  j["rows_estimate"] = s.rows_estimate;
  if (!s.details.empty()) j["details"] = s.details;  // absent: none (conversions have them)
  if (s.gate_check) {  // --check-gates only; informational, PlanFromJson does not read it back
    j["gate_check"] = Json{{"passed", s.gate_check->passed}, {"detail", s.gate_check->detail}};
  }
  j["statements"] = Json::array();
  for (const Statement& st : s.statements) {
    j["statements"].push_back(Json{{"sql", st.sql},
                                   {"transactional", st.transactional},
                                   {"lock_timeout_ms", st.lock_timeout_ms},
                                   {"statement_timeout_ms", st.statement_timeout_ms}});
  }
  return j;
}

Json TableJson(const TableReport& t) {
  Json j;
  j["table"] = t.table.Sql();
  j["table_schema"] = t.table.schema;
  j["table_name"] = t.table.name;
  j["policy"] = t.policy;
  j["key"] = t.key;
  const PartitionSummary& p = t.partitions;
  j["partitions"] =
      Json{{"count", p.count},
           {"oldest", p.oldest.empty() ? Json(nullptr) : Json(p.oldest)},
           {"newest", p.newest.empty() ? Json(nullptr) : Json(p.newest)},
           {"covered_until", p.covered_until.empty() ? Json(nullptr) : Json(p.covered_until)},
           {"has_default", p.has_default},
           {"default_rows", p.default_rows}};
  j["drift"] = t.drift;
  if (!t.notes.empty()) j["notes"] = t.notes;  // absent: none
  return j;
}

std::string OptText(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->get<std::string>();
}

// One step of RenderJson's output; false + *error when malformed. Throws json exceptions for
// missing keys (the caller converts them).
bool StepFromJson(const Json& sj, Step* out, std::string* error) {
  Step st;
  auto action = ActionFromName(sj.at("action").get<std::string>());
  auto reason = ReasonFromName(sj.at("reason").get<std::string>());
  auto status = StatusFromName(sj.at("status").get<std::string>());
  if (!action || !reason || !status) {
    *error = "unknown action, reason or status in step";
    return false;
  }
  st.action = *action;
  st.reason = *reason;
  st.status = *status;
  st.table = {sj.at("table_schema").get<std::string>(), sj.at("table_name").get<std::string>()};
  st.policy = sj.at("policy").get<std::string>();
  st.partition = {sj.at("partition_schema").get<std::string>(),
                  sj.at("partition_name").get<std::string>()};
  st.from = OptText(sj, "from");
  st.to = OptText(sj, "to");
  st.held_by = OptText(sj, "held_by");
  st.blocked_by = OptText(sj, "blocked_by");
  for (const Json& h : sj.at("hazards")) {
    auto hazard = HazardFromName(h.get<std::string>());
    if (!hazard) {
      *error = "unknown hazard " + h.get<std::string>();
      return false;
    }
    st.hazards.push_back(*hazard);
  }
  st.rows_estimate = sj.at("rows_estimate").get<int64_t>();
  if (auto d = sj.find("details"); d != sj.end() && d->is_array()) {
    for (const Json& line : *d) st.details.push_back(line.get<std::string>());
  }
  for (const Json& stj : sj.at("statements")) {
    st.statements.push_back(Statement{
        stj.at("sql").get<std::string>(), stj.at("transactional").get<bool>(),
        stj.at("lock_timeout_ms").get<int64_t>(), stj.at("statement_timeout_ms").get<int64_t>()});
  }
  *out = std::move(st);
  return true;
}

}  // namespace

std::string RenderJson(const Plan& plan) {
  Json j;
  j["format_version"] = kFormatVersion;
  j["generated_at"] = plan.generated_at;
  j["at"] = plan.at;
  j["catalog_hash"] = plan.catalog_hash;
  j["policy_hash"] = plan.policy_hash;
  j["database"] = Json{{"name", plan.database.name},
                       {"oid", plan.database.oid},
                       {"system_identifier", plan.database.system_identifier}};
  const PlanSummary& s = plan.summary;
  j["summary"] =
      Json{{"create", s.create}, {"drain", s.drain}, {"detach", s.detach},  {"archive", s.archive},
           {"drop", s.drop},     {"held", s.held},   {"blocked", s.blocked}};
  if (s.privileges > 0) j["summary"]["privileges"] = s.privileges;  // absent: none
  if (s.convert > 0) j["summary"]["convert"] = s.convert;           // absent: none
  j["tables"] = Json::array();
  for (const TableReport& t : plan.tables) j["tables"].push_back(TableJson(t));
  j["steps"] = Json::array();
  for (const Step& step : plan.steps) j["steps"].push_back(StepJson(step));
  if (plan.is_diff) {  // only in pull-request views (plan --base-policies)
    j["is_diff"] = true;
    j["removed_steps"] = Json::array();
    for (const Step& step : plan.removed_steps) j["removed_steps"].push_back(StepJson(step));
  }
  if (!plan.only.empty()) {  // only in plans narrowed by --only
    j["only"] = plan.only;
    j["left_out"] = Json::array();
    for (const Step& step : plan.left_out) j["left_out"].push_back(StepJson(step));
  }
  j["diagnostics"] = Json::array();
  for (const Diagnostic& d : plan.diagnostics) {
    j["diagnostics"].push_back(
        Json{{"severity", d.severity == Severity::kError ? "error" : "warning"},
             {"file", d.location.file},
             {"line", d.location.line},
             {"column", d.location.column},
             {"path", d.path},
             {"message", d.message}});
  }
  j["policy_sources"] = Json::array();
  for (const PolicySource& src : plan.policy_sources) {
    j["policy_sources"].push_back(Json{{"file", src.file}, {"text", src.text}});
  }
  j["content_hash"] = ContentHash(j);
  return JsonText(j, 2) + "\n";
}

bool PlanFromJson(const std::string& json_text, Plan* plan, std::string* error) {
  try {
    Json j = Json::parse(json_text);
    if (std::string problem = CheckJsonIntegers(j); !problem.empty()) {
      *error = "malformed plan JSON: " + problem;
      return false;
    }
    if (j.value("format_version", 0) != kFormatVersion) {
      *error = "unsupported plan format_version (expected " + std::to_string(kFormatVersion) + ")";
      return false;
    }
    Plan p;
    p.generated_at = j.at("generated_at").get<std::string>();
    p.at = j.at("at").get<std::string>();
    // Exactly as a plan writes it: the clock apply re-checks every step at.
    if (auto at = ParseInstant(p.at, FindZone("UTC")); !at || InstantText(*at) != p.at) {
      *error = "at: '" + p.at +
               "' is not a UTC instant as pgpart writes it (e.g. 2026-11-21T12:00:00Z)";
      return false;
    }
    p.catalog_hash = j.at("catalog_hash").get<std::string>();
    p.policy_hash = j.at("policy_hash").get<std::string>();
    const Json& db = j.at("database");
    p.database.name = db.at("name").get<std::string>();
    p.database.oid = db.at("oid").get<int64_t>();
    p.database.system_identifier = db.at("system_identifier").get<std::string>();
    const Json& s = j.at("summary");
    p.summary =
        PlanSummary{s.at("create").get<int>(),  s.at("drain").get<int>(), s.at("detach").get<int>(),
                    s.at("archive").get<int>(), s.at("drop").get<int>(),  s.at("held").get<int>(),
                    s.at("blocked").get<int>(), s.value("privileges", 0),
                    s.value("convert", 0)};
    for (const Json& t : j.at("tables")) {
      TableReport r;
      r.table = {t.at("table_schema").get<std::string>(), t.at("table_name").get<std::string>()};
      r.policy = t.at("policy").get<std::string>();
      r.key = t.at("key").get<std::string>();
      const Json& pj = t.at("partitions");
      r.partitions.count = pj.at("count").get<int64_t>();
      r.partitions.oldest = OptText(pj, "oldest");
      r.partitions.newest = OptText(pj, "newest");
      r.partitions.covered_until = OptText(pj, "covered_until");
      r.partitions.has_default = pj.at("has_default").get<bool>();
      r.partitions.default_rows = pj.at("default_rows").get<int64_t>();
      r.drift = t.at("drift").get<std::vector<std::string>>();
      r.notes = t.value("notes", std::vector<std::string>{});
      p.tables.push_back(std::move(r));
    }
    for (const Json& sj : j.at("steps")) {
      Step st;
      if (!StepFromJson(sj, &st, error)) return false;
      p.steps.push_back(std::move(st));
    }
    p.is_diff = j.value("is_diff", false);
    for (const Json& sj : j.value("removed_steps", Json::array())) {
      Step st;
      if (!StepFromJson(sj, &st, error)) return false;
      p.removed_steps.push_back(std::move(st));
    }
    p.only = j.value("only", std::vector<std::string>{});
    for (const Json& sj : j.value("left_out", Json::array())) {
      Step st;
      if (!StepFromJson(sj, &st, error)) return false;
      p.left_out.push_back(std::move(st));
    }
    for (const Json& dj : j.value("diagnostics", Json::array())) {
      Diagnostic d;
      const std::string severity = dj.at("severity").get<std::string>();
      if (severity != "error" && severity != "warning") {
        *error = "unknown diagnostic severity '" + severity + "'";
        return false;
      }
      d.severity = severity == "error" ? Severity::kError : Severity::kWarning;
      d.location = {dj.at("file").get<std::string>(), dj.at("line").get<int>(),
                    dj.at("column").get<int>()};
      d.path = dj.at("path").get<std::string>();
      d.message = dj.at("message").get<std::string>();
      p.diagnostics.push_back(std::move(d));
    }
    for (const Json& sj : j.value("policy_sources", Json::array())) {
      p.policy_sources.push_back(
          PolicySource{sj.at("file").get<std::string>(), sj.at("text").get<std::string>()});
    }
    // Last, so that a malformed member is named first.
    auto hash = j.find("content_hash");
    if (hash == j.end() || !hash->is_string()) {
      *error = "the plan has no content_hash (made by an older pgpart?); make it again with "
               "`pgpart plan -o FILE.json`";
      return false;
    }
    if (hash->get<std::string>() != ContentHash(j)) {
      *error = "the saved plan was modified after it was made (content hash mismatch); make it "
               "again with `pgpart plan -o FILE.json` and review it";
      return false;
    }
    *plan = std::move(p);
    return true;
  } catch (const nlohmann::json::exception& e) {
    *error = std::string("malformed plan JSON: ") + e.what();
    return false;
  }
}

}  // namespace pgpart
