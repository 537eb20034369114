#pragma once
/// The neural vector field f_θ(z, t): an MLP with one flat parameter vector, its VJPs and second derivatives.
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "nde/activation.hpp"
#include "nde/dual.hpp"
#include "nde/types.hpp"
#include "nde/result.hpp"

namespace nde {

template <class S> using MatS = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
template <class S> using VecS = Eigen::Matrix<S, Eigen::Dynamic, 1>;
template <class S> using RowS = Eigen::Matrix<S, 1, Eigen::Dynamic>;

/// How the state enters the first layer: as is, or cubed (torchdiffeq's demo feeds y³).
enum class InputMap { Identity, Cube };

/// Shape of the network.
struct MlpConfig {
  int dim = 2;                        ///< observed state dimension
  std::vector<int> hidden{64, 64};    ///< hidden layer widths
  Activation activation = Activation::Tanh;
  bool time_dependent = false;        ///< feed t as an extra input
  int augment = 0;                    ///< extra zero-initialised state dimensions (ANODE)
  InputMap input = InputMap::Identity;
  double init_std = 0.0;              ///< 0: Glorot-uniform weights; > 0: normal(0, init_std) weights
  double init_output = 1.0;           ///< factor on the last layer's initial weights (small: the field starts near zero)
};

/// Fewest points a float64 forward/backward pass takes through the points-in-lanes kernels (below it the row path is
/// faster: a step of one-column solves — separate windows, the adjoint — took 1.5–1.7× longer through them; from 2
/// columns on the two paths measured the same on those steps).
inline constexpr Index kLanes64MinColumns = 4;

/// f_θ: R^(dim+augment) × R → R^(dim+augment). Batches are matrices with one state per column.
class Mlp {
 public:
  /// Builds the layer layout; parameters start at zero (call init).
  explicit Mlp(MlpConfig config = {});

  const MlpConfig& config() const { return config_; }
  /// dim + augment: the size of the state the ODE evolves.
  int state_dim() const { return config_.dim + config_.augment; }
  /// Bytes a forward-and-backward pass keeps per batch column (activations of every layer, a few copies).
  [[nodiscard]] double column_bytes() const {
    double width = state_dim() + 1.0;
    for (int w : config_.hidden) width += w;
    return 8.0 * 4.0 * width;
  }
  /// Number of entries of θ.
  Index num_params() const { return params_.size(); }
  /// θ, all weights and biases, layer by layer (W column-major, then b).
  const Vec& params() const { return params_; }
  /// Mutable θ.
  Vec& params() { return params_; }
  /// Replaces θ if it has the right size and is finite; otherwise returns why not and keeps θ.
  [[nodiscard]] Result<> set_params(const Vec& theta);
  /// Seeded initialisation (biases zero).
  void init(std::uint64_t seed);

  /// Intermediate values of a forward pass, kept for the backward pass. Reused across calls of the same
  /// batch size, it is also the passes' workspace: after the first call neither pass allocates.
  template <class S>
  struct Tape {
    std::vector<MatS<S>> inputs;  ///< input of each layer
    std::vector<MatS<S>> pre;     ///< pre-activation of each hidden layer (not kept by the lanes64.hpp path: tanh only)
    MatS<S> z;                    ///< the states
    std::vector<MatS<S>> grads;   ///< backward scratch: cotangent of each layer's output
    MatS<S> grad_in;              ///< backward scratch: cotangent of the first layer's input
    std::vector<S> wt;            ///< backward scratch: a wide layer's Wᵀ (the tiled kernel's operand)
    std::vector<S> lanes;         ///< backward scratch of the float64 points-in-lanes path (feature-major copies)
    /// Set by an owner that reverses this tape mostly with `backward`: a lanes64.hpp forward then keeps the hidden
    /// activations in its own layout (`hidden_lanes`) instead of scattering them into inputs[1] (and inputs[2]); the
    /// other readers (second_order, tangent_forward, backward_tangent) scatter them there first.
    bool reverse_only = false;
    /// That layout, 16-byte aligned: one hidden layer, blocks of kN points (unit 0, 1, …, then the next kN points);
    /// two, feature-major rows of the points rounded up to kN (layer 1's units, then layer 2's).
    std::vector<S> hidden_lanes;
    int in_lanes = 0;  ///< kN if the last forward pass left the activations there (inputs[1], inputs[2] then empty)
  };
  /// F = f(Z, t) for a batch; t holds one time per column.
  template <class S>
  void forward(const Eigen::Ref<const MatS<S>>& Z, const Eigen::Ref<const RowS<S>>& t, MatS<S>& F, Tape<S>* tape) const;
  /// Reverse pass: dZ = Aᵀ∂f/∂z (per column), dtheta += Σ aᵀ∂f/∂θ, dt = aᵀ∂f/∂t. Null outputs are skipped.
  /// Uses the tape's scratch buffers (the recorded pass stays intact, so it can be reversed again).
  template <class S>
  void backward(Tape<S>& tape, const MatS<S>& A, MatS<S>* dZ, VecS<S>* dtheta, RowS<S>* dt) const;

