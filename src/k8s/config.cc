#include "k8s/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "core/file_read.h"

namespace pgpart::k8s {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::string text;
  if (ReadFileUpTo(path, kMaxCredentialFileBytes + 1, &text) != 0) return std::nullopt;
  if (text.size() > kMaxCredentialFileBytes) return std::nullopt;
  return text;
}

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

ConfigResult Fail(std::string message) { return ConfigResult{std::nullopt, std::move(message)}; }

// Finds the entry named `name` in a kubeconfig list (clusters, users, contexts).
YAML::Node FindNamed(const YAML::Node& list, const std::string& name) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const auto& entry : list) {
    if (entry["name"] && entry["name"].as<std::string>() == name) return entry;
  }
  return YAML::Node();
}

std::string Str(const YAML::Node& map, const char* key) {
  const YAML::Node node = map[key];
  return node && node.IsScalar() ? node.as<std::string>() : std::string();
}

// Reads inline base64 `<key>-data` or the file `<key>`; "" if neither is set.
std::optional<std::string> DataOrFile(const YAML::Node& map, const std::string& key,
                                      const std::filesystem::path& base, std::string* error) {
  if (const std::string data = Str(map, (key + "-data").c_str()); !data.empty()) {
    auto decoded = DecodeBase64(data);
    if (!decoded) *error = key + "-data is not valid base64";
    return decoded;
  }
  if (std::string file = Str(map, key.c_str()); !file.empty()) {
    std::filesystem::path p(file);
    if (p.is_relative()) p = base / p;
    auto text = ReadFile(p.string());
    if (!text) *error = "cannot read " + key + " file " + p.string();
    return text;
  }
  return std::string();
}

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const auto pos = kAlphabet.find(c);
    if (pos == std::string_view::npos || padding) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // a dangling single character
  return out;
}

ConfigResult LoadInCluster(const InClusterPaths& paths) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    return Fail("not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set");
  }
  ClusterConfig config;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 literal
  config.server = "https://" + h + ":" + port;
  auto token = ReadFile(paths.token_file);
  if (!token) return Fail("cannot read the service-account token " + paths.token_file);
  config.token = Trim(*token);
  config.token_file = paths.token_file;
  auto ca = ReadFile(paths.ca_file);
  if (!ca) return Fail("cannot read the service-account CA " + paths.ca_file);
  config.ca_pem = *ca;
  if (auto ns = ReadFile(paths.namespace_file)) config.default_namespace = Trim(*ns);
  return ConfigResult{std::move(config), ""};
}

ConfigResult LoadKubeconfig(const std::string& path, const std::string& context) {
  return LoadKubeconfigs({path}, context);
}

namespace {

// One kubeconfig file as read.
struct KubeconfigFile {
  std::string path;
  std::filesystem::path base;  // its directory
  YAML::Node root;
};

// The first file's entry named `name` in list `list` (clusters, users, contexts).
std::pair<YAML::Node, const KubeconfigFile*> FindEntry(const std::vector<KubeconfigFile>& files,
                                                       const char* list,
                                                       const std::string& name) {
  for (const KubeconfigFile& f : files) {
    // FindNamed's "none" is a null node, which converts to true: ask for a mapping.
    if (YAML::Node entry = FindNamed(f.root[list], name); entry.IsMap()) return {entry, &f};
  }
  return {YAML::Node(), nullptr};
}

std::optional<ExecPlugin> ReadExec(const YAML::Node& exec, const std::filesystem::path& base,
                                   std::string* error) {
  ExecPlugin plugin;
  plugin.command = Str(exec, "command");
  plugin.api_version = Str(exec, "apiVersion");
  if (plugin.command.empty()) {
    *error = "exec has no command";
    return std::nullopt;
  }
  if (plugin.command.find('/') != std::string::npos &&
      std::filesystem::path(plugin.command).is_relative()) {
    plugin.command = (base / plugin.command).lexically_normal().string();
  }
  if (const YAML::Node args = exec["args"]; args && args.IsSequence()) {
    for (const auto& a : args) plugin.args.push_back(a.as<std::string>());
  }
  if (const YAML::Node env = exec["env"]; env && env.IsSequence()) {
    for (const auto& e : env) plugin.env.emplace_back(Str(e, "name"), Str(e, "value"));
  }
  return plugin;
}

}  // namespace

