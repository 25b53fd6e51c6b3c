// Error types shared by every layer of sparq.

#ifndef SPARQ_GOLDEN_ERRORS_H_
#define SPARQ_GOLDEN_ERRORS_H_

#include <stdexcept>

namespace sparq {

// A user-caused input problem (bad file, wrong shape, bad field). The message
// names the file, the field and what was expected; the CLI prints what() and
// exits 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sparq

#endif  // SPARQ_GOLDEN_ERRORS_H_
