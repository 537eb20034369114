#pragma once
/// "Points in lanes" float32 kernels for sampling a field (`Mlp::eval_single`): a block of points is held
/// feature-major, four points to a 128-bit vector, so the thin input layer (2–4 inputs) and the thin output layer
/// (2–4 outputs) are lane-wise multiply-adds with broadcast weights — no horizontal sums, no transposes — and a
/// net with one hidden layer keeps its hidden activations in registers (each hidden unit's tanh is added into the
/// outputs at once). Wide hidden layers go through the tiled kernel in the transposed layout (points as rows).
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
/// Points per vector.
constexpr int kLanes = 4;

/// c < x ? c : x and c > x ? c : x lane-wise: one minps / maxps natively, one f32x4.pmin / pmax in wasm (the
/// plain f32x4.min is NaN-propagating and several x64 instructions in V8). A NaN x stays NaN.
inline F4 min_first(F4 c, F4 x) {
#if defined(__wasm_simd128__)
  return __builtin_wasm_pmin_f32x4(x, c);
#elif defined(__SSE__)
  return __builtin_ia32_minps(c, x);
#else
  return c < x ? c : x;
#endif
}
inline F4 max_first(F4 c, F4 x) {
#if defined(__wasm_simd128__)
  return __builtin_wasm_pmax_f32x4(x, c);
#elif defined(__SSE__)
  return __builtin_ia32_maxps(c, x);
#else
  return c > x ? c : x;
#endif
}

/// The constants of `tanh4` (clamp, −clamp, P's coefficients from the highest power, then Q's below its leading 1), in
/// the order it reads them: the fit's P and Q divided by Q's leading coefficient (1.910926133335e-04), rounded to float.
constexpr float kTanhConstants[] = {7.9164f,      -7.9164f,     -2.91561119e-05f, 0.0357705168f, 13.8785248f,
                                    662.950378f,  5233.06299f,  118.585388f,      2407.29102f,   5233.06445f};
/// Floats of `tanh4`'s splatted constants.
constexpr int kTanhFloats = static_cast<int>(sizeof kTanhConstants / sizeof(float)) * 4;

/// Writes the splats of `tanh4`'s constants at K (kTanhFloats floats, 16-byte aligned).
inline void put_tanh_constants(float* K) {
  for (float c : kTanhConstants)
    for (int l = 0; l < 4; ++l) *K++ = c;
}

/// tanh of four floats: x·P(x²)/Q(x²) with P of degree 4 and Q of degree 3 in x², Q monic (a rational minimax fit of the
/// relative error on [0, 8.5], Lawson-weighted least squares in long double; 3.5e-7 before float rounding), clamped at
/// ±7.9164 where it reaches 1 (tanh there is 1 − 2.7e-7). P takes four multiply-adds, the monic Q an add and two
/// multiply-adds (one multiply fewer than Q with its fitted leading coefficient), then one multiply and one division.
/// Error from libm's over every float in [−10, 10]: ≤ 6.6e-7 absolute and relative, ≤ 11.0 ulps of the result (near
/// ±1; see the test). The constants come from memory at K (`put_tanh_constants`): as literals, V8 rebuilds every
/// `v128.const` inside the loop (several x64 instructions each), while a load is one.
inline F4 tanh4(F4 x, const float* K) {
  auto k = [K](int i) {
    F4 v;
    __builtin_memcpy(&v, __builtin_assume_aligned(K + 4 * i, 16), sizeof v);
    return v;
  };
  x = min_first(k(0), x);
  x = max_first(k(1), x);
  const F4 x2 = x * x;
  F4 p = x2 * k(2) + k(3);
  p = x2 * p + k(4);
  p = x2 * p + k(5);
  p = x2 * p + k(6);
  F4 q = x2 + k(7);
  q = x2 * q + k(8);
  q = x2 * q + k(9);
  return x * p / q;
}
/// The same with the constants on the stack (one-off use).
inline F4 tanh4(F4 x) {
  alignas(16) float K[kTanhFloats];
  put_tanh_constants(K);
  return tanh4(x, K);
}

/// The layouts below: a block of NB points (NB a multiple of 16), feature f of point p at [f·NB + p]; weights are
/// pre-splatted (four copies each, "splats"), so the inner loops load them as vectors without a broadcast. Every
/// buffer starts 16-byte aligned.

