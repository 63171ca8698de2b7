#include "cli/gate_checks.h"

#include <iostream>
#include <memory>
#include <pqxx/pqxx>

#include "apply/gates.h"
#include "catalog/reader.h"
#include "cli/common.h"

namespace pgpart::cli {

CLI::Option* AddCheckGatesFlag(CLI::App* cmd, bool* check_gates) {
  return cmd->add_flag(
      "--check-gates", *check_gates,
      "Run each planned drop's backup gate now, read-only, and show whether it passes (\"gate "
      "currently fails: ...\"); apply checks it again right before the drop. Needs the database");
}

bool CheckPlanGates(const std::string& dsn, const std::vector<Policy>& policies, Plan* plan) {
  auto policy_of = [&](const std::string& name) -> const Policy* {
    for (const Policy& p : policies) {
      if (p.name == name && p.backup_gate) return &p;
    }
    return nullptr;
  };
  std::vector<TableRequest> requests;  // names only: no default rows counted by period
  for (const Step& s : plan->steps) {
    if (s.status == StepStatus::kPlanned && s.action == Action::kDrop && policy_of(s.policy)) {
      requests.push_back(TableRequest{s.table, std::nullopt, "UTC", ""});
    }
  }
  if (requests.empty()) return true;
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(dsn);
  } catch (const std::exception& e) {
    std::cerr << "error: --check-gates: cannot connect to PostgreSQL " << RedactDsn(dsn) << ": "
              << ConnectErrorText(e.what(), dsn, false) << "\n";
    return false;
  }
  ReadResult read = ReadCatalog(*conn, requests);
  if (HasErrors(read.diagnostics)) {
    std::cerr << "error: --check-gates: cannot read the tables' key types\n";
    ReportDiagnostics(read.diagnostics);
    return false;
  }
  for (Step& s : plan->steps) {
    const Policy* policy = policy_of(s.policy);
    if (s.status != StepStatus::kPlanned || s.action != Action::kDrop || policy == nullptr) {
      continue;
    }
    const Table* table = read.catalog.Find(s.table);
    const KeyType key_type = table != nullptr ? table->key_type : KeyType::kUnsupported;
    GateResult r = CheckGate(*policy->backup_gate, *conn, GateContextOf(s, *policy, key_type));
    s.gate_check = GateCheck{r.passed, r.detail};
  }
  return true;
}

}  // namespace pgpart::cli
