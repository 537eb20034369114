#pragma once
/// "Points in lanes" float64 kernels for training a thin tanh net with one or two hidden layers (IN → H → OUT or
/// IN → H1 → H2 → OUT, IN and OUT ≤ 4; the ode_demo replica's 2-50-2, the page's 2-32-32-2): the forward pass with its tape and the reverse pass (∂θ and the input's
/// cotangent) hold two points per 128-bit vector (SSE2 natively, SIMD128 in wasm) — four per 256-bit vector on an
/// x86-64 CPU with AVX2 and FMA, selected at run time (the default build targets plain SSE2) — so the thin input and
/// output layers are lane-wise multiply-adds with broadcast weights: no horizontal sums per point, no transposes of the
/// hidden layer. With two lanes the forward pass does the row path's arithmetic in its order (bit-identical output
/// and tape); the four-lane copy contracts multiply-adds into FMAs (equal to rounding, ~25 % faster); the reverse pass
/// sums the parameter gradients over points in one partial sum per lane (equal to rounding).
/// The kernels are in lanes64_body.inc, instantiated once per vector width in its own namespace (the AVX2 copy
/// compiled for that target only, so no SSE2 function is ever replaced by an AVX2 one at link time).
#include <cstdint>
#include <cstring>

#include "nde/kernels.hpp"

namespace nde::kernels {

/// Whether `Mlp::forward<double>` / `backward<double>` take the float64 points-in-lanes kernels for the nets they
/// fit (true, default) or the former row path (the bench prints both from one run).
inline bool& lanes_training_flag() {
  static bool on = true;
  return on;
}
/// Selects the float64 points-in-lanes training kernels (true) or the former row path.
inline void set_lanes_training(bool on) { lanes_training_flag() = on; }
/// The current selection.
inline bool lanes_training() { return lanes_training_flag(); }

/// Whether the four-lane AVX2 kernels may be used when the CPU has AVX2 (true, default; false: two lanes).
inline bool& lanes_training_avx2_flag() {
  static bool on = true;
  return on;
}
/// Allows (true) or forbids the AVX2 kernels (the tests and the bench compare both widths).
inline void set_lanes_training_avx2(bool on) { lanes_training_avx2_flag() = on; }

/// Points per vector of the training kernels in use: 4 with AVX2 and FMA (allowed and present), else 2.
inline int lanes_training_width() { return cpu_avx2_fma() && lanes_training_avx2_flag() ? 4 : 2; }

/// The constants of `tanhv`, in the order it reads them (those of `tanh_inplace(double*)`; the last is the integer
/// 1023 − bits(1.5·2^52) modulo 2^64, as the double with that bit pattern).
constexpr double kTanh2Constants[] = {
    2.0, 40.0, -40.0, 1.4426950408889634, 6755399441055744.0, 0.693145751953125, 1.42860682030941723212e-6,
    1.26177193074810590878e-4, 3.02994407707441961300e-2, 9.99999999999999999910e-1, 3.00198505138664455042e-6,
    2.52448340349684104192e-3, 2.27265548208155028766e-1, 2.00000000000000000009e0, 1.0,
    __builtin_bit_cast(double, std::uint64_t{1023} - __builtin_bit_cast(std::uint64_t, 6755399441055744.0))};
/// Number of `tanhv` constants.
constexpr int kTanh2Count = static_cast<int>(sizeof kTanh2Constants / sizeof(double));
/// Writes `lanes` copies of each of `tanhv`'s constants at K.
inline void put_tanh2_constants(double* K, int lanes) {
  for (double v : kTanh2Constants)
    for (int l = 0; l < lanes; ++l) *K++ = v;
}

/// Splats of a one-hidden-layer net (W1 H × IN, b1, W2 OUT × H, b2; column-major), per hidden unit j: 2·W1(j, ·),
/// 2·b1(j), W2(·, j); then b2 — `lanes` copies of each (W1 and b1 doubled: the kernels' tanh takes 2a, exactly).
inline void splat_fused64(const double* W1, const double* b1, Index H, Index in, const double* W2, const double* b2,
                          Index out, int lanes, double* S) {
  auto put = [&S, lanes](double x) {
    for (int l = 0; l < lanes; ++l) *S++ = x;
  };
  for (Index j = 0; j < H; ++j) {
    for (Index i = 0; i < in; ++i) put(2.0 * W1[j + i * H]);
    put(2.0 * b1[j]);
    for (Index o = 0; o < out; ++o) put(W2[o + j * out]);
  }
  for (Index o = 0; o < out; ++o) put(b2[o]);
}

/// Splats of a two-hidden-layer net's thin layers (W1 H1 × IN, b1, W3 OUT × H2, b3; column-major): per unit j of
/// layer 1, 2·W1(j, ·) and 2·b1(j) (doubled as in `splat_fused64`); per unit k of layer 2, W3(·, k); then b3 —
/// `lanes` copies of each (the H2 × H1 layer is read as stored).
inline void splat_deep64(const double* W1, const double* b1, Index H1, Index in, const double* W3, const double* b3,
                         Index H2, Index out, int lanes, double* S) {
  auto put = [&S, lanes](double x) {
    for (int l = 0; l < lanes; ++l) *S++ = x;
  };
  for (Index j = 0; j < H1; ++j) {
    for (Index i = 0; i < in; ++i) put(2.0 * W1[j + i * H1]);
    put(2.0 * b1[j]);
  }
  for (Index k = 0; k < H2; ++k)
    for (Index o = 0; o < out; ++o) put(W3[o + k * out]);
  for (Index o = 0; o < out; ++o) put(b3[o]);
}

/// Doubles of `deep_backward`'s scratch for B points at `lanes` points per vector.
constexpr Index deep_backward_scratch(int in, int out, Index H1, Index H2, Index B, int lanes) {
  return (2 * in + out + 2 * H1 + H2) * ((B + lanes - 1) / lanes * lanes) + 2;
}

/// Doubles of `fused_backward`'s scratch for B points at `lanes` points per vector.
constexpr Index fused_backward_scratch(int in, int out, Index B, int lanes) {
  return (2 * in + out) * ((B + lanes - 1) / lanes * lanes) + 2;
}

/// Two points per vector (SSE2 / SIMD128).
namespace lanes2 {
#define NDE_LANES 2
#include "nde/lanes64_body.inc"
#undef NDE_LANES
}  // namespace lanes2

#if defined(NDE_AVX2_PRAGMA) || defined(__AVX2__)
/// Four points per vector (AVX2 and FMA, multiply-adds contracted), compiled for that target only.
#if defined(NDE_AVX2_PRAGMA)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#pragma GCC optimize("fp-contract=fast")
#endif
namespace lanes4 {
#define NDE_LANES 4
#include "nde/lanes64_body.inc"
#undef NDE_LANES
}  // namespace lanes4
#if defined(NDE_AVX2_PRAGMA)
#pragma GCC pop_options
#endif
#endif

}  // namespace nde::kernels
