#include "golden/yaml_reader.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include <yaml-cpp/eventhandler.h>

#include "golden/checked.h"
#include "golden/errors.h"
#include "golden/input_file.h"

namespace sparq {
namespace {

// Levenshtein distance, for did-you-mean suggestions.
int EditDistance(const std::string& a, const std::string& b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diag = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int up = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Records where each document starts; the content is not needed.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override {
    marks.push_back(mark);
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

const char kYamlMissing[] = "nothing (the field is missing)";

std::string FieldMessage(const std::string& file, int line,
                         const std::string& field, const std::string& message) {
  return file + ":" + std::to_string(line) + ": field '" + field +
         "': " + message;
}

YAML::Node ParseYaml(const std::string& text, const std::string& file) {
  // YAML text is printable; yaml-cpp 0.7 can loop forever on a NUL byte
  // (found by tests/fuzz/fuzz_run_config).
  const size_t nul = text.find('\0');
  if (nul != std::string::npos) {
    const auto line = std::count(text.begin(), text.begin() + nul, '\n') + 1;
    throw InputError(file + ":" + std::to_string(line) +
                     ": malformed YAML: a NUL byte (YAML is text)");
  }
  try {
    // The documents are counted with the event parser, two at most:
    // YAML::LoadAll never returns on some inputs (a lone ',': found by
    // tests/fuzz/fuzz_recipe), and a second document, or garbage after a
    // '---', must be an error rather than ignored.
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
    }
    if (starts.marks.size() == 2) {
      const YAML::Mark& second = starts.marks[1];
      if (second.pos == starts.marks[0].pos) {
        throw InputError(file + ":" + std::to_string(second.line + 1) +
                         ": malformed YAML: no document can start here");
      }
      throw InputError(file + ":" + std::to_string(second.line + 1) +
                       ": malformed YAML: expected one document, got a "
                       "second (after '---')");
    }
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(file + ":" + std::to_string(e.mark.line + 1) +
                     ": malformed YAML: " + e.msg);
  }
}

std::string ReadTextFile(const std::string& path, const std::string& what) {
  return ReadInputFile(path, what, kMaxTextFileBytes);
}

std::string JoinNames(const std::vector<std::string>& items) {
  std::string s;
  for (const std::string& item : items) s += (s.empty() ? "" : ", ") + item;
  return s;
}

void YamlReader::Fail(const YAML::Node& at, const std::string& field,
                      const std::string& expected,
                      const std::string& got) const {
  FailAt(at, field, "expected " + expected + ", got " + got);
}

void YamlReader::FailAt(const YAML::Node& at, const std::string& field,
                        const std::string& message) const {
  throw InputError(FieldMessage(file_, Line(at), field, message));
}

int YamlReader::Line(const YAML::Node& n) const {
  if (n.IsDefined()) {
    const YAML::Mark mark = n.Mark();
    if (mark.line >= 0) return mark.line + 1;
  }
  return fallback_line_;
}

std::string YamlReader::Describe(const YAML::Node& n) {
  if (!n.IsDefined()) return kYamlMissing;
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      if (n.Tag() == "!") return "the string '" + n.Scalar() + "'";
      return "'" + n.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list of " + std::to_string(n.size()) + " item" +
             (n.size() == 1 ? "" : "s");
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

YamlMap YamlReader::Map(const YAML::Node& node, const std::string& path,
                        const std::vector<std::string>& allowed,
                        const std::string& owner,
                        const std::vector<std::string>& elsewhere) const {
  if (!node.IsMap()) {
    Fail(node, path.empty() ? "(top level)" : path,
         "a mapping with fields " + JoinNames(allowed), Describe(node));
  }
  std::map<std::string, YAML::Node> values;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    const std::string sub = path.empty() ? "" : path + ".";
    if (!key.IsScalar()) {
      Fail(key, sub + "?", "a field name", Describe(key));
    }
    const std::string name = key.Scalar();
    const auto contains = [&name](const std::vector<std::string>& v) {
      return std::find(v.begin(), v.end(), name) != v.end();
    };
    if (!contains(allowed) && contains(elsewhere)) {
      FailAt(key, sub + name,
             "not a field of " + owner +
                 "; expected one of: " + JoinNames(allowed));
    }
    if (!contains(allowed)) {
      std::string hint;
      for (const std::string& a : allowed) {
        if (EditDistance(a, name) <= 2) hint = " (did you mean '" + a + "'?)";
      }
      FailAt(
          key, sub + name,
          "unknown field" + hint + "; expected one of: " + JoinNames(allowed));
    }
    // yaml-cpp keeps both entries of a repeated key; the second would win
    // silently in a lookup.
    if (values.count(name)) FailAt(key, sub + name, "duplicate field");
    values[name] = it->second;
  }
  return YamlMap(node, path, std::move(values));
}

YAML::Node YamlReader::Need(const YamlMap& m, const std::string& key,
                            const std::string& expected) const {
  if (!m.Has(key)) Fail(m.node(), m.Path(key), expected, kYamlMissing);
  return m.Get(key);
}

int64_t YamlReader::Int(const YAML::Node& n, const std::string& path,
                        int64_t lo, int64_t hi) const {
  const std::string expected =
      "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  // Quoted scalars are strings, never numbers.
  if (!n.IsScalar() || n.Tag() == "!") Fail(n, path, expected, Describe(n));
  const std::string& s = n.Scalar();
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
    Fail(n, path, expected, Describe(n));
  }
  return v;
}

double YamlReader::Real(const YAML::Node& n, const std::string& path, double lo,
                        bool lo_inclusive, double hi) const {
  std::ostringstream e;
  e << "a number " << (lo_inclusive ? ">= " : "> ") << lo;
  if (std::isfinite(hi)) e << " and < " << hi;
  if (!n.IsScalar() || n.Tag() == "!") Fail(n, path, e.str(), Describe(n));
  const std::string& s = n.Scalar();
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  const bool above = lo_inclusive ? v >= lo : v > lo;
  if (s.empty() || *end != '\0' || !std::isfinite(v) || !above || v >= hi) {
    Fail(n, path, e.str(), Describe(n));
  }
  return v;
}

double YamlReader::Number(const YAML::Node& n, const std::string& path) const {
  if (!n.IsScalar() || n.Tag() == "!") Fail(n, path, "a number", Describe(n));
  const std::string& s = n.Scalar();
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v)) {
    Fail(n, path, "a number", Describe(n));
  }
  return v;
}

