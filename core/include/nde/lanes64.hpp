#pragma once
/// "Points in lanes" float64 kernels for training a thin one-hidden-layer tanh net (IN → H → OUT, IN and OUT ≤ 4;
/// the ode_demo replica's 2-50-2): the forward pass with its tape and the reverse pass (∂θ and the input's
/// cotangent) hold two points per 128-bit vector (SSE2 natively, SIMD128 in wasm), so the thin input and output
/// layers are lane-wise multiply-adds with broadcast weights — no horizontal sums per point, no transposes of the
/// hidden layer. The forward pass does the row path's arithmetic in its order (bit-identical output and tape); the
/// reverse pass sums the parameter gradients over points in two partial sums (equal to rounding).
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

/// Two doubles.
using D2 = Simd<double>::type;
/// Points per vector.
constexpr int kLanes64 = 2;

/// c < x ? c : x and c > x ? c : x lane-wise (std::min(x, c), std::max(x, c)): one minpd / maxpd natively, one
/// f64x2.pmin / pmax in wasm. A NaN x stays NaN.
inline D2 min_first(D2 c, D2 x) {
#if defined(__wasm_simd128__)
  return __builtin_wasm_pmin_f64x2(x, c);
#elif defined(__SSE2__)
  return __builtin_ia32_minpd(c, x);
#else
  return c < x ? c : x;
#endif
}
inline D2 max_first(D2 c, D2 x) {
#if defined(__wasm_simd128__)
  return __builtin_wasm_pmax_f64x2(x, c);
#elif defined(__SSE2__)
  return __builtin_ia32_maxpd(c, x);
#else
  return c > x ? c : x;
#endif
}

/// The constants of `tanh2`, in the order it reads them (those of `tanh_inplace(double*)`; the last is the integer
/// 1023 − bits(1.5·2^52) modulo 2^64, as the double with that bit pattern).
constexpr double kTanh2Constants[] = {
    2.0, 40.0, -40.0, 1.4426950408889634, 6755399441055744.0, 0.693145751953125, 1.42860682030941723212e-6,
    1.26177193074810590878e-4, 3.02994407707441961300e-2, 9.99999999999999999910e-1, 3.00198505138664455042e-6,
    2.52448340349684104192e-3, 2.27265548208155028766e-1, 2.00000000000000000009e0, 1.0,
    __builtin_bit_cast(double, std::uint64_t{1023} - __builtin_bit_cast(std::uint64_t, 6755399441055744.0))};
/// Doubles of `tanh2`'s splatted constants.
constexpr int kTanh2Doubles = static_cast<int>(sizeof kTanh2Constants / sizeof(double)) * kLanes64;
/// Writes the splats of `tanh2`'s constants at K (kTanh2Doubles doubles, 16-byte aligned).
inline void put_tanh2_constants(double* K) {
  for (double v : kTanh2Constants) *K++ = v, *K++ = v;
}

/// A vector from 16-byte aligned memory (folded into the arithmetic as a memory operand natively).
inline D2 load_aligned(const double* p) {
  D2 v;
  __builtin_memcpy(&v, __builtin_assume_aligned(p, 16), sizeof v);
  return v;
}
inline void store_aligned(double* p, D2 v) { __builtin_memcpy(__builtin_assume_aligned(p, 16), &v, sizeof v); }

