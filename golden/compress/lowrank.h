// Low-rank decompositions of trained layers. Each returns the layers that
// replace the original one (put them in with Model::Replace); their names are
// the original's with suffixes _a, _b, ... All decomposed layers are ordinary
// Conv2d / Linear layers, so they fine-tune, prune and quantize like any
// other, and run on the accelerator as a sequence of GEMMs.

#ifndef SPARQ_GOLDEN_COMPRESS_LOWRANK_H_
#define SPARQ_GOLDEN_COMPRESS_LOWRANK_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "golden/compress/nn.h"

namespace sparq {

using ModuleList = std::vector<std::unique_ptr<Module>>;

// Smallest r whose leading singular values hold `energy` (in (0, 1]) of the
// sum of squares.
int RankForEnergy(const Eigen::VectorXf& singular_values, double energy);

// Singular values of the conv weight unfolded along output channels (mode O)
// and along input channels (mode I): what Tucker-2 truncates.
Eigen::VectorXf ModeSingularValues(const Conv2d& conv, bool input_mode);

// W = U S V^T truncated to `rank`: fc(in -> rank) then fc(rank -> out),
// each factor carrying sqrt(S).
ModuleList SvdDecompose(const Linear& fc, int rank);

// Tucker-2 with HOSVD initialisation: 1x1 conv (in -> rank_in), the core
// conv k x k (rank_in -> rank_out, original stride and padding), 1x1 conv
// (rank_out -> out) with the original bias. groups == 1 only.
ModuleList Tucker2Decompose(const Conv2d& conv, int rank_in, int rank_out);

// Tucker-2 whose core is a group convolution with `groups` groups; the core
// starts as the block diagonal of the full Tucker-2 core.
ModuleList GroupedTucker2Decompose(const Conv2d& conv, int rank_in,
                                   int rank_out, int groups);

struct CpOptions {
  int iterations = 200;
  uint32_t seed = 1;
  double tolerance = 1e-7;  // stop when the relative error changes less
};

// CP decomposition of the O x kh x kw x I weight by alternating least
// squares: 1x1 conv (in -> rank), depthwise kh x 1, depthwise 1 x kw,
// 1x1 conv (rank -> out) with the original bias. *rel_error (optional) gets
// ||W - W_cp|| / ||W||.
ModuleList CpDecompose(const Conv2d& conv, int rank, const CpOptions& opt,
                       double* rel_error = nullptr);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_COMPRESS_LOWRANK_H_
