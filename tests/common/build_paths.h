// Folders and programs of this build, for tests and benches: the source
// folder (tests/data, configs, models), the build folder and the built
// `sparq` binary.
//
// They are defined in one generated file of the build (build_paths.cc, from
// the top CMakeLists.txt), not passed as -D flags to every test: a flag that
// holds an absolute path differs in every clone, so ccache could not reuse
// any test object of a clone in a new folder (CI's).

#ifndef SPARQ_TESTS_COMMON_BUILD_PATHS_H_
#define SPARQ_TESTS_COMMON_BUILD_PATHS_H_

namespace sparq {
namespace build_paths {

const char* SourceDir();  // the repository
const char* BinaryDir();  // the CMake build folder
const char* SparqBin();   // the built `sparq` command-line tool

}  // namespace build_paths
}  // namespace sparq

#define SPARQ_SOURCE_DIR (::sparq::build_paths::SourceDir())
#define SPARQ_BINARY_DIR (::sparq::build_paths::BinaryDir())
#define SPARQ_BIN (::sparq::build_paths::SparqBin())

#endif  // SPARQ_TESTS_COMMON_BUILD_PATHS_H_
