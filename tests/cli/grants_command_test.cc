// `pgpart grants` (no database): the SQL docs/permissions.md shows is what the command prints,
// so the documented set-up cannot fall behind (the SQL itself runs in
// tests/apply_e2e/role_matrix_test.cc as real roles).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

using ::testing::HasSubstr;

const EnvChanges kNoServer = {{"PGHOST", "127.0.0.1"}, {"PGPORT", "1"}};

std::string Trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

TEST(E2eGrantsTest, DocsPermissionsShowsExactlyWhatGrantsPrints) {
  const std::string doc = ReadFile(SourcePath("docs/permissions.md"));
  const std::string policy = SourcePath("policies/iot.yaml");
  const std::vector<std::vector<std::string>> kinds = {
      {"--kind", "reader", "--role", "app_reader"},
      {"--kind", "owner", "--role", "app_owner"},
      {"--kind", "maintenance", "--role", "app_maint", "--owner", "app_owner"},
      {"--kind", "operator", "--role", "pgpart_operator", "--owner", "app_owner"}};
  for (const auto& kind : kinds) {
    std::vector<std::string> args = {"grants", "-f", policy};
    args.insert(args.end(), kind.begin(), kind.end());
    RunResult r = RunPgpart(args, kNoServer);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_THAT(doc, HasSubstr("```sql\n" + Trimmed(r.out) + "\n```")) << kind[1];
  }
}

TEST(E2eGrantsTest, AMemberRoleNeedsTheOwnerAndBadNamesAreRefused) {
  const std::string policy = SourcePath("policies/iot.yaml");
  RunResult no_owner = RunPgpart(
      {"grants", "-f", policy, "--kind", "maintenance", "--role", "app_maint"}, kNoServer);
  EXPECT_EQ(no_owner.exit_code, 1);
  EXPECT_THAT(no_owner.err, HasSubstr("needs --owner ROLE"));
  RunResult bad_kind =
      RunPgpart({"grants", "-f", policy, "--kind", "admin", "--role", "x"}, kNoServer);
  EXPECT_EQ(bad_kind.exit_code, 1);
  // Role names are quoted as identifiers: no SQL can be spliced in through them.
  RunResult quoted = RunPgpart(
      {"grants", "-f", policy, "--kind", "reader", "--role", "Ops\"; DROP TABLE x; --"},
      kNoServer);
  ASSERT_EQ(quoted.exit_code, 0) << quoted.err;
  EXPECT_THAT(quoted.out, HasSubstr("TO \"Ops\"\"; DROP TABLE x; --\";"));
  RunResult help = RunPgpart({"--help"}, kNoServer);
  EXPECT_THAT(help.out, HasSubstr("grants"));
}

}  // namespace
}  // namespace pgpart::e2e
