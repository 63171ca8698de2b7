#include "policy/yaml_guard.h"

#include <algorithm>
#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace pgpart {
namespace {

// Thrown from inside yaml-cpp's parser to stop it; caught by CheckYamlStructure.
struct Refused {
  YamlProblem problem;
};

YamlProblem At(const YAML::Mark& mark, std::string message) {
  if (mark.is_null()) return YamlProblem{0, 0, std::move(message)};
  return YamlProblem{mark.line + 1, mark.column + 1, std::move(message)};
}

// Counts and checks the events of the parse; builds nothing.
class GuardHandler : public YAML::EventHandler {
 public:
  explicit GuardHandler(const std::string& text) : text_(text) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp 0.7's LoadAll asks for documents until the token stream is empty; a document that
    // consumed nothing (it starts where the previous one started) would repeat forever.
    if (documents_++ > 0 && mark.pos == last_document_pos_) {
      const char c = mark.pos >= 0 && static_cast<size_t>(mark.pos) < text_.size()
                         ? text_[static_cast<size_t>(mark.pos)]
                         : '?';
      throw Refused{At(mark, std::string("YAML syntax error: unexpected '") + c +
                                 "' where a document or value should start")};
    }
    last_document_pos_ = mark.pos;
    open_.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Count(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Count(mark);
    if (std::find(open_.begin(), open_.end(), anchor) != open_.end()) {
      throw Refused{At(mark, "YAML alias inside the collection it refers to (a cycle)")};
    }
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Count(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { open_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { open_.pop_back(); }

 private:
  void Count(const YAML::Mark& mark) {
    if (++nodes_ > kMaxYamlNodes) {
      throw Refused{At(mark, "more than " + std::to_string(kMaxYamlNodes) +
                                 " YAML values; a policy is far smaller")};
    }
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    Count(mark);
    if (open_.size() >= static_cast<size_t>(kMaxYamlDepth)) {
      throw Refused{At(mark, "lists and mappings nested more than " +
                                 std::to_string(kMaxYamlDepth) + " deep")};
    }
    open_.push_back(anchor);
  }

  const std::string& text_;
  int documents_ = 0;
  int last_document_pos_ = -1;
  size_t nodes_ = 0;
  std::vector<YAML::anchor_t> open_;  // anchors of the open collections (0: none)
};

std::mutex isolation_mutex;
YamlIsolation& Isolation() {
  static YamlIsolation isolation;
  return isolation;
}

}  // namespace

std::optional<YamlProblem> CheckYamlLimits(const std::string& text) {
  if (text.size() > kMaxPolicyBytes) {
    return YamlProblem{0, 0,
                       "larger than " + std::to_string(kMaxPolicyBytes >> 20) +
                           " MiB; a policy file is a few KB"};
  }
  // Policies are UTF-8 (yaml-cpp passes other bytes through into names, reasons and then JSON).
  if (std::optional<size_t> bad = FirstInvalidUtf8(text)) {
    const size_t newline = text.rfind('\n', *bad);  // text[*bad] itself is no newline
    const size_t begin = newline == std::string::npos ? 0 : newline + 1;
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + *bad, '\n'));
    static constexpr char kHex[] = "0123456789ABCDEF";
    const unsigned char byte = static_cast<unsigned char>(text[*bad]);
    return YamlProblem{line, static_cast<int>(*bad - begin) + 1,
                       std::string("invalid UTF-8 (byte 0x") + kHex[byte >> 4] + kHex[byte & 15] +
                           "); policy files are UTF-8"};
  }
  return std::nullopt;
}

std::optional<YamlProblem> CheckYamlStructure(const std::string& text) {
  std::istringstream in(text);
  try {
    YAML::Parser parser(in);
    GuardHandler handler(text);
    while (parser.HandleNextDocument(handler)) {
    }
  } catch (const Refused& refused) {
    return refused.problem;
  } catch (const YAML::Exception& e) {
    return At(e.mark, "YAML syntax error: " + e.msg);
  }
  return std::nullopt;
}

std::optional<YamlProblem> CheckYamlInProcess(const std::string& text) {
  if (auto problem = CheckYamlLimits(text)) return problem;
  if (auto problem = CheckYamlStructure(text)) return problem;
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return At(e.mark, "YAML syntax error: " + e.msg);
  }
  return std::nullopt;
}

void SetYamlIsolation(YamlIsolation isolation) {
  std::lock_guard<std::mutex> lock(isolation_mutex);
  Isolation() = std::move(isolation);
}

namespace {

YamlIsolation CurrentIsolation() {
  std::lock_guard<std::mutex> lock(isolation_mutex);
  return Isolation();
}

}  // namespace

std::optional<YamlProblem> RunYamlIsolation(const std::string& text) {
  YamlIsolation isolation = CurrentIsolation();
  if (!isolation) return std::nullopt;
  std::vector<std::optional<YamlProblem>> verdicts = isolation({text});
  return verdicts.empty() ? std::nullopt : verdicts.front();
}

void PrecheckYamlIsolated(const std::vector<std::string>& texts) {
  YamlIsolation isolation = CurrentIsolation();
  if (isolation && !texts.empty()) isolation(texts);
}

}  // namespace pgpart
