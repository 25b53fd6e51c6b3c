#include "golden/sparse.h"

#include "golden/requant.h"

namespace sparq {

CscMatrix CscFromDense(const int8_t* w, int64_t ldw, int k, int n) {
  CscMatrix c;
  c.rows = n;
  c.cols = k;
  c.col_start.reserve(static_cast<size_t>(k) + 1);
  c.col_start.push_back(0);
  for (int kk = 0; kk < k; ++kk) {
    for (int nn = 0; nn < n; ++nn) {
      const int8_t v = w[kk * ldw + nn];
      if (v == 0) continue;
      c.values.push_back(v);
      c.row.push_back(nn);
    }
    c.col_start.push_back(static_cast<int64_t>(c.values.size()));
  }
  return c;
}

void SparseGemmInt8Int32(int m, const int8_t* a, int64_t lda,
                         const CscMatrix& w, int32_t* acc, int64_t ldc,
                         bool accumulate) {
  for (int mm = 0; mm < m; ++mm) {
    int32_t* out = acc + mm * ldc;
    if (!accumulate) {
      for (int n = 0; n < w.rows; ++n) out[n] = 0;
    }
    const int8_t* act = a + mm * lda;
    for (int k = 0; k < w.cols; ++k) {
      if (act[k] == 0) continue;
      for (int64_t e = w.col_start[k]; e < w.col_start[k + 1]; ++e) {
        out[w.row[e]] = WrapAdd(out[w.row[e]], int32_t{act[k]} * w.values[e]);
      }
    }
  }
}

double Density(const CscMatrix& w) {
  const double total = static_cast<double>(w.rows) * w.cols;
  return total > 0 ? static_cast<double>(w.values.size()) / total : 0.0;
}

}  // namespace sparq
