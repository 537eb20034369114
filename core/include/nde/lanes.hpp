#pragma once
/// "Points in lanes" float32 kernels for sampling a field (`Mlp::eval_single`): a block of points is held
/// feature-major, four points to a 128-bit vector (eight to a 256-bit one on an x86-64 CPU with AVX2 and FMA, chosen
/// at run time), so the thin input layer (2–4 inputs) and the thin output layer (2–4 outputs) are lane-wise
/// multiply-adds with broadcast weights — no horizontal sums, no transposes — and a net with one hidden layer keeps
/// its hidden activations in registers (each hidden unit's tanh is added into the outputs at once). Wide hidden layers
/// go through the tiled kernel in the transposed layout (points as rows; eight lanes: tiles of points × outputs in
/// the same layout). The kernels are in lanes32_body.inc, instantiated once per width in its own namespace (f32x4,
/// f32x8; the eight-lane copy compiled for AVX2 + FMA only, as lanes64.hpp does for float64).
#include <cstddef>

#include "nde/kernels.hpp"

namespace nde::kernels {

/// Whether `eval_single` uses the points-in-lanes kernels (true, default) or the former row-by-row path
/// (`affine` / `affine_tiled` per layer, then `tanh_inplace`): the bench prints both from one run.
inline bool& lanes_flag() {
  static bool on = true;
  return on;
}
/// Selects the points-in-lanes kernels (true) or the former path.
inline void set_lanes(bool on) { lanes_flag() = on; }
/// The current selection.
inline bool lanes() { return lanes_flag(); }

/// Four floats.
using F4 = Simd<float>::type;
/// Points per vector of the four-lane kernels (the conversions below, and the buffers' default splats).
constexpr int kLanes = 4;

/// Whether the eight-lane AVX2 kernels may be used when the CPU has AVX2 and FMA (true, default; false: four lanes).
inline bool& lanes_avx2_flag() {
  static bool on = true;
  return on;
}
/// Allows (true) or forbids the eight-lane kernels (the tests and the bench compare both widths).
inline void set_lanes_avx2(bool on) { lanes_avx2_flag() = on; }

/// Whether this build and CPU have the eight-lane kernels (GCC on x86-64 with the default flags, or any build with
/// AVX2 and FMA enabled; AVX2 and FMA present).
inline bool lanes_eight_available() { return cpu_avx2_fma(); }
/// Points per vector of the sampling kernels in use: 8 with AVX2 and FMA (allowed and present), else 4.
inline int lanes_width() { return lanes_eight_available() && lanes_avx2_flag() ? 8 : 4; }

/// The constants of `tanhv` (clamp, −clamp, P's coefficients from the highest power, then Q's below its leading 1), in
/// the order it reads them: the fit's P and Q divided by Q's leading coefficient (1.910926133335e-04), rounded to float.
constexpr float kTanhConstants[] = {7.9164f,      -7.9164f,     -2.91561119e-05f, 0.0357705168f, 13.8785248f,
                                    662.950378f,  5233.06299f,  118.585388f,      2407.29102f,   5233.06445f};
/// Number of `tanhv`'s constants.
constexpr int kTanhCount = static_cast<int>(sizeof kTanhConstants / sizeof(float));
/// Floats of `tanhv`'s constants splatted for four lanes (`lanes` lanes: kTanhCount · lanes).
constexpr int kTanhFloats = kTanhCount * 4;

/// Writes `lanes` copies of each of `tanhv`'s constants at K (kTanhCount · lanes floats, aligned to a vector).
inline void put_tanh_constants(float* K, int lanes = kLanes) {
  for (float c : kTanhConstants)
    for (int l = 0; l < lanes; ++l) *K++ = c;
}

/// Writes `lanes` copies of x at S and returns the next splat's place.
inline float* put_splat(float* S, float x, int lanes = kLanes) {
  for (int l = 0; l < lanes; ++l) S[l] = x;
  return S + lanes;
}

/// Two doubles.
using D2 = Simd<double>::type;

/// Four floats from four doubles (lo's two, then hi's), each rounded as `static_cast<float>`. In wasm each half is one
/// f32x4.demote_f64x2_zero: LLVM 14 (emscripten 3.1.6) merges two halves' conversions and the shuffle joining them into
/// one conversion of four doubles, which it then splits into scalar demotes and lane inserts; an empty asm statement
/// on each half's input and result keeps its conversion whole. Natively two cvtpd2ps.
inline F4 demote(D2 lo, D2 hi) {
#if defined(__wasm_simd128__)
  auto half = [](D2 v) {
    __asm__("" : "+r"(v));
    F4 f = __builtin_convertvector(__builtin_shufflevector(v, D2{0, 0}, 0, 1, 2, 3), F4);
    __asm__("" : "+r"(f));
    return f;
  };
  return __builtin_shufflevector(half(lo), half(hi), 0, 1, 4, 5);
#elif defined(__SSE2__)
  return __builtin_shufflevector(__builtin_ia32_cvtpd2ps(lo), __builtin_ia32_cvtpd2ps(hi), 0, 1, 4, 5);
#else
  return F4{static_cast<float>(lo[0]), static_cast<float>(lo[1]), static_cast<float>(hi[0]), static_cast<float>(hi[1])};
#endif
}
/// The first two floats of v as doubles (exact). In wasm one f64x2.promote_low_f32x4, kept whole as in `demote`.
inline D2 promote_low(F4 v) {
#if defined(__wasm_simd128__)
  __asm__("" : "+r"(v));
  D2 d = __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1), D2);
  __asm__("" : "+r"(d));
  return d;
