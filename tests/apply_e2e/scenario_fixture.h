#pragma once
// Fixed databases and policies shared by several apply tests. Every partition and row is fixed
// around kAt (2026-11-21T12:00:00Z); all tables have the columns (id bigint, ts timestamptz, v int)
// partitioned by range on ts, monthly, UTC.

#include <string>

namespace pgpart::apply_e2e {

// Three tables whose plan at kAt exercises every kind of step the executor runs:
//   public.readings  default partition; drops 2026-06 and 2026-07 (transactional detach + drop),
//                    creates 2027-01 draining 7 rows out of the default (3 rows of 2027-03 stay).
//   public.metrics   no default; three gated (command /bin/true) concurrent drops 2026-05..07
//                    (mark, DETACH CONCURRENTLY, DROP), creates 2026-12 and 2027-01.
//   public.payments  no default; detaches 2026-07 (retention: detach, kept as a table), creates
//                    2027-01.
std::string MixedSql();
std::string MixedPolicies();

// The expected outcome of applying MixedPolicies() to MixedSql() at kAt.
inline constexpr int kMixedDrainedRows = 7;
inline constexpr int kMixedRowsLeftInDefault = 3;

}  // namespace pgpart::apply_e2e
