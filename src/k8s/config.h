#pragma once
// Where the Kubernetes API server is and how to authenticate to it: in-cluster service-account
// files or a kubeconfig file. Expected failures are returned as error strings, never thrown.

#include <optional>
#include <string>
#include <string_view>

namespace pgpart::k8s {

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
ConfigResult LoadKubeconfig(const std::string& path, const std::string& context = "");

// Standard base64 (padding allowed, whitespace ignored); nullopt when the input is not base64.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace pgpart::k8s
