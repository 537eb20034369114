#include "nde/mlp.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "nde/kernels.hpp"
#include "nde/lanes.hpp"
#include "nde/lanes64.hpp"
#include "nde/limits.hpp"
#include "nde/out_of_line.hpp"
#include "nde/rng.hpp"

namespace nde {

Mlp::Mlp(MlpConfig config) : config_(std::move(config)) {
  Index in = state_dim() + (config_.time_dependent ? 1 : 0);
  Index offset = 0;
  std::vector<int> widths = config_.hidden;
  widths.push_back(state_dim());
  for (int w : widths) {
    layers_.push_back({in, w, offset});
    offset += static_cast<Index>(w) * in + w;
    in = w;
  }
  params_ = Vec::Zero(offset);
}

Result<> Mlp::set_params(const Vec& theta) {
  if (theta.size() != num_params())
    return Result<>::failure("expected " + std::to_string(num_params()) + " parameters, got " + std::to_string(theta.size()));
  if (!theta.allFinite() || (theta.size() > 0 && theta.cwiseAbs().maxCoeff() > limits::kParameter))
    return Result<>::failure("parameters must be finite with magnitude at most " + limits::format(limits::kParameter));
  params_ = theta;
  return {};
}

void Mlp::init(std::uint64_t seed) {
  Rng rng(seed);
  params_.setZero();
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    const double bound = std::sqrt(6.0 / static_cast<double>(l.in + l.out));
    const double factor = i + 1 == layers_.size() ? config_.init_output : 1.0;
    for (Index k = 0; k < l.in * l.out; ++k)
      params_[l.offset + k] = factor * (config_.init_std > 0 ? config_.init_std * rng.normal() : rng.uniform(-bound, bound));
  }
}

namespace {

using kernels::out_of_line;
using kernels::with_width;

/// P = W X + b for layer parameters stored at w (W column-major, then b); P is written in place.
template <class S>
void affine(const double* w, Index out, Index in, const MatS<S>& X, MatS<S>& P) {
  Eigen::Map<const Mat> W(w, out, in);
  Eigen::Map<const Vec> b(w + out * in, out);
  if constexpr (std::is_same_v<S, double>) {
    // Thin layers (the 2-D input and output) are faster as plain vectorised loops than through GEMM.
    if (std::min(out, in) <= 8) {
      kernels::affine(w, w + out * in, out, in, X.data(), X.cols(), P.data());
    } else if (kernels::tiled()) {
      kernels::affine_tiled(w, w + out * in, out, in, X.data(), X.cols(), P.data());
    } else {
      P.noalias() = W * X;
      P.colwise() += b;
    }
  } else {
    P.noalias() = W.cast<S>() * X;
    P.colwise() += b.cast<S>();
  }
}

/// R = Wᵀ G, written in place (scratch: room for Wᵀ, grown on first use).
template <class S>
void affine_transpose(const double* w, Index out, Index in, const MatS<S>& G, MatS<S>& R, std::vector<S>& scratch) {
  Eigen::Map<const Mat> W(w, out, in);
  if constexpr (std::is_same_v<S, double>) {
    if (std::min(out, in) <= 8) {
      kernels::affine_transpose(w, out, in, G.data(), G.cols(), R.data());
    } else if (kernels::tiled()) {
      if (scratch.size() < static_cast<std::size_t>(out * in)) scratch.resize(static_cast<std::size_t>(out * in));
      kernels::affine_transpose_tiled(w, out, in, G.data(), G.cols(), R.data(), scratch.data());
    } else {
      R.noalias() = W.transpose() * G;
    }
  }
  else R.noalias() = W.transpose().cast<S>() * G;
}

/// Whether a product whose result has `rows` rows goes through the tiled kernel (at least one tile of rows): in
/// second_order, also the thin layers' products with a wide side (Eigen's GEMM is scalar in wasm).
bool tile_rows(Index rows) { return rows >= kernels::TileShape<double>::MR && kernels::tiled(); }

/// Whether a[0..n) and b[0..n) hold the same bits: one pass without early exit, which vectorises (emscripten's
/// memcmp compares byte by byte: 4 % of a wasm replica step).
bool same_bits(const double* a, const double* b, Index n) {
  std::uint64_t diff = 0;
  for (Index i = 0; i < n; ++i) {
    std::uint64_t x, y;
    std::memcpy(&x, a + i, sizeof x);
    std::memcpy(&y, b + i, sizeof y);
    diff |= x ^ y;
  }
  return diff == 0;
}

/// p rounded up to a multiple of `bytes` (a power of two; the caller leaves that much slack).
template <class T>
T* align_to(T* p, std::uintptr_t bytes) {
  const auto u = reinterpret_cast<std::uintptr_t>(p);
  return reinterpret_cast<T*>((u + bytes - 1) & ~(bytes - 1));
}
/// p rounded up to a 16-byte boundary (the caller leaves 16 bytes of slack).
template <class T>
T* align16(T* p) {
  return align_to(p, 16);
}

/// H = σ(P), written in place.
template <class S>
void apply_activation(Activation a, const MatS<S>& P, MatS<S>& H) {
  if constexpr (std::is_same_v<S, double>) {
    // A branch-free tanh the compiler vectorises: several times faster than libm's, a few ulps from it.
    if (a == Activation::Tanh) {
      H = P;
      kernels::tanh_inplace(H.data(), H.size());
      return;
    }
  }
  H = P.unaryExpr([a](const S& x) { return activate(a, x); });
}

/// G ∘= σ'(P) given P and H = σ(P) (tanh' = 1 − H² needs no new transcendental).
template <class S>
void times_activation_deriv(Activation a, const MatS<S>& P, const MatS<S>& H, MatS<S>& G) {
  if (a == Activation::Tanh) G.array() *= (S(1.0) - H.array().square());
  else G.array() *= P.unaryExpr([a](const S& x) { return activate_deriv(a, x); }).array();
}

/// B points rounded up to whole vectors of N lanes: the rows of a reverse-only tape's feature-major activations.
Index lane_points(Index B, Index N) { return (B + N - 1) / N * N; }

/// Scatters the activations a reverse-only tape's forward left in `hidden_lanes` into inputs[1] (H × B; one hidden
/// layer: blocks of points) or inputs[1] and inputs[2] (H × B and H2 × B; two: feature-major rows).
void unblock(Mlp::Tape<double>& tape, Index H, Index H2, Index B) {
  const Index n = tape.in_lanes, NB = lane_points(B, n);
  const double* blocks = align16(tape.hidden_lanes.data());
  tape.inputs[1].resize(H, B);
  for (Index c = 0; c < B; ++c)
    for (Index j = 0; j < H; ++j)
      tape.inputs[1](j, c) = H2 ? blocks[j * NB + c] : blocks[(c / n * H + j) * n + c % n];
  if (H2) {
    tape.inputs[2].resize(H2, B);
    for (Index c = 0; c < B; ++c)
      for (Index k = 0; k < H2; ++k) tape.inputs[2](k, c) = blocks[(H + k) * NB + c];
  }
  tape.in_lanes = 0;
}

}  // namespace

