#include "catalog/convert.h"

namespace pgpart {

ConvertNames NamesFor(const QualifiedName& table) {
  ConvertNames n;
  n.table = table;
  auto named = [&](const char* suffix) {
    QualifiedName q{table.schema, table.name + suffix};
    if (q.name.size() > 63) n.too_long = true;
    return q;
  };
  n.fresh = named("_pgpart_new");
  n.log = named("_pgpart_log");
  n.capture = named("_pgpart_capture");
  n.old = named("_pgpart_old");
  n.back_log = named("_pgpart_back");
  n.back_capture = named("_pgpart_back_capture");
  return n;
}

std::string ConvertPhaseName(ConvertPhase p) {
  switch (p) {
    case ConvertPhase::kNotStarted: return "not_started";
    case ConvertPhase::kCopying: return "copying";
    case ConvertPhase::kCopied: return "copied";
    case ConvertPhase::kSwapped: return "swapped";
  }
  return "not_started";
}

}  // namespace pgpart
