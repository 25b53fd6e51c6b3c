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

// The dtype descriptor of a .npy file's bytes as written in its header
// ('|i1', '|u1', '<i2', ...), for readers that accept more than one dtype.
// Throws InputError("FILE: ...") for a bad preamble or header.
std::string NpyDescr(const std::string& bytes, const std::string& path);

// An int8 tensor from an int8 .npy or from an int16 ('<i2') one whose every
// value lies in [-128, 127] (int16 is what many tools write for small
// integers); any other dtype, or an int16 value outside int8, is an
// InputError naming the file (and the first element outside the range).
Tensor<int8_t> ParseNpyInt8(const std::string& bytes, const std::string& path);
Tensor<int8_t> LoadNpyInt8(const std::string& path);

// Writes atomically (temporary file + rename): no half-written file remains.
template <typename T>
void SaveNpy(const std::string& path, const Tensor<T>& t);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_NPY_H_
