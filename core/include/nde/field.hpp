#pragma once
/// Vector fields on a flat state: what `solve` integrates and what the gradient methods differentiate.
#include <Eigen/Dense>

#include "nde/types.hpp"

namespace nde {

/// dy/dt = f(t, y) on a flat state.
class VectorField {
 public:
  virtual ~VectorField() = default;
  /// Size of the state.
  virtual Index size() const = 0;
  /// dy = f(t, y).
  virtual void eval(double t, const Vec& y, Vec& dy) const = 0;
  /// How many trailing components are pure quadratures: f never reads them, so RK stages skip them.
  virtual Index quadrature() const { return 0; }
};

/// A vector field with parameters θ and vector–Jacobian products.
class DifferentiableField : public VectorField {
 public:
  /// Size of θ.
  virtual Index num_params() const = 0;
  /// a_y = aᵀ∂f/∂y (set); g_theta += aᵀ∂f/∂θ (accumulated, already sized).
  virtual void vjp(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta) const = 0;
  /// dy = f(t, y) and the VJP together (one forward pass where the field can share it).
  virtual void eval_and_vjp(double t, const Vec& y, const Vec& a, Vec& dy, Vec& a_y, Vec& g_theta) const {
    eval(t, y, dy);
    vjp(t, y, a, a_y, g_theta);
  }
  /// dy = f(t, y), keeping in `slot` what a VJP at this (t, y) needs (a field that cannot keep it just evaluates).
  virtual void eval_keep(double t, const Vec& y, Vec& dy, int slot) const {
    (void)slot;
    eval(t, y, dy);
  }
  /// vjp at the (t, y) last evaluated by eval_keep into `slot` (y is that state): the forward pass is not redone.
  virtual void vjp_kept(double t, const Vec& y, const Vec& a, Vec& a_y, Vec& g_theta, int slot) const {
    (void)slot;
    vjp(t, y, a, a_y, g_theta);
  }
  /// Bytes one eval_keep slot holds at most (an upper estimate; 0: the field keeps nothing per slot).
  [[nodiscard]] virtual double kept_bytes() const { return 0.0; }
};

}  // namespace nde