/// A vector from 16-byte aligned memory (the compiler may fold it into the arithmetic as a memory operand).
inline F4 load_aligned(const float* p) {
  F4 v;
  __builtin_memcpy(&v, __builtin_assume_aligned(p, 16), sizeof v);
  return v;
}
inline void store_aligned(float* p, F4 v) { __builtin_memcpy(__builtin_assume_aligned(p, 16), &v, sizeof v); }
/// Writes four copies of x at S and returns the next splat's place.
inline float* put_splat(float* S, float x) {
  for (int l = 0; l < kLanes; ++l) S[l] = x;
  return S + kLanes;
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

/// Splats of a thin-input layer W (out × in, column-major) and b, per output j: W(j, 0..in−1), b(j).
inline void splat_rows(const float* W, const float* b, Index out, Index in, float* S) {
  for (Index j = 0; j < out; ++j) {
    for (Index i = 0; i < in; ++i) S = put_splat(S, W[j + i * out]);
    S = put_splat(S, b[j]);
  }
}
/// Splats of a thin-output layer W (out × in) and b, per input k: W(0..out−1, k); then b.
inline void splat_columns(const float* W, const float* b, Index out, Index in, float* S) {
  for (Index k = 0; k < in; ++k)
    for (Index o = 0; o < out; ++o) S = put_splat(S, W[o + k * out]);
  for (Index o = 0; o < out; ++o) S = put_splat(S, b[o]);
}
/// Splats of a one-hidden-layer net IN → H → OUT (W1 H × IN, b1, W2 OUT × H, b2), per hidden unit j: W1(j, ·),
/// b1(j), W2(·, j); then b2.
inline void splat_fused(const float* W1, const float* b1, Index H, Index in, const float* W2, const float* b2, Index out,
                        float* S) {
  for (Index j = 0; j < H; ++j) {
    for (Index i = 0; i < in; ++i) S = put_splat(S, W1[j + i * H]);
    S = put_splat(S, b1[j]);
    for (Index o = 0; o < out; ++o) S = put_splat(S, W2[o + j * out]);
  }
  for (Index o = 0; o < out; ++o) S = put_splat(S, b2[o]);
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

/// Y = tanh(W X + b) for a thin input (IN features): X is IN × NB, Y is out × NB, S from `splat_rows`, K from
/// `put_tanh_constants`.
template <int IN>
inline void thin_in_tanh(const float* K, const float* S, Index out, const float* X, Index NB, float* Y) {
  constexpr int NV = kGroupVectors, L = kLanes;
  for (Index p = 0; p < NB; p += NV * L) {
    F4 x[IN][NV];
    for (int i = 0; i < IN; ++i)
      for (int v = 0; v < NV; ++v) x[i][v] = load_aligned(X + i * NB + p + v * L);
    const float* s = S;
    for (Index j = 0; j < out; ++j, s += (IN + 1) * L) {
      for (int v = 0; v < NV; ++v) {
        F4 a = load_aligned(s + IN * L);
        for (int i = 0; i < IN; ++i) a += load_aligned(s + i * L) * x[i][v];
        store_aligned(Y + j * NB + p + v * L, tanh4(a, K));
      }
    }
  }
}

/// Y = W X + b for a thin output (OUT features): X is in × NB, Y is OUT × NB, S from `splat_columns`.
template <int OUT>
inline void thin_out(const float* S, Index in, const float* X, Index NB, float* Y) {
  constexpr int NV = kGroupVectors, L = kLanes;
  const float* bias = S + in * OUT * L;
  for (Index p = 0; p < NB; p += NV * L) {
    F4 acc[OUT][NV];
    for (int o = 0; o < OUT; ++o)
      for (int v = 0; v < NV; ++v) acc[o][v] = load_aligned(bias + o * L);
    const float* s = S;
    for (Index k = 0; k < in; ++k, s += OUT * L) {
      F4 h[NV];
      for (int v = 0; v < NV; ++v) h[v] = load_aligned(X + k * NB + p + v * L);
      for (int o = 0; o < OUT; ++o)
        for (int v = 0; v < NV; ++v) acc[o][v] += load_aligned(s + o * L) * h[v];
    }
    for (int o = 0; o < OUT; ++o)
      for (int v = 0; v < NV; ++v) store_aligned(Y + o * NB + p + v * L, acc[o][v]);
  }
}

/// Y = W2 tanh(W1 X + b1) + b2 for a net IN → H → OUT: X is IN × NB, Y is OUT × NB, S from `splat_fused`. Each
/// hidden unit's activation goes straight into the output accumulators (no hidden buffer). NV: vectors per group
/// (the same results, lane by lane, whatever it is).
template <int IN, int OUT, int NV = kFusedGroupVectors>
inline void thin_fused(const float* K, const float* S, Index H, const float* X, Index NB, float* Y) {
  constexpr int L = kLanes, STRIDE = (IN + 1 + OUT) * L;
  static_assert(16 % (NV * L) == 0, "a group divides the block's multiple of 16 points");
  const float* bias = S + H * STRIDE;
  for (Index p = 0; p < NB; p += NV * L) {
    F4 x[IN][NV], acc[OUT][NV];
    for (int i = 0; i < IN; ++i)
      for (int v = 0; v < NV; ++v) x[i][v] = load_aligned(X + i * NB + p + v * L);
    for (int o = 0; o < OUT; ++o)
      for (int v = 0; v < NV; ++v) acc[o][v] = load_aligned(bias + o * L);
    const float* s = S;
    for (Index j = 0; j < H; ++j, s += STRIDE) {
      for (int v = 0; v < NV; ++v) {
        F4 a = load_aligned(s + IN * L);
        for (int i = 0; i < IN; ++i) a += load_aligned(s + i * L) * x[i][v];
        const F4 h = tanh4(a, K);
        for (int o = 0; o < OUT; ++o) acc[o][v] += load_aligned(s + (IN + 1 + o) * L) * h;
      }
    }
    for (int o = 0; o < OUT; ++o)
      for (int v = 0; v < NV; ++v) store_aligned(Y + o * NB + p + v * L, acc[o][v]);
  }
}

/// Y = tanh(W X + b) for a wide layer in the points-in-lanes layout: X is in × NB, Y is out × NB (W out × in,
/// column-major). The tiled kernel on the transposed product Yᵀ = Xᵀ Wᵀ + b: tiles of 16 points × 2 outputs.
inline void wide_tanh(const float* K, const float* W, const float* b, Index out, Index in, const float* X, Index NB,
                      float* Y) {
  gemm<TileShape<float>::MR, TileShape<float>::NR, Init::BiasColumn, float>(NB, out, in, X, NB, W, out, 1, Y, NB, b);
  for (Index e = 0; e < out * NB; e += kLanes) store_aligned(Y + e, tanh4(load_aligned(Y + e), K));
}

}  // namespace nde::kernels
