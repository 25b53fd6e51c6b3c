// Float weights of a Model as .npy files: DIR/<layer>.weight.npy (conv OHWI,
// fc [out][in]) and DIR/<layer>.bias.npy ([out]).

#ifndef SPARQ_GOLDEN_COMPRESS_MODEL_IO_H_
#define SPARQ_GOLDEN_COMPRESS_MODEL_IO_H_

#include <string>

#include "golden/compress/nn.h"

namespace sparq {

void SaveModelWeights(const Model& model, const std::string& dir);

// Loads into a model of the same architecture; throws InputError naming the
// file when one is missing or its shape differs from the layer's.
void LoadModelWeights(Model* model, const std::string& dir);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_COMPRESS_MODEL_IO_H_
