// FakeApiServer: the Kubernetes API server TEST DOUBLE (see api_server_double.h).

#include "api_server_double.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>

namespace pgpart::k8s::testing {
namespace {

using nlohmann::json;

std::string Key(const Resource& r) { return r.group + "/" + r.version + "/" + r.plural; }

json Status(int code, const std::string& reason, const std::string& message) {
  return json{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()},
              {"status", "Failure"}, {"reason", reason}, {"message", message}, {"code", code}};
}

// What the real API server says about a metadata.name (or, with `prefix`, a generateName): ""
// when it is a DNS-1123 subdomain of at most 253 characters. A prefix is checked with a trailing
// '-' read as a letter, as the server does, so "name." is refused and "name-" is not.
std::string InvalidName(std::string name, bool prefix) {
  static const std::regex kSubdomain(
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  if (prefix && name.size() > 1 && name.back() == '-') name.back() = 'a';
  if (name.size() > 253) return "must be no more than 253 characters";
  if (!std::regex_match(name, kSubdomain)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
           "'-' or '.', and must start and end with an alphanumeric character";
  }
  return "";
}

// The real server's checks of an events.k8s.io/v1 Event's own fields (length limits): "" when
// none fails.
std::string InvalidEvent(const json& event) {
  const std::pair<const char*, size_t> limits[] = {
      {"reportingInstance", 128}, {"action", 128}, {"reason", 128}, {"note", 1024}};
  for (const auto& [field, limit] : limits) {
    const auto it = event.find(field);
    if (it != event.end() && it->is_string() && it->get<std::string>().size() > limit) {
      return std::string(field) + ": Invalid value: \"\": can have at most " +
             std::to_string(limit) + " characters";
    }
  }
  return "";
}

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string Chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

const char* StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 415: return "Unsupported Media Type";
    default: return "Error";
  }
}

}  // namespace

struct FakeApiServer::Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

FakeApiServer::FakeApiServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeApiServer::~FakeApiServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  acceptor_.join();
  ::close(listen_fd_);
  for (auto& t : connections_) t.join();
}

std::string FakeApiServer::Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeApiServer::RequireToken(const std::string& token) {
  std::lock_guard lock(mutex_);
  token_ = token;
}

void FakeApiServer::AcceptLoop() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::lock_guard lock(mutex_);
    connections_.emplace_back([this, fd] {
      Serve(fd);
      ::close(fd);
    });
  }
}

void FakeApiServer::Respond(int fd, int status, const json& body,
                            const std::string& extra_headers) {
  const std::string text = body.dump();
  std::ostringstream out;
  out << "HTTP/1.1 " << status << " " << StatusText(status) << "\r\n" << extra_headers
      << "Content-Type: application/json\r\nContent-Length: " << text.size()
      << "\r\nConnection: close\r\n\r\n"
      << text;
  WriteAll(fd, out.str());
}

