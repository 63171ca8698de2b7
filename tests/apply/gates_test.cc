// Backup gates and RunProcess against real programs and real PostgreSQL servers: the shared test
// sandbox (PGPART_TEST_DSN) for sql gates, and extra sandboxes started here with archive_mode=on
// for the archiver and pgbackrest gates.

#include "apply/gates.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "apply/process.h"
#include "core/calendar.h"
#include "gates_fixture.h"

namespace pgpart {
namespace {

using gates_testing::Describe;
using gates_testing::ExtraSandbox;
using gates_testing::RunAsPostgres;
using gates_testing::ScopedEnv;
using gates_testing::ScratchDir;
using gates_testing::WaitFor;

constexpr int64_t kSecond = 1'000'000;  // micros
constexpr int64_t kHour = 3600 * kSecond;

GateContext Context(std::string name = "p_2024", std::optional<int64_t> upper = std::nullopt) {
  GateContext ctx;
  ctx.partition = {"sales", std::move(name)};
  ctx.from = "2024-01-01T00:00:00Z";
  ctx.to = "2024-02-01T00:00:00Z";
  ctx.upper_instant = upper;
  return ctx;
}

BackupGate Gate(GateKind kind) {
  BackupGate gate;
  gate.kind = kind;
  gate.timeout_ms = 10'000;
  return gate;
}

BackupGate SqlGate(std::string query, int64_t timeout_ms = 10'000) {
  BackupGate gate = Gate(GateKind::kSql);
  gate.query = std::move(query);
  gate.timeout_ms = timeout_ms;
  return gate;
}

BackupGate CommandGate(std::vector<std::string> argv, int64_t timeout_ms = 10'000) {
  BackupGate gate = Gate(GateKind::kCommand);
  gate.command = std::move(argv);
  gate.timeout_ms = timeout_ms;
  return gate;
}

// A connection object that never connects: command and pgbackrest gates must not touch it.
pqxx::connection_base& NoConnection() {
  static pqxx::lazyconnection conn("host=/nonexistent/pgpart-gates-no-server connect_timeout=1");
  return conn;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

// ---- RunProcess -----------------------------------------------------------------------------

TEST(RunProcessTest, CapturesStdoutStderrAndExitCode) {
  ProcessResult p = RunProcess({"/bin/sh", "-c", "echo out; echo err >&2; exit 7"}, {}, 10'000);
  EXPECT_TRUE(p.started);
  EXPECT_FALSE(p.timed_out);
  EXPECT_FALSE(p.signaled);
  EXPECT_EQ(p.exit_code, 7);
  EXPECT_EQ(p.output, "out\n");
  EXPECT_EQ(p.error, "err\n");
}

TEST(RunProcessTest, ArgvIsNotInterpretedByAShell) {
  ProcessResult p = RunProcess({"printf", "%s|", "$HOME; echo x", "*"}, {}, 10'000);
  ASSERT_EQ(p.exit_code, 0) << Describe(p);
  EXPECT_EQ(p.output, "$HOME; echo x|*|");
}

TEST(RunProcessTest, EnvironmentIsInheritedWithExtrasOverriding) {
  ScopedEnv inherited("PGPART_GATES_INHERITED", "from-parent");
  ScopedEnv replaced("PGPART_GATES_REPLACED", "old");
  ProcessResult p =
      RunProcess({"env"}, {{"PGPART_GATES_REPLACED", "new"}, {"PGPART_X", "a=b"}}, 10'000);
  ASSERT_EQ(p.exit_code, 0) << Describe(p);
  EXPECT_NE(p.output.find("PGPART_GATES_INHERITED=from-parent\n"), std::string::npos);
  EXPECT_NE(p.output.find("PGPART_GATES_REPLACED=new\n"), std::string::npos);
  EXPECT_EQ(p.output.find("PGPART_GATES_REPLACED=old"), std::string::npos);
  EXPECT_NE(p.output.find("PGPART_X=a=b\n"), std::string::npos);
}

TEST(RunProcessTest, StdinIsEmptyAndNoExtraDescriptorsLeak) {
  ProcessResult p = RunProcess({"cat"}, {}, 5'000);  // would block forever on an inherited stdin
  EXPECT_EQ(p.exit_code, 0) << Describe(p);
  EXPECT_EQ(p.output, "");
  // Only 0, 1, 2 (and ls's own directory handle) are open in the child.
  p = RunProcess({"ls", "/proc/self/fd"}, {}, 5'000);
  ASSERT_EQ(p.exit_code, 0) << Describe(p);
  int count = 0;
  std::istringstream lines(p.output);
  for (std::string line; std::getline(lines, line);) ++count;
  EXPECT_LE(count, 4) << p.output;
}

TEST(RunProcessTest, LargeOutputIsReadConcurrentlyAndCapped) {
  ProcessResult p = RunProcess({"head", "-c", "300000", "/dev/zero"}, {}, 10'000);
  ASSERT_EQ(p.exit_code, 0) << Describe(p);  // larger than a pipe buffer: no deadlock
  EXPECT_EQ(p.output.size(), 300000u);
  EXPECT_FALSE(p.truncated);
  p = RunProcess({"head", "-c", "6000000", "/dev/zero"}, {}, 20'000);
  ASSERT_EQ(p.exit_code, 0) << Describe(p);  // read past the cap, so the writer finishes
  EXPECT_EQ(p.output.size(), 4u << 20);
  EXPECT_TRUE(p.truncated);
}

TEST(RunProcessTest, TimeoutKillsTheWholeProcessGroup) {
  ScratchDir dir;
  std::string pid_file = dir.path() + "/pid";
  auto start = std::chrono::steady_clock::now();
  ProcessResult p =
      RunProcess({"/bin/sh", "-c", "sleep 30 & echo $! > " + pid_file + "; sleep 30"}, {}, 300);
  EXPECT_LT(ElapsedMs(start), 3'000);
  EXPECT_TRUE(p.started);
  EXPECT_TRUE(p.timed_out);
  pid_t background = std::atoi(ReadFile(pid_file).c_str());
  ASSERT_GT(background, 0);
  // The background sleep was killed too: gone, or a zombie waiting for init to reap it.
  bool dead = WaitFor(
      [&] {
        std::string stat = ReadFile("/proc/" + std::to_string(background) + "/stat");
        return stat.empty() || stat.find(") Z ") != std::string::npos;
      },
      2'000);
  EXPECT_TRUE(dead) << "background process " << background << " survived the timeout";
}

TEST(RunProcessTest, ReturnsWhenTheChildExitsThoughABackgroundChildHoldsThePipes) {
  auto start = std::chrono::steady_clock::now();
  ProcessResult p = RunProcess({"/bin/sh", "-c", "sleep 20 & echo done"}, {}, 20'000);
  EXPECT_LT(ElapsedMs(start), 3'000);
  EXPECT_FALSE(p.timed_out);
  EXPECT_EQ(p.exit_code, 0);
  EXPECT_EQ(p.output, "done\n");
}

TEST(RunProcessTest, ReportsSignalsAndPrograms) {
  ProcessResult p = RunProcess({"/bin/sh", "-c", "kill -TERM $$"}, {}, 10'000);
  EXPECT_TRUE(p.signaled) << Describe(p);
  EXPECT_EQ(p.term_signal, SIGTERM);
  p = RunProcess({"pgpart-no-such-program"}, {}, 10'000);
  EXPECT_FALSE(p.started);
  EXPECT_NE(p.error.find("cannot run pgpart-no-such-program"), std::string::npos) << p.error;
  p = RunProcess({}, {}, 10'000);
  EXPECT_FALSE(p.started);
}

// ---- sql ------------------------------------------------------------------------------------

class SqlGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dsn = std::getenv("PGPART_TEST_DSN");
    ASSERT_TRUE(dsn != nullptr && *dsn != '\0')
        << "PGPART_TEST_DSN is not set: run through ctest (the `pg` fixture starts the sandbox)";
    try {
      conn_ = std::make_unique<pqxx::connection>(dsn);
    } catch (const std::exception& e) {
      FAIL() << "cannot connect to " << dsn << ": " << e.what();
    }
  }
  GateResult Check(const std::string& query, const GateContext& ctx = Context()) {
    return CheckGate(SqlGate(query), *conn_, ctx);
  }
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(SqlGateTest, TruePassesAndEverythingElseFailsWithWhatCameBack) {
  GateResult r = Check("select true");
  EXPECT_TRUE(r.passed) << r.detail;
  EXPECT_EQ(r.detail, "gate query returned true");
  struct Case {
    std::string query;
    std::string detail;
  };
  for (const Case& c : std::vector<Case>{
           {"select false", "returned false"},
           {"select null::boolean", "returned NULL"},
           {"select true where false", "returned 0 rows"},
           {"select true from generate_series(1, 2)", "returned 2 rows"},
           {"select true, true", "returned 2 columns"},
           {"select 1", "returned integer '1', not a boolean"},
           {"select 'true'::text", "returned text 'true', not a boolean"},
           {"selec true", "gate query failed: (42601) syntax error at or near \"selec\""},
           {"select * from pgpart_no_such_table", "(42P01)"},
       }) {
    r = Check(c.query);
    EXPECT_FALSE(r.passed) << c.query;
    EXPECT_NE(r.detail.find(c.detail), std::string::npos) << c.query << " -> " << r.detail;
    EXPECT_EQ(r.detail.find('\n'), std::string::npos) << r.detail;
  }
}

TEST_F(SqlGateTest, ParametersArriveAsNameBoundsAndSchema) {
  EXPECT_TRUE(Check("select $1 = 'p_2024' and $3::timestamptz > $2::timestamptz").passed);
  EXPECT_TRUE(Check("select $2 = '2024-01-01T00:00:00Z' and $3 = '2024-02-01T00:00:00Z'").passed);
  EXPECT_TRUE(Check("select $4 = 'sales' and $1 = 'p_2024'").passed);
  EXPECT_FALSE(Check("select $1 = 'p_2023'").passed);
  // Parameters are text: untyped uses and unused parameters are fine; other types need a cast.
  EXPECT_TRUE(Check("select $1 is not null").passed);
  EXPECT_TRUE(Check("select $3 > $2").passed);
  GateResult r = Check("select $3 > now()");
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("text > timestamp with time zone"), std::string::npos) << r.detail;
  r = Check("select $5 is null");
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("parameter $5"), std::string::npos) << r.detail;
  // Values are parameters, never spliced: quotes in names arrive verbatim.
  EXPECT_TRUE(Check("select $1 = 'it''s \"odd\" \\n'", Context("it's \"odd\" \\n")).passed);
  // Integer bounds.
  GateContext ints = Context("p_1000");
  ints.from = "1000";
  ints.to = "2000";
  EXPECT_TRUE(Check("select $3::bigint - $2::bigint = 1000", ints).passed);
}

TEST_F(SqlGateTest, RunsReadOnlyOneStatementAndLeavesTheConnectionClean) {
  const std::string table = "pgpart_gates_" + std::to_string(::getpid());
  {
    pqxx::nontransaction tx(*conn_);
    tx.exec("CREATE TABLE " + table + " (id int)");
  }
  GateResult r = Check("with w as (insert into " + table + " values (1) returning 1) select true");
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("read-only transaction"), std::string::npos) << r.detail;
  r = Check("select set_config('transaction_read_only', 'off', true) is not null");
  EXPECT_FALSE(r.passed) << r.detail;
  // Two statements are refused by the extended protocol: the drop never runs.
  r = Check("select true; drop table " + table);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("multiple commands"), std::string::npos) << r.detail;
  pqxx::nontransaction tx(*conn_);
  EXPECT_EQ(tx.exec("select count(*) from " + table)[0][0].as<int>(), 0);  // still there, empty
  EXPECT_EQ(tx.exec("show transaction_read_only")[0][0].as<std::string>(), "off");
  tx.exec("DROP TABLE " + table);
}

TEST_F(SqlGateTest, StatementTimeoutAndMisuseAreFailuresNotExceptions) {
  auto start = std::chrono::steady_clock::now();
  GateResult r = CheckGate(SqlGate("select pg_sleep(20) is null", 300), *conn_, Context());
  EXPECT_LT(ElapsedMs(start), 5'000);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("57014"), std::string::npos) << r.detail;
  EXPECT_TRUE(Check("select true").passed);  // the connection is usable afterwards
  {
    pqxx::nontransaction tx(*conn_);  // and holds no leftover prepared statement
    EXPECT_EQ(tx.exec("select count(*) from pg_prepared_statements")[0][0].as<int>(), 0);
  }
  {
    pqxx::work open(*conn_);  // contract violation: a transaction is open
    r = Check("select true");
    EXPECT_FALSE(r.passed);
    EXPECT_FALSE(r.detail.empty());
  }
  EXPECT_FALSE(Check("").passed);
}

// ---- command --------------------------------------------------------------------------------

TEST(CommandGateTest, ExitCodeDecidesAndTheDetailQuotesStderr) {
  pqxx::connection_base& no_conn = NoConnection();
  GateResult r = CheckGate(CommandGate({"true"}), no_conn, Context());
  EXPECT_TRUE(r.passed) << r.detail;
  EXPECT_EQ(r.detail, "true exited with 0");
  r = CheckGate(CommandGate({"false"}), no_conn, Context());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail, "false exited with 1");
  r = CheckGate(CommandGate({"/bin/sh", "-c",
                             "echo \"no backup of $PGPART_PARTITION\" >&2; "
                             "echo second line >&2; exit 3"}),
                no_conn, Context());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail, "/bin/sh exited with 3: no backup of p_2024");
}

TEST(CommandGateTest, EnvironmentCarriesThePartition) {
  ScratchDir dir;
  const std::string file = dir.path() + "/env";
  pqxx::connection_base& no_conn = NoConnection();
  GateResult r =
      CheckGate(CommandGate({"/bin/sh", "-c",
                             "printf '%s|%s|%s|%s' \"$PGPART_PARTITION\" \"$PGPART_SCHEMA\" "
                             "\"$PGPART_FROM\" \"$PGPART_TO\" > " +
                                 file}),
                no_conn, Context("p_2024 \"odd\""));
  EXPECT_TRUE(r.passed) << r.detail;
  EXPECT_EQ(ReadFile(file), "p_2024 \"odd\"|sales|2024-01-01T00:00:00Z|2024-02-01T00:00:00Z");
}

TEST(CommandGateTest, TimeoutAndMissingProgramFail) {
  pqxx::connection_base& no_conn = NoConnection();
  auto start = std::chrono::steady_clock::now();
  GateResult r = CheckGate(CommandGate({"sleep", "30"}, 400), no_conn, Context());
  EXPECT_LT(ElapsedMs(start), 3'000);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail, "sleep timed out after 400ms (killed)");
  r = CheckGate(CommandGate({"/nonexistent/pgpart-check"}), no_conn, Context());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail, "cannot run /nonexistent/pgpart-check: No such file or directory");
  r = CheckGate(CommandGate({}), no_conn, Context());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail, "command gate has no command");
}

// ---- archiver -------------------------------------------------------------------------------

TEST(ArchiverGateTest, IntegerKeysAndArchivingOffFail) {
  const char* dsn = std::getenv("PGPART_TEST_DSN");
  ASSERT_TRUE(dsn != nullptr && *dsn != '\0') << "PGPART_TEST_DSN is not set";
  pqxx::connection conn(dsn);  // the shared sandbox runs without archiving
  BackupGate gate = Gate(GateKind::kArchiver);
  GateResult r = CheckGate(gate, conn, Context("p_1000"));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail,
            "archiver gate needs a time upper bound (integer keys cannot use it); p_1000 has none");
  r = CheckGate(gate, conn, Context("p_2024", 0));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail, "archive_mode is off: no WAL is archived");
}

TEST(ArchiverGateTest, FollowsPgStatArchiverThroughSuccessAndFailure) {
  ExtraSandbox pg;
  ASSERT_EQ(pg.Start(), "");
  const std::string archive_dir = pg.dir() + "/archive";
  ASSERT_EQ(RunAsPostgres({"mkdir", archive_dir}).exit_code, 0);
  pg.Exec("ALTER SYSTEM SET archive_mode = on");
  pg.Exec("ALTER SYSTEM SET archive_command = 'cp %p " + archive_dir + "/%f'");
  ASSERT_EQ(pg.Restart(), "");
  auto conn = pg.Connect();
  BackupGate gate = Gate(GateKind::kArchiver);
  gate.max_lag_ms = 3'600'000;

  // Nothing archived yet.
  GateResult r = CheckGate(gate, *conn, Context("p_2024", 0));
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("no WAL segment archived yet"), std::string::npos) << r.detail;

  pg.Exec("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id");
  std::string wal = pg.Exec("SELECT pg_walfile_name(pg_switch_wal())")[0][0].as<std::string>();
  auto archived_time = [&]() -> std::optional<int64_t> {
    pqxx::result a = pg.Exec(
        "SELECT (extract(epoch FROM last_archived_time) * 1000000)::int8 FROM pg_stat_archiver "
        "WHERE last_archived_wal >= '" +
        wal + "'");
    if (a.empty()) return std::nullopt;
    return a[0][0].as<int64_t>();
  };
  ASSERT_TRUE(WaitFor([&] { return archived_time().has_value(); }, 20'000))
      << "segment " << wal << " was not archived";
  EXPECT_EQ(ReadFile(archive_dir + "/" + wal).size(), 16u << 20);
  const int64_t archived = *archived_time();

  // archived >= upper + 1h, with the boundary exact to the microsecond.
  r = CheckGate(gate, *conn, Context("p_2024", archived - kHour));
  EXPECT_TRUE(r.passed) << r.detail;
  EXPECT_NE(r.detail.find(">= upper bound " + InstantText(archived - kHour) + " + 1h"),
            std::string::npos)
      << r.detail;
  EXPECT_NE(r.detail.find(wal), std::string::npos) << r.detail;
  r = CheckGate(gate, *conn, Context("p_2024", archived - kHour + 1));
  EXPECT_FALSE(r.passed) << r.detail;
  EXPECT_NE(r.detail.find("< upper bound"), std::string::npos) << r.detail;
  r = CheckGate(gate, *conn, Context("p_2024", archived + 24 * kHour));  // bound in the future
  EXPECT_FALSE(r.passed) << r.detail;
  gate.max_lag_ms = 0;
  EXPECT_TRUE(CheckGate(gate, *conn, Context("p_2024", archived)).passed);
  gate.max_lag_ms = 3'600'000;

  // Archiving starts failing: the gate closes although the last success is still late enough.
  pg.Exec("ALTER SYSTEM SET archive_command = '/bin/false'");
  pg.Exec("SELECT pg_reload_conf()");
  ASSERT_TRUE(WaitFor(
      [&] { return pg.Exec("SHOW archive_command")[0][0].as<std::string>() == "/bin/false"; },
      10'000));
  pg.Exec("INSERT INTO t SELECT generate_series(1, 1000)");
  pg.Exec("SELECT pg_switch_wal()");
  ASSERT_TRUE(WaitFor(
      [&] { return !pg.Exec("SELECT last_failed_time FROM pg_stat_archiver")[0][0].is_null(); },
      20'000));
  r = CheckGate(gate, *conn, Context("p_2024", archived - 2 * kHour));
  EXPECT_FALSE(r.passed) << r.detail;
  EXPECT_NE(r.detail.find("WAL archiving failing"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find(", after the last success ("), std::string::npos) << r.detail;
}

// ---- pgbackrest -----------------------------------------------------------------------------

// A fake `pgbackrest` first in PATH: records its argv, prints `stdout_text`, exits `code`.
class FakePgBackRest {
 public:
  FakePgBackRest(const std::string& stdout_text, int code, const std::string& stderr_text = "")
      : path_("PATH", dir_.path() + ":" + std::getenv("PATH")) {
    std::string script = "#!/bin/sh\nprintf '%s ' \"$@\" > " + dir_.path() + "/argv\n" +
                         "cat <<'EOF'\n" + stdout_text + "\nEOF\n" + "cat >&2 <<'EOF'\n" +
                         stderr_text + "\nEOF\n" + "exit " + std::to_string(code) + "\n";
    std::string file = dir_.Write("pgbackrest", script);
    ::chmod(file.c_str(), 0755);
  }
  std::string Argv() const { return ReadFile(dir_.path() + "/argv"); }

 private:
  ScratchDir dir_;
  ScopedEnv path_;
};

BackupGate PgBackRestGate(std::string stanza) {
  BackupGate gate = Gate(GateKind::kPgBackRest);
  gate.stanza = std::move(stanza);
  gate.timeout_ms = 30'000;
  return gate;
}

std::string InfoJson(const std::string& backups) {
  return R"([{"name":"main","status":{"code":0,"message":"ok"},"backup":[)" + backups + "]}]";
}

TEST(PgBackRestGateTest, JudgesInfoOutput) {
  pqxx::connection_base& no_conn = NoConnection();
  const int64_t upper = 1'700'000'000 * kSecond;
  {
    FakePgBackRest fake(
        InfoJson(R"({"label":"F1","type":"full","timestamp":{"start":1699999000,"stop":1699999999}},
                    {"label":"I2","type":"incr","error":true,"timestamp":{"start":1,"stop":1800000000}})"),
        0);
    GateResult r = CheckGate(PgBackRestGate("main"), no_conn, Context("p", upper));
    EXPECT_EQ(fake.Argv(), "--stanza=main --output=json info ");
    EXPECT_FALSE(r.passed);
    EXPECT_EQ(r.detail,
              "latest backup F1 (full) stopped 2023-11-14T22:13:19Z < upper bound "
              "2023-11-14T22:13:20Z (1 backup(s) with errors ignored)");
  }
  {
    FakePgBackRest fake(InfoJson(R"({"label":"F1","type":"full","timestamp":{"stop":1700000000}})"),
                        0);
    GateResult r = CheckGate(PgBackRestGate("main"), no_conn, Context("p", upper));
    EXPECT_TRUE(r.passed) << r.detail;
    r = CheckGate(PgBackRestGate("other"), no_conn, Context("p", upper));
    EXPECT_FALSE(r.passed);
    EXPECT_EQ(r.detail, "stanza other not in `pgbackrest info` output");
    r = CheckGate(PgBackRestGate("main"), no_conn, Context("p"));
    EXPECT_FALSE(r.passed);
    EXPECT_EQ(r.detail,
              "pgbackrest gate needs a time upper bound (integer keys cannot use it); p has none");
  }
  {
    FakePgBackRest fake("WARN: not json", 0);
    GateResult r = CheckGate(PgBackRestGate("main"), no_conn, Context("p", upper));
    EXPECT_FALSE(r.passed);
    EXPECT_NE(r.detail.find("unparsable"), std::string::npos) << r.detail;
  }
  {
    FakePgBackRest fake("", 41, "ERROR: [041]: unable to open file '/etc/pgbackrest.conf'");
    GateResult r = CheckGate(PgBackRestGate("main"), no_conn, Context("p", upper));
    EXPECT_FALSE(r.passed);
    EXPECT_EQ(r.detail,
              "pgbackrest info exited with 41: ERROR: [041]: unable to open file "
              "'/etc/pgbackrest.conf'");
  }
  {
    ScratchDir empty;
    ScopedEnv path("PATH", empty.path());
    GateResult r = CheckGate(PgBackRestGate("main"), no_conn, Context("p", upper));
    EXPECT_FALSE(r.passed);
    EXPECT_EQ(r.detail, "cannot run pgbackrest: No such file or directory");
  }
}

// Output of the wrong shape (a type where another is expected, numbers beyond int64) fails the
// gate with a reason; it never throws out of CheckGate or overflows.
TEST(PgBackRestGateTest, MalformedInfoFailsTheGate) {
  pqxx::connection_base& no_conn = NoConnection();
  const int64_t upper = 1'700'000'000 * kSecond;
  for (const std::string& output :
       {std::string(R"([{"name":1}])"),
        std::string(R"([{"name":"main","status":{"code":"x","message":1},"backup":[]}])"),
        std::string(R"([{"name":"main","status":{"code":1e300},"backup":[]}])"),
        InfoJson(R"({"label":"F1","error":"yes","timestamp":{"stop":1700000000}})"),
        InfoJson(R"({"label":7,"type":"full","timestamp":{"stop":1700000000}})"),
        InfoJson(R"({"label":"F1","type":"full","timestamp":{"stop":9223372036854775807}})")}) {
    FakePgBackRest fake(output, 0);
    GateResult r;
    EXPECT_NO_THROW(r = CheckGate(PgBackRestGate("main"), no_conn, Context("p", upper)))
        << output;
    EXPECT_FALSE(r.passed) << output << ": " << r.detail;
    EXPECT_FALSE(r.detail.empty()) << output;
  }
  // A status code that is no integer is not cast (undefined for 1e300); a stop time that does
  // not fit in microseconds is not multiplied (signed overflow): that backup is not usable.
  FakePgBackRest fake(R"([{"name":"main","status":{"code":1e300,"message":"m"},"backup":[
                          {"label":"F1","type":"full","timestamp":{"stop":9223372036854775807}}]}])",
                      0);
  GateResult r = CheckGate(PgBackRestGate("main"), no_conn, Context("p", upper));
  EXPECT_EQ(r.detail, "stanza main has no usable backup (status ?: m)");
}

TEST(PgBackRestGateTest, RealRepositoryBlocksUntilABackupCoversTheBound) {
  ProcessResult version = RunProcess({"pgbackrest", "version"}, {}, 30'000);
  ASSERT_EQ(version.exit_code, 0)
      << "pgbackrest is required (scripts/setup installs it: apt-get install pgbackrest): "
      << Describe(version);
  ExtraSandbox pg;
  ASSERT_EQ(pg.Start(), "");
  // The repository on tmpfs when there is one: pgbackrest syncs every file it writes.
  ScratchDir repo(::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", true);
  ScratchDir work("/tmp", true);
  ASSERT_FALSE(repo.path().empty());
  const std::string lock_dir = work.Sub("lock");
  const std::string config = work.Write("pgbackrest.conf",
                                        "[global]\n"
                                        "repo1-path=" +
                                            repo.path() +
                                            "\n"
                                            "repo1-retention-full=1\n"
                                            "lock-path=" +
                                            lock_dir +
                                            "\n"
                                            "log-path=" +
                                            lock_dir +
                                            "\n"
                                            "log-level-console=warn\n"
                                            "log-level-file=off\n"
                                            "compress-type=none\n"
                                            "process-max=1\n"
                                            "start-fast=y\n"
                                            "archive-timeout=30\n"
                                            "\n"
                                            "[gates]\n"
                                            "pg1-path=" +
                                            pg.DataDir() +
                                            "\n"
                                            "pg1-port=" +
                                            std::to_string(pg.port()) +
                                            "\n"
                                            "pg1-socket-path=" +
                                            pg.SocketDir() +
                                            "\n"
                                            "pg1-user=postgres\n");
  ScopedEnv config_env("PGBACKREST_CONFIG", config);  // inherited by the gate's pgbackrest
  pg.Exec("ALTER SYSTEM SET archive_mode = on");
  pg.Exec("ALTER SYSTEM SET archive_command = 'pgbackrest --config=" + config +
          " --stanza=gates archive-push %p'");
  ASSERT_EQ(pg.Restart(), "");
  pqxx::connection_base& no_conn = NoConnection();
  const BackupGate gate = PgBackRestGate("gates");
  const int64_t long_ago = 946'684'800 * kSecond;  // 2000-01-01

  // No stanza yet, then a stanza without backups: blocked even for a bound long ago.
  GateResult r = CheckGate(gate, no_conn, Context("p", long_ago));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail, "stanza gates has no usable backup (status 1: missing stanza path)");
  ProcessResult p =
      RunAsPostgres({"pgbackrest", "--config=" + config, "--stanza=gates", "stanza-create"});
  ASSERT_EQ(p.exit_code, 0) << Describe(p);
  r = CheckGate(gate, no_conn, Context("p", long_ago));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail, "stanza gates has no usable backup (status 2: no valid backups)");

  p = RunAsPostgres(
      {"pgbackrest", "--config=" + config, "--stanza=gates", "--type=full", "backup"});
  ASSERT_EQ(p.exit_code, 0) << Describe(p);
  // The backup's stop time, read independently of the gate.
  p = RunProcess({"pgbackrest", "--stanza=gates", "--output=json", "info"}, {}, 30'000);
  ASSERT_EQ(p.exit_code, 0) << Describe(p);
  nlohmann::json info = nlohmann::json::parse(p.output);
  ASSERT_EQ(info.at(0).at("backup").size(), 1u) << p.output;
  const nlohmann::json& backup = info[0]["backup"][0];
  const int64_t stop = backup.at("timestamp").at("stop").get<int64_t>() * kSecond;
  const std::string label = backup.at("label").get<std::string>();

  r = CheckGate(gate, no_conn, Context("p", stop));
  EXPECT_TRUE(r.passed) << r.detail;
  EXPECT_EQ(r.detail, "backup " + label + " (full) stopped " + InstantText(stop) +
                          " >= upper bound " + InstantText(stop));
  EXPECT_TRUE(CheckGate(gate, no_conn, Context("p", stop - 31 * 24 * kHour)).passed);
  r = CheckGate(gate, no_conn, Context("p", stop + kSecond));
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("latest backup " + label), std::string::npos) << r.detail;
}

}  // namespace
}  // namespace pgpart
