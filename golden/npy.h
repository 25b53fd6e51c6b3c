// NumPy .npy files (format 1.0/2.0, little-endian, C order) for the dtypes
// sparq exchanges: int8, uint8, int16, int32, int64, float32. Errors name the
// file and what was expected.

#ifndef SPARQ_GOLDEN_NPY_H_
#define SPARQ_GOLDEN_NPY_H_

#include <string>

#include "golden/errors.h"
#include "golden/tensor.h"

namespace sparq {

// Loads a .npy whose dtype must match T (int8 also accepts nothing else).
// Throws InputError("FILE: ...") for missing, truncated or mismatched files.
template <typename T>
Tensor<T> LoadNpy(const std::string& path);

// Same, from a .npy file's bytes; `path` names it in messages.
template <typename T>
Tensor<T> ParseNpy(const std::string& bytes, const std::string& path);

// Writes atomically (temporary file + rename): no half-written file remains.
template <typename T>
void SaveNpy(const std::string& path, const Tensor<T>& t);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_NPY_H_
