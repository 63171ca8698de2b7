#include "plan/forecast.h"

#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/calendar.h"
#include "core/key.h"
#include "plan/planner.h"
#include "plan/simulate.h"

namespace pgpart {
namespace {

// Runs at one instant at most this many times (maxDropsPerRun leaves work for the next run).
constexpr int kMaxRunsPerInstant = 1'000;

int Rank(Unit u) {
  switch (u) {
    case Unit::kHour:
      return 0;
    case Unit::kDay:
      return 1;
    case Unit::kWeek:
      return 2;
    case Unit::kMonth:
      return 3;
    case Unit::kQuarter:
      return 4;
    case Unit::kYear:
      return 5;
    case Unit::kInteger:
      return 6;
  }
  return 6;
}

bool MonthLike(Unit u) { return u == Unit::kMonth || u == Unit::kQuarter || u == Unit::kYear; }

// The unit whose boundaries (count 1, in the policy's zone) include every instant at which the
// premake horizon or the retention cutoff of this policy crosses a grid boundary.
Unit ScanUnit(const Policy& p) {
  Unit grid = p.interval->unit;
  if (!p.retention || p.retention->keep.unit == Unit::kInteger) return grid;
  Unit keep = p.retention->keep.unit;
  if (keep == grid) return grid;
  if (MonthLike(keep) && MonthLike(grid)) return Rank(keep) < Rank(grid) ? keep : grid;
  if (keep == Unit::kHour || grid == Unit::kHour) return Unit::kHour;
  return Unit::kDay;
}

std::string LocalText(const Grid& wall, int64_t utc) {
  std::string text = BoundText(KeyType::kTimestamp, Bound::Value(wall.Now(utc)));
  if (text.size() == 19 && text.ends_with("T00:00:00")) return text.substr(0, 10);
  if (text.size() > 10 && text[10] == 'T') text[10] = ' ';
  return text;
}

std::string StepKey(const Step& s) {
  return StatusName(s.status) + "|" + ActionName(s.action) + "|" + s.table.schema + "." +
         s.table.name + "|" + s.partition.schema + "." + s.partition.name;
}

std::vector<Step> Planned(const Plan& plan) {
  std::vector<Step> out;
  for (const Step& s : plan.steps) {
    if (s.status == StepStatus::kPlanned) out.push_back(s);
  }
  return out;
}

const Policy* FindPolicy(const std::vector<Policy>& policies, const std::string& name) {
  for (const Policy& p : policies) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace

Forecast ComputeForecast(const std::vector<Policy>& policies, const Catalog& catalog,
                         int64_t from_micros, int64_t until_micros) {
  Forecast f;
  f.at = InstantText(from_micros);
  f.until = InstantText(until_micros);
  f.time_zone = "UTC";
  if (until_micros < from_micros) {
    f.error = "the forecast ends (" + f.until + ") before it starts (" + f.at + ")";
    return f;
  }

  // Instants at which the plan can change, and the hold expiries to note at them.
  std::set<int64_t> instants;
  std::map<int64_t, std::vector<std::string>> expiries;
  std::set<std::string> zones;
  for (const Policy& p : policies) {
    if (p.strategy != Strategy::kRange || !p.interval) continue;
    bool time_key = false;
    for (const QualifiedName& name : p.tables) {
      const Table* t = catalog.Find(name);
      if (t == nullptr || !t->exists) continue;
      if (IsIntegerKey(t->key_type)) {
        f.not_forecast.push_back({name, p.name, "integer key: advances with max(key)"});
      } else if (IsTimeKey(t->key_type)) {
        time_key = true;
      }
    }
    if (!time_key) continue;
    const date::time_zone* zone = FindZone(p.time_zone);
    if (zone == nullptr) continue;
    zones.insert(p.time_zone);
    std::string error;
    auto scan = Grid::Make(KeyType::kTimestampTz, Interval{1, ScanUnit(p)}, zone, &error);
    if (!scan) continue;
    for (int64_t i = scan->IndexOf(from_micros) + 1;; ++i) {
      int64_t b = scan->Lower(i);
      if (b > until_micros) break;
      if (b > from_micros) instants.insert(b);
      if (static_cast<int>(instants.size()) > kMaxForecastInstants) break;
    }
    for (const Hold& h : p.holds) {
      if (!h.until) continue;
      auto until = ParseInstant(*h.until, zone);
      if (!until || *until <= from_micros || *until > until_micros) continue;
      instants.insert(*until);
      std::string what = h.partition ? *h.partition : "[" + h.from.value_or("") + ", " +
                                                          h.to.value_or("") + ")";
      expiries[*until].push_back("hold on " + what + " (" + h.reason + ", policy " + p.name +
                                 ") expires");
    }
  }
  if (static_cast<int>(instants.size()) > kMaxForecastInstants) {
    f.error = "the forecast from " + f.at + " to " + f.until + " would plan at more than " +
              std::to_string(kMaxForecastInstants) +
              " instants (grid boundaries of short intervals); choose an earlier --until";
    return f;
  }
  if (zones.size() == 1) f.time_zone = *zones.begin();
  std::string error;
  const Grid wall =
      *Grid::Make(KeyType::kTimestamp, Interval{1, Unit::kDay}, FindZone(f.time_zone), &error);

  Catalog model = catalog;
  std::set<std::string> reported;  // held / blocked steps already listed
  auto run_at = [&](int64_t t, bool first) {
    ForecastEvent ev;
    ev.at_micros = t;
    ev.at = InstantText(t);
    ev.local = LocalText(wall, t);
    std::vector<Step> newly;
    std::vector<Step> last;
    for (int run = 0; run < kMaxRunsPerInstant; ++run) {
      Plan plan = ComputePlan(policies, model, t);
      if (first && run == 0) f.diagnostics = plan.diagnostics;
      for (const Step& s : plan.steps) {
        if (s.status != StepStatus::kPlanned && reported.insert(StepKey(s)).second) {
          newly.push_back(s);
        }
      }
      std::vector<Step> planned = Planned(plan);
      if (planned.empty() || planned == last) break;  // done, or the model cannot apply them
      ev.steps.insert(ev.steps.end(), planned.begin(), planned.end());
      SimulateApply(plan, model);
      last = std::move(planned);
    }
    std::set<std::string> gated;
    for (const Step& s : ev.steps) {
      if (s.action != Action::kDrop) continue;
      const Policy* p = FindPolicy(policies, s.policy);
      if (p == nullptr || !p->backup_gate) continue;
      std::string table = s.table.Text();
      if (gated.insert(table).second) {
        ev.notes.push_back("backup gate " + GateKindName(p->backup_gate->kind) +
                           " checked before each drop on " + table);
      }
    }
    // A step blocked by maxDropsPerRun and planned by a later run at this instant is not news.
    std::set<std::string> done;
    for (const Step& s : ev.steps) done.insert(ActionName(s.action) + "|" + StepKey(s));
    for (const Step& s : newly) {
      Step as_planned = s;
      as_planned.status = StepStatus::kPlanned;
      if (done.count(ActionName(s.action) + "|" + StepKey(as_planned)) > 0) {
        reported.erase(StepKey(s));
      } else {
        ev.steps.push_back(s);
      }
    }
    if (auto it = expiries.find(t); it != expiries.end()) {
      ev.notes.insert(ev.notes.begin(), it->second.begin(), it->second.end());
    }
    if (!ev.steps.empty() || !ev.notes.empty()) f.events.push_back(std::move(ev));
  };
  run_at(from_micros, true);
  for (int64_t t : instants) run_at(t, false);
  return f;
}

}  // namespace pgpart
