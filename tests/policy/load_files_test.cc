// LoadPolicies: files and folders, sort order, set-level checks across files.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "policy/loader.h"
#include "policy_test_util.h"

namespace pgpart {
namespace {

namespace fs = std::filesystem;
using testing::CountErrors;
using testing::Doc;
using testing::Dump;
using testing::Find;
using testing::TestData;

// A fresh folder under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("pgpart-policy-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& relative, const std::string& text) const {
    fs::path file = path_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(LoadFilesTest, FolderIsReadRecursivelyAndSorted) {
  std::string dir = TestData("set");
  PolicySet set = LoadPolicies({dir});
  ASSERT_TRUE(set.diagnostics.empty()) << Dump(set.diagnostics);
  // Only *.yaml / *.yml, sorted by path (notes.txt is skipped).
  EXPECT_EQ(set.files, (std::vector<std::string>{dir + "/b-orders.yaml",
                                                 dir + "/nested/a-events.yml", dir + "/zz.yaml"}));
  std::vector<std::string> names;
  for (const Policy& p : set.policies) names.push_back(p.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"alpha-logs", "events", "middle-audit", "zeta-orders"}));
  // Each policy remembers its own file.
  EXPECT_EQ(set.policies[0].location.file, dir + "/nested/a-events.yml");
  EXPECT_EQ(set.policies[0].location.line, 11);
  EXPECT_EQ(set.policies[3].location.file, dir + "/b-orders.yaml");
}

TEST(LoadFilesTest, FilesAndFoldersMixAndAFileIsReadOnce) {
  std::string dir = TestData("set");
  PolicySet set = LoadPolicies({dir + "/zz.yaml", dir, dir + "/./zz.yaml"});
  EXPECT_TRUE(set.diagnostics.empty()) << Dump(set.diagnostics);
  EXPECT_EQ(set.files.size(), 3u);
  EXPECT_EQ(set.policies.size(), 4u);
}

TEST(LoadFilesTest, MissingPathIsAnError) {
  std::string missing = TestData("does-not-exist.yaml");
  PolicySet set = LoadPolicies({missing, TestData("set/zz.yaml")});
  ASSERT_EQ(CountErrors(set.diagnostics), 1) << Dump(set.diagnostics);
  EXPECT_EQ(set.diagnostics[0].location.file, missing);
  EXPECT_EQ(set.diagnostics[0].message, "no such file or folder");
  // The other file still loads, so that every problem is listed at once.
  EXPECT_EQ(set.policies.size(), 1u);
}

TEST(LoadFilesTest, FolderWithoutYamlIsAnError) {
  TempDir dir;
  dir.Write("README.md", "# policies go here\n");
  PolicySet set = LoadPolicies({dir.path()});
  ASSERT_EQ(CountErrors(set.diagnostics), 1) << Dump(set.diagnostics);
  EXPECT_EQ(set.diagnostics[0].location.file, dir.path());
  EXPECT_NE(set.diagnostics[0].message.find("no *.yaml or *.yml"), std::string::npos);
  EXPECT_TRUE(set.files.empty());
}

TEST(LoadFilesTest, NoPathsIsAnError) {
  PolicySet set = LoadPolicies({});
  EXPECT_TRUE(HasErrors(set.diagnostics));
}

TEST(LoadFilesTest, FileWithoutDocumentsIsAWarning) {
  TempDir dir;
  std::string empty = dir.Write("empty.yaml", "# nothing yet\n");
  dir.Write("one.yaml", Doc("  tables: [t]\n  interval: 1 month\n"));
  PolicySet set = LoadPolicies({dir.path()});
  EXPECT_FALSE(HasErrors(set.diagnostics)) << Dump(set.diagnostics);
  ASSERT_EQ(set.diagnostics.size(), 1u);
  EXPECT_EQ(set.diagnostics[0].severity, Severity::kWarning);
  EXPECT_EQ(set.diagnostics[0].location.file, empty);
  EXPECT_EQ(set.policies.size(), 1u);
}

