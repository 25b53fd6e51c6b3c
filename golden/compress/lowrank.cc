#include "golden/compress/lowrank.h"

#include <Eigen/SVD>
#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <random>

namespace sparq {
namespace {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;

MatD ToDouble(const Mat& m) { return m.cast<double>(); }

std::unique_ptr<Conv2d> MakeConv(const std::string& name, const ConvSpec& s,
                                 const MatD& w) {
  auto c = std::make_unique<Conv2d>(name, s);
  assert(c->weight().value.rows() == w.rows() &&
         c->weight().value.cols() == w.cols());
  c->weight().value = w.cast<float>();
  return c;
}

ConvSpec Pointwise(int in, int out) {
  ConvSpec s;
  s.in_c = in;
  s.out_c = out;
  return s;
}

// Left singular vectors (columns) of m, truncated to r.
MatD LeadingVectors(const MatD& m, int r) {
  Eigen::BDCSVD<MatD> svd(m, Eigen::ComputeThinU);
  assert(r <= svd.matrixU().cols());
  return svd.matrixU().leftCols(r);
}

// Mode-I unfolding of an OHWI weight stored as O x (S*I): I x (O*S).
MatD UnfoldInput(const MatD& w, int in_c) {
  const int o = static_cast<int>(w.rows());
  const int s = static_cast<int>(w.cols()) / in_c;
  MatD u(in_c, o * s);
  for (int oo = 0; oo < o; ++oo) {
    for (int ss = 0; ss < s; ++ss) {
      for (int i = 0; i < in_c; ++i) u(i, oo * s + ss) = w(oo, ss * in_c + i);
    }
  }
  return u;
}

struct TuckerFactors {
  MatD u_out;  // O x Ro
  MatD u_in;   // I x Ri
  MatD core;   // Ro x (S*Ri), OHWI
};

TuckerFactors Tucker2(const Conv2d& conv, int rank_in, int rank_out) {
  const ConvSpec& s = conv.spec();
  assert(s.groups == 1);
  assert(rank_in >= 1 && rank_in <= s.in_c && rank_out >= 1 &&
         rank_out <= s.out_c);
  const MatD w = ToDouble(conv.weight().value);
  const int taps = s.kh * s.kw;
  TuckerFactors f;
  f.u_out = LeadingVectors(w, rank_out);
  f.u_in = LeadingVectors(UnfoldInput(w, s.in_c), rank_in);
  const MatD t = f.u_out.transpose() * w;  // Ro x (S*I)
  f.core.resize(rank_out, taps * rank_in);
  for (int tap = 0; tap < taps; ++tap) {
    f.core.middleCols(tap * rank_in, rank_in) =
        t.middleCols(tap * s.in_c, s.in_c) * f.u_in;
  }
  return f;
}

ModuleList TuckerLayers(const Conv2d& conv, const TuckerFactors& f,
                        int groups) {
  const ConvSpec& s = conv.spec();
  const int ri = static_cast<int>(f.u_in.cols());
  const int ro = static_cast<int>(f.u_out.cols());
  const int taps = s.kh * s.kw;
  ModuleList out;
  out.push_back(
      MakeConv(conv.name() + "_a", Pointwise(s.in_c, ri), f.u_in.transpose()));
  ConvSpec core = s;
  core.in_c = ri;
  core.out_c = ro;
  core.groups = groups;
  const int gi = ri / groups, go = ro / groups;
  MatD cw(ro, taps * gi);
  for (int o = 0; o < ro; ++o) {
    const int g = o / go;
    for (int tap = 0; tap < taps; ++tap) {
      for (int i = 0; i < gi; ++i) {
        cw(o, tap * gi + i) = f.core(o, tap * ri + g * gi + i);
      }
    }
  }
  out.push_back(MakeConv(conv.name() + "_b", core, cw));
  auto last = MakeConv(conv.name() + "_c", Pointwise(ro, s.out_c), f.u_out);
  last->bias().value = conv.bias().value;
  out.push_back(std::move(last));
  return out;
}

}  // namespace

int RankForEnergy(const Eigen::VectorXf& sv, double energy) {
  const double total = sv.cast<double>().squaredNorm();
  double acc = 0;
  for (int r = 0; r < sv.size(); ++r) {
    acc += double{sv(r)} * sv(r);
    if (acc >= energy * total * (1 - 1e-12)) return r + 1;
  }
  return static_cast<int>(sv.size());
}

Eigen::VectorXf ModeSingularValues(const Conv2d& conv, bool input_mode) {
  const MatD w = ToDouble(conv.weight().value);
  const MatD m =
      input_mode ? UnfoldInput(w, conv.spec().in_c / conv.spec().groups) : w;
  Eigen::BDCSVD<MatD> svd(m);
  return svd.singularValues().cast<float>();
}

ModuleList SvdDecompose(const Linear& fc, int rank) {
  const MatD w = ToDouble(fc.weight().value);
  assert(rank >= 1 && rank <= std::min(w.rows(), w.cols()));
  Eigen::BDCSVD<MatD> svd(w, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::VectorXd root = svd.singularValues().head(rank).cwiseSqrt();
  ModuleList out;
  auto a = std::make_unique<Linear>(fc.name() + "_a", fc.in_features(), rank);
  a->weight().value =
      (root.asDiagonal() * svd.matrixV().leftCols(rank).transpose())
          .cast<float>();
  auto b = std::make_unique<Linear>(fc.name() + "_b", rank, fc.out_features());
  b->weight().value =
      (svd.matrixU().leftCols(rank) * root.asDiagonal()).cast<float>();
  b->bias().value = fc.bias().value;
  out.push_back(std::move(a));
  out.push_back(std::move(b));
  return out;
}

ModuleList Tucker2Decompose(const Conv2d& conv, int rank_in, int rank_out) {
  return TuckerLayers(conv, Tucker2(conv, rank_in, rank_out), 1);
}

ModuleList GroupedTucker2Decompose(const Conv2d& conv, int rank_in,
                                   int rank_out, int groups) {
  assert(rank_in % groups == 0 && rank_out % groups == 0);
  return TuckerLayers(conv, Tucker2(conv, rank_in, rank_out), groups);
}

ModuleList CpDecompose(const Conv2d& conv, int rank, const CpOptions& opt,
                       double* rel_error) {
  const ConvSpec& s = conv.spec();
  assert(s.groups == 1 && rank >= 1);
  // Row-major, so that data()[e] walks the tensor in O, H, W, I order.
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>
      w = conv.weight().value.cast<double>();
  const int dims[4] = {s.out_c, s.kh, s.kw, s.in_c};
  const int64_t total = w.size();
  // Factor matrices, one row per index of their mode.
  std::vector<MatD> f(4);
  std::mt19937 rng(opt.seed);
  std::normal_distribution<double> nd(0.0, 1.0);
  for (int m = 0; m < 4; ++m) {
    f[static_cast<size_t>(m)].resize(dims[m], rank);
    for (int i = 0; i < f[static_cast<size_t>(m)].size(); ++i) {
      f[static_cast<size_t>(m)].data()[i] = nd(rng);
    }
  }
  // Element e of w (row-major O,H,W,I) has indices idx[e][0..3].
  std::vector<std::array<int, 4>> idx(static_cast<size_t>(total));
  {
    int64_t e = 0;
    for (int o = 0; o < dims[0]; ++o)
      for (int y = 0; y < dims[1]; ++y)
        for (int x = 0; x < dims[2]; ++x)
          for (int i = 0; i < dims[3]; ++i)
            idx[static_cast<size_t>(e++)] = {o, y, x, i};
  }
  const double norm2 = w.squaredNorm();
  double prev_err = INFINITY, err = INFINITY;
  Eigen::RowVectorXd prod(rank);
  for (int it = 0; it < opt.iterations; ++it) {
    for (int m = 0; m < 4; ++m) {
      // MTTKRP: mt[j] = sum over elements with index j in mode m of
      // w * (product of the other modes' factor rows).
      MatD mt = MatD::Zero(dims[m], rank);
      for (int64_t e = 0; e < total; ++e) {
        const auto& ix = idx[static_cast<size_t>(e)];
        if (w.data()[e] == 0) continue;
        prod.setOnes();
        for (int q = 0; q < 4; ++q) {
          if (q != m)
            prod.array() *= f[static_cast<size_t>(q)].row(ix[q]).array();
        }
        mt.row(ix[m]) += w.data()[e] * prod;
      }
      MatD v = MatD::Ones(rank, rank);
      for (int q = 0; q < 4; ++q) {
        if (q != m) {
          v.array() *= (f[static_cast<size_t>(q)].transpose() *
                        f[static_cast<size_t>(q)])
                           .array();
        }
      }
      // A small ridge keeps the normal equations solvable when factor
      // columns become collinear (a known CP degeneracy).
      v.diagonal().array() += 1e-10 * v.trace() / rank;
      f[static_cast<size_t>(m)] = v.ldlt().solve(mt.transpose()).transpose();
    }
    // ||W - W_cp||^2 = ||W||^2 - 2 <W, W_cp> + ||W_cp||^2.
    MatD v = MatD::Ones(rank, rank);
    for (int q = 0; q < 4; ++q) {
      v.array() *=
          (f[static_cast<size_t>(q)].transpose() * f[static_cast<size_t>(q)])
              .array();
    }
    double inner = 0;
    for (int64_t e = 0; e < total; ++e) {
      const auto& ix = idx[static_cast<size_t>(e)];
      prod = f[0].row(ix[0]);
      for (int q = 1; q < 4; ++q)
        prod.array() *= f[static_cast<size_t>(q)].row(ix[q]).array();
      inner += w.data()[e] * prod.sum();
    }
    err = std::sqrt(std::max(0.0, norm2 - 2 * inner + v.sum()) / norm2);
    if (std::fabs(prev_err - err) < opt.tolerance) break;
    prev_err = err;
  }
  if (rel_error != nullptr) *rel_error = err;
  // Balance the column norms across the four factors so that fine-tuning
  // sees comparable gradients in every stage.
  for (int r = 0; r < rank; ++r) {
    double scale = 1;
    for (int m = 0; m < 4; ++m) {
      const double n = f[static_cast<size_t>(m)].col(r).norm();
      if (n > 0) f[static_cast<size_t>(m)].col(r) /= n;
      scale *= n;
    }
    const double each = std::pow(scale, 0.25);
    for (int m = 0; m < 4; ++m) f[static_cast<size_t>(m)].col(r) *= each;
  }
  ModuleList out;
  out.push_back(
      MakeConv(conv.name() + "_a", Pointwise(s.in_c, rank), f[3].transpose()));
  ConvSpec dv;
  dv.in_c = dv.out_c = dv.groups = rank;
  dv.kh = s.kh;
  dv.stride_h = s.stride_h;
  dv.pad_h = s.pad_h;
  out.push_back(MakeConv(conv.name() + "_b", dv, f[1].transpose()));
  ConvSpec dh;
  dh.in_c = dh.out_c = dh.groups = rank;
  dh.kw = s.kw;
  dh.stride_w = s.stride_w;
  dh.pad_w = s.pad_w;
  out.push_back(MakeConv(conv.name() + "_c", dh, f[2].transpose()));
  auto last = MakeConv(conv.name() + "_d", Pointwise(rank, s.out_c), f[0]);
  last->bias().value = conv.bias().value;
  out.push_back(std::move(last));
  return out;
}

}  // namespace sparq
