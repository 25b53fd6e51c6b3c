// Pruning: masks on weights (unstructured magnitude, N:M) and structured
// filter pruning that physically removes output channels and the matching
// inputs of the consumer layer.

#ifndef SPARQ_GOLDEN_COMPRESS_PRUNE_H_
#define SPARQ_GOLDEN_COMPRESS_PRUNE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "golden/compress/nn.h"

namespace sparq {

// Masks the round(sparsity * size) smallest-magnitude weights of the layer
// (ties broken by position, so the count is exact). Weights masked earlier
// count as the smallest, so iterating with growing sparsity is monotone.
void MagnitudePrune(WeightLayer* layer, double sparsity);

// Along each output channel's reduction dimension (OHWI / [out][in] order),
// every group of m consecutive weights keeps its n largest magnitudes; a
// trailing partial group keeps at most n.
void NmPrune(WeightLayer* layer, int n, int m);

// True when every group of every row has at most n non-zeros.
bool IsNmSparse(const Mat& w, int n, int m);

// Keeps the `keep` filters of conv layer `name` with the largest L1 norms
// (in their original order), removes the others, and removes the matching
// input channels of the next conv or fc layer (through relu, pooling and
// flatten). Throws InputError when the layer is not a conv, keep is out of
// range, or the consumer is a grouped conv. Returns the kept filter indices.
std::vector<int> PruneFilters(Model* model, const std::string& name, int keep,
                              const Dims& input);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_COMPRESS_PRUNE_H_
