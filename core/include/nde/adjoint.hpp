#pragma once
/// The adjoint system: another vector field, solved backwards by the same `solve`.
#include "nde/field.hpp"

namespace nde {

/// State s = [y, a, g] (n, n, p): dy/dt = f, da/dt = −aᵀ∂f/∂y, dg/dt = −aᵀ∂f/∂θ.
class AdjointField : public VectorField {
 public:
  explicit AdjointField(const DifferentiableField& f) : f_(f) {}
  Index size() const override { return 2 * f_.size() + f_.num_params(); }
  void eval(double t, const Vec& s, Vec& ds) const override {
    const Index n = f_.size(), p = f_.num_params();
    Vec dy(n), a_y(n), g = Vec::Zero(p);
    f_.eval_and_vjp(t, s.head(n), s.segment(n, n), dy, a_y, g);
    ds.resize(size());
    ds.head(n) = dy;
    ds.segment(n, n) = -a_y;
    ds.tail(p) = -g;
  }

 private:
  const DifferentiableField& f_;
};

}  // namespace nde
