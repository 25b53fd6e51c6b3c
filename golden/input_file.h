// Reading a file a user names (run config, recipe, .npy): only a regular
// file is read, never a folder, a FIFO or a device, and never more than a
// cap. The open does not block (O_NONBLOCK), so a FIFO without a writer is
// refused instead of hanging the tool.

#ifndef SPARQ_GOLDEN_INPUT_FILE_H_
#define SPARQ_GOLDEN_INPUT_FILE_H_

#include <cstdint>
#include <string>

namespace sparq {

// The whole of `path`. InputError "PATH: cannot open the WHAT (...)",
// "PATH: expected the WHAT to be a regular file, got a folder" or
// "PATH: expected a WHAT of at most MAX bytes, got N".
std::string ReadInputFile(const std::string& path, const std::string& what,
                          uint64_t max_bytes);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_INPUT_FILE_H_
