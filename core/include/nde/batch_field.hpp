#pragma once
/// The MLP applied to a batch of states side by side, with an optional regulariser accumulator.
#include <memory>
#include <vector>

#include "nde/field.hpp"
#include "nde/mlp.hpp"

namespace nde {

/// State y = [vec(Z), r]: Z is state_dim × B (column-major), r (present when regularised) integrates
/// kinetic·Σ_k‖f(z_k)‖² + jacobian·Σ_k‖∂f/∂z(z_k)‖²_F. Column k runs at time t + offsets[k].
class BatchField : public DifferentiableField {
 public:
  /// Buffers of the evaluations (and the offsets), reusable by the next field of the same batch size.
  struct Work {
    RowVec offsets, times, weights;  ///< weights: the Jacobian regulariser's per column (values or cotangents)
    Mat F, A, dZ, dZ2;
    Mlp::Tape<double> tape;
    Vec dy;
    std::vector<Mlp::Tape<double>> kept;  ///< eval_keep's forward passes, one per slot
    std::vector<Mat> kept_F;              ///< and their outputs
  };
  /// The MLP must outlive the field.
  BatchField(const Mlp& mlp, RowVec offsets, double kinetic = 0.0, double jacobian = 0.0);
  /// The same in borrowed buffers (offsets are copied into them), which must outlive the field: a field made
  /// again in the same work for the same batch size allocates nothing.
  BatchField(const Mlp& mlp, const RowVec& offsets, double kinetic, double jacobian, Work& work);
  Index size() const override;
  Index num_params() const override { return mlp_.num_params(); }
  /// The regulariser accumulator is a pure quadrature.
  Index quadrature() const override { return regularized() ? 1 : 0; }
  void eval(double t, const Vec& y, Vec& dy) const override;
  void vjp(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta) const override;
  void eval_and_vjp(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const override;
  /// eval with the network's forward pass kept in the slot (grown on first use).
  void eval_keep(double t, const Vec& y, Vec& dy, int slot) const override;
  /// vjp from the slot's kept forward pass (only the backward pass runs).
  void vjp_kept(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta, int slot) const override;
  /// A slot's forward pass with its backward scratch and output: the batch's columns and a wide layer's Wᵀ.
  [[nodiscard]] double kept_bytes() const override;
  /// Bytes one eval_keep slot of a BatchField of `batch` columns through `mlp` holds at most.
  [[nodiscard]] static double kept_bytes(const Mlp& mlp, Index batch);
  /// Number of states in the batch.
  Index batch() const { return w_->offsets.size(); }
  /// Whether the state carries the regulariser accumulator as its last entry.
  bool regularized() const { return kinetic_ > 0 || jacobian_ > 0; }

 private:
  /// dy from the network output F (and the regulariser at the states Z).
  void finish_eval(const Mat& F, const Eigen::Map<const Mat>& Z, Vec& dy) const;
  /// a_y and g_theta from a forward pass recorded in tape with output F.
  void reverse(Mlp::Tape<double>& tape, const Mat& F, const Eigen::Map<const Mat>& Z, const Vec& a, Vec& a_y,
               Vec& g_theta) const;
  const Mlp& mlp_;
  double kinetic_, jacobian_;
  // Workspace reused across evaluations (a field is used by one solve at a time): owned or borrowed.
  std::unique_ptr<Work> own_;
  Work* w_;
};

}  // namespace nde
