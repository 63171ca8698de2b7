#pragma once
// Real non-superuser roles for the permission tests: each logs in with a password over TCP
// (scripts/pg-sandbox makes members of `pgpart_password_auth` use scram-sha-256 on loopback).

#include <string>

#include "apply_fixture.h"

namespace pgpart::apply_e2e {

class PasswordRole {
 public:
  // CREATE ROLE <base>_<pid> LOGIN NOSUPERUSER PASSWORD '...' IN ROLE pgpart_password_auth, plus
  // `attributes` (e.g. "NOINHERIT"). Made in the cluster of `db`; a leftover of that name goes.
  PasswordRole(const ScratchDatabase& db, const std::string& base,
               const std::string& attributes = "");
  // DROP OWNED BY in `db`, then DROP ROLE.
  ~PasswordRole();
  PasswordRole(const PasswordRole&) = delete;
  PasswordRole& operator=(const PasswordRole&) = delete;

  const std::string& name() const { return name_; }
  const std::string& password() const { return password_; }
  // The database's DSN as this role, with its password.
  std::string Dsn() const;
  // The same without the password (must be refused: the sandbox asks members for it).
  std::string DsnWithoutPassword() const;

 private:
  const ScratchDatabase& db_;
  std::string name_;
  std::string password_;
};

// The audit table a DBA creates for pgpart (docs/permissions.md), as SQL: schema and table.
std::string AuditTableSql(const std::string& schema, const std::string& table);

}  // namespace pgpart::apply_e2e