  /// f for a batch.
  Mat eval(const Mat& Z, const RowVec& t) const;
  /// f for one state.
  Vec eval(const Vec& z, double t) const;
  /// f for a batch at one time, computed in single precision (float32 weights, vectorised kernels): for
  /// sampling the field to draw it, where ~1e-6 relative error is invisible. Training stays in double.
  Mat eval_single(const Mat& Z, double t) const;
  /// Vector–Jacobian products for a batch; dtheta is accumulated into (sized on first use).
  void vjp(const Mat& Z, const RowVec& t, const Mat& A, Mat* dZ, Vec* dtheta, RowVec* dt) const;
  /// ∂f/∂z at one state.
  Mat jacobian(const Vec& z, double t) const;
  /// tr ∂f/∂z per column.
  RowVec divergence(const MatIn& Z, const RowVec& t) const;
  /// The same into `out` (no allocation once the workspaces have the batch's size).
  void divergence(const MatIn& Z, const RowVec& t, RowVec& out) const;
  /// Gradients of Σ_k w_k tr ∂f/∂z(z_k): dZ (set), dtheta (accumulated).
  void divergence_grad(const MatIn& Z, const RowVec& t, const RowVec& w, Mat* dZ, Vec* dtheta) const;
  /// εᵀ(∂f/∂z)ε per column for probe vectors E (one per column): Hutchinson's trace estimate.
  RowVec trace_estimate(const MatIn& Z, const RowVec& t, const Mat& E) const;
  /// The same into `out` (no allocation once the workspaces have the batch's size).
  void trace_estimate(const MatIn& Z, const RowVec& t, const Mat& E, RowVec& out) const;
  /// Gradients of Σ_k w_k ε_kᵀ ∂f/∂z(z_k) ε_k: dZ (set), dtheta (accumulated).
  void trace_estimate_grad(const MatIn& Z, const RowVec& t, const Mat& E, const RowVec& w, Mat* dZ, Vec* dtheta) const;
  /// ‖∂f/∂z‖²_F per column.
  RowVec jacobian_frobenius(const MatIn& Z, const RowVec& t) const;
  /// The same into `out` (no allocation once the workspaces have the batch's size).
  void jacobian_frobenius(const MatIn& Z, const RowVec& t, RowVec& out) const;
  /// Gradients of Σ_k w_k ‖∂f/∂z(z_k)‖²_F: dZ (set), dtheta (accumulated).
  void jacobian_frobenius_grad(const MatIn& Z, const RowVec& t, const RowVec& w, Mat* dZ, Vec* dtheta) const;
  /// Σ_i over directions: dual-part gradients of Σ_k w_k a_ikᵀ J(z_k) u_ik — dZ (set), dtheta (accumulated);
  /// forward-over-reverse with split value/tangent matrices (double products throughout).
  void second_order(const MatIn& Z, const RowVec& t, const std::vector<Mat>& A, const std::vector<Mat>& U,
                    const RowVec& w, Mat* dZ, Vec* dtheta) const;
  /// The same through the generic Dual-scalar passes (the reference the tests and the bench compare with).
  void second_order_dual(const Mat& Z, const RowVec& t, const std::vector<Mat>& A, const std::vector<Mat>& U,
                         const RowVec& w, Mat* dZ, Vec* dtheta) const;

  // The same passes from a forward pass already recorded in `tape` (its columns are the states Z): the forward is
  // not redone. Results equal the Z-taking calls' bit for bit (their first step is that forward pass).
  /// Rows of ∂f/∂z into `rows` (rows[i] column k = (e_iᵀ ∂f/∂z(z_k))ᵀ), by one backward pass per row.
  void jacobian_rows(Tape<double>& tape, std::vector<Mat>& rows) const;
  /// tr ∂f/∂z per column, from the Jacobian rows in `rows` (filled by jacobian_rows(tape, rows)).
  void divergence(const std::vector<Mat>& rows, RowVec& out) const;
  /// ‖∂f/∂z‖²_F per column, from the Jacobian rows.
  void jacobian_frobenius(const std::vector<Mat>& rows, RowVec& out) const;
  /// εᵀ(∂f/∂z)ε per column.
  void trace_estimate(Tape<double>& tape, const Mat& E, RowVec& out) const;
  /// second_order for the recorded states (all columns in one block).
  void second_order(const Tape<double>& tape, const std::vector<Mat>& A, const std::vector<Mat>& U, const RowVec& w,
                    Mat* dZ, Vec* dtheta) const;
  /// divergence_grad for the recorded states.
  void divergence_grad(const Tape<double>& tape, const RowVec& w, Mat* dZ, Vec* dtheta) const;
  /// trace_estimate_grad for the recorded states.
  void trace_estimate_grad(const Tape<double>& tape, const Mat& E, const RowVec& w, Mat* dZ, Vec* dtheta) const;
  /// jacobian_frobenius_grad for the recorded states, given their Jacobian rows.
  void jacobian_frobenius_grad(const Tape<double>& tape, const std::vector<Mat>& rows, const RowVec& w, Mat* dZ,
                               Vec* dtheta) const;