template <class S>
void Mlp::forward(const Eigen::Ref<const MatS<S>>& Z, const Eigen::Ref<const RowS<S>>& t, MatS<S>& F,
                  Tape<S>* tape) const {
  const Index sd = state_dim();
  Tape<S> local;
  Tape<S>& tp = tape ? *tape : [&]() -> Tape<S>& {
    if constexpr (std::is_same_v<S, double>) return work_;
    else return local;
  }();
  const std::size_t L = layers_.size();
  if (tp.inputs.size() != L) tp.inputs.resize(L);
  if (tp.pre.size() != L - 1) tp.pre.resize(L - 1);
  MatS<S>& X0 = tp.inputs[0];
  const Index in0 = layers_.front().in, B = Z.cols(), ld = Z.outerStride();
  X0.resize(in0, B);
  // Plain loops over the columns: Eigen's block expressions on these 2–4-row columns cost ~75 instructions per
  // column (a tenth of a replica forward pass through the points-in-lanes kernels).
  const bool cube = config_.input == InputMap::Cube;
  const S* z = Z.data();
  S* x = X0.data();
  for (Index c = 0; c < B; ++c) {
    for (Index r = 0; r < sd; ++r) {
      const S v = z[c * ld + r];
      x[c * in0 + r] = cube ? v * v * v : v;
    }
    if (config_.time_dependent) x[c * in0 + sd] = t(c);
  }
  if (tape) {
    tape->z.resize(sd, B);
    S* zt = tape->z.data();
    for (Index c = 0; c < B; ++c)
      for (Index r = 0; r < sd; ++r) zt[c * sd + r] = z[c * ld + r];
  }
  tp.in_lanes = 0;
  if constexpr (std::is_same_v<S, double>) {
    if (lanes64_apply(B)) {  // 2 points per vector, the hidden activations straight into the output (lanes64.hpp)
      const bool deep = L == 3;  // two hidden layers: the H2 × H1 layer read as stored, its units' tanh into the output
      const Layer &L1 = layers_.front(), &L2 = layers_.back();
      const Index H1 = L1.out, H2 = deep ? layers_[1].out : 0;
      const int N = kernels::lanes_training_width();
      tp.in_lanes = tp.reverse_only ? N : 0;
      for (std::size_t l = 1; l < L; ++l) tp.inputs[l].resize(layers_[l].in, tp.in_lanes ? 0 : B);  // blocks: not used
      for (auto& p : tp.pre) p.resize(0, 0);  // tanh' comes from the tape's activations: pre-activations not kept
      F.resize(L2.out, B);
      // The splats are remade only when θ (or the width) has changed since they were made (a training step runs
      // dozens of passes with one θ): the θ they came from is kept after them, then the deep kernel's scratch.
      const Index splats = deep ? N * (H1 * (L1.in + 1) + H2 * L2.out + L2.out)
                                : N * (L1.out * (L1.in + 1 + L2.out) + L2.out),
                  P = num_params(), hv = deep ? 4 * N * H1 + 2 : 0;
      const auto need = static_cast<std::size_t>(2 + N * kernels::kTanh2Count + splats + P + hv);
      const bool same = splat64_.size() == need && splat64_made_ == splat64_.data() &&  // not a copy's
                        same_bits(align16(splat64_.data()) + N * kernels::kTanh2Count + splats, params_.data(), P);
      if (!same) splat64_.resize(need);
      double* K = align16(splat64_.data());
      double* Sp = K + N * kernels::kTanh2Count;
      double* Hv = align16(Sp + splats + P);
      const double *W1 = params_.data() + L1.offset, *W3 = params_.data() + L2.offset;
      if (!same) {
        kernels::put_tanh2_constants(K, N);
        if (deep)
          kernels::splat_deep64(W1, W1 + H1 * L1.in, H1, L1.in, W3, W3 + L2.out * L2.in, H2, L2.out, N, Sp);
        else
          kernels::splat_fused64(W1, W1 + L1.out * L1.in, L1.out, L1.in, W3, W3 + L2.out * L2.in, L2.out, N, Sp);
        std::memcpy(Sp + splats, params_.data(), sizeof(double) * P);
        splat64_made_ = splat64_.data();
      }
      const double* W2 = deep ? params_.data() + layers_[1].offset : nullptr;
      const double* b2 = deep ? W2 + H2 * H1 : nullptr;
      with_width(L1.in, [&](auto in) {
        with_width(L2.out, [&](auto out) {
          constexpr int IN = decltype(in)::value, OUT = decltype(out)::value;
          const double* X = X0.data();
          double *Hd1 = tp.inputs[1].data(), *Hd2 = deep ? tp.inputs[2].data() : nullptr, *Fd = F.data();
          const bool blocks = tp.in_lanes > 0;
          if (blocks) {  // the activations in the kernel's layout (BatchField's tapes: reversed only)
            const Index NB = lane_points(B, N);
            tp.hidden_lanes.resize(static_cast<std::size_t>((H1 + H2) * NB + 2));
            Hd1 = align16(tp.hidden_lanes.data());
            Hd2 = deep ? Hd1 + H1 * NB : nullptr;
          }
#if defined(NDE_AVX2_PRAGMA) || defined(__AVX2__)
          if (N == 4) {
            if (deep) kernels::lanes4::deep_forward<IN, OUT>(K, Sp, H1, W2, b2, H2, X, B, Hd1, Hd2, Fd, Hv, blocks);
            else kernels::lanes4::fused_forward<IN, OUT>(K, Sp, H1, X, B, Hd1, Fd, blocks);
            return;
          }
#endif
          if (deep)
            out_of_line(&kernels::lanes2::deep_forward<IN, OUT>, K, Sp, H1, W2, b2, H2, X, B, Hd1, Hd2, Fd, Hv, blocks);
          else
            out_of_line(&kernels::lanes2::fused_forward<IN, OUT>, K, Sp, H1, X, B, Hd1, Fd, blocks);
        });
      });
      return;
    }
  }
  for (std::size_t l = 0; l < L; ++l) {
    const Layer& Ly = layers_[l];
    const bool last = l + 1 == L;
    MatS<S>& P = last ? F : tp.pre[l];
    P.resize(Ly.out, Z.cols());
    affine<S>(params_.data() + Ly.offset, Ly.out, Ly.in, tp.inputs[l], P);
    if (!last) {
      tp.inputs[l + 1].resize(Ly.out, Z.cols());
      apply_activation<S>(config_.activation, P, tp.inputs[l + 1]);
    }
  }
}