std::string YamlReader::String(const YAML::Node& n,
                               const std::string& path) const {
  if (!n.IsScalar() || n.Scalar().empty()) {
    Fail(n, path, "a non-empty string", Describe(n));
  }
  return n.Scalar();
}

std::vector<int64_t> YamlReader::IntList(const YAML::Node& n,
                                         const std::string& path, int64_t lo,
                                         int64_t hi, size_t min_len,
                                         size_t max_len) const {
  const std::string len =
      min_len == max_len
          ? std::to_string(min_len)
          : std::to_string(min_len) + " to " + std::to_string(max_len);
  if (!n.IsSequence() || n.size() < min_len || n.size() > max_len) {
    Fail(n, path,
         "a list of " + len + " integers in [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "]",
         Describe(n));
  }
  std::vector<int64_t> v;
  for (size_t i = 0; i < n.size(); ++i) {
    v.push_back(Int(n[i], path + "[" + std::to_string(i) + "]", lo, hi));
  }
  return v;
}

std::vector<std::string> YamlReader::StringList(const YAML::Node& n,
                                                const std::string& path,
                                                const std::string& what) const {
  if (!n.IsSequence() || n.size() == 0) {
    Fail(n, path, "a non-empty list of " + what, Describe(n));
  }
  std::vector<std::string> v;
  for (size_t i = 0; i < n.size(); ++i) {
    v.push_back(String(n[i], path + "[" + std::to_string(i) + "]"));
  }
  return v;
}

}  // namespace sparq
