#pragma once
/// The adjoint system: another vector field, solved backwards by the same `solve`.
#include "nde/field.hpp"

namespace nde {

/// State s = [y, a, g] (n, n, p): dy/dt = f, da/dt = −aᵀ∂f/∂y, dg/dt = −aᵀ∂f/∂θ.
class AdjointField : public VectorField {
 public:
  /// Scratch of the evaluations, reusable by the next adjoint field of the same sizes.
  struct Work {
    Vec y, a, dy, a_y, g;
  };
  explicit AdjointField(const DifferentiableField& f) : f_(f), w_(own_) {}
  /// The same in borrowed scratch (which must outlive the field).
  AdjointField(const DifferentiableField& f, Work& work) : f_(f), w_(work) {}
  Index size() const override { return 2 * f_.size() + f_.num_params(); }
  /// g is a pure quadrature.
  Index quadrature() const override { return f_.num_params(); }
  void eval(double t, const Vec& s, Vec& ds) const override {
    const Index n = f_.size(), p = f_.num_params();
    w_.y = s.head(n);
    w_.a = s.segment(n, n);
    w_.g.setZero(p);
    f_.eval_and_vjp(t, w_.y, w_.a, w_.dy, w_.a_y, w_.g);
    ds.resize(size());
    ds.head(n) = w_.dy;
    ds.segment(n, n) = -w_.a_y;
    ds.tail(p) = -w_.g;
  }

 private:
  const DifferentiableField& f_;
  mutable Work own_;  // scratch when none is borrowed
  Work& w_;          // scratch, reused across evaluations
};

}  // namespace nde