void Mlp::layered(const Tape<double>& tape) const {
  // The tape objects are never const (their owners pass them on as const to say the pass is not changed), so the
  // layout change is allowed; it is invisible to every reader.
  if (tape.in_lanes)
    unblock(const_cast<Tape<double>&>(tape), layers_.front().out, layers_.size() == 3 ? layers_[1].out : 0, tape.z.cols());
}

template <class S>
void Mlp::backward(Tape<S>& tape, const MatS<S>& A, MatS<S>* dZ, VecS<S>* dtheta, RowS<S>* dt) const {
  if (dtheta && dtheta->size() != num_params()) *dtheta = VecS<S>::Zero(num_params());
  const std::size_t L = layers_.size();
  if constexpr (std::is_same_v<S, double>) {
    if (tape.in_lanes && (!lanes64_apply(A.cols()) || tape.in_lanes != kernels::lanes_training_width()))
      unblock(tape, layers_.front().out, L == 3 ? layers_[1].out : 0, A.cols());  // the kernels were switched between the passes (tests, benches)
    if (lanes64_apply(A.cols())) {  // hidden unit by hidden unit, 2 points per vector (lanes64.hpp)
      const bool deep = L == 3;
      const Layer &L1 = layers_.front(), &L2 = layers_.back();
      const Index B = A.cols(), sd = state_dim(), H1 = L1.out, H2 = deep ? layers_[1].out : 0;
      const bool gx = dZ || dt;
      const int N = kernels::lanes_training_width();
      const int in1 = static_cast<int>(L1.in), out2 = static_cast<int>(L2.out);
      const Index need = deep ? kernels::deep_backward_scratch(in1, out2, H1, H2, B, N)
                              : kernels::fused_backward_scratch(in1, out2, B, N);
      if (tape.lanes.size() < static_cast<std::size_t>(need)) tape.lanes.resize(static_cast<std::size_t>(need));
      if (gx) tape.grad_in.resize(L1.in, B);
      // Two lanes: dW2 and db2 through the row path's products below (unless the forward left Hd1 feature-major).
      const bool g2_rows = deep && dtheta && N == 2 && tape.in_lanes == 0;
      if (g2_rows) {
        if (tape.grads.size() != L) tape.grads.resize(L);
        tape.grads[1].resize(H2, B);
      }
      const double *W1 = params_.data() + L1.offset, *W3 = params_.data() + L2.offset;
      const double* W2 = deep ? params_.data() + layers_[1].offset : nullptr;
      double* d1 = dtheta ? dtheta->data() + L1.offset : nullptr;
      double* d2 = dtheta && deep ? dtheta->data() + layers_[1].offset : nullptr;
      double* d3 = dtheta ? dtheta->data() + L2.offset : nullptr;
      with_width(L1.in, [&](auto in) {
        with_width(L2.out, [&](auto out) {
          constexpr int IN = decltype(in)::value, OUT = decltype(out)::value;
          auto run = [&](auto with_gx, auto with_dtheta) {
            constexpr bool GX = decltype(with_gx)::value, DTH = decltype(with_dtheta)::value;
            const bool blocks = tape.in_lanes > 0;  // the forward's own layout (`Tape::reverse_only`)
            const double *X = tape.inputs[0].data(), *Hd1 = blocks ? align16(tape.hidden_lanes.data()) : tape.inputs[1].data();
            const double* Hd2 = !deep ? nullptr : blocks ? Hd1 + H1 * lane_points(B, N) : tape.inputs[2].data();
            double* db1 = d1 ? d1 + H1 * L1.in : nullptr;
            double* db2 = d2 ? d2 + H2 * H1 : nullptr;
            double* db3 = d3 ? d3 + L2.out * L2.in : nullptr;
            double *Gx = tape.grad_in.data(), *sc = tape.lanes.data(), *G2 = g2_rows ? tape.grads[1].data() : nullptr;
#if defined(NDE_AVX2_PRAGMA) || defined(__AVX2__)
            if (N == 4) {
              if (deep)
                kernels::lanes4::deep_backward<IN, OUT, GX, DTH>(W1, W2, W3, H1, H2, X, Hd1, Hd2, blocks, A.data(), B,
                                                                  d1, db1, d2, db2, d3, db3, Gx, nullptr, sc);
              else
                kernels::lanes4::fused_backward<IN, OUT, GX, DTH>(W1, W3, H1, X, Hd1, blocks, A.data(), B, d1, db1, d3,
                                                                   db3, Gx, sc);
              return;
            }
#endif
            if (deep)
              out_of_line(&kernels::lanes2::deep_backward<IN, OUT, GX, DTH>, W1, W2, W3, H1, H2, X, Hd1, Hd2, blocks,
                          A.data(), B, d1, db1, d2, db2, d3, db3, Gx, G2, sc);
            else
              out_of_line(&kernels::lanes2::fused_backward<IN, OUT, GX, DTH>, W1, W3, H1, X, Hd1, blocks, A.data(), B, d1,
                          db1, d3, db3, Gx, sc);
          };
          using Yes = std::true_type;
          using No = std::false_type;
          if (gx && dtheta) run(Yes{}, Yes{});
          else if (gx) run(Yes{}, No{});
          else if (dtheta) run(No{}, Yes{});
        });
      });
      if (g2_rows) {  // dW2 += G2 Hd1ᵀ, db2 += G2·1: the row path's kernels
        const Mat& G2 = tape.grads[1];
        const double* Hd1 = tape.inputs[1].data();
        double *dW2 = d2, *db2 = d2 + H2 * H1;
        if (std::min(H2, H1) <= 8) {
          kernels::accumulate_outer(G2.data(), H2, Hd1, H1, B, dW2, db2);
        } else {
          kernels::accumulate_outer_tiled(G2.data(), H2, Hd1, H1, B, dW2);
          for (Index c = 0; c < B; ++c)
            for (Index o = 0; o < H2; ++o) db2[o] += G2(o, c);
        }
      }
      const MatS<S>& Gx = tape.grad_in;
      if (dZ) {
        if (config_.input == InputMap::Cube) *dZ = (Gx.topRows(sd).array() * S(3.0) * tape.z.array().square()).matrix();
        else *dZ = Gx.topRows(sd);
      }
      if (dt) {
        if (config_.time_dependent) *dt = Gx.row(sd);
        else *dt = RowS<S>::Zero(A.cols());
      }
      return;
    }
  }
  if (tape.grads.size() != L) tape.grads.resize(L);
  tape.grads[L - 1] = A;
  for (std::size_t l = L; l-- > 0;) {
    const Layer& Ly = layers_[l];
    const MatS<S>& G = tape.grads[l];
    if (dtheta) {
      Eigen::Map<MatS<S>> dW(dtheta->data() + Ly.offset, Ly.out, Ly.in);
      Eigen::Map<VecS<S>> db(dtheta->data() + Ly.offset + Ly.out * Ly.in, Ly.out);
      if constexpr (std::is_same_v<S, double>) {
        if (std::min(Ly.out, Ly.in) <= 8) {
          kernels::accumulate_outer(G.data(), Ly.out, tape.inputs[l].data(), Ly.in, G.cols(), dW.data(), db.data());
        } else if (kernels::tiled()) {
          kernels::accumulate_outer_tiled(G.data(), Ly.out, tape.inputs[l].data(), Ly.in, G.cols(), dW.data());
          for (Index c = 0; c < G.cols(); ++c)
            for (Index o = 0; o < Ly.out; ++o) db[o] += G(o, c);
        } else {
          dW.noalias() += G * tape.inputs[l].transpose();
          db += G.rowwise().sum();
        }
      } else {
        dW.noalias() += G * tape.inputs[l].transpose();
        db += G.rowwise().sum();
      }
    }
    if (l == 0 && !dZ && !dt) break;
    MatS<S>& Gx = l > 0 ? tape.grads[l - 1] : tape.grad_in;
    Gx.resize(Ly.in, A.cols());
    affine_transpose<S>(params_.data() + Ly.offset, Ly.out, Ly.in, G, Gx, tape.wt);
    if (l > 0) {
      times_activation_deriv<S>(config_.activation, tape.pre[l - 1], tape.inputs[l], Gx);
    } else {
      const Index sd = state_dim();
      if (dZ) {
        if (config_.input == InputMap::Cube)
          *dZ = (Gx.topRows(sd).array() * S(3.0) * tape.z.array().square()).matrix();
        else
          *dZ = Gx.topRows(sd);
      }
      if (dt) {
        if (config_.time_dependent) *dt = Gx.row(sd);
        else *dt = RowS<S>::Zero(A.cols());
      }
    }
  }
}

