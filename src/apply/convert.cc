// The executor's conversion steps that are loops rather than one statement group: the copy
// (block-range batches, then the change log replayed until it is short) and the verification
// (row count and checksum per period, old vs new, in one snapshot). Prepare and swap are plain
// statement groups (executor.cc). docs/convert.md describes the whole conversion.

#include <algorithm>
#include <map>

#include "apply/executor_internal.h"
#include "core/ident.h"
#include "plan/convert_sql.h"

namespace pgpart::executor_internal {
namespace {

std::string Replace(std::string sql, const std::string& token, int64_t value) {
  const std::string text = std::to_string(value);
  for (size_t at = sql.find(token); at != std::string::npos; at = sql.find(token, at)) {
    sql.replace(at, token.size(), text);
    at += text.size();
  }
  return sql;
}

Statement Blocks(Statement st, int64_t from, int64_t to) {
  st.sql = Replace(Replace(std::move(st.sql), kFromBlock, from), kToBlock, to);
  return st;
}

struct CopyState {
  int64_t next_block = 0;
  bool copied = false;
  int64_t pages = 0;         // the table's blocks now
  double rows_per_page = 0;  // from the statistics (0: unknown)
};

// The progress the new parent's comment records, and the table's size now.
CopyState ReadCopyState(pqxx::connection_base& conn, const Step& step, const ConvertNames& n) {
  pqxx::nontransaction nt(conn);
  pqxx::row r = nt.exec_params1(
      "SELECT coalesce(obj_description(to_regclass($1), 'pg_class'), ''), "
      "pg_relation_size(c.oid) / current_setting('block_size')::bigint, "
      "greatest(c.reltuples, 0)::float8, c.relpages FROM pg_class c WHERE c.oid = $2::regclass",
      n.fresh.Sql(), step.table.Sql());
  CopyState s;
  const std::string comment = r[0].as<std::string>();
  const std::string tag = " next_block ";
  if (size_t at = comment.rfind(tag); at != std::string::npos) {
    s.next_block = std::atoll(comment.c_str() + at + tag.size());
    s.copied = comment.ends_with(" copied");
  }
  s.pages = r[1].as<int64_t>();
  const int64_t relpages = r[3].as<int64_t>();
  if (relpages > 0) s.rows_per_page = r[2].as<double>() / static_cast<double>(relpages);
  return s;
}

}  // namespace

size_t Executor::ConvertFailed(const Step& step, const GroupResult& r) {
  const bool blocked = r.kind == GroupResult::Kind::kRetriesExhausted;
  std::string why = r.error;
  if (r.lock_timeout) why = NameLockHolders(why, step);
  Audit(step, std::nullopt, blocked ? "blocked" : "failed", why);
  Settle(step, blocked ? StepOutcome::kBlocked : StepOutcome::kFailed, why);
  return Failed(1);  // either way the verify and the swap wait for the next run
}

bool Executor::CatchUp(const Step& copy, const Step& step, const Policy& policy, int64_t below,
                       int64_t* replayed, GroupResult* failed) {
  const std::vector<Statement>& st = copy.statements;
  const int64_t batch_rows = policy.convert ? policy.convert->batch_rows : 10'000;
  for (;;) {
    Group replay{{st[kReplayJit], st[kReplayMergeJoin], st[kReplayHashJoin], st[kReplayKeys],
                  st[kReplayTake], st[kReplayDelete], st[kReplayInsert]},
                 true, std::nullopt};
    GroupResult r = RunGroup(replay, step, nullptr, {&step}, policy.execution.retries, true);
    if (fatal_ || r.kind != GroupResult::Kind::kOk) {
      *failed = r;
      return false;
    }
    const size_t take = kReplayTake - kReplayJit;
    const int64_t taken = r.per_statement.size() > take ? r.per_statement[take] : 0;
    *replayed += taken;
    if (taken < std::min(below, batch_rows)) return true;
    if (StopRequested()) {
      failed->kind = GroupResult::Kind::kError;
      failed->error = "stopped while replaying; the next apply resumes";
      return false;
    }
  }
}

size_t Executor::RunConvertSwap(const Step& step, const Policy& policy) {
  // The rows changed since the copy's replay (during the verification, say) are replayed without
  // the lock first, so that the swap holds its lock only for the last few.
  const Step* copy = nullptr;
  for (const Step& s : plan_.steps) {
    if (s.table == step.table && s.action == Action::kConvertCopy) copy = &s;
  }
  if (copy == nullptr || copy->statements.size() != kCopyStatements) {
    Settle(step, StepOutcome::kFailed, "the plan has no convert_copy step for this table (plan "
                                       "again)");
    return Failed(1);
  }
  int64_t replayed = 0;
  GroupResult failed;
  if (!CatchUp(*copy, step, policy, kSwapCatchUpBelow, &replayed, &failed)) {
    return fatal_ ? Failed(1) : ConvertFailed(step, failed);
  }
  if (replayed > 0) {
    Progress("  replayed the changes of " + std::to_string(replayed) + " keys before the swap");
  }
  return 0;  // the swap's own statements run as a group (RunStep)
}

size_t Executor::RunConvertCopy(const Step& step, const Policy& policy) {
  const auto started = Clock::now();
  const ConvertNames names = NamesFor(step.table);
  const int64_t batch_rows = policy.convert ? policy.convert->batch_rows : 10'000;
  const std::vector<Statement>& st = step.statements;
  if (st.size() != kCopyStatements) {
    Settle(step, StepOutcome::kFailed, "malformed convert_copy step (plan again)");
    return Failed(1);
  }
  int64_t rows = 0;
  try {
    CopyState state = ReadCopyState(conn_, step, names);
    const double per_page = state.rows_per_page > 0 ? state.rows_per_page : 100.0;
    const int64_t blocks =
        std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(batch_rows) / per_page));
    if (!state.copied) {
      Progress("copying " + step.table.Sql() + " into " + names.fresh.Sql() + " from block " +
               std::to_string(state.next_block) + " of " + std::to_string(state.pages) + ", " +
               std::to_string(blocks) + " blocks a batch ...");
    }
    int last_tenth = -1;
    const bool copied_now = !state.copied;
    while (!state.copied) {
      if (StopRequested()) {
        Settle(step, StepOutcome::kNotRun,
               "stopped at block " + std::to_string(state.next_block) + "; the next apply resumes");
        return Failed(1);
      }
      const int64_t from = state.next_block;
      if (from >= state.pages) {
        // Every block that existed is copied; rows written since are in the change log.
        Group done{{Blocks(st[kCopyDone], from, from)}, true, std::nullopt};
        GroupResult r = RunGroup(done, step, nullptr, {&step}, policy.execution.retries, true);
        if (fatal_) return Failed(1);
        if (r.kind != GroupResult::Kind::kOk) return ConvertFailed(step, r);
        state.copied = true;
        break;
      }
      const int64_t to = from + blocks;
      Group batch{{Blocks(st[kCopyBatch], from, to), Blocks(st[kCopyMark], from, to)}, true,
                  std::nullopt};
      GroupResult r = RunGroup(batch, step, nullptr, {&step}, policy.execution.retries, true);
      if (fatal_) return Failed(1);
      if (r.kind != GroupResult::Kind::kOk) return ConvertFailed(step, r);
      rows += r.per_statement.empty() ? 0 : r.per_statement[0];
      state.next_block = to;
      // The table may grow while it is copied: its size is read again each batch.
      state.pages = ReadCopyState(conn_, step, names).pages;
      const int tenth = state.pages > 0 ? static_cast<int>(10 * std::min(to, state.pages) /
                                                            state.pages)
                                        : 10;
      if (tenth != last_tenth) {
        last_tenth = tenth;
        Progress("  copied " + std::to_string(rows) + " rows, block " +
                 std::to_string(std::min(to, state.pages)) + " of " +
                 std::to_string(state.pages) + " (" + std::to_string(tenth * 10) + "%)");
      }
    }
    if (copied_now) {
      // Statistics for the new table before anything plans queries on it (the replay, the
      // verification, the application after the swap): autovacuum never analyzes the parent.
      Group analyze{{st[kCopyAnalyze]}, true, std::nullopt};
      GroupResult r = RunGroup(analyze, step, nullptr, {&step}, policy.execution.retries, true);
      if (fatal_) return Failed(1);
      if (r.kind != GroupResult::Kind::kOk) return ConvertFailed(step, r);
    }
    // The changes captured meanwhile, a batch of keys a transaction, until a batch finds the log
    // shorter than a batch: the swap catches up with the rest.
    int64_t replayed = 0;
    GroupResult failed;
    if (!CatchUp(step, step, policy, batch_rows, &replayed, &failed)) {
      return fatal_ ? Failed(1) : ConvertFailed(step, failed);
    }
    if (replayed > 0) Progress("  replayed the changes of " + std::to_string(replayed) + " keys");
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    Audit(step, rows, "applied", "");
    Settle(step, StepOutcome::kApplied,
           "copied " + std::to_string(rows) + " rows, replayed " + std::to_string(replayed) +
               " captured changes",
           rows, seconds);
    return 1;
  } catch (const pqxx::broken_connection& e) {
    Fatal("lost the connection: " + OneLine(e.what()));
    return Failed(1);
  } catch (const std::exception& e) {
    Settle(step, StepOutcome::kFailed, "copying: " + OneLine(e.what()));
    return Failed(1);
  }
}

