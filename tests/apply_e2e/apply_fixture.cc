#include "apply_fixture.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "../common/test_env.h"

namespace pgpart::apply_e2e {

namespace fs = std::filesystem;

std::string Describe(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out, killed)" : "") +
         "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

Background::Background(const std::vector<std::string>& args, const EnvChanges& env) {
  static int counter = 0;
  const std::string dir = TestDir() + "/.run" + std::to_string(++counter);
  fs::create_directories(dir);
  out_path_ = dir + "/stdout";
  err_path_ = dir + "/stderr";
  std::vector<std::string> argv{PGPART_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());

  pid_ = test_env::Spawn(argv, out_path_, err_path_, env);
  if (pid_ < 0) reaped_ = true;
}

Background::~Background() {
  if (!reaped_) {
    Kill(SIGKILL);
    Reap(/*block=*/true);
  }
}

bool Background::Reap(bool block) {
  if (reaped_) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
  }
  return reaped_;
}

void Background::Kill(int signal) {
  if (!reaped_) kill(pid_, signal);
}

std::string Background::Stderr() const { return ReadFile(err_path_); }

bool Background::WaitForStderr(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (Stderr().find(needle) != std::string::npos) return true;
    if (Reap(/*block=*/false)) {
      return Stderr().find(needle) != std::string::npos;
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool Background::Exited(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!Reap(/*block=*/false)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

RunResult Background::Wait(std::chrono::milliseconds timeout) {
  RunResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!Reap(/*block=*/false)) {
    if (std::chrono::steady_clock::now() > deadline) {
      result.timed_out = true;
      Kill(SIGKILL);
      Reap(/*block=*/true);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.exit_code = test_env::ExitCode(status_);
  result.out = ReadFile(out_path_);
  result.err = ReadFile(err_path_);
  return result;
}

RunResult RunPgpart(const std::vector<std::string>& args, const EnvChanges& env,
                    std::chrono::milliseconds timeout) {
  Background process(args, env);
  return process.Wait(timeout);
}

std::string ServerDsn() { return test_env::ServerDsn(); }

std::string TestDir() { return test_env::TestDir("pgpart-apply-e2e"); }

std::string WriteTestFile(const std::string& name, const std::string& text) {
  const std::string path = TestDir() + "/" + name;
  test_env::WriteFile(path, text);
  return path;
}

std::string ReadFile(const std::string& path) { return test_env::ReadFile(path); }

std::string SourcePath(const std::string& relative) { return test_env::SourcePath(relative); }

std::string Ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

ScratchDatabase::ScratchDatabase(const std::string& suffix, const std::string& template_db)
    : name_(test_env::ScratchDatabaseName("ae", suffix)) {
  dsn_ = test_env::ServerDsn() + " dbname=" + name_;  // libpq: the last dbname wins
  test_env::CreateDatabase(name_, template_db);
}

ScratchDatabase::~ScratchDatabase() { test_env::DropDatabase(name_); }

void ScratchDatabase::Exec(const std::string& sql) const {
  try {
    pqxx::connection conn(dsn_);
    pqxx::nontransaction tx(conn);
    tx.exec("SET client_min_messages = warning");
    tx.exec(sql);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "SQL failed in " << name_ << ": " << e.what() << "\n" << sql.substr(0, 2000);
  }
}

Rows ScratchDatabase::Query(const std::string& sql) const {
  Rows rows;
  try {
    pqxx::connection conn(dsn_);
    pqxx::nontransaction tx(conn);
    for (const pqxx::row& r : tx.exec(sql)) {
      std::vector<std::string> row;
      for (const pqxx::field& f : r) row.push_back(f.is_null() ? "NULL" : f.c_str());
      rows.push_back(std::move(row));
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "SQL failed in " << name_ << ": " << e.what() << "\n" << sql;
  }
  return rows;
}

std::string ScratchDatabase::Scalar(const std::string& sql) const {
  Rows rows = Query(sql);
  if (rows.empty() || rows[0].empty() || rows[0][0] == "NULL") return "";
  return rows[0][0];
}

int64_t ScratchDatabase::Count(const std::string& sql) const {
  const std::string v = Scalar(sql);
  return v.empty() ? -1 : std::stoll(v);
}

void ScratchDatabase::LoadDemo() const {
  const std::string text = ReadFile(SourcePath("sql/demo.sql"));
  ASSERT_FALSE(text.empty()) << "cannot read sql/demo.sql";
  try {
    pqxx::connection conn(dsn_ + " options='-c pgpart_demo.anchor=" + kAt + "'");
    pqxx::nontransaction tx(conn);
    tx.exec(text);
  } catch (const std::exception& e) {
    FAIL() << "sql/demo.sql failed in " << name_ << ": " << e.what();
  }
}

void ScratchDatabase::WaitForOtherSessions() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const int64_t others = Count(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
        "pg_backend_pid()");
    if (others == 0) return;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << others << " other sessions still connected to " << name_;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::map<std::string, TableState> ScratchDatabase::Tables(
    const std::vector<std::string>& schemas) const {
  std::string list;
  for (const std::string& s : schemas) list += (list.empty() ? "" : ", ") + Literal(s);
  std::map<std::string, TableState> tables;
  try {
    pqxx::connection conn(dsn_);
    pqxx::nontransaction tx(conn);
    pqxx::result r = tx.exec(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text, "
        "coalesce((SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname) "
        "  FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
        "  JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid), ''), "
        "coalesce(pg_get_expr(c.relpartbound, c.oid), ''), "
        "coalesce((SELECT i.inhdetachpending FROM pg_inherits i WHERE i.inhrelid = c.oid), "
        "false), coalesce(obj_description(c.oid, 'pg_class'), '') "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname IN (" +
        list + ") ORDER BY 1");
    for (const pqxx::row& row : r) {
      TableState t;
      t.kind = row[1].c_str();
      t.parent = row[2].c_str();
      t.bound = row[3].c_str();
      t.detach_pending = row[4].as<bool>();
      t.comment = row[5].c_str();
      const std::string name = row[0].c_str();
      if (t.kind == "r") {
        pqxx::result d = tx.exec(
            "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            "FROM ONLY " +
            name + " t");
        t.rows = d[0][0].as<int64_t>();
        t.digest = d[0][1].c_str();
      }
      tables[name] = t;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot describe the tables of " << name_ << ": " << e.what();
  }
  return tables;
}

std::vector<std::string> ScratchDatabase::TableLines(
    const std::vector<std::string>& schemas) const {
  std::vector<std::string> lines;
  for (const auto& [name, t] : Tables(schemas)) {
    std::string line = name + " kind=" + t.kind;
    if (!t.parent.empty()) line += " parent=" + t.parent + " bound=" + t.bound;
    if (t.detach_pending) line += " DETACH-PENDING";
    if (!t.comment.empty()) line += " comment=" + t.comment;
    if (t.kind == "r") line += " rows=" + std::to_string(t.rows) + " md5=" + t.digest;
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> ScratchDatabase::History(const std::string& outcome) const {
  if (Scalar("SELECT to_regclass('pgpart.history')::text").empty()) return {};
  std::vector<std::string> lines;
  for (const auto& row :
       Query("SELECT action, partition, coalesce(rows::text, '-') FROM pgpart.history WHERE "
             "action <> 'apply' AND outcome = " +
             Literal(outcome) + " ORDER BY 2, 1, 3")) {
    lines.push_back(row[0] + " " + row[1] + " rows=" + row[2]);
  }
  return lines;
}

std::vector<std::string> ScratchDatabase::Leftovers() const {
  std::vector<std::string> lines;
  for (const auto& row :
       Query("SELECT 'detach pending: ' || i.inhrelid::regclass::text FROM pg_inherits i WHERE "
             "i.inhdetachpending UNION ALL SELECT 'marked for drop: ' || c.oid::regclass::text || "
             "' ' || d.description FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND "
             "d.classoid = 'pg_class'::regclass AND d.objsubid = 0 WHERE d.description LIKE "
             "'pgpart:drop%' AND NOT c.relispartition ORDER BY 1")) {
    lines.push_back(row[0]);
  }
  return lines;
}

OpenTransaction::OpenTransaction(const std::string& dsn, const std::string& sql) {
  try {
    conn_ = std::make_unique<pqxx::connection>(dsn);
    tx_ = std::make_unique<pqxx::work>(*conn_);
    tx_->exec(sql);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot open the other session: " << e.what();
  }
}

OpenTransaction::~OpenTransaction() { Close(); }

void OpenTransaction::Close() {
  try {
    if (tx_) tx_->abort();
  } catch (const std::exception&) {
  }
  tx_.reset();
  conn_.reset();
}

std::vector<std::string> ApplyArgs(const std::string& policy, const std::string& dsn) {
  return {"apply", "-f", policy, "--dsn", dsn, "--at", kAt, "--auto-approve"};
}

std::vector<std::string> PlanArgs(const std::string& policy, const std::string& dsn) {
  return {"plan", "-f", policy, "--dsn", dsn, "--at", kAt, "--detailed-exitcode"};
}

std::string MonthStart(int year, int month, int months) {
  int index = year * 12 + (month - 1) + months;
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d-01", index / 12, index % 12 + 1);
  return text;
}

std::string MonthlyPartitions(const std::string& schema, const std::string& parent, int year,
                              int month, int count) {
  std::string sql;
  for (int i = 0; i < count; ++i) {
    const std::string from = MonthStart(year, month, i);
    const std::string to = MonthStart(year, month, i + 1);
    const std::string name = parent + "_y" + from.substr(0, 4) + "m" + from.substr(5, 2);
    sql += "CREATE TABLE " + Ident(schema) + "." + Ident(name) + " PARTITION OF " + Ident(schema) +
           "." + Ident(parent) + " FOR VALUES FROM ('" + from + " 00:00:00+00') TO ('" + to +
           " 00:00:00+00');\n";
  }
  return sql;
}

}  // namespace pgpart::apply_e2e
