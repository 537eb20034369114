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
  /// Whether the regulariser accumulator is present.
  bool regularized() const { return kinetic_ > 0 || jacobian_ > 0; }

 private:
  /// div f (or its estimate) of the columns of Z at the times t, into `out`.
  void divergence(const MatIn& Z, const RowVec& t, RowVec& out) const;
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
    Mat F, A, dZ, dZd;
    RowVec times, div, w, frob;
    Vec dy;
  };
  mutable Work w_;
};

}  // namespace nde
