// Reading compression recipes (golden/compress/recipe.h): every field, and
// every error naming the file, the line, the field and what was expected.

#include "golden/compress/recipe.h"

#include <gtest/gtest.h>

#include <string>

#include "golden/errors.h"

namespace sparq {
namespace {

std::string ErrorOf(const std::string& text) {
  try {
    ParseRecipe(text, "r.yaml", "/base");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(RecipeTest, ParsesEveryField) {
  const Recipe r = ParseRecipe(
      "name: mix\nbaseline: weights\nseed: 3\ntrain_limit: 100\n"
      "test_limit: 50\ncalib_images: 20\nsteps:\n"
      "  - {method: tucker2, layers: [conv2], ranks: [8, 16], epochs: 2, lr: "
      "0.005}\n"
      "  - {method: cp, layers: [conv2_b], rank: 12, iterations: 30}\n"
      "  - {method: prune, sparsity: 0.9, iterations: 3, epochs: 1}\n"
      "  - {method: nm, n: 2, m: 4}\n"
      "  - {method: quantize, weights: ternary, layers: [fc1]}\n",
      "r.yaml", "/base");
  EXPECT_EQ(r.name, "mix");
  EXPECT_EQ(r.baseline, "/base/weights");
  EXPECT_EQ(r.seed, 3u);
  EXPECT_EQ(r.train_limit, 100);
  EXPECT_EQ(r.test_limit, 50);
  EXPECT_EQ(r.calib_images, 20);
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_EQ(r.steps[0].rank_in, 8);
  EXPECT_EQ(r.steps[0].rank_out, 16);
  EXPECT_EQ(r.steps[0].epochs, 2);
  EXPECT_FLOAT_EQ(r.steps[0].lr, 0.005f);
  EXPECT_EQ(r.steps[1].cp_iterations, 30);
  EXPECT_EQ(r.steps[2].iterations, 3);
  EXPECT_DOUBLE_EQ(r.steps[2].sparsity, 0.9);
  EXPECT_EQ(r.steps[3].n, 2);
  EXPECT_EQ(r.steps[4].weights, "ternary");
  EXPECT_EQ(r.steps[4].layers, (std::vector<std::string>{"fc1"}));
}

TEST(RecipeTest, ErrorsNameTheLineAndField) {
  std::string e = ErrorOf("steps:\n  - method: svd\n    rnak: 3\n");
  EXPECT_NE(e.find("r.yaml:3: field 'steps[0].rnak': unknown field"),
            std::string::npos)
      << e;
  e = ErrorOf("steps:\n  - {method: svd, rank: \"3\"}\n");
  EXPECT_NE(e.find("r.yaml:2: field 'steps[0].rank': expected an integer"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("got the string '3'"), std::string::npos) << e;
  e = ErrorOf("seed: 1\n");
  EXPECT_NE(e.find("field 'steps': expected a non-empty list"),
            std::string::npos)
      << e;
  e = ErrorOf("steps:\n  - {method: svd, ranks: [1, 2, 3]}\n");
  EXPECT_NE(e.find("expected [rank_in, rank_out]"), std::string::npos) << e;
}

// The error for `text` must contain every fragment.
void ExpectError(const std::string& text,
                 const std::vector<std::string>& fragments) {
  const std::string e = ErrorOf(text);
  ASSERT_FALSE(e.empty()) << "no error for:\n" << text;
  for (const std::string& f : fragments) {
    EXPECT_NE(e.find(f), std::string::npos) << "'" << f << "' not in: " << e;
  }
}

TEST(RecipeTest, UnknownFieldSuggestsTheNearestOne) {
  ExpectError("steps:\n  - method: svd\n    rnak: 3\n",
              {"r.yaml:3: field 'steps[0].rnak': unknown field (did you mean "
               "'rank'?); expected one of: method, layers, rank,"});
  ExpectError("name: x\ntrain_limt: 5\nsteps:\n  - {method: nm}\n",
              {"r.yaml:2: field 'train_limt': unknown field (did you mean "
               "'train_limit'?)"});
}

TEST(RecipeTest, WrongTypeNamesWhatWasExpected) {
  ExpectError("steps:\n  - method: svd\n    rank: [3]\n",
              {"r.yaml:3: field 'steps[0].rank': expected an integer in "
               "[-2147483648, 2147483647], got a list of 1 item"});
  ExpectError("steps:\n  - method: prune\n    sparsity: lots\n",
              {"r.yaml:3: field 'steps[0].sparsity': expected a number, got "
               "'lots'"});
  ExpectError("steps:\n  - {method: svd, rank: 2, layers: fc1}\n",
              {"r.yaml:2: field 'steps[0].layers': expected a non-empty list "
               "of layer names, got 'fc1'"});
  ExpectError("steps: {method: svd}\n",
              {"r.yaml:1: field 'steps': expected a non-empty list of steps, "
               "got a mapping"});
}

TEST(RecipeTest, OutOfRangeValuesAndNegativeLimits) {
  ExpectError("seed: 1\ntrain_limit: -5\nsteps:\n  - {method: nm}\n",
              {"r.yaml:2: field 'train_limit': expected an integer >= 0 (0: "
               "all images), got -5"});
  ExpectError("test_limit: -1\nsteps:\n  - {method: nm}\n",
              {"r.yaml:1: field 'test_limit': expected an integer >= 0"});
  ExpectError("calib_images: 0\nsteps:\n  - {method: nm}\n",
              {"r.yaml:1: field 'calib_images': expected an integer >= 1, got "
               "0"});
  ExpectError("seed: -1\nsteps:\n  - {method: nm}\n",
              {"r.yaml:1: field 'seed': expected an integer in [0, "
               "4294967295], got '-1'"});
  ExpectError(
      "steps:\n  - method: prune\n    sparsity: 0.9\n"
      "    iterations: 0\n",
      {"r.yaml:4: field 'steps[0].iterations': expected an integer >= "
       "1 for prune, got 0"});
  ExpectError("steps:\n  - {method: nm}\n  - method: nm\n    n: 4\n    m: 4\n",
              {"r.yaml:4: field 'steps[1].n': expected 0 < n < m, got n = 4, "
               "m = 4"});
  ExpectError("steps:\n  - method: tucker2\n    energy: 1.5\n",
              {"r.yaml:3: field 'steps[0].energy': expected a number in (0, "
               "1], got 1.5"});
  ExpectError("steps:\n  - method: quantize\n    weights: int3\n",
              {"r.yaml:3: field 'steps[0].weights': expected one of int8, "
               "int4, ternary, binary, got 'int3'"});
  ExpectError(
      "steps:\n  - method: grouped_tucker2\n    groups: 2\n"
      "    ranks: [4, 5]\n",
      {"r.yaml:4: field 'steps[0].ranks': expected [rank_in, "
       "rank_out], both positive multiples of groups (2), got [4, 5]"});
  ExpectError("steps:\n  - {method: nm, epochs: -2}\n",
              {"r.yaml:2: field 'steps[0].epochs': expected an integer >= 0 "
               "for nm, got -2"});
}

TEST(RecipeTest, MissingFieldsAreNamed) {
  ExpectError("steps:\n  - {layers: [fc1]}\n",
              {"r.yaml:2: field 'steps[0].method': expected one of svd, "
               "tucker2,",
               "got nothing (the field is missing)"});
  ExpectError("steps:\n  - method: svd\n    layers: [fc1]\n",
              {"r.yaml:2: field 'steps[0].rank': expected a rank >= 1 (or "
               "energy in (0, 1]), got 0"});
  ExpectError("steps:\n  - method: cp\n    layers: [conv2]\n",
              {"r.yaml:2: field 'steps[0].rank': expected an integer >= 1 for "
               "cp, got 0"});
  ExpectError("name: x\n",
              {"r.yaml:1: field 'steps': expected a non-empty list of steps, "
               "got nothing (the field is missing)"});
  ExpectError("", {"r.yaml:1: field '(top level)': expected a mapping"});
}

TEST(RecipeTest, NonFiniteNumbersAreRejected) {
  ExpectError("steps:\n  - method: svd\n    rank: 2\n    lr: .inf\n",
              {"r.yaml:4: field 'steps[0].lr': expected a number, got '.inf'"});
  ExpectError("steps:\n  - method: prune\n    sparsity: .nan\n",
              {"r.yaml:3: field 'steps[0].sparsity': expected a number, got "
               "'.nan'"});
  ExpectError("steps:\n  - method: svd\n    energy: inf\n",
              {"r.yaml:3: field 'steps[0].energy': expected a number, got "
               "'inf'"});
  // Finite in double, infinite as the float the trainer uses.
  ExpectError(
      "steps:\n  - method: svd\n    rank: 2\n    lr: 1e300\n",
      {"r.yaml:4: field 'steps[0].lr': expected a number > 0, got inf"});
  ExpectError("steps:\n  - method: svd\n    rank: 2\n    lr: 0\n",
              {"r.yaml:4: field 'steps[0].lr': expected a number > 0, got 0"});
}

TEST(RecipeTest, DuplicateFieldsAndBadSyntax) {
  ExpectError("steps:\n  - method: svd\n    rank: 2\n    rank: 3\n",
              {"r.yaml:4: field 'steps[0].rank': duplicate field"});
  ExpectError("steps: [\n  {method: svd\n", {"r.yaml:", "malformed YAML"});
  ExpectError("steps:\n  - {method: svdd, rank: 2}\n",
              {"r.yaml:2: field 'steps[0].method': expected one of svd, "
               "tucker2, grouped_tucker2, cp, prune, prune_filters, nm, "
               "quantize, binary_activations, got 'svdd'"});
}

TEST(RecipeTest, BuiltInCodeRecipesGetTheSameRules) {
  Recipe r;
  r.steps.emplace_back();
  r.steps[0].method = "prune";
  r.steps[0].sparsity = 0.5;
  EXPECT_NO_THROW(ValidateRecipe(r));
  r.steps[0].iterations = 0;
  try {
    ValidateRecipe(r);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "recipe:0: field 'steps[0].iterations': expected an integer "
                  ">= 1 for prune, got 0"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace sparq
