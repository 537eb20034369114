#pragma once
/// Dense-layer kernels for tiny networks, as plain loops over contiguous memory that the compiler vectorises
/// (SSE/AVX natively, SIMD128 under -msimd128). Matrices are column-major; a batch has one column per state.
#include <Eigen/Core>
#include <algorithm>
#include <cstdint>

namespace nde::kernels {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__AVX2__)
/// The AVX2 + FMA kernels (lanes.hpp's eight float lanes, lanes64.hpp's four double lanes) are compiled under
/// `#pragma GCC target("avx2,fma")` in a default build and chosen at run time.
#define NDE_AVX2_PRAGMA 1
#endif

/// Whether this build has AVX2 + FMA kernels and the CPU runs them (checked once).
inline bool cpu_avx2_fma() {
#if defined(NDE_AVX2_PRAGMA)
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
#elif defined(__AVX2__) && defined(__FMA__)
  return true;
#else
  return false;
#endif
}

using Eigen::Index;

/// P = W X + b with a compile-time output width (the thin last layer): per column, OUT dot products over
/// the inputs kept in registers.
template <int OUT, class T>
inline void affine_narrow(const T* W, const T* bias, Index in, const T* X, Index B, T* P) {
  for (Index c = 0; c < B; ++c) {
    const T* x = X + c * in;
    T acc[OUT];
    for (int o = 0; o < OUT; ++o) acc[o] = bias[o];
    for (Index k = 0; k < in; ++k)
      for (int o = 0; o < OUT; ++o) acc[o] += W[k * OUT + o] * x[k];
    for (int o = 0; o < OUT; ++o) P[c * OUT + o] = acc[o];
  }
}

/// P = W X + b: W is out × in, X is in × B, P is out × B (column by column, one axpy per input).
template <class T>
inline void affine(const T* W, const T* bias, Index out, Index in, const T* X, Index B, T* P) {
  switch (out) {
    case 1: return affine_narrow<1>(W, bias, in, X, B, P);
    case 2: return affine_narrow<2>(W, bias, in, X, B, P);
    case 3: return affine_narrow<3>(W, bias, in, X, B, P);
    case 4: return affine_narrow<4>(W, bias, in, X, B, P);
    default: break;
  }
  for (Index c = 0; c < B; ++c) {
    T* p = P + c * out;
    const T* x = X + c * in;
    for (Index o = 0; o < out; ++o) p[o] = bias[o];
    for (Index k = 0; k < in; ++k) {
      const T xk = x[k];
      const T* w = W + k * out;
      for (Index o = 0; o < out; ++o) p[o] += w[o] * xk;
    }
  }
}

/// Σ_o a[o]·b[o] with four partial sums (vectorisable without reassociating a single sum).
template <class T>
inline T dot4(const T* a, const T* b, Index n) {
  T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  Index o = 0;
  for (; o + 4 <= n; o += 4) {
    s0 += a[o] * b[o];
    s1 += a[o + 1] * b[o + 1];
    s2 += a[o + 2] * b[o + 2];
    s3 += a[o + 3] * b[o + 3];
  }
  for (; o < n; ++o) s0 += a[o] * b[o];
  return (s0 + s1) + (s2 + s3);
}

/// R = Wᵀ G: W is out × in, G is out × B, R is in × B (dot products of contiguous columns; for a narrow
/// layer, axpys of W's rows).
template <int OUT, class T>
inline void affine_transpose_narrow(const T* W, Index in, const T* G, Index B, T* R) {
  for (Index c = 0; c < B; ++c) {
    const T* g = G + c * OUT;
    T* r = R + c * in;
    for (Index k = 0; k < in; ++k) {
      T s = 0;
      for (int o = 0; o < OUT; ++o) s += W[k * OUT + o] * g[o];
      r[k] = s;
    }
  }
}