template void Mlp::forward<double>(const Eigen::Ref<const Mat>&, const Eigen::Ref<const RowVec>&, Mat&, Tape<double>*) const;
template void Mlp::forward<Dual>(const Eigen::Ref<const MatS<Dual>>&, const Eigen::Ref<const RowS<Dual>>&, MatS<Dual>&,
                                 Tape<Dual>*) const;
template void Mlp::backward<double>(Tape<double>&, const Mat&, Mat*, Vec*, RowVec*) const;
template void Mlp::backward<Dual>(Tape<Dual>&, const MatS<Dual>&, MatS<Dual>*, VecS<Dual>*, RowS<Dual>*) const;

Mat Mlp::eval(const Mat& Z, const RowVec& t) const {
  Mat F;
  forward<double>(Z, t, F, nullptr);
  return F;
}

bool Mlp::lanes64_apply(Index columns) const {
  return kernels::lanes_training() && config_.activation == Activation::Tanh &&
         (layers_.size() == 2 || layers_.size() == 3) && layers_.front().in <= 4 && layers_.back().out <= 4 &&
         columns >= kLanes64MinColumns;
}

bool Mlp::lanes_apply() const {
  return kernels::lanes() && config_.activation == Activation::Tanh && layers_.size() >= 2 && layers_.front().in <= 4 &&
         layers_.back().out <= 4;
}