#else
  return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1), D2);  // cvtps2pd (GCC and clang alike)
#endif
}

/// dst[k] = static_cast<float>(src[k]) for k < n, four per step through `demote`.
inline void to_floats(const double* src, Index n, float* dst) {
  Index k = 0;
  for (; k + 4 <= n; k += 4) store(dst + k, demote(load(src + k), load(src + k + 2)));
  for (; k < n; ++k) dst[k] = static_cast<float>(src[k]);
}
/// A planar block's inputs into the lanes: n points z (x, y interleaved) to float rows x0 and x1, each entry z or z³
/// (CUBE) rounded to float: the same values as the scalar `static_cast<float>(z * z * z)`, four points per step.
template <bool CUBE>
inline void planar_to_lanes(const double* z, Index n, float* x0, float* x1) {
  Index c = 0;
  for (; c + 4 <= n; c += 4) {
    const D2 a = load(z + 2 * c), b = load(z + 2 * c + 2), d = load(z + 2 * c + 4), e = load(z + 2 * c + 6);
    D2 u0 = __builtin_shufflevector(a, b, 0, 2), v0 = __builtin_shufflevector(a, b, 1, 3);
    D2 u1 = __builtin_shufflevector(d, e, 0, 2), v1 = __builtin_shufflevector(d, e, 1, 3);
    if constexpr (CUBE) {
      u0 = u0 * u0 * u0;
      v0 = v0 * v0 * v0;
      u1 = u1 * u1 * u1;
      v1 = v1 * v1 * v1;
    }
    store(x0 + c, demote(u0, u1));
    store(x1 + c, demote(v0, v1));
  }
  for (; c < n; ++c) {
    const double u = z[2 * c], v = z[2 * c + 1];
    x0[c] = static_cast<float>(CUBE ? u * u * u : u);
    x1[c] = static_cast<float>(CUBE ? v * v * v : v);
  }
}
/// The lanes' planar outputs back: float rows y0 and y1 (n points) to f, x and y interleaved, as doubles.
inline void lanes_to_planar(const float* y0, const float* y1, Index n, double* f) {
  Index c = 0;
  for (; c + 4 <= n; c += 4) {
    const F4 p = load(y0 + c), q = load(y1 + c);
    store(f + 2 * c, promote_low(__builtin_shufflevector(p, q, 0, 4, 1, 5)));
    store(f + 2 * c + 2, promote_low(__builtin_shufflevector(p, q, 1, 5, 0, 4)));
    store(f + 2 * c + 4, promote_low(__builtin_shufflevector(p, q, 2, 6, 3, 7)));
    store(f + 2 * c + 6, promote_low(__builtin_shufflevector(p, q, 3, 7, 2, 6)));
  }
  for (; c < n; ++c) {
    f[2 * c] = y0[c];
    f[2 * c + 1] = y1[c];
  }
}

