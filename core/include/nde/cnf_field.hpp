#pragma once
/// The continuous-normalising-flow system: states carried by f_θ and their log-density change −div f.
#include "nde/field.hpp"
#include "nde/mlp.hpp"

namespace nde {

/// How div f is computed: exactly (trace of the Jacobian) or by Hutchinson's estimator εᵀ(∂f/∂z)ε.
enum class TraceMode { Exact, Hutchinson };

/// State y = [vec(Z) (S×B), ℓ (B), r?]: dZ/dt = f(Z, t), dℓ_k/dt = −div f(z_k, t), and r (when regularised)
/// integrates kinetic·Σ‖f‖² + jacobian·Σ‖∂f/∂z‖²_F. ℓ and r are quadratures.
class CnfField : public DifferentiableField {
 public:
  /// The MLP (and probes, for Hutchinson: S × B, fixed for the solve) must outlive the field.
  CnfField(const Mlp& mlp, Index batch, TraceMode mode = TraceMode::Exact, const Mat* probes = nullptr,
           double kinetic = 0.0, double jacobian = 0.0);
  Index size() const override;
  Index num_params() const override { return mlp_.num_params(); }
  Index quadrature() const override { return batch_ + (regularized() ? 1 : 0); }
  void eval(double t, const Vec& y, Vec& dy) const override;
  void vjp(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta) const override;
  void eval_and_vjp(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const override;
  /// eval with the network's forward pass kept in the slot (grown on first use).
  void eval_keep(double t, const Vec& y, Vec& dy, int slot) const override;
  /// vjp from the slot's kept forward pass: the backward passes only (the trace's and regulariser's included).
  void vjp_kept(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta, int slot) const override;
  /// A slot's pass with its tangents (an upper estimate: every direction's tangents twice the pass's columns).
  [[nodiscard]] double kept_bytes() const override;
  /// Whether the regulariser accumulator is present.
  bool regularized() const { return kinetic_ > 0 || jacobian_ > 0; }
  /// How an evaluation and its VJP run the network's passes (process-wide; the bench compares them in one run).
  enum class Passes {
    /// Every term redoes the forward pass: the trace's Jacobian rows, the regulariser, the VJP and the trace's gradient
    /// (forward-over-reverse, `Mlp::second_order`); eval_keep / vjp_kept are plain eval / vjp.
    Separate,
    /// One forward pass per evaluation (kept per stage by eval_keep) that every term works from; otherwise as
    /// Separate, and equal to it bit for bit.
    SharedTape,
    /// The shared pass, with the trace (and the Jacobian regulariser) from tangent passes along the unit directions
    /// (or the probes), kept with it; the VJP and the trace's gradient are one reverse pass over both
    /// (`Mlp::backward_tangent`). Equal to the others to rounding.
    Tangents,
  };
  /// Selects the passes (default Tangents).
  static void set_passes(Passes p);
  /// The passes in use.
  static Passes passes();

 private:
  /// One recorded forward pass and what the VJP reads from it.
  struct Pass {
    Mlp::Tape<double> tape;
    Mat F;
    Mlp::Tangents tangents;  ///< Passes::Tangents: the pass's tangents along the directions
  };
  /// Passes::Tangents: whether the directions start with the probes (Hutchinson) and whether the unit directions
  /// follow (exact trace, or the Jacobian regulariser).
  bool probed() const { return mode_ == TraceMode::Hutchinson && probes_; }
  bool units() const { return !probed() || jacobian_ > 0; }
  /// div f (or its estimate) of the columns of Z at the times t, into `out`.
  void divergence(const MatIn& Z, const RowVec& t, RowVec& out) const;
  /// dy at the states Z (time in w_.times) through one forward pass recorded in `p`.
  void evaluate(const MatIn& Z, Pass& p, Vec& dy) const;
  /// a_y and g_theta from the pass recorded in `p`.
  void reverse(Pass& p, const Vec& a, Vec& a_y, Vec& g_theta) const;
  /// The former eval_and_vjp (every term redoes the forward pass).
  void eval_and_vjp_separate(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const;
  /// The accumulator's rate kinetic·Σ‖f‖² + jacobian·Σ‖∂f/∂z‖²_F for the forward pass in F.
  double regularizer(const MatIn& Z, const Mat& F) const;
  const Mlp& mlp_;
  Index batch_;
  TraceMode mode_;
  const Mat* probes_;
  double kinetic_, jacobian_;
  /// Buffers of eval and eval_and_vjp, sized on first use: a field used for a whole solve (or kept across training
  /// steps) allocates nothing afterwards.
  struct Work {
    Mlp::Tape<double> tape;
    Mat F, A, dZ, dZd, C;
    RowVec times, div, w, frob;
    Vec dy;
    Pass pass;               ///< eval's and eval_and_vjp's forward pass
    std::vector<Pass> kept;  ///< eval_keep's, one per slot
    std::vector<Mat> rows;   ///< Jacobian rows (exact trace, Jacobian regulariser)
  };
  mutable Work w_;
};

}  // namespace nde