TEST(LoadFilesTest, DuplicateNameAndTableClaimAcrossFiles) {
  std::string first = TestData("claims/first.yaml");
  std::string second = TestData("claims/second.yaml");
  PolicySet set = LoadPolicies({TestData("claims")});
  ASSERT_EQ(CountErrors(set.diagnostics), 2) << Dump(set.diagnostics);

  const Diagnostic* name = Find(set.diagnostics, "metadata.name");
  ASSERT_NE(name, nullptr) << Dump(set.diagnostics);
  EXPECT_EQ(name->location, (SourceLocation{second, 5, 9}));
  EXPECT_EQ(name->message, "duplicate policy name 'orders'; first defined at " + first + ":4:9");

  // `ORDERS` folds to public.orders, which first.yaml claims on line 8.
  const Diagnostic* claim = Find(set.diagnostics, "spec.tables[0]");
  ASSERT_NE(claim, nullptr) << Dump(set.diagnostics);
  EXPECT_EQ(claim->location, (SourceLocation{second, 7, 12}));
  EXPECT_EQ(claim->message, "table public.orders is already claimed by policy 'orders' at " +
                                first + ":8:7; a table belongs to exactly one policy");
}

TEST(LoadFilesTest, SecondClaimIsReportedWhicheverOrderPathsAreGiven) {
  // Files are read in sorted order, so the report does not depend on the command line.
  PolicySet a = LoadPolicies({TestData("claims/second.yaml"), TestData("claims/first.yaml")});
  PolicySet b = LoadPolicies({TestData("claims/first.yaml"), TestData("claims/second.yaml")});
  EXPECT_EQ(a.diagnostics, b.diagnostics);
  EXPECT_EQ(a.files, b.files);
}

TEST(LoadFilesTest, OnePolicyListingATableTwice) {
  TempDir dir;
  std::string file =
      dir.Write("p.yaml", Doc("  tables:\n    - events\n    - public.events\n  interval: 1 day\n"));
  PolicySet set = LoadPolicies({file});
  const Diagnostic* d = Find(set.diagnostics, "spec.tables[1]", "listed twice in this policy");
  ASSERT_NE(d, nullptr) << Dump(set.diagnostics);
  EXPECT_EQ(d->location, (SourceLocation{file, 8, 7}));
  EXPECT_NE(d->message.find("(first at " + file + ":7:7)"), std::string::npos) << d->message;
}

TEST(LoadFilesTest, InvalidPolicyStillTakesPartInClaims) {
  // The first policy has a schema error, but its table claim is still checked.
  TempDir dir;
  dir.Write("a.yaml", Doc("  tables: [t]\n  interval: 1 month\n  premake: x\n", "a"));
  std::string b = dir.Write("b.yaml", Doc("  tables: [t]\n  interval: 1 month\n", "b"));
  PolicySet set = LoadPolicies({dir.path()});
  EXPECT_EQ(CountErrors(set.diagnostics), 2) << Dump(set.diagnostics);
  const Diagnostic* d = Find(set.diagnostics, "spec.tables[0]", "already claimed by policy 'a'");
  ASSERT_NE(d, nullptr) << Dump(set.diagnostics);
  EXPECT_EQ(d->location.file, b);
}

TEST(LoadFilesTest, LoadRunsLint) {
  TempDir dir;
  std::string file = dir.Write(
      "p.yaml",
      Doc("  tables: [t]\n  interval: 1 month\n  premake: 6\n  retention: {keep: 2 months}\n"));
  PolicySet set = LoadPolicies({file});
  const Diagnostic* d = Find(set.diagnostics, "spec.retention.keep", "shorter than");
  ASSERT_NE(d, nullptr) << Dump(set.diagnostics);
  EXPECT_EQ(d->location, (SourceLocation{file, 9, 21}));
}

TEST(LoadFilesTest, DiagnosticsAreOrderedByFileAndLine) {
  TempDir dir;
  dir.Write("b.yaml", Doc("  tables: [b]\n  interval: 1 mnth\n  premake: x\n", "b"));
  dir.Write("a.yaml", Doc("  tables: [a]\n  interval: 1 month\n  suspend: 3\n", "a"));
  PolicySet set = LoadPolicies({dir.path()});
  ASSERT_EQ(set.diagnostics.size(), 3u) << Dump(set.diagnostics);
  EXPECT_EQ(set.diagnostics[0].path, "spec.suspend");
  EXPECT_EQ(set.diagnostics[1].path, "spec.interval");
  EXPECT_EQ(set.diagnostics[2].path, "spec.premake");
}

TEST(LoadFilesTest, ShippedPoliciesLoadCleanly) {
  PolicySet set = LoadPolicies({std::string(PGPART_SOURCE_DIR) + "/policies"});
  EXPECT_FALSE(HasErrors(set.diagnostics)) << Dump(set.diagnostics);
  EXPECT_GE(set.policies.size(), 5u);
}

}  // namespace
}  // namespace pgpart