ConfigResult LoadKubeconfigs(const std::vector<std::string>& paths, const std::string& context) {
  std::vector<KubeconfigFile> files;
  std::string all;
  for (const std::string& path : paths) {
    if (path.empty()) continue;
    all += (all.empty() ? "" : ":") + path;
    if (!std::filesystem::exists(path)) continue;
    KubeconfigFile f{path, std::filesystem::path(path).parent_path(), YAML::Node()};
    try {
      f.root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
      return Fail(path + ": " + e.what());
    }
    if (!f.root.IsMap()) return Fail(path + ": not a kubeconfig (expected a mapping)");
    files.push_back(std::move(f));
  }
  if (files.empty()) return Fail(all.empty() ? "no kubeconfig file" : all + ": no such file");
  const std::string where = files.size() == 1 ? files[0].path : all;
  try {
    std::string context_name = context;
    for (const KubeconfigFile& f : files) {
      if (context_name.empty()) context_name = Str(f.root, "current-context");
    }
    if (context_name.empty()) return Fail(where + ": no current-context");
    const auto [ctx_entry, ctx_file] = FindEntry(files, "contexts", context_name);
    if (!ctx_entry || !ctx_entry["context"]) {
      return Fail(where + ": context '" + context_name + "' not found");
    }
    const YAML::Node ctx = ctx_entry["context"];
    const std::string cluster_name = Str(ctx, "cluster");
    const auto [cluster_entry, cluster_file] = FindEntry(files, "clusters", cluster_name);
    if (!cluster_entry || !cluster_entry["cluster"]) {
      return Fail(where + ": cluster '" + cluster_name + "' not found");
    }
    const YAML::Node cluster = cluster_entry["cluster"];
    const std::string path = cluster_file->path;
    const std::filesystem::path base = cluster_file->base;

    ClusterConfig config;
    config.server = Str(cluster, "server");
    if (config.server.empty()) return Fail(path + ": cluster '" + cluster_name + "' has no server");
    config.default_namespace = Str(ctx, "namespace");
    config.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"] &&
                                      cluster["insecure-skip-tls-verify"].as<bool>();
    std::string error;
    auto ca = DataOrFile(cluster, "certificate-authority", base, &error);
    if (!ca) return Fail(path + ": cluster '" + cluster_name + "': " + error);
    config.ca_pem = *ca;

    const std::string user_name = Str(ctx, "user");
    if (!user_name.empty()) {
      const auto [user_entry, user_file] = FindEntry(files, "users", user_name);
      if (!user_entry) return Fail(where + ": user '" + user_name + "' not found");
      const std::string upath = user_file->path;
      const std::filesystem::path ubase = user_file->base;
      const YAML::Node user = user_entry["user"];
      if (user) {
        config.token = Str(user, "token");
        if (const std::string file = Str(user, "tokenFile"); config.token.empty() && !file.empty()) {
          std::filesystem::path p(file);
          if (p.is_relative()) p = ubase / p;
          auto token = ReadFile(p.string());
          if (!token) return Fail(upath + ": cannot read tokenFile " + p.string());
          config.token = Trim(*token);
          config.token_file = p.string();
        }
        auto cert = DataOrFile(user, "client-certificate", ubase, &error);
        auto key = DataOrFile(user, "client-key", ubase, &error);
        if (!cert || !key) return Fail(upath + ": user '" + user_name + "': " + error);
        config.client_cert_pem = *cert;
        config.client_key_pem = *key;
        if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
          return Fail(upath + ": user '" + user_name +
                      "': client-certificate and client-key must be given together");
        }
        if (const YAML::Node exec = user["exec"]; exec && exec.IsMap() && config.token.empty()) {
          config.exec = ReadExec(exec, ubase, &error);
          if (!config.exec) return Fail(upath + ": user '" + user_name + "': " + error);
        }
        if (user["auth-provider"]) {
          return Fail(upath + ": user '" + user_name +
                      "': auth-provider is not supported (use an exec credential plugin, as "
                      "kubectl does since 1.26)");
        }
      }
    }
    return ConfigResult{std::move(config), ""};
  } catch (const YAML::Exception& e) {
    return Fail(where + ": " + e.what());
  }
}

}  // namespace pgpart::k8s