Mat Mlp::eval_single(const Mat& Z, double t) const {
  const Index sd = state_dim(), m = Z.cols(), P = num_params();
  constexpr Index kBlock = 128;  // columns per pass (a multiple of 16): a block's activations stay in the first-level cache
  Index widest = layers_.front().in;
  for (const Layer& L : layers_) widest = std::max(widest, L.out);
  const bool lanes = lanes_apply();
  const Layer &first = layers_.front(), &last = layers_.back();
  const std::size_t nl = layers_.size();
  // Points-in-lanes buffers: θ's splats, the block's inputs and outputs feature-major, two hidden blocks.
  const Index splats = nl == 2 ? first.out * (first.in + 1 + last.out) + last.out
                               : first.out * (first.in + 1) + last.in * last.out + last.out;
  const int N = lanes ? kernels::lanes_width() : 0;  // points per vector: 4, or 8 with AVX2 and FMA
  const Index lane_floats = N + N * kernels::kTanhCount + N * splats + kBlock * (first.in + last.out + (nl > 2 ? 2 * widest : 0));
  single_.resize(static_cast<std::size_t>(P + (lanes ? lane_floats : 2 * widest * kBlock)));
  float* theta = single_.data();
  for (Index k = 0; k < P; ++k) theta[k] = static_cast<float>(params_[k]);
  Mat F(sd, m);
  // The kernels of one width (`Kn`: kernels::f32x4::Kernels or f32x8::Kernels) over every block of points.
  auto run = [&](auto kn) {
    using Kn = decltype(kn);
    constexpr int V = Kn::lanes;  // = N as a constant (with the run-time N and Kn::wide inlined, wasm's page-net grid took 1.5×)
    float* K = align_to(theta + P, 4 * V);
    kernels::put_tanh_constants(K, V);
    float* S = K + V * kernels::kTanhCount;
    float* S_last = S + V * first.out * (first.in + 1);
    const float *W1 = theta + first.offset, *b1 = W1 + first.out * first.in;
    const float *WL = theta + last.offset, *bL = WL + last.out * last.in;
    if (nl == 2) kernels::splat_fused(W1, b1, first.out, first.in, WL, bL, last.out, S, V);
    else {
      kernels::splat_rows(W1, b1, first.out, first.in, S, V);
      kernels::splat_columns(WL, bL, last.out, last.in, S_last, V);
    }
    float* X = S + V * splats;
    float* Y = X + kBlock * first.in;
    float* A = Y + kBlock * last.out;
    float* B = A + kBlock * widest;
    for (Index c0 = 0; c0 < m; c0 += kBlock) {
      const Index nc = std::min(kBlock, m - c0), NB = (nc + 15) / 16 * 16;
      const double* z = Z.data() + c0 * sd;
      const bool cube = config_.input == InputMap::Cube;
      if (sd == 2) {  // planar (the grids): four points per step, vector conversions
        if (cube) kernels::planar_to_lanes<true>(z, nc, X, X + NB);
        else kernels::planar_to_lanes<false>(z, nc, X, X + NB);
      } else {
        for (Index r = 0; r < sd; ++r) {
          float* x = X + r * NB;
          if (cube)
            for (Index c = 0; c < nc; ++c) x[c] = static_cast<float>(z[c * sd + r] * z[c * sd + r] * z[c * sd + r]);
          else
            for (Index c = 0; c < nc; ++c) x[c] = static_cast<float>(z[c * sd + r]);
        }
      }
      for (Index r = 0; r < sd; ++r) std::fill(X + r * NB + nc, X + (r + 1) * NB, 0.0f);  // the padding points at 0
      if (config_.time_dependent) std::fill(X + sd * NB, X + sd * NB + NB, static_cast<float>(t));
      // Out of line (out_of_line.hpp): in wasm, binaryen would inline the kernels into this function.
      if (nl == 2) {
        with_width(first.in, [&](auto in) {
          with_width(last.out, [&](auto out) {
            out_of_line(Kn::template fused<decltype(in)::value, decltype(out)::value>, K, S, first.out, X, NB, Y);
          });
        });
      } else {
        with_width(first.in, [&](auto in) { out_of_line(Kn::template in_tanh<decltype(in)::value>, K, S, first.out, X, NB, A); });
        float *a = A, *b = B;
        for (std::size_t l = 1; l + 1 < nl; ++l) {
          const Layer& L = layers_[l];
          Kn::wide(K, theta + L.offset, theta + L.offset + L.out * L.in, L.out, L.in, a, NB, b);
          std::swap(a, b);
        }
        with_width(last.out, [&](auto out) { out_of_line(Kn::template out<decltype(out)::value>, S_last, last.in, a, NB, Y); });
      }
      double* f = F.data() + c0 * sd;
      if (sd == 2) kernels::lanes_to_planar(Y, Y + NB, nc, f);
      else
        for (Index r = 0; r < sd; ++r)
          for (Index c = 0; c < nc; ++c) f[c * sd + r] = Y[r * NB + c];
    }
  };
  if (lanes) {
#if defined(NDE_LANES32_EIGHT)
    if (N == 8) run(kernels::f32x8::Kernels{});
    else
#endif
      run(kernels::f32x4::Kernels{});
    return F;
  }
  float* a = theta + P;
  float* b = a + widest * kBlock;
  for (Index c0 = 0; c0 < m; c0 += kBlock) {
    const Index nc = std::min(kBlock, m - c0);
    const Index in0 = layers_.front().in;
    for (Index c = 0; c < nc; ++c) {
      for (Index r = 0; r < sd; ++r) {
        const double z = Z(r, c0 + c);
        a[c * in0 + r] = static_cast<float>(config_.input == InputMap::Cube ? z * z * z : z);
      }
      if (config_.time_dependent) a[c * in0 + sd] = static_cast<float>(t);
    }
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const Layer& L = layers_[l];
      if (std::min(L.out, L.in) > 8 && kernels::tiled())
        kernels::affine_tiled(theta + L.offset, theta + L.offset + L.out * L.in, L.out, L.in, a, nc, b);
      else
        kernels::affine(theta + L.offset, theta + L.offset + L.out * L.in, L.out, L.in, a, nc, b);
      if (l + 1 < layers_.size()) {
        if (config_.activation == Activation::Tanh) kernels::tanh_inplace(b, L.out * nc);
        else for (Index k = 0; k < L.out * nc; ++k) b[k] = static_cast<float>(activate(config_.activation, double(b[k])));
      }
      std::swap(a, b);
    }
    for (Index c = 0; c < nc; ++c)
      for (Index r = 0; r < sd; ++r) F(r, c0 + c) = a[c * sd + r];
  }
  return F;
}

Vec Mlp::eval(const Vec& z, double t) const {
  return eval(Mat(z), RowVec::Constant(1, t)).col(0);
}

void Mlp::vjp(const Mat& Z, const RowVec& t, const Mat& A, Mat* dZ, Vec* dtheta, RowVec* dt) const {
  Tape<double> tape;
  Mat F;
  forward<double>(Z, t, F, &tape);
  backward<double>(tape, A, dZ, dtheta, dt);
}

void Mlp::jacobian_rows(Tape<double>& tape, std::vector<Mat>& rows) const {
  JacobianWork& k = jac_;
  rows.resize(static_cast<std::size_t>(state_dim()));
  for (int i = 0; i < state_dim(); ++i) {
    k.A.setZero(state_dim(), tape.z.cols());
    k.A.row(i).setOnes();
    backward<double>(tape, k.A, &rows[static_cast<std::size_t>(i)], nullptr, nullptr);
  }
}

const std::vector<Mat>& Mlp::jacobian_rows(const MatIn& Z, const RowVec& t) const {
  JacobianWork& k = jac_;
  forward<double>(Z, t, k.F, &k.tape);
  jacobian_rows(k.tape, k.rows);
  return k.rows;
}

void Mlp::divergence(const std::vector<Mat>& rows, RowVec& out) const {
  out.setZero(rows.front().cols());
  for (int i = 0; i < state_dim(); ++i) out += rows[static_cast<std::size_t>(i)].row(i);
}

void Mlp::jacobian_frobenius(const std::vector<Mat>& rows, RowVec& out) const {
  out.setZero(rows.front().cols());
  for (const Mat& r : rows) out += r.colwise().squaredNorm();
}

void Mlp::trace_estimate(Tape<double>& tape, const Mat& E, RowVec& out) const {
  backward<double>(tape, E, &jac_.D, nullptr, nullptr);
  out.resize(E.cols());
  out.noalias() = jac_.D.cwiseProduct(E).colwise().sum();
}

void Mlp::divergence_grad(const Tape<double>& tape, const RowVec& w, Mat* dZ, Vec* dtheta) const {
  const auto& E = unit_rows(jac_.ones, tape.z.cols(), 1.0);
  second_order(tape, E, E, w, dZ, dtheta);
}

void Mlp::trace_estimate_grad(const Tape<double>& tape, const Mat& E, const RowVec& w, Mat* dZ, Vec* dtheta) const {
  jac_.probe.resize(1);
  jac_.probe[0] = E;
  second_order(tape, jac_.probe, jac_.probe, w, dZ, dtheta);
}

