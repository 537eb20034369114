#pragma once
/// The adjoint system: another vector field, solved backwards by the same `solve`.
#include "nde/field.hpp"

namespace nde {

/// State s = [y, a, g] (n, n, p): dy/dt = f, da/dt = −aᵀ∂f/∂y, dg/dt = −aᵀ∂f/∂θ.
class AdjointField : public VectorField {
 public:
  explicit AdjointField(const DifferentiableField& f) : f_(f) {}
  Index size() const override { return 2 * f_.size() + f_.num_params(); }
  /// g is a pure quadrature.
  Index quadrature() const override { return f_.num_params(); }
  void eval(double t, const Vec& s, Vec& ds) const override {
    const Index n = f_.size(), p = f_.num_params();
    y_ = s.head(n);
    a_ = s.segment(n, n);
    g_.setZero(p);
    f_.eval_and_vjp(t, y_, a_, dy_, a_y_, g_);
    ds.resize(size());
    ds.head(n) = dy_;
    ds.segment(n, n) = -a_y_;
    ds.tail(p) = -g_;
  }

 private:
  const DifferentiableField& f_;
  mutable Vec y_, a_, dy_, a_y_, g_;  // scratch, reused across evaluations
};

}  // namespace nde
