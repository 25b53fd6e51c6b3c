// The bad-input corpus (tests/data/bad_inputs/cases.txt): every case runs the
// built `sparq` (SPARQ_BIN) and must exit with its code, say its message
// fragment on stderr, never report an internal error, and leave nothing
// behind, neither in its scratch folder nor next to the corpus.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/common/build_paths.h"

namespace {

namespace fs = std::filesystem;

const std::string kCorpus =
    std::string(SPARQ_SOURCE_DIR) + "/tests/data/bad_inputs";

struct BadInput {
  std::string name;
  int code = 0;
  std::string fragment;
  std::string args;
};

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const BadInput& c, std::ostream* os) {
  *os << c.name << ": sparq " << c.args;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(' ');
  const size_t e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<BadInput> ReadCases() {
  std::vector<BadInput> cases;
  std::ifstream in(kCorpus + "/cases.txt");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts;
    std::istringstream ls(line);
    for (std::string p; std::getline(ls, p, '|');) parts.push_back(Trim(p));
    if (parts.size() != 4) {
      ADD_FAILURE() << "cases.txt: expected NAME | CODE | FRAGMENT | ARGS, got "
                    << line;
      continue;
    }
    cases.push_back({parts[0], std::stoi(parts[1]), parts[2], parts[3]});
  }
  return cases;
}

std::string Replace(std::string s, const std::string& from,
                    const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos;
       p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    names.push_back(e.path().lexically_relative(dir).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, ExitsWithItsCodeAndMessageAndLeavesNothing) {
  const BadInput& c = GetParam();
  const fs::path tmp = fs::temp_directory_path() /
                       ("sparq_bad_" + std::to_string(::getpid()) + "_" + c.name);
  const fs::path logs = tmp.string() + ".logs";
  fs::remove_all(tmp);
  fs::remove_all(logs);
  fs::create_directories(tmp);
  fs::create_directories(logs);
  const std::vector<std::string> corpus_before = Listing(kCorpus);

  const std::string args =
      Replace(Replace(c.args, "{d}", kCorpus), "{tmp}", tmp.string());
  // `timeout`: a case that blocks (a FIFO, an endless loop) fails instead of
  // hanging the suite; 124 is its exit code.
  const std::string cmd = "cd '" + tmp.string() + "' && timeout 120 '" +
                          SPARQ_BIN + "' " + args + " >'" +
                          (logs / "out").string() + "' 2>'" +
                          (logs / "err").string() + "'";
  const int status = std::system(cmd.c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const std::string err = ReadFile(logs / "err");

  EXPECT_EQ(code, c.code) << c.name << ": sparq " << args << "\n" << err;
  EXPECT_NE(err.find(c.fragment), std::string::npos)
      << c.name << ": expected '" << c.fragment << "' in:\n" << err;
  EXPECT_EQ(err.find("internal error"), std::string::npos) << err;
  EXPECT_EQ(Listing(tmp), std::vector<std::string>{}) << c.name;
  EXPECT_EQ(Listing(kCorpus), corpus_before) << c.name;
  fs::remove_all(tmp);
  fs::remove_all(logs);
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, BadInputTest, ::testing::ValuesIn(ReadCases()),
    [](const ::testing::TestParamInfo<BadInput>& info) {
      return info.param.name;
    });

TEST(BadInputCorpusTest, HoldsAtLeastAHundredCases) {
  EXPECT_GE(ReadCases().size(), 100u);
}

}  // namespace