/// Splats of a thin-input layer W (out × in, column-major) and b, per output j: W(j, 0..in−1), b(j); `lanes` copies each.
inline void splat_rows(const float* W, const float* b, Index out, Index in, float* S, int lanes = kLanes) {
  for (Index j = 0; j < out; ++j) {
    for (Index i = 0; i < in; ++i) S = put_splat(S, W[j + i * out], lanes);
    S = put_splat(S, b[j], lanes);
  }
}
/// Splats of a thin-output layer W (out × in) and b, per input k: W(0..out−1, k); then b.
inline void splat_columns(const float* W, const float* b, Index out, Index in, float* S, int lanes = kLanes) {
  for (Index k = 0; k < in; ++k)
    for (Index o = 0; o < out; ++o) S = put_splat(S, W[o + k * out], lanes);
  for (Index o = 0; o < out; ++o) S = put_splat(S, b[o], lanes);
}
/// Splats of a one-hidden-layer net IN → H → OUT (W1 H × IN, b1, W2 OUT × H, b2), per hidden unit j: W1(j, ·),
/// b1(j), W2(·, j); then b2.
inline void splat_fused(const float* W1, const float* b1, Index H, Index in, const float* W2, const float* b2, Index out,
                        float* S, int lanes = kLanes) {
  for (Index j = 0; j < H; ++j) {
    for (Index i = 0; i < in; ++i) S = put_splat(S, W1[j + i * H], lanes);
    S = put_splat(S, b1[j], lanes);
    for (Index o = 0; o < out; ++o) S = put_splat(S, W2[o + j * out], lanes);
  }
  for (Index o = 0; o < out; ++o) S = put_splat(S, b2[o], lanes);
}

/// Points per group: NV vectors of four, their inputs and output accumulators held in registers.
constexpr int kGroupVectors = 2;
/// The fused kernel's group in wasm: four vectors (16 points). V8 keeps `tanh4`'s constants, the group's inputs and its
/// accumulators in 15 xmm registers and spills the rest to the stack, reloading spilled values in the hidden unit loop
/// (it folds no memory operand into SIMD arithmetic); a group of 16 points shares each reload among four tanh instead of
/// two (thin_fused<2, 2> alone: 0.89× the time). Natively the same speed either way, so it stays at 2 there.
#if defined(__wasm_simd128__)
constexpr int kFusedGroupVectors = 4;
#else
constexpr int kFusedGroupVectors = kGroupVectors;
#endif

/// Four points per vector (SSE natively, SIMD128 in wasm).
namespace f32x4 {
#define NDE_LANES32 4
#include "nde/lanes32_body.inc"
#undef NDE_LANES32
}  // namespace f32x4
using f32x4::load_aligned;
using f32x4::store_aligned;
using f32x4::thin_fused;
using f32x4::thin_in_tanh;
using f32x4::thin_out;
using f32x4::wide_tanh;
/// tanh of four floats (`f32x4::tanhv`), the constants at K from `put_tanh_constants`.
inline F4 tanh4(F4 x, const float* K) { return f32x4::tanhv(x, K); }
/// The same with the constants on the stack (one-off use).
inline F4 tanh4(F4 x) {
  alignas(16) float K[kTanhFloats];
  put_tanh_constants(K);
  return tanh4(x, K);
}

#if defined(NDE_AVX2_PRAGMA) || (defined(__AVX2__) && defined(__FMA__))
/// Eight points per vector (AVX2 and FMA, multiply-adds contracted), compiled for that target only.
#if defined(NDE_AVX2_PRAGMA)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#pragma GCC optimize("fp-contract=fast")
#endif
namespace f32x8 {
#define NDE_LANES32 8
#include "nde/lanes32_body.inc"
#undef NDE_LANES32
}  // namespace f32x8
#if defined(NDE_AVX2_PRAGMA)
#pragma GCC pop_options
#endif
#define NDE_LANES32_EIGHT 1
#endif

}  // namespace nde::kernels
