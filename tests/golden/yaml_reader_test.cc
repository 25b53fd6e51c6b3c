// golden/yaml_reader.h on its own: each check names the file, the line and
// the field, and says what was expected and what was found.

#include "golden/yaml_reader.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "golden/errors.h"

namespace sparq {
namespace {

// The message of the InputError `f` throws ("" if none).
template <typename F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

class YamlReaderTest : public ::testing::Test {
 protected:
  YamlReader rd_{"t.yaml"};
};

TEST_F(YamlReaderTest, MapChecksKeysAndSuggests) {
  const YAML::Node root = ParseYaml("a: 1\nsub:\n  kernal: 3\n", "t.yaml");
  const YamlMap top = rd_.Map(root, "", {"a", "sub"});
  EXPECT_TRUE(top.Has("sub"));
  EXPECT_FALSE(top.Has("b"));
  EXPECT_EQ(top.Path("sub"), "sub");
  EXPECT_EQ(ErrorOf([&] {
              rd_.Map(top.Get("sub"), "sub", {"kernel", "stride"});
            }),
            "t.yaml:3: field 'sub.kernal': unknown field (did you mean "
            "'kernel'?); expected one of: kernel, stride");
  EXPECT_EQ(ErrorOf([&] {
              rd_.Map(top.Get("sub"), "sub", {"stride"}, "a pool", {"kernal"});
            }),
            "t.yaml:3: field 'sub.kernal': not a field of a pool; expected "
            "one of: stride");
  EXPECT_EQ(ErrorOf([&] { rd_.Map(top.Get("a"), "a", {"x"}); }),
            "t.yaml:1: field 'a': expected a mapping with fields x, got '1'");
}

TEST_F(YamlReaderTest, DuplicateKeysAreRejected) {
  const YAML::Node root = ParseYaml("x: 1\ny: 2\nx: 3\n", "t.yaml");
  EXPECT_EQ(ErrorOf([&] {
              rd_.Map(root, "", {"x", "y"});
            }),
            "t.yaml:3: field 'x': duplicate field");
}

TEST_F(YamlReaderTest, MissingFieldsPointAtTheMapping) {
  const YAML::Node root = ParseYaml("\n\nm:\n  a: 1\n", "t.yaml");
  const YamlMap m = rd_.Map(root["m"], "m", {"a", "b"});
  EXPECT_EQ(ErrorOf([&] { rd_.Need(m, "b", "a list"); }),
            "t.yaml:4: field 'm.b': expected a list, got nothing (the field "
            "is missing)");
  EXPECT_EQ(rd_.Int(rd_.Need(m, "a", "an integer"), "m.a", 0, 5), 1);
}

TEST_F(YamlReaderTest, IntegersAreUnquotedAndInRange) {
  const YAML::Node root =
      ParseYaml("a: 7\nb: \"7\"\nc: 7.5\nd: 99999999999999999999\n", "t.yaml");
  EXPECT_EQ(rd_.Int(root["a"], "a", 0, 7), 7);
  EXPECT_EQ(ErrorOf([&] { rd_.Int(root["a"], "a", 0, 6); }),
            "t.yaml:1: field 'a': expected an integer in [0, 6], got '7'");
  EXPECT_EQ(ErrorOf([&] { rd_.Int(root["b"], "b", 0, 9); }),
            "t.yaml:2: field 'b': expected an integer in [0, 9], got the "
            "string '7'");
  EXPECT_EQ(ErrorOf([&] { rd_.Int(root["c"], "c", 0, 9); }),
            "t.yaml:3: field 'c': expected an integer in [0, 9], got '7.5'");
  EXPECT_NE(ErrorOf([&] {
              rd_.Int(root["d"], "d", 0, std::numeric_limits<int64_t>::max());
            }).find("t.yaml:4: field 'd'"),
            std::string::npos);
}

TEST_F(YamlReaderTest, NumbersAreFinite) {
  const YAML::Node root =
      ParseYaml("a: 0.25\nb: .inf\nc: nan\nd: 1e999\ne: 0\n", "t.yaml");
  EXPECT_DOUBLE_EQ(rd_.Real(root["a"], "a", 0, false, 1), 0.25);
  EXPECT_DOUBLE_EQ(rd_.Number(root["a"], "a"), 0.25);
  EXPECT_EQ(ErrorOf([&] { rd_.Number(root["b"], "b"); }),
            "t.yaml:2: field 'b': expected a number, got '.inf'");
  EXPECT_EQ(ErrorOf([&] { rd_.Number(root["c"], "c"); }),
            "t.yaml:3: field 'c': expected a number, got 'nan'");
  EXPECT_EQ(ErrorOf([&] { rd_.Number(root["d"], "d"); }),
            "t.yaml:4: field 'd': expected a number, got '1e999'");
  EXPECT_EQ(ErrorOf([&] { rd_.Real(root["e"], "e", 0, false, 1); }),
            "t.yaml:5: field 'e': expected a number > 0 and < 1, got '0'");
  EXPECT_DOUBLE_EQ(rd_.Real(root["e"], "e", 0, true, 1), 0.0);
}

TEST_F(YamlReaderTest, ListsHaveTheirLengthAndElementPaths) {
  const YAML::Node root = ParseYaml("k: [3, 4]\nn: [a, '']\ne: []\n", "t.yaml");
  EXPECT_EQ(rd_.IntList(root["k"], "k", 1, 9, 2, 2),
            (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(ErrorOf([&] { rd_.IntList(root["k"], "k", 1, 3, 2, 2); }),
            "t.yaml:1: field 'k[1]': expected an integer in [1, 3], got '4'");
  EXPECT_EQ(ErrorOf([&] { rd_.IntList(root["k"], "k", 1, 9, 3, 4); }),
            "t.yaml:1: field 'k': expected a list of 3 to 4 integers in [1, "
            "9], got a list of 2 items");
  EXPECT_EQ(ErrorOf([&] { rd_.StringList(root["n"], "n", "names"); }),
            "t.yaml:2: field 'n[1]': expected a non-empty string, got the "
            "string ''");
  EXPECT_EQ(ErrorOf([&] { rd_.StringList(root["e"], "e", "names"); }),
            "t.yaml:3: field 'e': expected a non-empty list of names, got a "
            "list of 0 items");
}

TEST(YamlReaderFileTest, SyntaxErrorsAndMissingFilesNameTheFile) {
  EXPECT_NE(
      ErrorOf([] { ParseYaml("a: [1,\nb: 2\n", "s.yaml"); }).find("s.yaml:"),
      std::string::npos);
  EXPECT_NE(ErrorOf([] {
              ParseYaml("a: [1,\nb: 2\n", "s.yaml");
            }).find("malformed YAML"),
            std::string::npos);
  EXPECT_EQ(
      ErrorOf([] { ReadTextFile("/nonexistent/sparq/x.yaml", "recipe"); }),
      "/nonexistent/sparq/x.yaml: cannot open the recipe (No such file "
      "or directory)");
  EXPECT_EQ(FieldMessage("f.yaml", 12, "layers[0].kernel", "duplicate field"),
            "f.yaml:12: field 'layers[0].kernel': duplicate field");
}

}  // namespace
}  // namespace sparq