  /// Tangents of a recorded forward pass along D directions u (side by side: direction i in columns [iB, (i+1)B)):
  /// each layer's input tangent dX[l] and output tangent dP[l] (dP.back() = J u, the output's).
  struct Tangents {
    std::vector<Mat> dX, dP;
    Mat U;  ///< the directions (state_dim × D·B)
  };
  /// The tangent pass of the forward pass in `tape` along the directions in tt.U (set by the caller).
  void tangent_forward(const Tape<double>& tape, Tangents& tt) const;
  /// Reverse pass of a forward pass and its tangents together (reverse-over-forward): dZ = Aᵀ∂f/∂z + ∂/∂z Σ cᵀ(J u),
  /// dtheta += the same w.r.t. θ, for the value cotangent A (state_dim × B) and the tangent outputs' cotangents C
  /// (state_dim × D·B, laid out as tt.U). The value chain runs once for A and every direction's second-order term, so
  /// the trace's gradient costs one transposed and one outer product per direction and layer.
  void backward_tangent(const Tape<double>& tape, const Tangents& tt, const Mat& A, const Mat& C, Mat* dZ,
                        Vec* dtheta) const;

 private:
  struct Layer { Index in, out, offset; };
  MlpConfig config_;
  std::vector<Layer> layers_;
  Vec params_;
  mutable Tape<double> work_;  ///< workspace of forward passes without a tape (single-threaded use)
  mutable std::vector<double> splat64_;  ///< the lanes64.hpp forward's tanh constants and θ's splats, then that θ, then its scratch
  mutable const double* splat64_made_ = nullptr;  ///< splat64_'s buffer when they were made (a copied Mlp remakes them)
  mutable std::vector<float> single_;  ///< workspace of eval_single: θ in float, then its splats and activation blocks
  /// Makes a tape readable layer by layer: if its forward left the activations in the lanes kernels' own layout
  /// (`Tape::reverse_only`), scatters them into inputs[1] (and inputs[2]) — the same values, so the recorded pass is
  /// unchanged and the tape may still be given to `backward`. The readers other than `backward` call it first.
  void layered(const Tape<double>& tape) const;
  /// Whether eval_single takes the points-in-lanes kernels: selected, tanh, thin first and last layers (≤ 4 wide).
  [[nodiscard]] bool lanes_apply() const;
  /// Whether forward/backward<double> of `columns` points take the float64 points-in-lanes kernels (lanes64.hpp):
  /// selected, tanh, one or two hidden layers, input and output ≤ 4 wide, at least kLanes64MinColumns points.
  [[nodiscard]] bool lanes64_apply(Index columns) const;
  /// Rows of ∂f/∂z for each column: J[i] is the matrix whose column k is (e_iᵀ ∂f/∂z(z_k))ᵀ (in the workspace:
  /// valid until the next call).
  const std::vector<Mat>& jacobian_rows(const MatIn& Z, const RowVec& t) const;
  /// `value` on row i of the i-th matrix (dim × cols), zero elsewhere, in `cache` (refilled in place).
  const std::vector<Mat>& unit_rows(std::vector<Mat>& cache, Index cols, double value) const;
  /// Buffers of the first-order passes behind the trace and Jacobian terms, reused across calls.
  struct JacobianWork {
    Tape<double> tape;
    Mat F, A, D;
    std::vector<Mat> rows, ones, twos, probe;
  };
  mutable JacobianWork jac_;
  /// Buffers of second_order (value tape, σ', σ'', tangents), reused across calls.
  struct SecondOrderWork {
    Tape<double> tape;
    std::vector<Mat> s1, s2, dP, dX, G, dG, Gx, dGx;  ///< per layer
    Mat F;
    std::vector<double> wt;  ///< a wide layer's Wᵀ (the tiled kernel's operand)
  };
  mutable SecondOrderWork second_;
  /// Buffers of backward_tangent (per layer: value and tangent cotangents, their products with Wᵀ), reused.
  struct TangentWork {
    std::vector<Mat> V, T, Vx, Tx, s1, s2;  ///< per layer (their shapes differ by layer)
    std::vector<double> wt, db;
  };
  mutable TangentWork tangent_;
  /// second_order's passes for the columns [c0, c0 + nc) of Z, A, U, w, dZ, whose value pass is recorded in `tape`.
  void second_order_block(const Tape<double>& tape, const MatIn& Z, Index c0, Index nc, const std::vector<Mat>& A,
                          const std::vector<Mat>& U, const RowVec& w, Mat* dZ, Vec* dtheta) const;

};

}  // namespace nde
