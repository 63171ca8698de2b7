// De-duplicated Kubernetes Events (see events.h).

#include "operator/events.h"

#include <utility>

namespace pgpart::op {
namespace {

using nlohmann::json;

// A string member of `j`, or "" when absent or not a string (nlohmann's value() would throw).
std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

EventRecorder::EventRecorder(k8s::Client& client, std::string instance,
                             std::chrono::seconds window,
                             std::function<void(const std::string&)> on_log)
    : client_(client),
      instance_(std::move(instance)),
      window_(window),
      on_log_(std::move(on_log)) {}

bool EventRecorder::Record(const json& object, const std::string& type, const std::string& reason,
                           const std::string& action, const std::string& note) {
  const json meta = object.is_object() && object.contains("metadata") ? object["metadata"]
                                                                       : json::object();
  const std::string name = Str(meta, "name");
  const std::string uid = Str(meta, "uid");
  std::string ns = Str(meta, "namespace");
  if (name.empty()) {
    if (on_log_) on_log_("event " + reason + " not sent: the object has no metadata.name");
    return false;
  }
  if (ns.empty()) ns = "default";  // where Kubernetes files events about cluster-scoped objects

  // The uid tells a re-created policy from its predecessor; ns/name stands in when it is unset.
  const std::string key = (uid.empty() ? ns + "/" + name : uid) + '\x1f' + type + '\x1f' +
                          reason + '\x1f' + note;
  const Clock::time_point now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    PruneLocked(now);
    const auto it = sent_.find(key);
    if (it != sent_.end() && now - it->second < window_) {
      ++suppressed_;
      return false;
    }
    // Reserve before sending (outside the lock) so a concurrent identical Record is suppressed.
    sent_[key] = now;
    order_.emplace_back(now, key);
  }

  k8s::EventSpec spec;
  spec.regarding = json{{"apiVersion", Str(object, "apiVersion")},
                        {"kind", Str(object, "kind")},
                        {"namespace", ns},
                        {"name", name}};
  if (!uid.empty()) spec.regarding["uid"] = uid;
  spec.type = type;
  spec.reason = reason;
  spec.action = action;
  spec.note = note;
  spec.reporting_instance = instance_;
  const k8s::Result<json> r = client_.CreateEvent(ns, spec);
  if (r.ok()) return true;

  {
    // Not sent: drop the reservation so the next attempt may try again.
    std::lock_guard lock(mutex_);
    const auto it = sent_.find(key);
    if (it != sent_.end() && it->second == now) sent_.erase(it);
  }
  if (on_log_) {
    on_log_("event " + reason + " about " + ns + "/" + name + " not sent: " +
            std::to_string(r.error.status) + " " + r.error.reason + ": " + r.error.message);
  }
  return false;
}

int EventRecorder::Suppressed() const {
  std::lock_guard lock(mutex_);
  return suppressed_;
}

void EventRecorder::PruneLocked(Clock::time_point now) {
  while (!order_.empty() &&
         (now - order_.front().first >= window_ || sent_.size() > kMaxRemembered ||
          order_.size() > 2 * kMaxRemembered)) {
    const auto& [when, key] = order_.front();
    const auto it = sent_.find(key);
    if (it != sent_.end() && it->second == when) sent_.erase(it);
    order_.pop_front();
  }
}

}  // namespace pgpart::op