void FakeApiServer::Serve(int fd) {
  // Read the head, then Content-Length bytes of body.
  std::string data;
  char buffer[4096];
  size_t head_end;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0 || data.size() > (1 << 20)) return;
    data.append(buffer, static_cast<size_t>(n));
  }
  Request request;
  std::istringstream head(data.substr(0, head_end));
  std::string line, target;
  std::getline(head, line);
  std::istringstream(line) >> request.method >> target;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
  }
  const size_t length = request.headers.count("content-length")
                            ? std::stoul(request.headers["content-length"]) : 0;
  request.body = data.substr(head_end + 4);
  while (request.body.size() < length) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    request.body.append(buffer, static_cast<size_t>(n));
  }
  const auto q = target.find('?');
  request.path = PercentDecode(target.substr(0, q));
  if (q != std::string::npos) {
    std::istringstream query(target.substr(q + 1));
    std::string pair;
    while (std::getline(query, pair, '&')) {
      const auto eq = pair.find('=');
      request.query[pair.substr(0, eq)] =
          eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1));
    }
  }

  std::unique_lock lock(mutex_);
  requests_.emplace_back(request.method, request.path);
  if (!token_.empty() && request.headers["authorization"] != "Bearer " + token_) {
    lock.unlock();
    Respond(fd, 401, Status(401, "Unauthorized", "Unauthorized"));
    return;
  }
  for (Fault& f : faults_) {
    if (f.remaining > 0 && f.method == request.method &&
        request.path.find(f.path_part) != std::string::npos) {
      --f.remaining;
      const int status = f.status;
      const std::string header =
          f.retry_after.empty() ? "" : "Retry-After: " + f.retry_after + "\r\n";
      lock.unlock();
      Respond(fd, status,
              Status(status, status == 429 ? "TooManyRequests" : "ServiceUnavailable",
                     "injected by the test"),
              header);
      return;
    }
  }
  // /api/v1[/namespaces/ns]/plural[/name[/sub]] or /apis/group/version[/namespaces/ns]/...
  std::vector<std::string> parts;
  std::istringstream path(request.path);
  for (std::string part; std::getline(path, part, '/');) {
    if (!part.empty()) parts.push_back(part);
  }
  size_t i = 0;
  Resource resource;
  if (parts.size() >= 3 && parts[0] == "api") {
    resource.version = parts[1];
    i = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    resource.group = parts[1];
    resource.version = parts[2];
    i = 3;
  } else {
    lock.unlock();
    Respond(fd, 404, Status(404, "NotFound", "no such path"));
    return;
  }
  std::string ns, name, sub;
  if (i + 1 < parts.size() && parts[i] == "namespaces") {
    ns = parts[i + 1];
    i += 2;
  }
  if (i < parts.size()) resource.plural = parts[i++];
  if (i < parts.size()) name = parts[i++];
  if (i < parts.size()) sub = parts[i++];
  const std::string collection = Key(resource);
  Collection& c = collections_[collection];
  const std::string key = ns + "/" + name;
  const auto found = c.objects.find(key);

  const auto respond = [&](int status, const json& body) {
    lock.unlock();
    Respond(fd, status, body);
  };
  const auto not_found = [&] {
    respond(404, Status(404, "NotFound", resource.plural + " \"" + name + "\" not found"));
  };
  const auto conflict = [&] {
    respond(409, Status(409, "Conflict",
                        "Operation cannot be fulfilled on " + resource.plural + " \"" + name +
                            "\": the object has been modified; please apply your changes to the "
                            "latest version and try again"));
  };
  json body = request.body.empty() ? json() : json::parse(request.body, nullptr, false);

  if (request.method == "GET" && name.empty()) {
    if (request.query["watch"] == "true" || request.query["watch"] == "1") {
      lock.unlock();
      HandleWatch(fd, request, collection, ns);
      return;
    }
    json items = json::array();
    const std::string after = request.query["continue"];
    const int limit = request.query.count("limit") ? std::stoi(request.query["limit"]) : 0;
    std::string last;
    bool more = false;
    for (const auto& [k, object] : c.objects) {
      if ((!ns.empty() && object["metadata"].value("namespace", "") != ns) ||
          (!after.empty() && k <= after)) {
        continue;
      }
      if (limit > 0 && static_cast<int>(items.size()) == limit) {
        more = true;
        break;
      }
      items.push_back(object);
      last = k;
    }
    json meta = {{"resourceVersion", std::to_string(rv_)}};
    if (more) meta["continue"] = last;
    respond(200, json{{"kind", "List"}, {"apiVersion", "v1"}, {"metadata", meta},
                      {"items", items}});
  } else if (request.method == "GET") {
    if (found == c.objects.end()) return not_found();
    respond(200, found->second);
  } else if (request.method == "POST" && name.empty()) {
    if (!body.is_object()) return respond(400, Status(400, "BadRequest", "body is not JSON"));
    json& meta = body["metadata"];
    std::string new_name = meta.value("name", "");
    // Refused as the real API server refuses them (422 Invalid), so a client cannot pass here
    // with names or events the server would not take.
    std::string invalid;
    if (new_name.empty() && meta.contains("generateName")) {
      invalid = InvalidName(meta.value("generateName", ""), true);
      if (!invalid.empty()) invalid = "metadata.generateName: Invalid value: " + invalid;
    }
    if (new_name.empty()) {
      new_name = meta.value("generateName", "obj-") + std::to_string(++name_counter_);
    }
    if (invalid.empty()) {
      invalid = InvalidName(new_name, false);
      if (!invalid.empty()) {
        invalid = "metadata.name: Invalid value: \"" + new_name + "\": " + invalid;
      }
    }
    if (invalid.empty() && resource.plural == "events") invalid = InvalidEvent(body);
    if (!invalid.empty()) {
      return respond(422, Status(422, "Invalid", resource.plural + " \"" + new_name +
                                                     "\" is invalid: " + invalid));
    }
    meta["name"] = new_name;
    const std::string new_key = ns + "/" + new_name;
    if (c.objects.count(new_key)) {
      return respond(409, Status(409, "AlreadyExists",
                                 resource.plural + " \"" + new_name + "\" already exists"));
    }
    meta.erase("resourceVersion");
    respond(201, StoreLocked(c, new_key, body, "ADDED"));
  } else if (request.method == "PUT" && !name.empty() && sub.empty()) {
    if (found == c.objects.end()) return not_found();
    if (!body.is_object()) return respond(400, Status(400, "BadRequest", "body is not JSON"));
    const std::string rv = body["metadata"].value("resourceVersion", "");
    if (!rv.empty() && rv != found->second["metadata"].value("resourceVersion", "")) {
      return conflict();
    }
    respond(200, StoreLocked(c, key, body, "MODIFIED"));
  } else if (request.method == "PATCH" && !name.empty()) {
    if (request.headers["content-type"].rfind("application/merge-patch+json", 0) != 0) {
      return respond(415, Status(415, "UnsupportedMediaType", "only merge patch is served"));
    }
    if (found == c.objects.end()) return not_found();
    if (!body.is_object()) return respond(400, Status(400, "BadRequest", "body is not JSON"));
    const std::string rv =
        body.contains("metadata") ? body["metadata"].value("resourceVersion", "") : "";
    if (!rv.empty() && rv != found->second["metadata"].value("resourceVersion", "")) {
      return conflict();
    }
    json updated = found->second;
    if (sub == "status") {
      if (body.contains("status")) updated["status"].merge_patch(body["status"]);
    } else {
      body.erase("status");
      if (body.contains("metadata")) body["metadata"].erase("resourceVersion");
      updated.merge_patch(body);
    }
    respond(200, StoreLocked(c, key, updated, "MODIFIED", sub == "status"));
  } else if (request.method == "DELETE" && !name.empty()) {
    if (found == c.objects.end()) return not_found();
    json object = found->second;
    c.objects.erase(found);
    object["metadata"]["resourceVersion"] = std::to_string(++rv_);
    c.log.push_back({rv_, "DELETED", object});
    changed_.notify_all();
    respond(200, object);
  } else {
    respond(405, Status(405, "MethodNotAllowed", request.method + " is not served here"));
  }
}