void Mlp::jacobian_frobenius_grad(const Tape<double>& tape, const std::vector<Mat>& rows, const RowVec& w, Mat* dZ,
                                  Vec* dtheta) const {
  second_order(tape, unit_rows(jac_.twos, tape.z.cols(), 2.0), rows, w, dZ, dtheta);
}

const std::vector<Mat>& Mlp::unit_rows(std::vector<Mat>& cache, Index cols, double value) const {
  cache.resize(static_cast<std::size_t>(state_dim()));
  for (int i = 0; i < state_dim(); ++i) {
    Mat& e = cache[static_cast<std::size_t>(i)];
    e.setZero(state_dim(), cols);
    e.row(i).setConstant(value);
  }
  return cache;
}

Mat Mlp::jacobian(const Vec& z, double t) const {
  const auto& rows = jacobian_rows(Mat(z), RowVec::Constant(1, t));
  Mat J(state_dim(), state_dim());
  for (int i = 0; i < state_dim(); ++i) J.row(i) = rows[static_cast<std::size_t>(i)].col(0).transpose();
  return J;
}

void Mlp::divergence(const MatIn& Z, const RowVec& t, RowVec& out) const { divergence(jacobian_rows(Z, t), out); }

RowVec Mlp::divergence(const MatIn& Z, const RowVec& t) const {
  RowVec out;
  divergence(Z, t, out);
  return out;
}

void Mlp::trace_estimate(const MatIn& Z, const RowVec& t, const Mat& E, RowVec& out) const {
  forward<double>(Z, t, jac_.F, &jac_.tape);
  trace_estimate(jac_.tape, E, out);
}

RowVec Mlp::trace_estimate(const MatIn& Z, const RowVec& t, const Mat& E) const {
  RowVec out;
  trace_estimate(Z, t, E, out);
  return out;
}

void Mlp::trace_estimate_grad(const MatIn& Z, const RowVec& t, const Mat& E, const RowVec& w, Mat* dZ, Vec* dtheta) const {
  jac_.probe.resize(1);  // second_order takes lists of directions: this one, held in the workspace
  jac_.probe[0] = E;
  second_order(Z, t, jac_.probe, jac_.probe, w, dZ, dtheta);
}

void Mlp::jacobian_frobenius(const MatIn& Z, const RowVec& t, RowVec& out) const {
  jacobian_frobenius(jacobian_rows(Z, t), out);
}

RowVec Mlp::jacobian_frobenius(const MatIn& Z, const RowVec& t) const {
  RowVec out;
  jacobian_frobenius(Z, t, out);
  return out;
}

void Mlp::second_order(const MatIn& Z, const RowVec& t, const std::vector<Mat>& A, const std::vector<Mat>& U,
                       const RowVec& w, Mat* dZ, Vec* dtheta) const {
  if (dZ) dZ->setZero(Z.rows(), Z.cols());
  if (dtheta && dtheta->size() != num_params()) *dtheta = Vec::Zero(num_params());
  constexpr Index kBlock = 256;  // columns per pass: bounds the temporaries whatever the batch
  for (Index c0 = 0; c0 < Z.cols(); c0 += kBlock) {
    const Index nc = std::min(kBlock, Z.cols() - c0);
    forward<double>(Z.middleCols(c0, nc), t.segment(c0, nc), second_.F, &second_.tape);
    second_order_block(second_.tape, Z, c0, nc, A, U, w, dZ, dtheta);
  }
}

void Mlp::second_order(const Tape<double>& tape, const std::vector<Mat>& A, const std::vector<Mat>& U, const RowVec& w,
                       Mat* dZ, Vec* dtheta) const {
  layered(tape);
  const MatIn Z(tape.z);
  if (dZ) dZ->setZero(Z.rows(), Z.cols());
  if (dtheta && dtheta->size() != num_params()) *dtheta = Vec::Zero(num_params());
  second_order_block(tape, Z, 0, Z.cols(), A, U, w, dZ, dtheta);
}