/// tanh of two doubles: `tanh_inplace(double*)`'s formula and operation order lane-wise (bit-identical to it).
/// In wasm the constants come from memory at K (`put_tanh2_constants`; as literals V8 rebuilds every v128.const
/// inside the loop); natively they are literals (memory operands that need no register).
inline D2 tanh2(D2 v, [[maybe_unused]] const double* K) {
  using U2 = unsigned long long __attribute__((vector_size(16)));
#if defined(__wasm_simd128__)
  auto k = [K](int i) { return load_aligned(K + 2 * i); };
#else
  auto k = [](int i) { return D2{kTanh2Constants[i], kTanh2Constants[i]}; };
#endif
  D2 y = k(0) * v;
  y = min_first(k(1), y);
  y = max_first(k(2), y);
  const D2 t = y * k(3) + k(4);
  const D2 n = t - k(4);
  const D2 r = (y - n * k(5)) - n * k(6);
  const D2 r2 = r * r;
  const D2 P = r * ((k(7) * r2 + k(8)) * r2 + k(9));
  const D2 Q = ((k(10) * r2 + k(11)) * r2 + k(12)) * r2 + k(13);
  const D2 kb = k(15);
  U2 bits, bias;
  __builtin_memcpy(&bits, &t, sizeof bits);
  __builtin_memcpy(&bias, &kb, sizeof bias);
  bits = (bits + bias) << 52;  // 2^n: the exponent field of n + 1023
  D2 s;
  __builtin_memcpy(&s, &bits, sizeof s);
  const D2 one = k(14), sm = s - one, sp = s + one;
  return (sm * Q + sp * P) / (sp * Q + sm * P);
}

/// Splats of a one-hidden-layer net (W1 H × IN, b1, W2 OUT × H, b2; column-major), per hidden unit j: W1(j, ·),
/// b1(j), W2(·, j); then b2 — two copies of each.
inline void splat_fused64(const double* W1, const double* b1, Index H, Index in, const double* W2, const double* b2,
                          Index out, double* S) {
  auto put = [&S](double x) { *S++ = x, *S++ = x; };
  for (Index j = 0; j < H; ++j) {
    for (Index i = 0; i < in; ++i) put(W1[j + i * H]);
    put(b1[j]);
    for (Index o = 0; o < out; ++o) put(W2[o + j * out]);
  }
  for (Index o = 0; o < out; ++o) put(b2[o]);
}

/// Points c and c + 1 of row r of a column-major matrix with `rows` rows (the second 0 when it is past the end).
template <bool TAIL>
inline D2 gather(const double* M, Index rows, Index r, Index c) {
  return D2{M[r + c * rows], TAIL ? 0.0 : M[r + (c + 1) * rows]};
}
/// Writes v's lanes as points c and c + 1 (only c when TAIL) of row r.
template <bool TAIL>
inline void scatter(double* M, Index rows, Index r, Index c, D2 v) {
  M[r + c * rows] = v[0];
  if (!TAIL) M[r + (c + 1) * rows] = v[1];
}

/// The forward pass of IN → H → OUT for points c, c+1 (column-major X IN × B, Hd H × B, F OUT × B; S from
/// `splat_fused64`, K from `put_tanh2_constants`).
template <int IN, int OUT, bool TAIL>
inline void fused_forward_pair(const double* K, const double* S, Index H, const double* X, Index c, double* Hd,
                               double* F) {
  constexpr int L = kLanes64, STRIDE = (IN + 1 + OUT) * L;
  D2 x[IN], acc[OUT];
  for (int i = 0; i < IN; ++i) x[i] = gather<TAIL>(X, IN, i, c);
  for (int o = 0; o < OUT; ++o) acc[o] = load_aligned(S + H * STRIDE + o * L);
  const double* s = S;
  for (Index j = 0; j < H; ++j, s += STRIDE) {
    D2 a = load_aligned(s + IN * L);
    for (int i = 0; i < IN; ++i) a += load_aligned(s + i * L) * x[i];
    const D2 h = tanh2(a, K);
    scatter<TAIL>(Hd, H, j, c, h);
    for (int o = 0; o < OUT; ++o) acc[o] += load_aligned(s + (IN + 1 + o) * L) * h;
  }
  for (int o = 0; o < OUT; ++o) scatter<TAIL>(F, OUT, o, c, acc[o]);
}

/// Hd = tanh(W1 X + b1) and F = W2 Hd + b2 for B points (layouts of `fused_forward_pair`).
template <int IN, int OUT>
inline void fused_forward(const double* K, const double* S, Index H, const double* X, Index B, double* Hd, double* F) {
  Index c = 0;
  for (; c + 2 <= B; c += 2) fused_forward_pair<IN, OUT, false>(K, S, H, X, c, Hd, F);
  if (c < B) fused_forward_pair<IN, OUT, true>(K, S, H, X, c, Hd, F);
}