json FakeApiServer::StoreLocked(Collection& c, const std::string& key, json object,
                                const std::string& type, bool status_write) {
  const auto old = c.objects.find(key);
  // PartitionPolicies have the status subresource (crds/): writes to the main resource ignore
  // `status` (a replace keeps the stored one, a create starts without), and /status writes
  // change nothing else — as a real API server does.
  if (object.value("apiVersion", "").rfind("pgpart.io/", 0) == 0) {
    if (status_write) {
      json status = object.value("status", json());
      object = old->second;
      if (status.is_null()) {
        object.erase("status");
      } else {
        object["status"] = status;
      }
    } else if (old != c.objects.end() && old->second.contains("status")) {
      object["status"] = old->second["status"];
    } else {
      object.erase("status");
    }
  }
  json& meta = object["metadata"];
  const std::string ns = key.substr(0, key.find('/'));
  if (!ns.empty()) meta["namespace"] = ns;
  if (old == c.objects.end()) {
    meta["uid"] = "uid-" + std::to_string(++name_counter_);
    meta["generation"] = 1;
    meta["creationTimestamp"] = "2024-03-01T00:00:00Z";
  } else {
    const json& old_meta = old->second["metadata"];
    meta["uid"] = old_meta["uid"];
    meta["creationTimestamp"] = old_meta["creationTimestamp"];
    const bool spec_changed = object.value("spec", json()) != old->second.value("spec", json());
    meta["generation"] = old_meta.value("generation", 1) + (spec_changed ? 1 : 0);
  }
  meta["resourceVersion"] = std::to_string(++rv_);
  c.objects[key] = object;
  c.log.push_back({rv_, type, object});
  changed_.notify_all();
  return object;
}

