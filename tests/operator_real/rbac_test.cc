// `pgpart operator` against the real kube-apiserver (ctest fixture `kube`), under its
// ServiceAccount's token and exactly the RBAC of manifests/rbac.yaml:
//   - the shared scenarios (tests/operator_e2e/scenario_*_test.cc) run here on the real server;
//   - the shipped RBAC is sufficient and minimal: the whole job works under it, and with any one
//     verb of any rule of its ClusterRole or Role taken away, the job visibly fails.

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "../common/test_env.h"
#include "../operator_e2e/operator_fixture.h"

namespace pgpart::operator_e2e {

INSTANTIATE_TEST_SUITE_P(RealServer, OperatorScenario, ::testing::Values(std::string("real")),
                         [](const auto& info) { return info.param; });

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class OperatorUnderShippedRbac : public OperatorE2e {
 protected:
  void SetUp() override {
    dir_ = test_env::TestDir("pgpart-operator-rbac");
    SetUpWith(RealServerBackend(dir_));
    kubectl_ = AdminKubectl();
    ASSERT_NE(kubectl_, "");
  }
  void TearDown() override {
    // Whatever happened, the next test finds the RBAC as shipped (RealServerBackend re-applies
    // it too).
    ApplyShippedRbac();
    OperatorE2e::TearDown();
  }

  std::string Kubectl(const std::string& args) { return RunShell(kubectl_ + " " + args + " 2>&1"); }

  json GetJson(const std::string& what) {
    const std::string out = RunShell(kubectl_ + " get " + what + " -o json");
    try {
      return json::parse(out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "kubectl get " << what << ": " << out;
      return json();
    }
  }

  // "yes"/"no" for the operator's user.
  std::string CanI(const std::string& verb, const std::string& resource, const std::string& ns) {
    std::string out =
        Kubectl("auth can-i --as system:serviceaccount:pgpart-system:pgpart-operator " + verb +
                " " + resource + " -n " + ns);
    out.erase(out.find_last_not_of(" \n") + 1);
    return out.substr(0, out.find('\n'));
  }

  // The whole job, as the operator does it in a cluster, with a fresh operator, table, policy and
  // Lease (`tag` makes the names unique). Empty when everything worked; else what did not.
  std::string Job(const std::string& tag) {
    const std::string table = "rbac_" + tag;
    const std::string name = "rbac-" + tag;
    Kubectl("-n pgpart-system delete lease pgpart-operator --ignore-not-found");
    CreateTimeTable(table);
    PutSecret("db", DatabaseDsn());
    OperatorProcess& op = StartOperator(Elect("rbac-" + tag), "operator-" + tag);
    if (HasFatalFailure()) return "the operator did not start";
    const auto finish = [&](const std::string& why) {
      std::string log = Lower(op.Log());
      op.Kill();
      // Every refusal is somewhere in the log (lists, watches, status, Secrets, Events, Lease).
      if (why.empty() && log.find("forbidden") != std::string::npos) {
        const auto at = log.find("forbidden");
        const auto from = log.rfind('\n', at);
        return "the API server refused a request: " +
               op.Log().substr(from == std::string::npos ? 0 : from + 1,
                               log.find('\n', at) - (from == std::string::npos ? 0 : from + 1));
      }
      return why;
    };
    const auto polled = [&](const std::function<bool(const json&)>& done, milliseconds limit) {
      json last;
      const bool ok = Eventually(
          [&] {
            last = Policy(name);
            return !last.is_null() && done(last);
          },
          limit, milliseconds(50));
      return ok ? json() : json(last.is_null() ? "(no object)" : last.value("status", json("(no status)")).dump());
    };
    // A daily policy with 200 days ahead: long enough to edit it while it is applied, so the
    // operator's status write meets a newer resourceVersion (409) and must read the object again.
    json spec = MonthlySpec(table, 200);
    spec["interval"] = "1 day";
    PutPolicy(name, spec);
    if (!Eventually([&] { return PartitionCount(table) > 0; }, seconds(10), milliseconds(5))) {
      return finish("nothing applied within 10 s: " + Policy(name).value("status", json()).dump());
    }
    EditSpec(name, [](json& s) { s["premake"] = 210; });
    if (json st = polled([](const json& o) { return o.contains("status"); }, seconds(10));
        !st.is_null()) {
      return finish("no status written within 10 s");
    }
    if (json st = polled(
            [](const json& o) {
              return Converged(o) && o["metadata"].value("generation", 0) == 2;
            },
            seconds(30));
        !st.is_null()) {
      return finish("the edit was not applied within 30 s; status " + st.dump());
    }
    if (PartitionCount(table) != 211) {
      return finish(std::to_string(PartitionCount(table)) + " partitions, not 211");
    }
    if (!Eventually([&] { return !EventsFor(name, "PartitionCreated").empty(); }, seconds(5))) {
      return finish("no PartitionCreated event");
    }
    // The Lease is held and renewed (retry period 0.5 s).
    const auto lease = GetLease("pgpart-system", "pgpart-operator");
    if (!lease || lease->holder_identity != "rbac-" + tag) {
      return finish("the Lease is not held by rbac-" + tag);
    }
    if (!Eventually(
            [&] {
              const auto now = GetLease("pgpart-system", "pgpart-operator");
              return now && now->holder_identity == "rbac-" + tag &&
                     now->renew_time != lease->renew_time;
            },
            seconds(3), milliseconds(100))) {
      return finish("the Lease was not renewed within 3 s");
    }
    return finish("");
  }

  std::string kubectl_;
};

// One verb taken away from one rule of a role (the rule goes when it had one verb).
struct Removal {
  std::string kind;  // "clusterrole" or "role"
  std::string name;
  std::string ns;  // for the Role
  size_t rule;
  std::string verb;
  std::string resource;  // the rule's first resource (for can-i and the report)
};

TEST_F(OperatorUnderShippedRbac, TheShippedRbacIsEnoughAndEveryVerbOfItIsNeeded) {
  // Under the RBAC as shipped, the whole job works, and the operator is refused nothing.
  ASSERT_EQ(CanI("list", "partitionpolicies.pgpart.io", "apps"), "yes");
  ASSERT_EQ(CanI("list", "secrets", "apps"), "no") << "the operator may list Secrets";
  const std::string shipped = Job("shipped");
  ASSERT_EQ(shipped, "") << "the job fails under the shipped RBAC";

  std::vector<Removal> removals;
  const json cluster_role = GetJson("clusterrole pgpart-operator");
  const json role = GetJson("-n pgpart-system role pgpart-operator-leader-election");
  ASSERT_FALSE(cluster_role.is_null() || role.is_null());
  for (const auto& [object, kind, ns] :
       {std::tuple{cluster_role, std::string("clusterrole"), std::string()},
        std::tuple{role, std::string("role"), std::string("pgpart-system")}}) {
    const json& rules = object["rules"];
    for (size_t i = 0; i < rules.size(); ++i) {
      for (const auto& verb : rules[i]["verbs"]) {
        removals.push_back({kind, object["metadata"]["name"], ns, i, verb.get<std::string>(),
                            rules[i]["resources"][0].get<std::string>()});
      }
    }
  }
  // The 9 verbs of manifests/rbac.yaml (tests/manifests/check_manifests.py pins the list).
  EXPECT_EQ(removals.size(), 9u);

  int n = 0;
  for (const Removal& r : removals) {
    SCOPED_TRACE(r.kind + " " + r.name + " without " + r.verb + " " + r.resource);
    json changed = r.kind == "role" ? role : cluster_role;
    json& rules = changed["rules"];
    json& verbs = rules[r.rule]["verbs"];
    verbs.erase(std::find(verbs.begin(), verbs.end(), json(r.verb)));
    if (verbs.empty()) rules.erase(rules.begin() + static_cast<long>(r.rule));
    changed["metadata"].erase("resourceVersion");
    changed["metadata"].erase("managedFields");
    const std::string path = dir_ + "/role-" + std::to_string(n) + ".json";
    test_env::WriteFile(path, changed.dump());
    const std::string replaced = Kubectl("replace -f " + ShellQuote(path));
    ASSERT_NE(replaced.find("replaced"), std::string::npos) << replaced;
    // The authorizer sees the change (its cache follows within moments).
    const std::string where = r.kind == "role" ? "pgpart-system" : "apps";
    const auto slash = r.resource.find('/');
    const std::string base = r.resource.substr(0, slash);
    const std::string group = base == "secrets"  ? ""
                              : base == "leases" ? ".coordination.k8s.io"
                              : base == "events" ? ".events.k8s.io"
                                                 : ".pgpart.io";
    std::string what = base + group;
    if (base == "leases" && r.verb != "create") what += "/pgpart-operator";
    if (slash != std::string::npos) what += " --subresource=" + r.resource.substr(slash + 1);
    EXPECT_TRUE(Eventually([&] { return CanI(r.verb, what, where) == "no"; }, seconds(5),
                           milliseconds(100)))
        << "the removal did not take effect: can-i " << r.verb << " " << what << " says "
        << CanI(r.verb, what, where);
    const std::string why = Job("v" + std::to_string(n));
    std::printf("[ rbac ] without %s %s (%s %s): %s\n", r.verb.c_str(), r.resource.c_str(),
                r.kind.c_str(), r.name.c_str(), why.empty() ? "THE JOB STILL WORKS" : why.c_str());
    EXPECT_NE(why, "") << "the operator does not need this verb: the RBAC is not minimal";
    // Back to the shipped RBAC for the next removal.
    ASSERT_EQ(ApplyShippedRbac(), "");
    ++n;
  }
}

}  // namespace
}  // namespace pgpart::operator_e2e
