#include "cli/common.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "catalog/reader.h"
#include "catalog/snapshot.h"

namespace pgpart::cli {

std::string ResolveDsn(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("PGPART_DSN"); env != nullptr) return env;
  return "";
}

bool ReportDiagnostics(const Diagnostics& diagnostics) {
  for (const Diagnostic& d : diagnostics) std::cerr << d.Format() << "\n";
  return HasErrors(diagnostics);
}

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "error: cannot read " << path << "\n";
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *text = buffer.str();
  return true;
}

bool WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return true;
  }
  // Write next to the target and rename, so a reader never sees half a plan.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      std::cerr << "error: cannot write " << path << "\n";
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::cerr << "error: cannot write " << path << "\n";
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

bool LoadCatalog(const std::string& snapshot_path, const std::string& dsn,
                 const std::vector<Policy>* policies, Catalog* catalog) {
  if (!snapshot_path.empty()) {
    std::string text, error;
    if (!ReadFile(snapshot_path, &text)) return false;
    if (!CatalogFromJson(text, catalog, &error)) {
      std::cerr << "error: " << snapshot_path << ": " << error << "\n";
      return false;
    }
    return true;
  }
  std::vector<TableRequest> requests;
  if (policies != nullptr) {
    for (const Policy& p : *policies) {
      for (const QualifiedName& t : p.tables) {
        TableRequest r;
        r.name = t;
        if (p.strategy == Strategy::kRange) r.interval = p.interval;
        r.time_zone = p.time_zone;
        requests.push_back(std::move(r));
      }
    }
  }
  ReadResult result = ReadCatalog(dsn, requests);
  if (ReportDiagnostics(result.diagnostics)) return false;
  *catalog = std::move(result.catalog);
  return true;
}

int64_t GeneratedAtMicros() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch) {
    return std::strtoll(epoch, nullptr, 10) * 1'000'000;
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace pgpart::cli