/// Doubles of `fused_backward`'s scratch for B points.
constexpr Index fused_backward_scratch(int in, int out, Index B) { return (2 * in + out) * ((B + 1) / 2 * 2) + 2; }

/// The reverse pass of IN → H → OUT (weights at W1, W2 column-major) for the cotangent G (OUT × B) of F, given the
/// forward pass's X (IN × B) and Hd (H × B): dW1, db1, dW2, db2 accumulated into (the layer's gradient layout),
/// (when DTH), and, when GX, the input's cotangent W1ᵀ(W2ᵀG ∘ (1 − Hd²)) into Gx (IN × B). Hidden unit by hidden unit, the
/// points in pairs: each unit's weights and gradient sums stay in registers (two partial sums, one per lane).
/// `scratch`: fused_backward_scratch doubles.
template <int IN, int OUT, bool GX, bool DTH>
inline void fused_backward(const double* W1, const double* W2, Index H, const double* X, const double* Hd,
                           const double* G, Index B, double* dW1, double* db1, double* dW2, double* db2, double* Gx,
                           double* scratch) {
  const Index NB = (B + 1) / 2 * 2, full = B / 2 * 2;
  const auto a = reinterpret_cast<std::uintptr_t>(scratch);
  double* xs = reinterpret_cast<double*>((a + 15) & ~std::uintptr_t{15});  // IN × NB, then gs OUT × NB, gxs IN × NB
  double* gs = xs + IN * NB;
  double* gxs = gs + OUT * NB;
  for (Index c = 0; c < NB; ++c) {  // feature-major copies, the padding point at 0 (it adds nothing)
    for (int i = 0; i < IN; ++i) xs[i * NB + c] = c < B ? X[i + c * IN] : 0.0;
    for (int o = 0; o < OUT; ++o) gs[o * NB + c] = c < B ? G[o + c * OUT] : 0.0;
  }
  if (GX) std::memset(gxs, 0, sizeof(double) * IN * NB);
  for (Index j = 0; j < H; ++j) {
    D2 w2[OUT], w1[IN], aW2[OUT], aW1[IN], ab1{};
    for (int o = 0; o < OUT; ++o) w2[o] = splat(W2[o + j * OUT]), aW2[o] = D2{};
    for (int i = 0; i < IN; ++i) w1[i] = splat(W1[j + i * H]), aW1[i] = D2{};
    auto pair = [&](Index c, D2 h) {
      D2 g[OUT];
      for (int o = 0; o < OUT; ++o) g[o] = load_aligned(gs + o * NB + c);
      D2 gh = w2[0] * g[0];
      for (int o = 1; o < OUT; ++o) gh += w2[o] * g[o];
      const D2 g1 = gh * (splat(1.0) - h * h);
      if (DTH) {
        for (int o = 0; o < OUT; ++o) aW2[o] += g[o] * h;
        ab1 += g1;
      }
      for (int i = 0; i < IN; ++i) {
        if (DTH) aW1[i] += g1 * load_aligned(xs + i * NB + c);
        if (GX) store_aligned(gxs + i * NB + c, load_aligned(gxs + i * NB + c) + w1[i] * g1);
      }
    };
    Index c = 0;
    for (; c < full; c += 2) pair(c, gather<false>(Hd, H, j, c));
    if (c < B) pair(c, gather<true>(Hd, H, j, c));
    if (!DTH) continue;
    for (int o = 0; o < OUT; ++o) dW2[o + j * OUT] += aW2[o][0] + aW2[o][1];
    for (int i = 0; i < IN; ++i) dW1[j + i * H] += aW1[i][0] + aW1[i][1];
    db1[j] += ab1[0] + ab1[1];
  }
  for (int o = 0; o < OUT && DTH; ++o) {
    D2 s{};
    for (Index c = 0; c < NB; c += 2) s += load_aligned(gs + o * NB + c);
    db2[o] += s[0] + s[1];
  }
  if (GX)
    for (Index c = 0; c < B; ++c)
      for (int i = 0; i < IN; ++i) Gx[i + c * IN] = gxs[i * NB + c];
}

}  // namespace nde::kernels
