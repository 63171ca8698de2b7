#pragma once
// Reads the live catalog with libpqxx in a few round trips. Exceptions from libpqxx stop here.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/calendar.h"
#include "core/diagnostic.h"
#include "core/ident.h"

namespace pqxx {
class connection_base;  // libpqxx 6.4: pqxx::connection is an alias of a template over this
}

namespace pgpart {

// What to read for one table. When `interval` is set, the reader builds the policy's Grid
// (Grid::Make with the table's key type, `interval` and FindZone(time_zone)) once it knows the key
// type, and counts the default partition's rows by grid period in one scan (width_bucket over the
// grid's boundaries) into Table::default_buckets. A grid that does not fit the key type is simply
// not used (the planner reports that error).
struct TableRequest {
  QualifiedName name;
  std::optional<Interval> interval;  // range policies only
  std::string time_zone = "UTC";
  // Policy spec.convert: the column the table is (to be) partitioned on; "" when the policy does
  // not convert. Reads Table::convert.
  std::string convert_column;
};

struct ReadOptions {
  // Also read pgpart.history (Catalog::history, Table::history): for each read table, the latest
  // recorded outcome of each step (partition, action) when it was not "applied", and its latest
  // apply run (Table::last_apply). One more round trip, two when the table exists. A role that may not read it gets HistoryState::kUnreadable,
  // not an error; a database without it reads as having no history.
  bool history = false;
  QualifiedName history_table{"pgpart", "history"};  // --audit-table
  // Run the catalog queries with generic plans (plan_cache_mode, PostgreSQL 12+): for a caller
  // that reads again and again on one connection (apply's re-checks), where planning the children
  // query anew cost 1.5 ms of its 1.8 ms. A one-shot read of 1,000 tables ran ~8 % slower with
  // them (the generic plan does not know the arrays' sizes), so plan and status keep custom plans.
  bool generic_plans = false;
};

struct ReadResult {
  Catalog catalog;
  Diagnostics diagnostics;  // connection failures etc. (errors); the catalog is empty then
                            // per-table notes (expression keys, unreadable bounds) are warnings
  int round_trips = 0;      // queries sent (the transaction's BEGIN/COMMIT not counted)
};

// Connects with a libpq DSN (empty: PG* environment variables) and reads the requested tables;
// an empty request list reads every partitioned table of the database (no default buckets).
// The session runs read-only with TimeZone=UTC, DateStyle=ISO.
ReadResult ReadCatalog(const std::string& dsn, const std::vector<TableRequest>& requests,
                       const ReadOptions& options = {});

// The same over an open connection (used by apply and tests); pass a pqxx::connection. The read
// runs in its own REPEATABLE READ READ ONLY transaction, so none may be open on `conn`.
ReadResult ReadCatalog(pqxx::connection_base& conn, const std::vector<TableRequest>& requests,
                       const ReadOptions& options = {});

// The identity of the database `conn` is connected to (one query, outside any transaction; none
// may be open on `conn`). nullopt + *error when the query fails.
std::optional<DatabaseIdentity> ReadDatabaseIdentity(pqxx::connection_base& conn,
                                                     std::string* error);

// The DSN for messages and logs: only the values of options known to hold no secret (host, port,
// dbname, user, sslmode, ...) are shown; every other value (password, a mistyped passwd, an
// unknown key, a URI's user:password@ even when the URI is malformed) is "********".
std::string RedactDsn(const std::string& dsn);

// `text` (an error message, a status line) with the secrets of `dsn` replaced by "********"
// wherever they occur: the DSN itself where quoted whole (libpq does for malformed URIs), every
// value RedactDsn masks, and the password as libpq decodes it. Secrets shorter than 2 characters
// are left alone (masking them would mangle every message).
std::string RedactPassword(const std::string& text, const std::string& dsn);

// Whether libpq can parse `dsn` (key=value pairs or a postgresql:// URI; "" is valid).
bool IsValidConnectionString(const std::string& dsn);

// The text to show for libpq's `message` about a failed connection to `dsn` (one line). libpq
// quotes whatever it cannot parse ('missing "=" after "AKIA..."'), so when `dsn` does not parse
// the message is replaced by a fixed one that shows nothing of it. Otherwise the secrets of `dsn`
// are scrubbed (RedactPassword), and with `hide_all_values` EVERY value of `dsn` (host, user,
// ...) too: for readers who may not see the connection string at all (the operator's status,
// Events and logs are readable by whoever may read the policy, not only the Secret).
std::string ConnectErrorText(const std::string& message, const std::string& dsn,
                             bool hide_all_values);

}  // namespace pgpart