size_t Executor::RunConvertVerify(const Step& step, const Policy& policy) {
  (void)policy;
  const auto started = Clock::now();
  if (step.statements.size() != 2) {
    Settle(step, StepOutcome::kFailed, "malformed convert_verify step (plan again)");
    return Failed(1);
  }
  struct Sum {
    int64_t rows = 0;
    std::string checksum = "0";
  };
  // (from, to) of a period -> rows and checksum; ("", "") for rows outside every period.
  using Sums = std::map<std::pair<std::string, std::string>, Sum>;
  Sums old_sums, new_sums;
  Progress("verifying " + step.table.Sql() + " against " + step.partition.Sql() + " ...");
  try {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn_);
    tx.exec("SET LOCAL statement_timeout = " +
            std::to_string(step.statements[0].statement_timeout_ms));
    for (int side = 0; side < 2; ++side) {
      Sums& sums = side == 0 ? old_sums : new_sums;
      for (const pqxx::row& row : tx.exec(step.statements[side].sql)) {
        Sum s{row[2].as<int64_t>(), row[3].as<std::string>()};
        sums[{row[0].is_null() ? "" : row[0].as<std::string>(),
              row[1].is_null() ? "" : row[1].as<std::string>()}] = s;
      }
    }
    tx.commit();
  } catch (const pqxx::broken_connection& e) {
    Fatal("lost the connection: " + OneLine(e.what()));
    return Failed(1);
  } catch (const std::exception& e) {
    Settle(step, StepOutcome::kFailed, "verifying: " + OneLine(e.what()));
    return Failed(1);
  }
  std::vector<std::string> differences;
  int64_t total = 0;
  auto period = [](const std::pair<std::string, std::string>& p) {
    return p.first.empty() ? std::string("outside every period") : "[" + p.first + ", " + p.second + ")";
  };
  for (const auto& [key, o] : old_sums) {
    total += o.rows;
    auto it = new_sums.find(key);
    const Sum n = it == new_sums.end() ? Sum{} : it->second;
    if (n.rows != o.rows || n.checksum != o.checksum) {
      differences.push_back(period(key) + ": " + std::to_string(o.rows) + " rows in " +
                            step.table.Sql() + ", " + std::to_string(n.rows) +
                            " in the new table" +
                            (n.rows == o.rows ? " (same count, different checksum)" : ""));
    }
  }
  for (const auto& [key, n] : new_sums) {
    if (!old_sums.count(key) && n.rows > 0) {
      differences.push_back(period(key) + ": 0 rows in " + step.table.Sql() + ", " +
                            std::to_string(n.rows) + " in the new table");
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (!differences.empty()) {
    std::string why = "the copy differs from " + step.table.Sql() + ", so it is not swapped in: ";
    for (size_t i = 0; i < differences.size() && i < 10; ++i) {
      why += (i ? "; " : "") + differences[i];
    }
    if (differences.size() > 10) {
      why += "; and " + std::to_string(differences.size() - 10) + " more periods";
    }
    Audit(step, std::nullopt, "failed", why);
    Settle(step, StepOutcome::kFailed, why, std::nullopt, seconds);
    return Failed(1);
  }
  const std::string detail = std::to_string(total) + " rows in " +
                             std::to_string(old_sums.size()) +
                             " periods match (count and checksum)";
  evidence_ = detail;
  Audit(step, total, "applied", "");
  Settle(step, StepOutcome::kApplied, detail, total, seconds);
  return 1;
}

}  // namespace pgpart::executor_internal
