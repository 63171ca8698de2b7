#include "roles_fixture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

namespace pgpart::apply_e2e {

PasswordRole::PasswordRole(const ScratchDatabase& db, const std::string& base,
                           const std::string& attributes)
    : db_(db), name_(base + "_" + std::to_string(getpid())) {
  std::random_device random;
  password_ = "pw-" + std::to_string(random()) + "'\"x";  // quotes: the DSN must quote it
  // The group exists once per cluster; two tests may race to create it.
  db_.Exec(R"SQL(DO $$ BEGIN CREATE ROLE pgpart_password_auth NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$)SQL");
  if (!db_.Scalar("SELECT 1 FROM pg_roles WHERE rolname = " + Literal(name_)).empty()) {
    db_.Exec("DROP OWNED BY " + Ident(name_) + "; DROP ROLE " + Ident(name_));
  }
  db_.Exec("CREATE ROLE " + Ident(name_) + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE " +
           attributes + " PASSWORD " + Literal(password_) + " IN ROLE pgpart_password_auth");
}

PasswordRole::~PasswordRole() {
  db_.Exec("DROP OWNED BY " + Ident(name_) + "; DROP ROLE " + Ident(name_));
}

namespace {

std::string DsnValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string PasswordRole::Dsn() const {
  return DsnWithoutPassword() + " password=" + DsnValue(password_);
}

std::string PasswordRole::DsnWithoutPassword() const {
  return db_.dsn() + " user=" + DsnValue(name_);
}

std::string AuditTableSql(const std::string& schema, const std::string& table) {
  return "CREATE SCHEMA " + schema + "; CREATE TABLE " + schema + "." + table + R"SQL( (
  id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), actor text NOT NULL,
  policy text NOT NULL, table_name text NOT NULL, partition text NOT NULL, action text NOT NULL,
  rows bigint, statements text[] NOT NULL, outcome text NOT NULL, error text);)SQL";
}

}  // namespace pgpart::apply_e2e
