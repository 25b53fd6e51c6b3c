// Bit-exact reference of the sparse product (golden's view of unstructured
// sparsity, independent of the hardware's lane streams): a weight matrix in
// compressed sparse column form (the storage EIE builds on; relative indices
// are the hardware format's business, sw/sparse_format.h), and the int32
// product that visits only its non-zeros and skips zero activations. Its
// result equals the dense GemmInt8Int32 (the tests show it), wrap-around
// included.

#ifndef SPARQ_GOLDEN_SPARSE_H_
#define SPARQ_GOLDEN_SPARSE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sparq {

// K x N int8 matrix, column k = the weights that multiply activation k.
struct CscMatrix {
  int rows = 0;  // N (outputs)
  int cols = 0;  // K (activations)
  std::vector<int64_t> col_start;  // cols + 1 offsets into values
  std::vector<int8_t> values;
  std::vector<int32_t> row;        // output index of each value
};

// From w (K x N, element (k, n) at w[k * ldw + n]); zeros are dropped.
CscMatrix CscFromDense(const int8_t* w, int64_t ldw, int k, int n);

// acc[m][n] (+)= sum_k a[m][k] * W[k][n] over the non-zeros of W, zero
// activations skipped; int32 wrapping. a row m at a + m * lda, acc row m at
// acc + m * ldc.
void SparseGemmInt8Int32(int m, const int8_t* a, int64_t lda,
                         const CscMatrix& w, int32_t* acc, int64_t ldc,
                         bool accumulate);

// Fraction of non-zero weights.
double Density(const CscMatrix& w);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_SPARSE_H_
