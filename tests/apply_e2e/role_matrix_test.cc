// The least-privilege set-ups of docs/permissions.md, as `pgpart grants` prints them, tested
// (issue 12.2): each command runs as each role — real non-superusers logging in with passwords —
// and what must work works, what must not is refused with the privilege it lacks, and a reader
// changes nothing. The matrix is printed (ctest -V) for the record.

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include "apply_fixture.h"
#include "roles_fixture.h"

namespace pgpart::apply_e2e {
namespace {

// The policy of the table with `premake` months ahead, and retention when asked.
std::string PolicyFile(const std::string& name, int premake, bool retention) {
  return WriteTestFile(
      name, "apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata: {name: ev}\n"
            "spec:\n  tables: [public.ev]\n  interval: 1 month\n  premake: " +
                std::to_string(premake) + "\n  defaultPartition: true\n" +
                (retention ? "  retention: {keep: 3 months, action: drop}\n" : ""));
}

std::string Grants(const std::string& policy, const std::string& kind, const std::string& role,
                   const std::string& owner = "") {
  std::vector<std::string> args = {"grants", "-f", policy, "--kind", kind, "--role", role};
  if (!owner.empty()) args.insert(args.end(), {"--owner", owner});
  RunResult r = RunPgpart(args);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  return r.out;
}

class Matrix {
 public:
  void Add(const std::string& role, const std::string& command, const RunResult& r,
           const std::string& note) {
    std::string result = r.exit_code == 0 ? "works" : "exit " + std::to_string(r.exit_code);
    rows_ << "| " << role << " | " << command << " | " << result << " | " << note << " |\n";
  }
  std::string Text() const {
    return "| role | command | result | note |\n|---|---|---|---|\n" + rows_.str();
  }

 private:
  std::ostringstream rows_;
};

std::string FirstLine(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  const size_t start = text.rfind('\n', at);
  const size_t end = text.find('\n', at);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end == std::string::npos ? std::string::npos : end - start - 1);
}

TEST(RoleMatrix, EachCommandAsEachRoleOfDocsPermissions) {
  ScratchDatabase db;
  PasswordRole owner(db, "pgpart_m_owner"), maint(db, "pgpart_m_maint"),
      op(db, "pgpart_m_operator"), reader(db, "pgpart_m_reader");
  // Each writer gets a policy with a month more work: premake 1, 2, then 3 with retention.
  const std::string p1 = PolicyFile("p1.yaml", 1, false), p2 = PolicyFile("p2.yaml", 2, false);
  const std::string policy = PolicyFile("ev.yaml", 3, true);
  // The application's table, owned by its owner role, with rows waiting in the default partition.
  db.Exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC;"
          "CREATE TABLE public.ev (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);"
          "ALTER TABLE public.ev OWNER TO " + owner.name());
  // What docs/permissions.md tells the DBA to run: `pgpart grants` for each role.
  db.Exec(Grants(policy, "owner", owner.name()));
  db.Exec(Grants(policy, "maintenance", maint.name(), owner.name()));
  db.Exec(Grants(policy, "operator", op.name(), owner.name()));
  db.Exec(Grants(policy, "reader", reader.name()));
  db.Exec("SET ROLE " + owner.name() +
          "; CREATE TABLE public.ev_default PARTITION OF public.ev DEFAULT;" +
          MonthlyPartitions("public", "ev", 2026, 7, 1) + "RESET ROLE;"
          "INSERT INTO public.ev SELECT g, '2026-11-10'::timestamptz + g * interval '1 minute' "
          "FROM generate_series(1, 500) g;");
  for (const PasswordRole* r : {&owner, &maint, &op, &reader}) {
    ASSERT_EQ(db.Scalar("SELECT rolsuper OR rolcreatedb OR rolcreaterole OR has_database_privilege("
                        + Literal(r->name()) + ", current_database(), 'CREATE') FROM pg_roles "
                        "WHERE rolname = " + Literal(r->name())),
              "f")
        << r->name();
  }
  Matrix matrix;
  const std::string report = TestDir() + "/report.html";
  auto read_commands = [&](const PasswordRole& role, const char* at, int status_code) {
    const std::vector<std::string> before = db.TableLines({"public", "pgpart"});
    RunResult snap = RunPgpart({"snapshot", "-f", policy, "--dsn", role.Dsn()});
    EXPECT_EQ(snap.exit_code, 0) << Describe(snap);
    matrix.Add(role.name(), "snapshot", snap, "");
    RunResult plan = RunPgpart({"plan", "-f", policy, "--dsn", role.Dsn(), "--at", at});
    EXPECT_EQ(plan.exit_code, 0) << Describe(plan);
    matrix.Add(role.name(), "plan", plan, "");
    RunResult status = RunPgpart({"status", "-f", policy, "--dsn", role.Dsn(), "--at", at});
    EXPECT_EQ(status.exit_code, status_code) << Describe(status);
    EXPECT_EQ(status.err.find("may not read"), std::string::npos) << Describe(status);
    matrix.Add(role.name(), "status", status,
               status.exit_code == 2 ? "exit 2 = warnings (partitions missing): works" : "");
    RunResult rep =
        RunPgpart({"report", "-f", policy, "--dsn", role.Dsn(), "--at", at, "-o", report});
    EXPECT_EQ(rep.exit_code, 0) << Describe(rep);
    matrix.Add(role.name(), "report", rep, "");
    EXPECT_EQ(db.TableLines({"public", "pgpart"}), before) << role.name() << " changed something";
  };
  auto apply = [&](const PasswordRole& role, const std::string& file, bool audit = true) {
    std::vector<std::string> args = {"apply", "-f", file, "--dsn", role.Dsn(),
                                     "--at", kAt, "--auto-approve"};
    if (!audit) args.push_back("--no-audit");
    return RunPgpart(args);
  };