void Mlp::second_order_block(const Tape<double>& tape, const MatIn& Z, Index c0, Index nc, const std::vector<Mat>& A,
                             const std::vector<Mat>& U, const RowVec& w, Mat* dZ, Vec* dtheta) const {
  // Forward-over-reverse with the dual numbers split into value and tangent matrices: the weights carry no
  // tangent, so every product is a plain double product (vectorised, GEMM) rather than one over Dual scalars.
  // The value pass and σ', σ'' are shared by all directions.
  const Index sd = state_dim();
  const std::size_t L = layers_.size();
  SecondOrderWork& k = second_;
  k.s1.resize(L - 1);
  k.s2.resize(L - 1);
  k.dP.resize(L - 1);
  k.dX.resize(L);
  for (auto* v : {&k.G, &k.dG, &k.Gx, &k.dGx}) v->resize(L);
  const auto Zb = Z.middleCols(c0, nc);
  for (std::size_t l = 0; l + 1 < L; ++l) {  // σ'(P) and σ''(P) of each hidden layer
    const Mat& H = tape.inputs[l + 1];
    if (config_.activation == Activation::Tanh) {
      k.s1[l] = 1.0 - H.array().square();
      k.s2[l] = -2.0 * H.array() * k.s1[l].array();
    } else {
      const Mat& P = tape.pre[l];
      k.s1[l].resize(P.rows(), P.cols());
      k.s2[l].resize(P.rows(), P.cols());
      for (Index e = 0; e < P.size(); ++e) {
        const Dual d = activate_deriv(config_.activation, Dual(P(e), 1.0));
        k.s1[l](e) = d.v;
        k.s2[l](e) = d.d;
      }
    }
  }
  for (std::size_t i = 0; i < A.size(); ++i) {
    const auto Ub = U[i].middleCols(c0, nc);
    // Tangent forward: dX₀ = ∂input/∂z · u (the time row has no tangent), dP = W dX, dX' = σ'(P) ∘ dP.
    Mat& dX0 = k.dX[0];
    dX0.setZero(layers_.front().in, nc);
    if (config_.input == InputMap::Cube) dX0.topRows(sd) = (3.0 * Zb.array().square() * Ub.array()).matrix();
    else dX0.topRows(sd) = Ub;
    for (std::size_t l = 0; l + 1 < L; ++l) {
      const Layer& Ly = layers_[l];
      Eigen::Map<const Mat> W(params_.data() + Ly.offset, Ly.out, Ly.in);
      if (tile_rows(Ly.out)) {
        k.dP[l].resize(Ly.out, nc);
        kernels::product_tiled(W.data(), Ly.out, Ly.in, k.dX[l].data(), nc, k.dP[l].data());
      } else {
        k.dP[l].noalias() = W * k.dX[l];
      }
      k.dX[l + 1] = k.s1[l].cwiseProduct(k.dP[l]);
    }
    // Reverse pass of the value (G) and its tangent (dG), from the real cotangent a ∘ w; one buffer per layer
    // (their shapes differ by layer, so shared ones would be reallocated at every layer).
    k.G[L - 1] = A[i].middleCols(c0, nc).array().rowwise() * w.segment(c0, nc).array();
    k.dG[L - 1].setZero(k.G[L - 1].rows(), nc);
    for (std::size_t l = L; l-- > 0;) {
      const Layer& Ly = layers_[l];
      Eigen::Map<const Mat> W(params_.data() + Ly.offset, Ly.out, Ly.in);
      const Mat &G = k.G[l], &dG = k.dG[l];
      if (dtheta) {  // tangent of (dW += G Xᵀ, db += Σ G)
        Eigen::Map<Mat> gW(dtheta->data() + Ly.offset, Ly.out, Ly.in);
        Eigen::Map<Vec> gb(dtheta->data() + Ly.offset + Ly.out * Ly.in, Ly.out);
        if (tile_rows(Ly.out)) {
          kernels::accumulate_outer_tiled(dG.data(), Ly.out, tape.inputs[l].data(), Ly.in, nc, gW.data());
          kernels::accumulate_outer_tiled(G.data(), Ly.out, k.dX[l].data(), Ly.in, nc, gW.data());
        } else {
          gW.noalias() += dG * tape.inputs[l].transpose();
          gW.noalias() += G * k.dX[l].transpose();
        }
        gb += dG.rowwise().sum();
      }
      if (l == 0 && !dZ) break;
      Mat &Gx = k.Gx[l], &dGx = k.dGx[l];
      Gx.resize(Ly.in, nc);
      dGx.resize(Ly.in, nc);
      if (tile_rows(Ly.in)) {
        std::vector<double>& wt = k.wt;
        if (wt.size() < static_cast<std::size_t>(Ly.out * Ly.in)) wt.resize(static_cast<std::size_t>(Ly.out * Ly.in));
        kernels::affine_transpose_tiled(W.data(), Ly.out, Ly.in, G.data(), nc, Gx.data(), wt.data());
        kernels::product_tiled(wt.data(), Ly.in, Ly.out, dG.data(), nc, dGx.data());  // Wᵀ is in wt now
      } else {
        Gx.noalias() = W.transpose() * G;
        dGx.noalias() = W.transpose() * dG;
      }
      if (l > 0) {  // through σ: G' = G ∘ σ'(P), dG' = dG ∘ σ'(P) + G ∘ σ''(P) ∘ dP
        k.dG[l - 1] = dGx.cwiseProduct(k.s1[l - 1]) + Gx.cwiseProduct(k.s2[l - 1]).cwiseProduct(k.dP[l - 1]);
        k.G[l - 1] = Gx.cwiseProduct(k.s1[l - 1]);
      } else if (config_.input == InputMap::Cube) {
        dZ->middleCols(c0, nc).array() += 3.0 * dGx.topRows(sd).array() * Zb.array().square() +
                                          6.0 * Gx.topRows(sd).array() * Zb.array() * Ub.array();
      } else {
        dZ->middleCols(c0, nc) += dGx.topRows(sd);
      }
    }
  }
}

namespace {

/// P = W X (no bias; W out × in at w) into P, sized by the caller.
void product(const double* w, Index out, Index in, const Mat& X, Mat& P) {
  if (tile_rows(out)) {
    kernels::product_tiled(w, out, in, X.data(), X.cols(), P.data());
  } else if (out <= 4) {  // the thin output layer: per column, `out` dot products in registers
    constexpr double zero[4] = {0.0, 0.0, 0.0, 0.0};
    kernels::affine(w, zero, out, in, X.data(), X.cols(), P.data());
  } else {
    P.noalias() = Eigen::Map<const Mat>(w, out, in) * X;
  }
}

/// dW += G Xᵀ (and db += G·1 when db is given): the thin loops, the tiled kernel or Eigen, as in backward.
void outer(const Mat& G, Index out, const Mat& X, Index in, double* dW, double* db, std::vector<double>& scratch) {
  const Index cols = G.cols();
  if (std::min(out, in) <= 8) {
    double* b = db;
    if (!b) {
      scratch.assign(static_cast<std::size_t>(out), 0.0);  // the thin kernel adds to a bias too: a discarded one
      b = scratch.data();
    }
    kernels::accumulate_outer(G.data(), out, X.data(), in, cols, dW, b);
  } else if (kernels::tiled()) {
    kernels::accumulate_outer_tiled(G.data(), out, X.data(), in, cols, dW);
    if (db)
      for (Index c = 0; c < cols; ++c)
        for (Index o = 0; o < out; ++o) db[o] += G(o, c);
  } else {
    Eigen::Map<Mat>(dW, out, in).noalias() += G * X.transpose();
    if (db) Eigen::Map<Vec>(db, out) += G.rowwise().sum();
  }
}

}  // namespace

void Mlp::tangent_forward(const Tape<double>& tape, Tangents& tt) const {
  layered(tape);
  const Index sd = state_dim(), cols = tt.U.cols(), B = tape.z.cols();
  const std::size_t L = layers_.size();
  tt.dX.resize(L);
  tt.dP.resize(L);
  Mat& dX0 = tt.dX[0];
  dX0.setZero(layers_.front().in, cols);  // the time row has no tangent
  if (config_.input == InputMap::Cube) {
    for (Index b = 0; b < cols; b += B)
      dX0.block(0, b, sd, B) = (3.0 * tape.z.array().square() * tt.U.middleCols(b, B).array()).matrix();
  } else {
    dX0.topRows(sd) = tt.U;
  }
  for (std::size_t l = 0; l < L; ++l) {
    const Layer& Ly = layers_[l];
    Mat& dP = tt.dP[l];
    dP.resize(Ly.out, cols);
    product(params_.data() + Ly.offset, Ly.out, Ly.in, tt.dX[l], dP);
    if (l + 1 == L) break;
    Mat& dX = tt.dX[l + 1];
    dX.resize(Ly.out, cols);
    const Mat& H = tape.inputs[l + 1];
    for (Index b = 0; b < cols; b += B) {  // dX' = σ'(P) ∘ dP
      if (config_.activation == Activation::Tanh) {
        dX.middleCols(b, B).array() = (1.0 - H.array().square()) * dP.middleCols(b, B).array();
      } else {
        const Mat& P = tape.pre[l];
        for (Index c = 0; c < B; ++c)
          for (Index r = 0; r < Ly.out; ++r) dX(r, b + c) = activate_deriv(config_.activation, P(r, c)) * dP(r, b + c);
      }
    }
  }
}

