// Keeping DSN secrets out of messages: RedactDsn and RedactPassword (declared in reader.h).
//
// Only the values of connection options known to hold no secret are shown; every other value
// (password, a mistyped "passwd", an unknown key, the user:password@ of a URI even when the URI is
// malformed) is masked, and those values are also scrubbed from libpq's own error texts, which
// quote a malformed URI whole.

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/reader.h"
#include "core/diagnostic.h"

namespace pgpart {
namespace {

constexpr char kMask[] = "********";

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// libpq connection options whose values are never secret (host names, ports, paths, modes).
bool IsShownOption(std::string_view key) {
  static const std::set<std::string_view> kShown = {
      "host",           "hostaddr",         "port",           "dbname",
      "user",           "connect_timeout",  "client_encoding", "options",
      "application_name", "fallback_application_name", "keepalives", "keepalives_idle",
      "keepalives_interval", "keepalives_count", "tcp_user_timeout", "replication",
      "sslmode",        "sslcompression",   "sslcert",        "sslkey",
      "sslrootcert",    "sslcrl",           "sslcrldir",      "sslsni",
      "requirepeer",    "ssl_min_protocol_version", "ssl_max_protocol_version",
      "gssencmode",     "krbsrvname",       "gsslib",         "gssdelegation",
      "service",        "target_session_attrs", "load_balance_hosts", "channel_binding",
      "passfile",       "require_auth",     "sslcertmode"};
  return kShown.count(key) > 0;
}

// The [begin, end) ranges of `dsn` to mask.
std::vector<std::pair<size_t, size_t>> SecretSpans(const std::string& s) {
  std::vector<std::pair<size_t, size_t>> spans;
  if (s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0) {
    const size_t start = s.find("://") + 3;
    // user:password@host: the password runs to the LAST '@' (a raw '/', '?' or '@' in it makes
    // the URI malformed, and libpq then quotes it whole in its error).
    const size_t at = s.rfind('@');
    if (at != std::string::npos && at > start) {
      const size_t colon = s.find(':', start);
      if (colon != std::string::npos && colon < at) spans.emplace_back(colon + 1, at);
    }
    // ?key=value&...: every value but those of the shown options.
    for (size_t query = s.find('?', at == std::string::npos ? start : at);
         query != std::string::npos;) {
      const size_t key = query + 1;
      const size_t amp = s.find('&', key);
      const size_t end = amp == std::string::npos ? s.size() : amp;
      const size_t eq = s.find('=', key);
      if (eq != std::string::npos && eq < end &&
          !IsShownOption(std::string_view(s).substr(key, eq - key))) {
        spans.emplace_back(eq + 1, end);
      }
      query = amp;
    }
    return spans;
  }
  // key = value ...: values may be 'quoted' with \' and \\ escapes (unterminated: to the end).
  size_t i = 0;
  while (i < s.size()) {
    if (IsSpace(s[i])) {
      ++i;
      continue;
    }
    const size_t key_start = i;
    while (i < s.size() && s[i] != '=' && !IsSpace(s[i])) ++i;
    const std::string_view key = std::string_view(s).substr(key_start, i - key_start);
    const size_t key_end = i;
    // A word that is no connection option (no "=" after it, or an unknown key) is most likely
    // part of a secret (a password with a space in it, a Secret key that holds no DSN at all).
    if (!IsShownOption(key) && key != "password" && key_end > key_start) {
      spans.emplace_back(key_start, key_end);
    }
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i >= s.size() || s[i] != '=') continue;
    ++i;
    while (i < s.size() && IsSpace(s[i])) ++i;
    const size_t value_start = i;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'') i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
      if (i < s.size()) ++i;
    } else {
      while (i < s.size() && !IsSpace(s[i])) i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
    }
    if (!IsShownOption(key) && i > value_start) spans.emplace_back(value_start, i);
  }
  return spans;
}

void ReplaceAll(std::string& text, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
}

}  // namespace

std::string RedactDsn(const std::string& dsn) {
  std::string out = dsn;
  std::vector<std::pair<size_t, size_t>> spans = SecretSpans(dsn);
  std::sort(spans.begin(), spans.end());
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {  // back to front: offsets hold
    out.replace(it->first, it->second - it->first, kMask);
  }
  return out;
}

std::string RedactPassword(const std::string& text, const std::string& dsn) {
  std::string out = text;
  // libpq quotes a malformed URI whole in its error.
  if (dsn.size() >= 2) ReplaceAll(out, dsn, RedactDsn(dsn));
  // Every masked value (inside its quotes), and libpq's decoded password (a URI's
  // %-escapes, a key=value's \' escapes).
  std::vector<std::string> secrets;
  for (const auto& [begin, end] : SecretSpans(dsn)) {
    std::string value = dsn.substr(begin, end - begin);
    if (!value.empty() && value.front() == '\'') {  // 'quoted' (or unterminated): the inside
      value = value.substr(1, value.size() >= 2 && value.back() == '\'' ? value.size() - 2
                                                                         : std::string::npos);
    }
    secrets.push_back(value);
  }
  if (PQconninfoOption* options = PQconninfoParse(dsn.c_str(), nullptr)) {
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
      if (std::string_view(o->keyword) == "password" && o->val != nullptr) {
        secrets.emplace_back(o->val);
      }
    }
    PQconninfoFree(options);
  }
  // Longest first, so that a secret containing another is masked whole. Secrets shorter than 2
  // characters are left alone (masking them would mangle every message).
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& secret : secrets) {
    if (secret.size() >= 2) ReplaceAll(out, secret, kMask);
  }
  return out;
}

bool IsValidConnectionString(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) return false;
  PQconninfoFree(options);
  return true;
}

std::string ConnectErrorText(const std::string& message, const std::string& dsn,
                             bool hide_all_values) {
  if (!IsValidConnectionString(dsn)) {
    return "not a valid libpq connection string (key=value pairs or a postgresql:// URI; its "
           "content is not shown)";
  }
  std::string out = RedactPassword(OneLine(message), dsn);
  if (!hide_all_values) return out;
  std::vector<std::string> values;
  if (PQconninfoOption* options = PQconninfoParse(dsn.c_str(), nullptr)) {
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
      if (o->val != nullptr) values.emplace_back(o->val);
    }
    PQconninfoFree(options);
  }
  std::sort(values.begin(), values.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& value : values) {
    if (value.size() >= 2) ReplaceAll(out, value, kMask);
  }
  return out;
}

}  // namespace pgpart
