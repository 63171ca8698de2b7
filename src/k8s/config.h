#pragma once
// Where the Kubernetes API server is and how to authenticate to it: in-cluster service-account
// files or a kubeconfig file. Expected failures are returned as error strings, never thrown.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgpart::k8s {

// Tokens, certificates and keys are a few KB: a credential file that never ends (/dev/zero, a FIFO
// that keeps writing) is refused at this size instead of taking all memory.
inline constexpr size_t kMaxCredentialFileBytes = 16 << 20;

// A kubeconfig user's `exec` credential plugin (aws eks get-token, gke-gcloud-auth-plugin,
// kubelogin, ...): run for a bearer token, again when it expires or the server answers 401.
struct ExecPlugin {
  std::string command;  // a path (relative ones with a '/' resolve against the kubeconfig's
                        // directory) or a name looked up in PATH
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string api_version;  // client.authentication.k8s.io/v1 (or v1beta1)
};

// What a plugin printed: its token and when it expires (UTC micros; nullopt: it does not).
struct ExecCredential {
  std::string token;
  std::optional<int64_t> expires_micros;
  std::string error;  // set when the plugin failed or printed no token (never the token)
};

// Runs `plugin` (no shell; its env on top of ours, with KUBERNETES_EXEC_INFO) and reads the
// ExecCredential it prints. Client certificates from a plugin are not supported (an error).
ExecCredential RunExecPlugin(const ExecPlugin& plugin, int timeout_seconds = 30);

// Connection settings for one API server. Secrets (token, key) are never logged or formatted.
struct ClusterConfig {
  std::string server;                     // "https://10.0.0.1:443" or "http://127.0.0.1:8080"
  std::string ca_pem;                     // trusted CA certificate(s), PEM; empty = system store
  bool insecure_skip_tls_verify = false;  // do not verify the server certificate
  std::string token;                      // bearer token; empty = none
  std::string token_file;                 // if set, the token is re-read from here (rotation)
  std::string client_cert_pem;            // client certificate, PEM (mutual TLS)
  std::string client_key_pem;             // its private key, PEM
  std::string default_namespace;          // service-account namespace or the context's; may be ""
  std::optional<ExecPlugin> exec;         // the token comes from this plugin (kubeconfig only)
};

// Paths of the in-cluster files; the defaults are the kubelet's, tests point them elsewhere.
struct InClusterPaths {
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

// A config or an error message (no secrets in it).
struct ConfigResult {
  std::optional<ClusterConfig> config;
  std::string error;  // set when !config
};

// In-cluster config from KUBERNETES_SERVICE_HOST/PORT and the service-account files. Errors when
// the variables are unset or the token is unreadable; a missing namespace file leaves it empty.
ConfigResult LoadInCluster(const InClusterPaths& paths = {});

// The current context of a kubeconfig file (`context` overrides current-context when non-empty):
// cluster server, certificate-authority(-data), insecure-skip-tls-verify; user token(-file) or
// client-certificate(-data)/client-key(-data). Relative file paths resolve against the file's
// directory. Errors name the file and the missing or invalid entry.
// A user's `exec` plugin is read too (ClusterConfig::exec).
ConfigResult LoadKubeconfig(const std::string& path, const std::string& context = "");
// Several kubeconfig files read as one, as kubectl reads KUBECONFIG=a:b: the first file that
// names a cluster, user or context wins for that name, and the first current-context set wins;
// relative paths resolve against the directory of the file that holds the entry. Files that do
// not exist are skipped (an error when none does).
ConfigResult LoadKubeconfigs(const std::vector<std::string>& paths,
                             const std::string& context = "");

// Standard base64 (padding allowed, whitespace ignored); nullopt when the input is not base64.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace pgpart::k8s