void Mlp::backward_tangent(const Tape<double>& tape, const Tangents& tt, const Mat& A, const Mat& C, Mat* dZ,
                           Vec* dtheta) const {
  layered(tape);
  if (dtheta && dtheta->size() != num_params()) *dtheta = Vec::Zero(num_params());
  const Index sd = state_dim(), B = A.cols(), cols = C.cols();
  const std::size_t L = layers_.size();
  TangentWork& k = tangent_;
  for (auto* v : {&k.V, &k.T, &k.Vx, &k.Tx, &k.s1, &k.s2}) v->resize(L);
  k.V[L - 1] = A;
  k.T[L - 1] = C;
  const bool cube = config_.input == InputMap::Cube;
  for (std::size_t l = L; l-- > 0;) {
    const Layer& Ly = layers_[l];
    const double* w = params_.data() + Ly.offset;
    const Mat &V = k.V[l], &T = k.T[l];
    if (dtheta) {  // value: dW += V Xᵀ, db += V·1; tangents: dW += T dXᵀ (the tangent pass has no bias)
      double* dW = dtheta->data() + Ly.offset;
      outer(V, Ly.out, tape.inputs[l], Ly.in, dW, dW + Ly.out * Ly.in, k.db);
      outer(T, Ly.out, tt.dX[l], Ly.in, dW, nullptr, k.db);
    }
    if (l == 0 && !dZ) break;
    Mat &Vx = k.Vx[l], &Tx = k.Tx[l];
    Vx.resize(Ly.in, B);
    affine_transpose<double>(w, Ly.out, Ly.in, V, Vx, k.wt);
    const bool tangents_back = l > 0 || cube;  // identity input: the directions do not depend on z
    if (tangents_back) {
      Tx.resize(Ly.in, cols);
      affine_transpose<double>(w, Ly.out, Ly.in, T, Tx, k.wt);
    }
    if (l == 0) {
      if (cube) {
        *dZ = (Vx.topRows(sd).array() * 3.0 * tape.z.array().square()).matrix();
        for (Index b = 0; b < cols; b += B)
          dZ->array() += 6.0 * Tx.block(0, b, sd, B).array() * tape.z.array() * tt.U.middleCols(b, B).array();
      } else {
        *dZ = Vx.topRows(sd);
      }
      break;
    }
    // Through layer l−1's activation: X = σ(P), dX = σ'(P) ∘ dP, so
    // V' = Vx ∘ σ' + Σ_i Tx_i ∘ dP_i ∘ σ''  and  T'_i = Tx_i ∘ σ'.
    const Mat& H = tape.inputs[l];
    const Mat& dP = tt.dP[l - 1];
    Mat &V1 = k.V[l - 1], &T1 = k.T[l - 1];
    V1.resize(Ly.in, B);
    T1.resize(Ly.in, cols);
    Mat &s1 = k.s1[l - 1], &s2 = k.s2[l - 1];  // σ'(P), σ''(P) of layer l−1
    if (config_.activation == Activation::Tanh) {
      s1 = 1.0 - H.array().square();
      s2 = -2.0 * H.array() * s1.array();
    } else {
      const Mat& P = tape.pre[l - 1];
      s1.resize(P.rows(), P.cols());
      s2.resize(P.rows(), P.cols());
      for (Index e = 0; e < P.size(); ++e) {
        const Dual d = activate_deriv(config_.activation, Dual(P(e), 1.0));
        s1(e) = d.v;
        s2(e) = d.d;
      }
    }
    V1 = Vx.cwiseProduct(s1);
    for (Index b = 0; b < cols; b += B) {
      V1.array() += Tx.middleCols(b, B).array() * dP.middleCols(b, B).array() * s2.array();
      T1.middleCols(b, B) = Tx.middleCols(b, B).cwiseProduct(s1);
    }
  }
}

void Mlp::second_order_dual(const Mat& Z, const RowVec& t, const std::vector<Mat>& A, const std::vector<Mat>& U,
                       const RowVec& w, Mat* dZ, Vec* dtheta) const {
  if (dZ) *dZ = Mat::Zero(Z.rows(), Z.cols());
  if (dtheta && dtheta->size() != num_params()) *dtheta = Vec::Zero(num_params());
  // Columns in blocks: the dual-number temporaries stay small (and out of the allocator's trim path).
  constexpr Index kBlock = 32;
  for (Index c0 = 0; c0 < Z.cols(); c0 += kBlock) {
    const Index nc = std::min(kBlock, Z.cols() - c0);
    const RowS<Dual> td = t.segment(c0, nc).cast<Dual>();
    for (std::size_t i = 0; i < A.size(); ++i) {
      MatS<Dual> Zd(Z.rows(), nc);
      for (Index c = 0; c < nc; ++c)
        for (Index r = 0; r < Z.rows(); ++r) Zd(r, c) = Dual(Z(r, c0 + c), U[i](r, c0 + c));
      MatS<Dual> Ad = (A[i].middleCols(c0, nc).array().rowwise() * w.segment(c0, nc).array()).matrix().cast<Dual>();
      Tape<Dual> tape;
      MatS<Dual> F;
      forward<Dual>(Zd, td, F, &tape);
      MatS<Dual> gZ;
      VecS<Dual> gT;
      backward<Dual>(tape, Ad, dZ ? &gZ : nullptr, dtheta ? &gT : nullptr, nullptr);
      if (dZ)
        for (Index c = 0; c < nc; ++c)
          for (Index r = 0; r < Z.rows(); ++r) (*dZ)(r, c0 + c) += gZ(r, c).d;
      if (dtheta) for (Index k = 0; k < gT.size(); ++k) (*dtheta)(k) += gT(k).d;
    }
  }
}

void Mlp::divergence_grad(const MatIn& Z, const RowVec& t, const RowVec& w, Mat* dZ, Vec* dtheta) const {
  const auto& E = unit_rows(jac_.ones, Z.cols(), 1.0);
  second_order(Z, t, E, E, w, dZ, dtheta);
}

void Mlp::jacobian_frobenius_grad(const MatIn& Z, const RowVec& t, const RowVec& w, Mat* dZ, Vec* dtheta) const {
  // ‖J‖² = Σ_i ‖J_i‖²; ∂‖J_i‖² = 2 ∂(e_iᵀ J u_i) with u_i = J_iᵀ held fixed.
  const auto& U = jacobian_rows(Z, t);
  second_order(Z, t, unit_rows(jac_.twos, Z.cols(), 2.0), U, w, dZ, dtheta);
}

}  // namespace nde
