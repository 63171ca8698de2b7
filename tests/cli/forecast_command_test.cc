// `pgpart forecast` end to end: the built binary against the sandbox, as a user would run it.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

constexpr char kPolicy[] = R"(apiVersion: pgpart.io/v1alpha1
kind: PartitionPolicy
metadata: {name: readings}
spec:
  tables: [public.readings]
  interval: 1 month
  premake: 1
  retention: {keep: 24 months}
  holds:
    - {partition: readings_y2024m05, reason: "Audit A-7", until: 2026-08-15}
)";

class E2eForecastCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Exec(R"SQL(
      CREATE TABLE readings (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
      DO $$
      DECLARE m date := '2024-03-01';
      BEGIN
        WHILE m < '2026-06-01' LOOP
          EXECUTE format('CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
                         'readings_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
                         m::timestamptz, (m + interval '1 month')::timestamptz);
          m := m + interval '1 month';
        END LOOP;
      END $$;
    )SQL");
    dir_ = TestDir();
    policy_ = dir_ + "/readings.yaml";
    WriteFile(policy_, kPolicy);
  }
  ScratchDatabase db_;
  std::string dir_, policy_;
};

TEST_F(E2eForecastCommandTest, AnswersWhenMarch2024IsDropped) {
  RunResult r = RunPgpart({"forecast", "-f", policy_, "--dsn", db_.dsn(), "--at",
                           "2026-03-15T00:00:00Z", "--until", "2026-12-31", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out);
  std::string march_drop, may_drop, may_held;
  for (const auto& event : j.at("events")) {
    for (const auto& step : event.at("steps")) {
      const std::string partition = step.at("partition").get<std::string>();
      if (step.at("action") != "drop") continue;
      if (partition == "public.readings_y2024m03") march_drop = event.at("at");
      if (partition == "public.readings_y2024m05") {
        (step.at("status") == "held" ? may_held : may_drop) = event.at("at");
      }
    }
  }
  // Expired when the upper bound (2024-04-01) <= now - 24 months.
  EXPECT_EQ(march_drop, "2026-04-01T00:00:00Z") << r.out;
  // Due 2026-06-01 but held until 2026-08-15, then dropped that day.
  EXPECT_EQ(may_held, "2026-06-01T00:00:00Z") << r.out;
  EXPECT_EQ(may_drop, "2026-08-15T00:00:00Z") << r.out;
}

TEST_F(E2eForecastCommandTest, TextAndMarkdownAndErrors) {
  RunResult text = RunPgpart({"forecast", "-f", policy_, "--dsn", db_.dsn(), "--at",
                              "2026-03-15T00:00:00Z", "--until", "2026-05-01"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("- drop public.readings_y2024m03"), std::string::npos) << text.out;
  RunResult md = RunPgpart({"forecast", "-f", policy_, "--dsn", db_.dsn(), "--at",
                            "2026-03-15T00:00:00Z", "--until", "2026-05-01", "--format",
                            "markdown"});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("| "), std::string::npos) << md.out;
  EXPECT_EQ(RunPgpart({"forecast", "-f", policy_, "--dsn", db_.dsn()}).exit_code, 1);  // --until
  EXPECT_EQ(RunPgpart({"forecast", "-f", policy_, "--dsn", db_.dsn(), "--at", "2026-03-15",
                       "--until", "2026-01-01"})
                .exit_code,
            1);
  EXPECT_EQ(RunPgpart({"forecast", "--help"}).exit_code, 0);
}

}  // namespace
}  // namespace pgpart::e2e
