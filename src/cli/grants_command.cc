// `pgpart grants`: prints the SQL that sets up a least-privileged role for the policies' tables.

#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "policy/loader.h"
#include "render/grants_render.h"

namespace pgpart::cli {

CLI::App* AddGrantsCommand(CLI::App& app, GrantsArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "grants",
      "Print the SQL that gives a role what pgpart needs for the policies' tables "
      "(docs/permissions.md); reads no database");
  cmd->add_option("-f,--file", args.files, "Policy file or folder (all *.yaml|*.yml inside)")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--role", args.role, "The role to set up (it must exist; not created here)")
      ->required()
      ->check(NotEmpty());
  cmd->add_option("--kind", args.kind,
                  "reader: snapshot, plan, status, report (writes nothing); owner: owns the "
                  "tables and applies; maintenance: a member of the owner role that applies; "
                  "operator: the operator's database role (like maintenance)")
      ->required()
      ->check(CLI::IsMember({"reader", "owner", "maintenance", "operator"}));
  cmd->add_option("--owner", args.owner,
                  "The tables' owner role (required with --kind maintenance and operator)")
      ->check(NotEmpty());
  AddAuditTableOption(cmd, &args.audit_table, "The audit table apply writes and status reads");
  cmd->add_option("-o,--out", args.output, "Write the SQL to FILE instead of stdout");
  return cmd;
}

int RunGrants(const GrantsArgs& args) {
  PolicySet set = LoadPolicies(args.files);
  if (ReportDiagnostics(set.diagnostics)) return kExitError;
  GrantsRequest request;
  request.kind = args.kind == "owner"         ? RoleKind::kOwner
                 : args.kind == "maintenance" ? RoleKind::kMaintenance
                 : args.kind == "operator"    ? RoleKind::kOperator
                                              : RoleKind::kReader;
  request.role = args.role;
  request.owner = args.owner;
  request.audit_table = AuditTableOf(args.audit_table);
  const bool member = request.kind == RoleKind::kMaintenance || request.kind == RoleKind::kOperator;
  if (member && request.owner.empty()) {
    std::cerr << "error: --kind " << args.kind
              << " needs --owner ROLE: the role that owns the tables (" << args.role
              << " becomes a member of it)\n";
    return kExitError;
  }
  if (!member && !request.owner.empty()) {
    std::cerr << "error: --owner is for --kind maintenance and operator\n";
    return kExitError;
  }
  return WriteOutput(args.output, RenderGrants(set.policies, request)) ? kExitOk : kExitError;
}

}  // namespace pgpart::cli