  // Before any apply: the reader sees everything (status warns: the partitions are missing).
  read_commands(reader, kAt, 2);
  const std::vector<std::string> untouched = db.TableLines({"public", "pgpart"});
  RunResult denied = apply(reader, policy);
  EXPECT_EQ(denied.exit_code, 1) << Describe(denied);
  EXPECT_NE(denied.err.find("GRANT INSERT, UPDATE ON pgpart.history TO " + reader.name()),
            std::string::npos)
      << Describe(denied);
  matrix.Add(reader.name(), "apply", denied,
             "refused: " + FirstLine(denied.err, "may not write the audit table"));
  RunResult denied2 = apply(reader, policy, /*audit=*/false);
  EXPECT_EQ(denied2.exit_code, 1) << Describe(denied2);
  EXPECT_NE(denied2.out.find("only its owner " + owner.name() + " and members of " +
                             owner.name() + " may (GRANT " + owner.name() + " TO " +
                             reader.name() + ")"),
            std::string::npos)
      << Describe(denied2);
  matrix.Add(reader.name(), "apply --no-audit", denied2,
             "refused: " + FirstLine(denied2.out, "only its owner"));
  EXPECT_EQ(db.TableLines({"public", "pgpart"}), untouched) << "the reader changed something";

  // Each writer applies: create + drain (and the owner's first apply gives the reader the
  // partitions made before, privileges: inherit), premake, then premake and a drop.
  RunResult by_owner = apply(owner, p1);
  EXPECT_EQ(by_owner.exit_code, 0) << Describe(by_owner);
  matrix.Add(owner.name(), "apply", by_owner, "creates, drains 500 rows, aligns 2 partitions' grants");
  EXPECT_EQ(db.Count("SELECT count(*) FROM ONLY public.ev_y2026m11"), 500);
  RunResult by_maint = apply(maint, p2);
  EXPECT_EQ(by_maint.exit_code, 0) << Describe(by_maint);
  matrix.Add(maint.name(), "apply", by_maint, "premake, new partition owned by the owner");
  RunResult by_op = apply(op, policy);
  EXPECT_EQ(by_op.exit_code, 0) << Describe(by_op);
  EXPECT_NE(by_op.out.find("dropped"), std::string::npos) << Describe(by_op);
  matrix.Add(op.name(), "apply", by_op, "premake + a retention drop");
  EXPECT_EQ(db.Scalar("SELECT string_agg(DISTINCT pg_get_userbyid(c.relowner), ',') FROM "
                      "pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                      "WHERE i.inhparent = 'public.ev'::regclass"),
            owner.name());
  // owner: 5 creates (the gap after the hand-made July partition, the current month, premake)
  // + the drain + 2 inherit_privileges; maint: 1 create; operator: 1 create + 1 drop.
  EXPECT_EQ(db.History().size(), 11u) << ::testing::PrintToString(db.History());

  // After them: the reader reads every partition, and status is healthy.
  read_commands(reader, kAt, 0);
  for (const PasswordRole* role : {&owner, &maint, &op}) read_commands(*role, kAt, 0);
  std::cout << "\nRole matrix (docs/permissions.md):\n" << matrix.Text() << std::endl;
}

}  // namespace
}  // namespace pgpart::apply_e2e