void FakeApiServer::HandleWatch(int fd, const Request& request, const std::string& collection,
                                const std::string& ns) {
  const auto get = [&request](const std::string& k) {
    const auto it = request.query.find(k);
    return it == request.query.end() ? std::string() : it->second;
  };
  const std::string rv_text = get("resourceVersion");
  const std::int64_t start = rv_text.empty() ? 0 : std::stoll(rv_text);
  const bool bookmarks = get("allowWatchBookmarks") == "true";
  int timeout = get("timeoutSeconds").empty() ? 30 : std::stoi(get("timeoutSeconds"));
  timeout = std::min(timeout, 60);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);

  if (!WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")) {
    return;
  }
  std::unique_lock lock(mutex_);
  if (end_watches_at_once_) {
    lock.unlock();
    WriteAll(fd, "0\r\n\r\n");
    return;
  }
  if (start != 0 && start < compacted_) {
    lock.unlock();
    const json error = {{"type", "ERROR"},
                        {"object", Status(410, "Expired", "too old resource version: " +
                                                              rv_text + " (" +
                                                              std::to_string(compacted_) + ")")}};
    WriteAll(fd, Chunk(error.dump() + "\n") + "0\r\n\r\n");
    return;
  }
  const int drop = drop_generation_;
  size_t next = 0;
  {
    const auto& log = collections_[collection].log;
    while (next < log.size() && log[next].rv <= start) ++next;
  }
  while (true) {
    // The log may grow while unlocked; index into it afresh each time.
    while (next < collections_[collection].log.size()) {
      const Entry entry = collections_[collection].log[next++];
      if (entry.type == "BOOKMARK" && !bookmarks) continue;
      if (!ns.empty() && entry.object["metadata"].value("namespace", "") != ns &&
          entry.type != "BOOKMARK") {
        continue;
      }
      lock.unlock();
      const bool ok = WriteAll(fd, Chunk(json{{"type", entry.type}, {"object", entry.object}}
                                             .dump() + "\n"));
      lock.lock();
      if (!ok) return;
    }
    if (drop_generation_ != drop || stopping_) {
      ::shutdown(fd, SHUT_RDWR);  // no terminating chunk: the client sees a broken stream
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      lock.unlock();
      WriteAll(fd, "0\r\n\r\n");
      return;
    }
    changed_.wait_until(lock, deadline);
  }
}

json FakeApiServer::Put(const Resource& resource, json object) {
  std::lock_guard lock(mutex_);
  const json& meta = object["metadata"];
  const std::string key = meta.value("namespace", "") + "/" + meta.value("name", "");
  Collection& c = collections_[Key(resource)];
  const std::string type = c.objects.count(key) ? "MODIFIED" : "ADDED";
  return StoreLocked(c, key, std::move(object), type);
}

void FakeApiServer::Remove(const Resource& resource, const std::string& ns,
                           const std::string& name) {
  std::lock_guard lock(mutex_);
  Collection& c = collections_[Key(resource)];
  const auto it = c.objects.find(ns + "/" + name);
  if (it == c.objects.end()) return;
  json object = it->second;
  c.objects.erase(it);
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  c.log.push_back({rv_, "DELETED", object});
  changed_.notify_all();
}

std::optional<json> FakeApiServer::Object(const Resource& resource, const std::string& ns,
                                          const std::string& name) {
  std::lock_guard lock(mutex_);
  Collection& c = collections_[Key(resource)];
  const auto it = c.objects.find(ns + "/" + name);
  if (it == c.objects.end()) return std::nullopt;
  return it->second;
}

void FakeApiServer::Compact() {
  // Like etcd's compaction: watches that start from an older version get 410, while watches
  // already open keep streaming (they index into the log, so it is not cleared).
  std::lock_guard lock(mutex_);
  compacted_ = rv_;
}

void FakeApiServer::Bookmark(const Resource& resource) {
  std::lock_guard lock(mutex_);
  const json object = {{"kind", "Bookmark"},
                       {"apiVersion", resource.group.empty()
                                          ? resource.version
                                          : resource.group + "/" + resource.version},
                       {"metadata", {{"resourceVersion", std::to_string(rv_)}}}};
  collections_[Key(resource)].log.push_back({rv_, "BOOKMARK", object});
  changed_.notify_all();
}

void FakeApiServer::DropWatches() {
  std::lock_guard lock(mutex_);
  ++drop_generation_;
  changed_.notify_all();
}

std::int64_t FakeApiServer::ResourceVersion() {
  std::lock_guard lock(mutex_);
  return rv_;
}

void FakeApiServer::EndWatchesAtOnce(bool on) {
  std::lock_guard lock(mutex_);
  end_watches_at_once_ = on;
}

void FakeApiServer::Fail(const std::string& method, const std::string& path_part, int times,
                         int status, const std::string& retry_after) {
  std::lock_guard lock(mutex_);
  faults_.push_back(Fault{method, path_part, times, status, retry_after});
}

int FakeApiServer::CountRequests(const std::string& method, const std::string& path_part) {
  std::lock_guard lock(mutex_);
  int n = 0;
  for (const auto& [m, p] : requests_) {
    if (m == method && p.find(path_part) != std::string::npos) ++n;
  }
  return n;
}

}  // namespace pgpart::k8s::testing