template <class T>
inline void affine_transpose(const T* W, Index out, Index in, const T* G, Index B, T* R) {
  switch (out) {
    case 1: return affine_transpose_narrow<1>(W, in, G, B, R);
    case 2: return affine_transpose_narrow<2>(W, in, G, B, R);
    case 3: return affine_transpose_narrow<3>(W, in, G, B, R);
    case 4: return affine_transpose_narrow<4>(W, in, G, B, R);
    default: break;
  }
  for (Index c = 0; c < B; ++c) {
    const T* g = G + c * out;
    T* r = R + c * in;
    for (Index k = 0; k < in; ++k) r[k] = dot4(W + k * out, g, out);
  }
}

/// dW += G Xᵀ and db += G·1: G is out × B, X is in × B, dW is out × in.
template <int OUT, class T>
inline void accumulate_outer_narrow(const T* G, const T* X, Index in, Index B, T* dW, T* db) {
  for (Index c = 0; c < B; ++c) {
    const T* g = G + c * OUT;
    const T* x = X + c * in;
    for (int o = 0; o < OUT; ++o) db[o] += g[o];
    for (Index k = 0; k < in; ++k)
      for (int o = 0; o < OUT; ++o) dW[k * OUT + o] += g[o] * x[k];
  }
}

template <class T>
inline void accumulate_outer(const T* G, Index out, const T* X, Index in, Index B, T* dW, T* db) {
  switch (out) {
    case 1: return accumulate_outer_narrow<1>(G, X, in, B, dW, db);
    case 2: return accumulate_outer_narrow<2>(G, X, in, B, dW, db);
    case 3: return accumulate_outer_narrow<3>(G, X, in, B, dW, db);
    case 4: return accumulate_outer_narrow<4>(G, X, in, B, dW, db);
    default: break;
  }
  for (Index c = 0; c < B; ++c) {
    const T* g = G + c * out;
    const T* x = X + c * in;
    for (Index o = 0; o < out; ++o) db[o] += g[o];
    for (Index k = 0; k < in; ++k) {
      const T xk = x[k];
      T* w = dW + k * out;
      for (Index o = 0; o < out; ++o) w[o] += g[o] * xk;
    }
  }
}

/// Products of the wide (hidden × hidden) layers: a register-tiled kernel in plain C++ that the compiler
/// vectorises (SSE natively, SIMD128 under -msimd128), used instead of Eigen's GEMM, whose wasm build is scalar
/// (Eigen 3.4 has no wasm SIMD packets) and whose packing dominates at these sizes. `set_tiled(false)` selects
/// Eigen's products again (the bench prints the ratio in one run).
inline bool& tiled_flag() {
  static bool on = true;
  return on;
}
inline void set_tiled(bool on) { tiled_flag() = on; }
inline bool tiled() { return tiled_flag(); }

/// How a tile's accumulators start: from a per-row bias, a per-column bias, from zero, or from C (accumulate).
enum class Init { Bias, BiasColumn, Zero, Accumulate };

/// 128-bit vectors through the GCC/clang vector extension: SSE2 natively, SIMD128 under -msimd128 (clang does
/// not vectorise the tile's scalar form for wasm by itself: it keeps 16 scalar accumulators).
template <class T> struct Simd;
template <> struct Simd<double> { typedef double type __attribute__((vector_size(16))); };
template <> struct Simd<float> { typedef float type __attribute__((vector_size(16))); };

template <class T>
inline typename Simd<T>::type load(const T* p) {
  typename Simd<T>::type v;
  __builtin_memcpy(&v, p, sizeof v);  // unaligned load
  return v;
}
template <class T>
inline void store(T* p, typename Simd<T>::type v) {
  __builtin_memcpy(p, &v, sizeof v);
}
inline Simd<double>::type splat(double x) { return Simd<double>::type{x, x}; }
inline Simd<float>::type splat(float x) { return Simd<float>::type{x, x, x, x}; }

