// The one way sparq reads YAML that a user writes (run configs in sim/,
// compression recipes in golden/compress/): mappings checked against their
// allowed keys (with did-you-mean suggestions and duplicate-key rejection),
// typed scalars with ranges and lists. Every complaint is an InputError
//   FILE:LINE: field 'layers[2].kernel': expected ..., got ...
// whose line comes from yaml-cpp's marks. It lives in golden/ because the
// recipe reader may not include sim/; it is its own library (sparq_yaml) so
// that sparq_golden stays free of yaml-cpp.

#ifndef SPARQ_GOLDEN_YAML_READER_H_
#define SPARQ_GOLDEN_YAML_READER_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sparq {

// What Describe() and Need() say about a field that is not there.
extern const char kYamlMissing[];

// "FILE:LINE: field 'FIELD': MESSAGE", the form of every field error.
std::string FieldMessage(const std::string& file, int line,
                         const std::string& field, const std::string& message);

// Parses a whole document; a syntax error becomes an InputError
// "FILE:LINE: malformed YAML: ...".
YAML::Node ParseYaml(const std::string& text, const std::string& file);

// Reads a file into a string; InputError "PATH: cannot open the WHAT (...)".
std::string ReadTextFile(const std::string& path, const std::string& what);

// "a, b, c".
std::string JoinNames(const std::vector<std::string>& items);

// A YAML mapping whose keys have been checked against the allowed set.
class YamlMap {
 public:
  YamlMap(YAML::Node node, std::string path,
          std::map<std::string, YAML::Node> values)
      : node_(std::move(node)),
        path_(std::move(path)),
        values_(std::move(values)) {}

  bool Has(const std::string& key) const { return values_.count(key) != 0; }
  YAML::Node Get(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? YAML::Node() : it->second;
  }
  std::string Path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }

 private:
  YAML::Node node_;
  std::string path_;
  std::map<std::string, YAML::Node> values_;
};

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& field,
                         const std::string& expected,
                         const std::string& got) const;
  [[noreturn]] void FailAt(const YAML::Node& at, const std::string& field,
                           const std::string& message) const;
  // 1-based line of `n`; for a missing node, the fallback line (the start of
  // the item being read).
  int Line(const YAML::Node& n) const;
  void set_fallback_line(int line) { fallback_line_ = line; }

  // "'3'", "the string '3'", "a list of 2 items", "a mapping", "nothing".
  static std::string Describe(const YAML::Node& n);

  // Checks `node` is a mapping whose keys are all in `allowed`, none twice.
  // A key in `elsewhere` is reported as belonging to something other than
  // `owner` (e.g. a conv field in a pooling layer).
  YamlMap Map(const YAML::Node& node, const std::string& path,
              const std::vector<std::string>& allowed,
              const std::string& owner = "",
              const std::vector<std::string>& elsewhere = {}) const;
  // The value of a required key; "expected EXPECTED, got nothing (the field
  // is missing)" at the mapping otherwise.
  YAML::Node Need(const YamlMap& m, const std::string& key,
                  const std::string& expected) const;

  // An unquoted integer in [lo, hi].
  int64_t Int(const YAML::Node& n, const std::string& path, int64_t lo,
              int64_t hi) const;
  // An unquoted finite number above lo (or at it, when lo_inclusive) and
  // below hi.
  double Real(const YAML::Node& n, const std::string& path, double lo,
              bool lo_inclusive, double hi) const;
  // Any unquoted finite number.
  double Number(const YAML::Node& n, const std::string& path) const;
  std::string String(const YAML::Node& n, const std::string& path) const;
  std::vector<int64_t> IntList(const YAML::Node& n, const std::string& path,
                               int64_t lo, int64_t hi, size_t min_len,
                               size_t max_len) const;
  // A non-empty list of non-empty strings.
  std::vector<std::string> StringList(const YAML::Node& n,
                                      const std::string& path,
                                      const std::string& what) const;

 private:
  std::string file_;
  int fallback_line_ = 1;
};

}  // namespace sparq

#endif  // SPARQ_GOLDEN_YAML_READER_H_
