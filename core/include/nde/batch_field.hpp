#pragma once
/// The MLP applied to a batch of states side by side, with an optional regulariser accumulator.
#include "nde/field.hpp"
#include "nde/mlp.hpp"

namespace nde {

/// State y = [vec(Z), r]: Z is state_dim × B (column-major), r (present when regularised) integrates
/// kinetic·Σ_k‖f(z_k)‖² + jacobian·Σ_k‖∂f/∂z(z_k)‖²_F. Column k runs at time t + offsets[k].
class BatchField : public DifferentiableField {
 public:
  /// The MLP must outlive the field.
  BatchField(const Mlp& mlp, RowVec offsets, double kinetic = 0.0, double jacobian = 0.0);
  Index size() const override;
  Index num_params() const override { return mlp_.num_params(); }
  /// The regulariser accumulator is a pure quadrature.
  Index quadrature() const override { return regularized() ? 1 : 0; }
  void eval(double t, const Vec& y, Vec& dy) const override;
  void vjp(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta) const override;
  void eval_and_vjp(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const override;
  /// Number of states in the batch.
  Index batch() const { return offsets_.size(); }
  /// Whether the state carries the regulariser accumulator as its last entry.
  bool regularized() const { return kinetic_ > 0 || jacobian_ > 0; }

 private:
  const Mlp& mlp_;
  RowVec offsets_;
  double kinetic_, jacobian_;
  // Workspace reused across evaluations (a field is used by one solve at a time).
  mutable RowVec times_;
  mutable Mat F_, A_, dZ_, dZ2_;
  mutable Mlp::Tape<double> tape_;
  mutable Vec dy_;
};

}  // namespace nde
