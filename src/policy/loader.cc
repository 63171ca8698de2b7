// Loading policy files and folders, and the checks that need the whole set.

#include "policy/loader.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "core/file_read.h"
#include "policy/loader_internal.h"
#include "policy/yaml_guard.h"

namespace pgpart {

namespace fs = std::filesystem;

namespace policy_internal {

namespace {

// "a.yaml:7:12", for messages that point at a second place.
std::string Where(const SourceLocation& where) {
  return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
}

void AddError(Diagnostics* out, SourceLocation where, std::string path, std::string message) {
  out->push_back(
      Diagnostic{Severity::kError, std::move(where), std::move(path), std::move(message)});
}

// Duplicate metadata.name; a table claimed twice (by two policies or twice by one). The error
// points at the second occurrence, in load order, and names the first.
void CheckSet(const std::vector<ParsedDocument>& documents, Diagnostics* out) {
  std::map<std::string, const Policy*> names;
  struct Claim {
    const Policy* policy;
    size_t index;
  };
  std::map<QualifiedName, Claim> claims;
  for (const ParsedDocument& document : documents) {
    const Policy& policy = document.policy;
    if (!policy.name.empty()) {
      auto [it, inserted] = names.emplace(policy.name, &policy);
      if (!inserted) {
        AddError(out, policy.LocationOf("metadata.name"), "metadata.name",
                 "duplicate policy name '" + policy.name + "'; first defined at " +
                     Where(it->second->LocationOf("metadata.name")));
      }
    }
    for (size_t i = 0; i < policy.tables.size(); ++i) {
      const QualifiedName& table = policy.tables[i];
      std::string path = "spec.tables[" + std::to_string(i) + "]";
      auto [it, inserted] = claims.emplace(table, Claim{&policy, i});
      if (inserted) continue;
      const Claim& first = it->second;
      std::string first_path = "spec.tables[" + std::to_string(first.index) + "]";
      std::string first_where = Where(first.policy->LocationOf(first_path));
      if (first.policy == &policy) {
        AddError(out, policy.LocationOf(path), path,
                 "table " + table.Sql() + " is listed twice in this policy (first at " +
                     first_where + ")");
      } else {
        std::string first_name =
            first.policy->name.empty() ? "(unnamed)" : "'" + first.policy->name + "'";
        AddError(out, policy.LocationOf(path), path,
                 "table " + table.Sql() + " is already claimed by policy " + first_name + " at " +
                     first_where + "; a table belongs to exactly one policy");
      }
    }
  }
}

bool IsYamlFile(const fs::path& path) {
  std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

// Reads at most one byte past kMaxPolicyBytes (the parser refuses the text then), so that
// `-f /dev/zero` cannot exhaust memory; a small file costs its size (every file of a folder is
// held until the load ends: 1 MiB each made 300 policy files take 320 MB).
bool ReadFile(const std::string& path, std::string* text) {
  return ReadFileUpTo(path, kMaxPolicyBytes + 1, text) == 0;
}

}  // namespace

PolicySet FinishSet(std::vector<ParsedDocument> documents, Diagnostics diagnostics,
                    std::vector<std::string> files) {
  CheckSet(documents, &diagnostics);
  PolicySet set;
  for (ParsedDocument& document : documents) {
    if (document.valid) set.policies.push_back(std::move(document.policy));
  }
  Diagnostics lint = LintPolicies(set.policies);
  diagnostics.insert(diagnostics.end(), lint.begin(), lint.end());
  std::stable_sort(set.policies.begin(), set.policies.end(),
                   [](const Policy& a, const Policy& b) { return a.name < b.name; });
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.location.file, a.location.line, a.location.column) <
                            std::tie(b.location.file, b.location.line, b.location.column);
                   });
  set.diagnostics = std::move(diagnostics);
  set.files = std::move(files);
  return set;
}

}  // namespace policy_internal

PolicySet ParsePolicies(const std::string& yaml_text, const std::string& file) {
  Diagnostics diagnostics;
  std::vector<policy_internal::ParsedDocument> documents =
      policy_internal::ParseDocuments(yaml_text, file, &diagnostics);
  return policy_internal::FinishSet(std::move(documents), std::move(diagnostics), {file});
}

PolicySet LoadPolicies(const std::vector<std::string>& paths) {
  using policy_internal::AddError;
  Diagnostics diagnostics;
  if (paths.empty()) AddError(&diagnostics, {}, "", "no policy files or folders given");
  // Files to read, keyed by canonical path so that a file named twice is read once.
  std::map<std::string, std::string> files_by_canonical;
  for (const std::string& path : paths) {
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      AddError(&diagnostics, SourceLocation{path, 0, 0}, "", "no such file or folder");
      continue;
    }
    std::vector<std::string> found;
    if (fs::is_directory(status)) {
      fs::recursive_directory_iterator it(path, fs::directory_options::follow_directory_symlink,
                                          ec);
      for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && policy_internal::IsYamlFile(it->path())) {
          found.push_back(it->path().lexically_normal().string());
        }
      }
      if (ec) {
        AddError(&diagnostics, SourceLocation{path, 0, 0}, "",
                 "cannot read folder: " + ec.message());
      } else if (found.empty()) {
        AddError(&diagnostics, SourceLocation{path, 0, 0}, "",
                 "folder holds no *.yaml or *.yml files");
      }
    } else {
      found.push_back(path);
    }
    for (const std::string& file : found) {
      std::string canonical = fs::weakly_canonical(file, ec).string();
      files_by_canonical.emplace(ec ? file : canonical, file);
    }
  }
  std::vector<std::string> files;
  for (const auto& [canonical, file] : files_by_canonical) files.push_back(file);
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());

  // Read everything first: the bounded child parse (yaml_guard.h) then checks all texts at once.
  std::vector<std::optional<std::string>> texts;
  std::vector<std::string> readable;
  for (const std::string& file : files) {
    std::string text;
    if (!policy_internal::ReadFile(file, &text)) {
      AddError(&diagnostics, SourceLocation{file, 0, 0}, "", "cannot read file");
      texts.emplace_back();
      continue;
    }
    if (!CheckYamlLimits(text)) readable.push_back(text);
    texts.emplace_back(std::move(text));
  }
  PrecheckYamlIsolated(readable);

  std::vector<policy_internal::ParsedDocument> documents;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!texts[i]) continue;
    const std::string& file = files[i];
    size_t diagnostics_before = diagnostics.size();
    std::vector<policy_internal::ParsedDocument> parsed =
        policy_internal::ParseDocuments(*texts[i], file, &diagnostics);
    if (parsed.empty() && diagnostics.size() == diagnostics_before) {
      diagnostics.push_back(Diagnostic{Severity::kWarning, SourceLocation{file, 0, 0}, "",
                                       "no policy documents in this file"});
    }
    for (auto& document : parsed) documents.push_back(std::move(document));
  }
  return policy_internal::FinishSet(std::move(documents), std::move(diagnostics), std::move(files));
}

}  // namespace pgpart