/// C(i, j) = init + Σ_k A(i, k) B(k, j) for an MR × NR tile, A(i, k) = A[i + k·lda] (rows contiguous),
/// B(k, j) = Bp[k·bk + j·bj], C(i, j) = C[i + j·ldc]. The NR·MR/lanes accumulator vectors stay in registers:
/// each A vector loaded is used NR times, each B scalar (broadcast) MR times. `bias` is the tile's first row's
/// (Init::Bias) or first column's (Init::BiasColumn).
template <int MR, int NR, Init I, class T>
inline void tile(const T* A, Index lda, const T* Bp, Index bk, Index bj, Index K, T* C, Index ldc, const T* bias) {
  using V = typename Simd<T>::type;
  constexpr int L = static_cast<int>(sizeof(V) / sizeof(T)), MV = MR / L;
  static_assert(MR % L == 0, "a tile's rows fill whole vectors");
  V acc[NR][MV];
  for (int j = 0; j < NR; ++j)
    for (int i = 0; i < MV; ++i) acc[j][i] = I == Init::Bias         ? load(bias + i * L)
                   : I == Init::BiasColumn ? splat(bias[j])
                   : I == Init::Zero       ? V{}
                                           : load(C + i * L + j * ldc);
  for (Index k = 0; k < K; ++k) {
    const T* a = A + k * lda;
    V av[MV];
    for (int i = 0; i < MV; ++i) av[i] = load(a + i * L);
    const T* b = Bp + k * bk;
    for (int j = 0; j < NR; ++j) {
      const V bv = splat(b[j * bj]);
      for (int i = 0; i < MV; ++i) acc[j][i] += av[i] * bv;
    }
  }
  for (int j = 0; j < NR; ++j)
    for (int i = 0; i < MV; ++i) store(C + i * L + j * ldc, acc[j][i]);
}

/// C (M × N) = init + A (M × K) B (K × N) with the layouts of `tile`: MR × NR tiles, then the remaining columns
/// one at a time and the remaining rows (M mod MR) as plain loops.
template <int MR, int NR, Init I, class T>
inline void gemm(Index M, Index N, Index K, const T* A, Index lda, const T* Bp, Index bk, Index bj, T* C, Index ldc,
                 const T* bias) {
  const Index Mt = M - M % MR;
  auto tile_bias = [bias](Index i0, Index j0) {
    return I == Init::Bias ? bias + i0 : I == Init::BiasColumn ? bias + j0 : nullptr;
  };
  for (Index i0 = 0; i0 < Mt; i0 += MR) {
    Index j0 = 0;
    for (; j0 + NR <= N; j0 += NR)
      tile<MR, NR, I, T>(A + i0, lda, Bp + j0 * bj, bk, bj, K, C + i0 + j0 * ldc, ldc, tile_bias(i0, j0));
    for (; j0 < N; ++j0)
      tile<MR, 1, I, T>(A + i0, lda, Bp + j0 * bj, bk, bj, K, C + i0 + j0 * ldc, ldc, tile_bias(i0, j0));
  }
  for (Index j = 0; j < N; ++j)
    for (Index i = Mt; i < M; ++i) {
      T s = I == Init::Bias ? bias[i] : I == Init::BiasColumn ? bias[j] : I == Init::Zero ? T(0) : C[i + j * ldc];
      for (Index k = 0; k < K; ++k) s += A[i + k * lda] * Bp[k * bk + j * bj];
      C[i + j * ldc] = s;
    }
}

/// Tile shape per scalar: 8 doubles (four 128-bit vectors) × 2 columns, 16 floats × 2 columns; 8 accumulator
/// vectors, within the 16 vector registers of SSE and of V8's SIMD128 on x64.
template <class T> struct TileShape { static constexpr int MR = 8, NR = 2; };
template <> struct TileShape<float> { static constexpr int MR = 16, NR = 2; };

/// P = W X + b: W is out × in, X is in × B, P is out × B.
template <class T>
inline void affine_tiled(const T* W, const T* bias, Index out, Index in, const T* X, Index B, T* P) {
  gemm<TileShape<T>::MR, TileShape<T>::NR, Init::Bias, T>(out, B, in, W, out, X, 1, in, P, out, bias);
}

/// P = W X (no bias): W is out × in, X is in × B, P is out × B.
template <class T>
inline void product_tiled(const T* W, Index out, Index in, const T* X, Index B, T* P) {
  gemm<TileShape<T>::MR, TileShape<T>::NR, Init::Zero, T>(out, B, in, W, out, X, 1, in, P, out, nullptr);
}

/// R = Wᵀ G: W is out × in, G is out × B, R is in × B; Wt is a scratch of in·out entries (W transposed into it).
template <class T>
inline void affine_transpose_tiled(const T* W, Index out, Index in, const T* G, Index B, T* R, T* Wt) {
  for (Index k = 0; k < in; ++k)
    for (Index o = 0; o < out; ++o) Wt[k + o * in] = W[o + k * out];
  gemm<TileShape<T>::MR, TileShape<T>::NR, Init::Zero, T>(in, B, out, Wt, in, G, 1, out, R, in, nullptr);
}

/// dW += G Xᵀ: G is out × B, X is in × B, dW is out × in (db is left to the caller).
template <class T>
inline void accumulate_outer_tiled(const T* G, Index out, const T* X, Index in, Index B, T* dW) {
  gemm<TileShape<T>::MR, TileShape<T>::NR, Init::Accumulate, T>(out, in, B, G, out, X, in, 1, dW, out, nullptr);
}

/// tanh in double precision, branch-free so that it vectorises. With y = 2x = n·ln 2 + r (|r| ≤ ln 2 / 2) and
/// Cephes' Padé form e^r = (Q + rP)/(Q − rP) (P, Q polynomials in r²), tanh x = (e^y − 1)/(e^y + 1) becomes
/// ((s − 1)Q + (s + 1)rP)/((s + 1)Q + (s − 1)rP) with s = 2^n assembled from its bits: one division, and
/// relative accuracy near 0 (where s = 1 and the quotient is rP/Q). Error: a few ulps.
inline void tanh_inplace(double* v, Index n) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5·2^52: adding it rounds to an integer in the low bits
  constexpr double kLog2e = 1.4426950408889634, kLn2Hi = 0.693145751953125, kLn2Lo = 1.42860682030941723212e-6;
  const std::int64_t magic_bits = __builtin_bit_cast(std::int64_t, kMagic);
  for (Index i = 0; i < n; ++i) {
    double y = 2.0 * v[i];
    y = std::min(y, 40.0);  // tanh(±20) is ±1 in double precision
    y = std::max(y, -40.0);
    const double t = y * kLog2e + kMagic;
    const double k = t - kMagic;
    const double r = (y - k * kLn2Hi) - k * kLn2Lo;
    const double r2 = r * r;
    const double P = r * ((1.26177193074810590878e-4 * r2 + 3.02994407707441961300e-2) * r2 + 9.99999999999999999910e-1);
    const double Q = ((3.00198505138664455042e-6 * r2 + 2.52448340349684104192e-3) * r2 + 2.27265548208155028766e-1) * r2 +
                     2.00000000000000000009e0;
    const std::uint64_t bits = static_cast<std::uint64_t>(__builtin_bit_cast(std::int64_t, t) - magic_bits + 1023) << 52;  // unsigned: no UB
    const double s = __builtin_bit_cast(double, bits);  // 2^n: s ± 1 are exact for the n reached here
    v[i] = ((s - 1.0) * Q + (s + 1.0) * P) / ((s + 1.0) * Q + (s - 1.0) * P);
  }
}

/// tanh in single precision: Eigen's rational approximation (a few ulps), branch-free so that it vectorises.
inline void tanh_inplace(float* v, Index n) {
  for (Index i = 0; i < n; ++i) {
    float x = v[i];
    x = x > 7.90531110763549805f ? 7.90531110763549805f : x;
    x = x < -7.90531110763549805f ? -7.90531110763549805f : x;
    const float x2 = x * x;
    float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
    p = x2 * p + -8.60467152213735e-11f;
    p = x2 * p + 5.12229709037114e-08f;
    p = x2 * p + 1.48572235717979e-05f;
    p = x2 * p + 6.37261928875436e-04f;
    p = x2 * p + 4.89352455891786e-03f;
    p = x * p;
    float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
    q = x2 * q + 2.26843463243900e-03f;
    q = x2 * q + 4.89352518554385e-03f;
    v[i] = p / q;
  }
}

}  // namespace nde::kernels
